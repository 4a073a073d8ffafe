package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/blob"
	"plaza/core/blob/s3"
	"plaza/core/coretest"
	"plaza/core/store"
)

// TestS3Store runs the blob store on a real S3 server: content small and
// large enough for a multipart upload, ranged reads, reference counting,
// collection of unreferenced content and of strays.
func TestStore(t *testing.T) {
	db := coretest.OpenDB(t, coretest.Dialects()[len(coretest.Dialects())-1])
	ctx := context.Background()
	so := coretest.S3(t)
	so.Prefix = "blobs/"
	back, err := s3.New(ctx, so)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	dir := t.TempDir()
	bs, err := blob.New(blob.Options{Dir: dir, Backend: back, DB: db, Grace: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 17<<20+5) // over minio-go's 16 MiB part: a multipart upload
	for i := range big {
		big[i] = byte(i*7 + i>>13)
	}
	b, err := bs.Put(ctx, bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	small, err := bs.Put(ctx, strings.NewReader("small"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := bs.Open(b.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != int64(len(big)) {
		t.Fatalf("stat: %v %v", fi, err)
	}
	// A Range request: seek, then read a part only.
	if _, err := f.Seek(9<<20, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	part := make([]byte, 1000)
	if _, err := io.ReadFull(f, part); err != nil || !bytes.Equal(part, big[9<<20:9<<20+1000]) {
		t.Fatalf("ranged read: %v", err)
	}
	if _, err := f.ReadAt(part, 16<<20+100); err != nil || !bytes.Equal(part, big[16<<20+100:16<<20+1100]) {
		t.Fatalf("read at: %v", err)
	}
	f.Seek(0, io.SeekStart)
	all, err := io.ReadAll(f)
	f.Close()
	if err != nil || !bytes.Equal(all, big) {
		t.Fatalf("whole read: %d bytes, %v", len(all), err)
	}
	if _, err := bs.Open(strings.Repeat("0", 64)); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("open of missing content: %v", err)
	}

	if err := db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { return bs.Ref(ctx, tx, b) }); err != nil {
		t.Fatal(err)
	}
	// Later: the small content was never committed (a stray), the large one
	// is referenced.
	now = now.Add(10 * time.Minute)
	if n, err := bs.Collect(ctx); err != nil || n != 1 {
		t.Errorf("collect: %d %v, want the stray", n, err)
	}
	if _, err := bs.Open(small.Hash); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("stray left: %v", err)
	}
	if _, err := bs.Open(b.Hash); err != nil {
		t.Errorf("referenced content collected: %v", err)
	}
	// Unreferenced, past the grace time, while a backup runs: kept.
	if err := db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { return bs.Unref(ctx, tx, b.Hash) }); err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Minute)
	store.TakeLease(ctx, db.DB, store.BackupLeasePrefix+"x", "test", now.Add(time.Hour))
	if n, _ := bs.Collect(ctx); n != 0 {
		t.Errorf("collected %d during a backup", n)
	}
	store.DropLease(ctx, db.DB, store.BackupLeasePrefix+"x")
	if n, err := bs.Collect(ctx); err != nil || n != 1 {
		t.Errorf("collect: %d %v, want 1", n, err)
	}
	if _, err := bs.Open(b.Hash); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("unreferenced content left: %v", err)
	}
}
