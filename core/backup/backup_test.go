package backup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/backup"
	"plaza/core/blob"
	"plaza/core/blob/s3"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
)

func newBlobs(t *testing.T, db *store.DB) *blob.Store {
	return newBlobsIn(t, db, "dir")
}

// newBlobsIn opens a blob store in a directory, or in a bucket of an S3
// server of its own ("s3").
func newBlobsIn(t *testing.T, db *store.DB, where string) *blob.Store {
	o := blob.Options{Dir: t.TempDir(), DB: db}
	if where == "s3" {
		back, err := s3.New(context.Background(), coretest.S3(t))
		if err != nil {
			t.Fatal(err)
		}
		o.Backend = back
	}
	bs, err := blob.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

// write adds space w-N and, in the same transaction, a reference to a blob
// whose content names N: a restored backup must hold both or neither.
func write(ctx context.Context, db *store.DB, spaces *space.Service, bs *blob.Store, n int) error {
	b, err := bs.Put(ctx, strings.NewReader(fmt.Sprintf("content of item %d", n)))
	if err != nil {
		return err
	}
	return db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw(`INSERT INTO spaces (slug, name, description, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)`,
			fmt.Sprintf("w-%d", n), fmt.Sprintf("Item %d", n), b.Hash).Exec(ctx)
		if err != nil {
			return err
		}
		return bs.Ref(ctx, tx, b)
	})
}

// entries reads every entry of a backup but the manifest.
func entries(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if h.Name != "manifest.json" {
			out[h.Name] = b
		}
	}
}

// TestBackupDuringWritesRestoresIdentically backs up while writes go on
// and restores, with blobs in a directory and in an S3 object store.
func TestBackupDuringWritesRestoresIdentically(t *testing.T) {
	for _, where := range []string{"dir", "s3"} {
		t.Run(where, func(t *testing.T) { backupDuringWrites(t, where) })
	}
}

func backupDuringWrites(t *testing.T, where string) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accts := account.New(db, nil)
		spaces := space.New(db, nil)
		bs := newBlobsIn(t, db, where)
		if _, err := accts.Create(ctx, account.NewAccount{Login: "owner", Password: "owner-password"}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			if err := write(ctx, db, spaces, bs, i); err != nil {
				t.Fatal(err)
			}
		}

		// Keep writing while the backup runs.
		var wg sync.WaitGroup
		var written atomic.Int64
		stop := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 20; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := write(ctx, db, spaces, bs, n); err != nil {
					t.Error(err)
					return
				}
				written.Add(1)
			}
		}()
		for written.Load() < 5 {
			// let the writer get going
		}
		var buf bytes.Buffer
		m, err := backup.Write(ctx, db, bs, &buf)
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("backup: %d rows, %d blobs, %d bytes; %d writes went on meanwhile", m.Rows, m.Blobs, buf.Len(), written.Load())

		// Restore into an empty database and blob store.
		db2 := coretest.OpenDB(t, db.Kind)
		bs2 := newBlobsIn(t, db2, where)
		if _, err := backup.Restore(ctx, db2, bs2, bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatal(err)
		}

		// Every space row of the snapshot has its blob, with the right bytes,
		// and the rows form a prefix of what the writer wrote.
		var rows []struct {
			Slug        string
			Description string
		}
		if err := db2.NewRaw(`SELECT slug, description FROM spaces ORDER BY id`).Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) < 20 {
			t.Fatalf("restored %d spaces, want at least the 20 written before", len(rows))
		}
		for i, r := range rows {
			if r.Slug != fmt.Sprintf("w-%d", i) {
				t.Fatalf("row %d is %s: the snapshot is not a prefix of the writes", i, r.Slug)
			}
			f, err := bs2.Open(r.Description)
			if err != nil {
				t.Fatalf("blob of %s: %v", r.Slug, err)
			}
			h := sha256.New()
			io.Copy(h, f)
			f.Close()
			if got := hex.EncodeToString(h.Sum(nil)); got != r.Description {
				t.Fatalf("blob %s restored with checksum %s", r.Description, got)
			}
		}

		// A backup of the restored data is the same, table for table and
		// blob for blob: nothing was lost or changed on the way.
		var buf2 bytes.Buffer
		if _, err := backup.Write(ctx, db2, bs2, &buf2); err != nil {
			t.Fatal(err)
		}
		a, b := entries(t, buf.Bytes()), entries(t, buf2.Bytes())
		if len(a) != len(b) {
			t.Fatalf("backups have %d and %d entries", len(a), len(b))
		}
		for name, content := range a {
			if name == "tables/leases.jsonl" {
				continue // the first backup's own lease may be in its snapshot
			}
			if !bytes.Equal(content, b[name]) {
				t.Errorf("%s differs after restore:\n%s\n---\n%s", name, content, b[name])
			}
		}

		// The restored database goes on: new ids do not collide.
		if _, err := accts.Create(ctx, account.NewAccount{Login: "after", Password: "after-password"}); err != nil {
			t.Fatal(err)
		}
		if _, err := account.New(db2, nil).Create(ctx, account.NewAccount{Login: "after", Password: "after-password"}); err != nil {
			t.Fatalf("create after restore: %v", err)
		}
	})
}

