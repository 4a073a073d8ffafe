// Package blob stores file content by its SHA-256, so versions and copies
// of a file share bytes. Content is streamed to a temporary file, synced and
// renamed into place before any database row refers to it; rows count
// references, and content nobody refers to is collected after a grace time.
package blob

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// Blob names stored content.
type Blob struct {
	Hash string
	Size int64
}

// Store keeps blobs under a directory and their reference counts in the
// database.
type Store struct {
	dir   string
	db    *store.DB
	log   *slog.Logger
	now   func() time.Time
	grace time.Duration
	bufs  buffers
}

// Options configure a Store.
type Options struct {
	Dir    string
	DB     *store.DB
	Logger *slog.Logger
	// Grace is how long unreferenced content is kept before collection,
	// which covers content written but not yet committed. Default 1 hour.
	Grace time.Duration
	Now   func() time.Time
}

// New opens (creating if needed) a blob store.
func New(o Options) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(o.Dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("blob directory: %w", err)
	}
	s := &Store{dir: o.Dir, db: o.DB, log: o.Logger, now: o.Now, grace: o.Grace}
	if s.now == nil {
		s.now = time.Now
	}
	if s.grace == 0 {
		s.grace = time.Hour
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// ValidHash reports whether h is a lower-case hex SHA-256.
func ValidHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Store) path(hash string) string {
	return filepath.Join(s.dir, hash[:2], hash[2:4], hash)
}

// Put streams r into the store and returns its hash and size. The content
// is durable when Put returns, but unreferenced: the caller commits a row
// that refers to it and calls Ref in the same transaction.
func (s *Store) Put(ctx context.Context, r io.Reader) (Blob, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return Blob{}, err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	sum, n, err := s.write(ctx, tmp, r)
	if err != nil {
		tmp.Close()
		return Blob{}, err
	}
	b := Blob{Hash: hex.EncodeToString(sum), Size: n}
	final := s.path(b.Hash)
	dir := filepath.Dir(final)
	if _, err := os.Stat(final); err == nil {
		// Same content is already there, synced before it was renamed
		// into place: this copy need not be. Touch it so a collection
		// running now does not take it before our reference is
		// committed, and sync its folder in case the Put that renamed it
		// is still about to.
		tmp.Close()
		now := s.now()
		if err := os.Chtimes(final, now, now); err != nil {
			return Blob{}, err
		}
		return b, syncDir(dir)
	}
	err = tmp.Sync()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Blob{}, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Blob{}, err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Blob{}, err
	}
	return b, syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open returns the content of hash for reading and seeking.
func (s *Store) Open(hash string) (*os.File, error) {
	if !ValidHash(hash) {
		return nil, fmt.Errorf("%w: bad blob hash", core.ErrInvalid)
	}
	f, err := os.Open(s.path(hash))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", hash, core.ErrNotFound)
	}
	return f, err
}

// Ref counts one more reference to b, inside the caller's transaction.
func (s *Store) Ref(ctx context.Context, db bun.IDB, b Blob) error {
	_, err := db.NewRaw(`INSERT INTO blobs (hash, size, refs, updated_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (hash) DO UPDATE SET refs = blobs.refs + 1, updated_at = EXCLUDED.updated_at`,
		b.Hash, b.Size, s.now().UTC()).Exec(ctx)
	return store.Translate(err)
}

// Unref drops one reference to hash, inside the caller's transaction.
func (s *Store) Unref(ctx context.Context, db bun.IDB, hash string) error {
	res, err := db.NewRaw(`UPDATE blobs SET refs = refs - 1, updated_at = ? WHERE hash = ? AND refs > 0`,
		s.now().UTC(), hash).Exec(ctx)
	if err != nil {
		return store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("unref blob %s: %w", hash, core.ErrNotFound)
	}
	return nil
}

// Refs returns the reference count of hash (0 when unknown).
func (s *Store) Refs(ctx context.Context, hash string) (int64, error) {
	var refs int64
	err := s.db.NewRaw(`SELECT refs FROM blobs WHERE hash = ?`, hash).Scan(ctx, &refs)
	if err = store.Translate(err); errors.Is(err, core.ErrNotFound) {
		return 0, nil
	}
	return refs, err
}

// Collect deletes content that has had no reference for longer than the
// grace time, and stray files no row knows of (a write that never
// committed). It does nothing while a backup holds its lease, so a backup
// never misses content its snapshot refers to.
func (s *Store) Collect(ctx context.Context) (int, error) {
	cutoff := s.now().Add(-s.grace).UTC()
	var hashes []string
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		busy, err := store.LeaseHeld(ctx, tx, store.BackupLeasePrefix, s.now())
		if err != nil || busy {
			return err
		}
		return tx.NewRaw(`DELETE FROM blobs WHERE refs = 0 AND updated_at < ? RETURNING hash`, cutoff).
			Scan(ctx, &hashes)
	})
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return 0, err
	}
	n := 0
	for _, h := range hashes {
		if err := s.removeIfOld(h, cutoff); err != nil {
			s.log.Warn("collect blob", "hash", h, "err", err)
			continue
		}
		n++
	}
	strays, err := s.collectStrays(ctx, cutoff)
	return n + strays, err
}

// removeIfOld removes content unless it was touched after cutoff: a Put of
// the same bytes racing with collection touches the file first.
func (s *Store) removeIfOld(hash string, cutoff time.Time) error {
	p := s.path(hash)
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.ModTime().After(cutoff) {
		return nil
	}
	return os.Remove(p)
}

func (s *Store) collectStrays(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || ctx.Err() != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.ModTime().After(cutoff) {
			return nil
		}
		name := d.Name()
		if filepath.Base(filepath.Dir(p)) == "tmp" {
			// An upload that died with its process.
			if os.Remove(p) == nil {
				n++
			}
			return nil
		}
		if !ValidHash(name) {
			return nil
		}
		var known int
		if err := s.db.NewRaw(`SELECT COUNT(*) FROM blobs WHERE hash = ?`, name).Scan(ctx, &known); err != nil {
			return err
		}
		if known == 0 {
			if busy, err := store.LeaseHeld(ctx, s.db.DB, store.BackupLeasePrefix, s.now()); err != nil || busy {
				return err
			}
			if os.Remove(p) == nil {
				n++
			}
		}
		return nil
	})
	return n, err
}

// Dir is the directory the store keeps content in.
func (s *Store) Dir() string { return s.dir }
