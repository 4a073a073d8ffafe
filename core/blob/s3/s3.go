// Package s3 keeps Plaza's blobs in an S3-compatible object store
// (Amazon S3, MinIO, Garage, SeaweedFS, versitygw…) through minio-go.
// It is the one core package that speaks HTTP: to the object store, as
// the PostgreSQL driver speaks its protocol to the database. No other core
// package imports it; cmd/plaza wires it in.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"plaza/core"
	"plaza/core/blob"
)

// Backend keeps content as objects named PREFIX+hash in a bucket of an
// S3-compatible store. An object appears whole or not at all: a small
// one in one PUT, a large one as a multipart upload that becomes visible
// only when completed, so a crash mid-upload leaves no object (the store
// drops, or lifecycle rules expire, the incomplete upload's parts).
type Backend struct {
	c      *minio.Client
	bucket string
	prefix string
}

// New connects to the bucket, creating it when missing.
func New(ctx context.Context, o blob.S3Options) (*Backend, error) {
	var creds *credentials.Credentials
	if o.AccessKey != "" {
		creds = credentials.NewStaticV4(o.AccessKey, o.SecretKey, o.SessionToken)
	} else {
		creds = credentials.New(&credentials.Static{})
	}
	c, err := minio.New(o.Endpoint, &minio.Options{Creds: creds, Secure: !o.Insecure, Region: o.Region})
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", o.Endpoint, err)
	}
	s := &Backend{c: c, bucket: o.Bucket, prefix: o.Prefix}
	ok, err := c.BucketExists(ctx, o.Bucket)
	if err != nil {
		return nil, fmt.Errorf("object store %s, bucket %s: %w", o.Endpoint, o.Bucket, err)
	}
	if !ok {
		if err := c.MakeBucket(ctx, o.Bucket, minio.MakeBucketOptions{Region: o.Region}); err != nil {
			return nil, fmt.Errorf("create bucket %s: %w", o.Bucket, err)
		}
	}
	return s, nil
}

// Keep uploads the spooled content under its hash; content already there
// is uploaded again, which renews its age against collection.
func (s *Backend) Keep(ctx context.Context, hash string, f *os.File, size int64) error {
	defer f.Close()
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	_, err := s.c.PutObject(ctx, s.bucket, s.prefix+hash, f, size, minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("store blob %s: %w", hash, err)
	}
	return nil
}

// Open opens the object of hash; each read after a seek is a ranged GET.
func (s *Backend) Open(ctx context.Context, hash string) (blob.File, error) {
	obj, err := s.c.GetObject(ctx, s.bucket, s.prefix+hash, minio.GetObjectOptions{})
	if err == nil {
		_, err = obj.Stat()
	}
	if err != nil {
		if obj != nil {
			obj.Close()
		}
		return nil, s.translate(hash, err)
	}
	return s3File{obj, hash}, nil
}

func (s *Backend) translate(hash string, err error) error {
	r := minio.ToErrorResponse(err)
	if r.Code == minio.NoSuchKey || r.StatusCode == http.StatusNotFound {
		return fmt.Errorf("blob %s: %w", hash, core.ErrNotFound)
	}
	return fmt.Errorf("blob %s: %w", hash, err)
}

// RemoveIfOld removes the object unless it was uploaded after cutoff.
func (s *Backend) RemoveIfOld(ctx context.Context, hash string, cutoff time.Time) error {
	info, err := s.c.StatObject(ctx, s.bucket, s.prefix+hash, minio.StatObjectOptions{})
	if err != nil {
		if err = s.translate(hash, err); errors.Is(err, core.ErrNotFound) {
			return nil
		}
		return err
	}
	if info.LastModified.After(cutoff) {
		return nil
	}
	return s.c.RemoveObject(ctx, s.bucket, s.prefix+hash, minio.RemoveObjectOptions{})
}

// Walk lists the objects under the prefix uploaded before cutoff.
func (s *Backend) Walk(ctx context.Context, cutoff time.Time, fn func(hash string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing if fn fails
	for obj := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if obj.Err != nil {
			return obj.Err
		}
		hash := strings.TrimPrefix(obj.Key, s.prefix)
		if !blob.ValidHash(hash) || obj.LastModified.After(cutoff) {
			continue
		}
		if err := fn(hash); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// s3File is an object being read.
type s3File struct {
	*minio.Object
	hash string
}

func (f s3File) Stat() (fs.FileInfo, error) {
	info, err := f.Object.Stat()
	if err != nil {
		return nil, err
	}
	return objectInfo{info, f.hash}, nil
}

type objectInfo struct {
	minio.ObjectInfo
	hash string
}

func (i objectInfo) Name() string       { return i.hash }
func (i objectInfo) Size() int64        { return i.ObjectInfo.Size }
func (i objectInfo) Mode() fs.FileMode  { return 0o444 }
func (i objectInfo) ModTime() time.Time { return i.LastModified }
func (i objectInfo) IsDir() bool        { return false }
func (i objectInfo) Sys() any           { return nil }
