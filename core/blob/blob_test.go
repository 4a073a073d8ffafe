package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/blob"
	"plaza/core/coretest"
	"plaza/core/store"
)

func TestPutOpenRefCollect(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		dir := t.TempDir()
		bs, err := blob.New(blob.Options{Dir: dir, DB: db, Grace: time.Minute, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		// Streams larger than any buffer go through.
		big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
		b, err := bs.Put(ctx, bytes.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(big)
		if b.Hash != hex.EncodeToString(sum[:]) || b.Size != int64(len(big)) {
			t.Fatalf("put: %+v", b)
		}
		f, err := bs.Open(b.Hash)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if !bytes.Equal(got, big) {
			t.Fatal("content differs")
		}
		// Same content twice is one file with two references.
		b2, _ := bs.Put(ctx, bytes.NewReader(big))
		if b2.Hash != b.Hash {
			t.Fatal("same content, different hash")
		}
		tx := func(fn func(ctx context.Context, tx bun.Tx) error) {
			t.Helper()
			if err := db.Tx(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		tx(func(ctx context.Context, tx bun.Tx) error { return bs.Ref(ctx, tx, b) })
		tx(func(ctx context.Context, tx bun.Tx) error { return bs.Ref(ctx, tx, b2) })
		if n, _ := bs.Refs(ctx, b.Hash); n != 2 {
			t.Errorf("refs %d, want 2", n)
		}
		// Nothing in temp files is left behind.
		if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) != 0 {
			t.Errorf("temporary files left: %v", left)
		}

		tx(func(ctx context.Context, tx bun.Tx) error { return bs.Unref(ctx, tx, b.Hash) })
		now = now.Add(2 * time.Minute)
		if n, _ := bs.Collect(ctx); n != 0 {
			t.Errorf("collected %d while still referenced", n)
		}
		tx(func(ctx context.Context, tx bun.Tx) error { return bs.Unref(ctx, tx, b.Hash) })
		if n, _ := bs.Collect(ctx); n != 0 {
			t.Errorf("collected %d within the grace time", n)
		}
		// Past the grace time (and with the file's own time in the past too).
		now = now.Add(2 * time.Minute)
		old := now.Add(-time.Hour)
		os.Chtimes(filepath.Join(dir, b.Hash[:2], b.Hash[2:4], b.Hash), old, old)
		if n, err := bs.Collect(ctx); err != nil || n != 1 {
			t.Errorf("collect: %d %v, want 1", n, err)
		}
		if _, err := bs.Open(b.Hash); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("open after collection: %v", err)
		}
		if err := db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { return bs.Unref(ctx, tx, b.Hash) }); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("unref of a collected blob: %v", err)
		}
	})
}

func TestStraysAndBackupLease(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		dir := t.TempDir()
		bs, _ := blob.New(blob.Options{Dir: dir, DB: db, Grace: time.Minute, Now: func() time.Time { return now }})
		// Content written but never committed, and a temp file of a process
		// that died mid-upload.
		stray, _ := bs.Put(ctx, strings.NewReader("never committed"))
		dead := filepath.Join(dir, "tmp", "put-dead")
		os.WriteFile(dead, []byte("half an upload"), 0o600)
		old := now.Add(-time.Hour)
		os.Chtimes(filepath.Join(dir, stray.Hash[:2], stray.Hash[2:4], stray.Hash), old, old)
		os.Chtimes(dead, old, old)

		// A backup in progress stops collection of strays.
		store.TakeLease(ctx, db.DB, store.BackupLeasePrefix+"x", "test", now.Add(time.Hour))
		// (A dead upload is no content a backup refers to: it goes at once.)
		n1, err := bs.Collect(ctx)
		if err != nil || n1 != 1 {
			t.Errorf("collect during a backup: %d %v, want the dead upload only", n1, err)
		}
		if _, err := bs.Open(stray.Hash); err != nil {
			t.Errorf("stray collected during a backup: %v", err)
		}
		store.DropLease(ctx, db.DB, store.BackupLeasePrefix+"x")
		if n, err := bs.Collect(ctx); err != nil || n != 1 {
			t.Errorf("collect strays after the backup: %d %v, want 1", n, err)
		}
		if _, err := bs.Open(stray.Hash); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("stray left: %v", err)
		}
		if _, err := os.Stat(dead); !os.IsNotExist(err) {
			t.Error("dead upload left")
		}
		if _, err := bs.Open("../../etc/passwd"); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("open of a path: %v", err)
		}
	})
}

func TestPutCancelled(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	dir := t.TempDir()
	bs, _ := blob.New(blob.Options{Dir: dir, DB: db})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := bs.Put(ctx, strings.NewReader("data")); err == nil {
		t.Fatal("put with a cancelled context succeeded")
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Errorf("a failed put left %v", left)
	}
}

// TestPutSizes stores content around every chunk boundary of the write
// path (small content on one goroutine, large content through the
// pipeline, its write-back window and a tail that is not a whole chunk), from
// readers that return short reads, and reads it back.
func TestPutSizes(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	dir := t.TempDir()
	bs, err := blob.New(blob.Options{Dir: dir, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	const k = 1 << 10
	for _, size := range []int{0, 1, 4095, 64 * k, 64*k + 1, 64*k + 4096, 1024*k + 64*k, 5*1024*k + 123, 9*1024*k + 4096*3, 17*1024*k + 5} {
		for _, wrap := range []struct {
			name string
			f    func(io.Reader) io.Reader
		}{{"whole", func(r io.Reader) io.Reader { return r }}, {"halves", iotest.HalfReader}, {"bytes", iotest.OneByteReader}} {
			if wrap.name == "bytes" && size > 128*k {
				continue
			}
			t.Run(fmt.Sprintf("%d/%s", size, wrap.name), func(t *testing.T) {
				data := make([]byte, size)
				for i := range data {
					data[i] = byte(i*7 + i>>12 + size)
				}
				b, err := bs.Put(context.Background(), wrap.f(bytes.NewReader(data)))
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(data)
				if b.Hash != hex.EncodeToString(sum[:]) || b.Size != int64(size) {
					t.Fatalf("put: %+v", b)
				}
				f, err := bs.Open(b.Hash)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(f)
				f.Close()
				if !bytes.Equal(got, data) {
					t.Fatal("content differs")
				}
			})
		}
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestPutFailures: a body that fails or a context cancelled in the
// middle of large content fails the Put and leaves no file.
func TestPutFailures(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	dir := t.TempDir()
	bs, _ := blob.New(blob.Options{Dir: dir, DB: db})
	broken := errors.New("connection reset")
	for _, after := range []int64{10, 100 << 10, 3 << 20} {
		r := io.MultiReader(io.LimitReader(zeros{}, after), iotest.ErrReader(broken))
		if _, err := bs.Put(context.Background(), r); !errors.Is(err, broken) {
			t.Errorf("failing body after %d bytes: %v", after, err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		r = io.MultiReader(io.LimitReader(zeros{}, after), cancelReader{cancel}, zeros{})
		if _, err := bs.Put(ctx, r); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled after %d bytes: %v", after, err)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Errorf("failed puts left %v", left)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "tmp" {
			t.Errorf("a failed put stored %s", e.Name())
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// cancelReader cancels its context when first read, and reads nothing.
type cancelReader struct{ cancel func() }

func (c cancelReader) Read(p []byte) (int, error) {
	c.cancel()
	return 0, io.EOF
}