func TestRestoreRefusals(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		bs := newBlobs(t, db)
		accts := account.New(db, nil)
		if _, err := accts.Create(ctx, account.NewAccount{Login: "owner", Password: "owner-password"}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := backup.Write(ctx, db, bs, &buf); err != nil {
			t.Fatal(err)
		}
		// Into a database that has data.
		if _, err := backup.Restore(ctx, db, bs, bytes.NewReader(buf.Bytes())); !errors.Is(err, core.ErrConflict) {
			t.Errorf("restore into a non-empty database: %v, want conflict", err)
		}
		// Not a backup at all.
		db2 := coretest.OpenDB(t, db.Kind)
		if _, err := backup.Restore(ctx, db2, newBlobs(t, db2), strings.NewReader("hello")); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("restore of garbage: %v, want invalid", err)
		}
		// A damaged blob is refused and nothing is committed.
		var bad bytes.Buffer
		gz := gzip.NewWriter(&bad)
		tw := tar.NewWriter(gz)
		for name, content := range entries(t, buf.Bytes()) {
			tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(content))})
			tw.Write(content)
		}
		fake := strings.Repeat("ab", 32)
		tw.WriteHeader(&tar.Header{Name: "blobs/" + fake, Mode: 0o600, Size: 3})
		tw.Write([]byte("xyz"))
		tw.Close()
		gz.Close()
		if _, err := backup.Restore(ctx, db2, newBlobs(t, db2), &bad); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("restore with a damaged blob: %v, want invalid", err)
		}
		if n, _ := account.New(db2, nil).Count(ctx); n != 0 {
			t.Errorf("a refused restore left %d accounts", n)
		}
	})
}

// TestRestoreSelfReferences: a row may refer to a row of its own table
// that comes later in the dump (a folder moved under a newer folder, or
// PostgreSQL returning updated rows last). Restore must not depend on
// the order rows are read in.
func TestRestoreSelfReferences(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		bs := newBlobs(t, db)
		owner, err := account.New(db, nil).Create(ctx, account.NewAccount{Login: "owner", Password: "owner-password"})
		if err != nil {
			t.Fatal(err)
		}
		mk := func(name string) int64 {
			var id int64
			err := db.NewRaw(`INSERT INTO containers (module, kind, name, owner_id, created_at, updated_at)
				VALUES ('files', 'folder', ?, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id`, name, owner.ID).Scan(ctx, &id)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		old, newer := mk("old"), mk("newer")
		// Move the old folder under the newer one.
		if _, err := db.NewRaw(`UPDATE containers SET parent_id = ? WHERE id = ?`, newer, old).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := backup.Write(ctx, db, bs, &buf); err != nil {
			t.Fatal(err)
		}
		db2 := coretest.OpenDB(t, db.Kind)
		if _, err := backup.Restore(ctx, db2, newBlobs(t, db2), bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatalf("restore: %v", err)
		}
		var parent int64
		if err := db2.NewRaw(`SELECT parent_id FROM containers WHERE id = ?`, old).Scan(ctx, &parent); err != nil || parent != newer {
			t.Errorf("restored parent %d (%v), want %d", parent, err, newer)
		}
	})
}
