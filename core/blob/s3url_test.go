package blob_test

import (
	"errors"
	"testing"

	"plaza/core"
	"plaza/core/blob"
)

func TestParseS3URL(t *testing.T) {
	for _, c := range []struct {
		url  string
		want blob.S3Options
		bad  bool
	}{
		{url: "s3://files", want: blob.S3Options{Bucket: "files", Endpoint: "s3.amazonaws.com"}},
		{url: "s3://files/plaza/prod/?region=eu-west-3", want: blob.S3Options{Bucket: "files", Prefix: "plaza/prod/", Region: "eu-west-3", Endpoint: "s3.amazonaws.com"}},
		{url: "s3://files?endpoint=http://127.0.0.1:7070&region=us-east-1", want: blob.S3Options{Bucket: "files", Endpoint: "127.0.0.1:7070", Insecure: true, Region: "us-east-1"}},
		{url: "s3://files?endpoint=minio.example:9000", want: blob.S3Options{Bucket: "files", Endpoint: "minio.example:9000"}},
		{url: "http://files", bad: true},
		{url: "s3://", bad: true},
		{url: "s3://files?endpoint=ftp://x", bad: true},
		{url: "s3://files?endpoint=https://x/path", bad: true},
		{url: "s3://files?secret=x", bad: true},
	} {
		got, err := blob.ParseS3URL(c.url)
		if c.bad {
			if !errors.Is(err, core.ErrInvalid) {
				t.Errorf("%s: %v, want invalid", c.url, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %+v %v, want %+v", c.url, got, err, c.want)
		}
	}
}
