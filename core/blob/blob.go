// Package blob stores file content by its SHA-256, so versions and copies
// of a file share bytes. Content is streamed to a temporary file and
// hashed, then made durable under its hash in a Backend (a local
// directory, or an S3-compatible object store) before any database row
// refers to it; rows count references, and content nobody refers to is
// collected after a grace time.
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
	"syscall"
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

// File is stored content opened for reading. Seeking is cheap: an object
// store reads from the new offset with a ranged request, so HTTP Range
// requests and video seeking fetch only what they need.
type File interface {
	io.ReadSeekCloser
	io.ReaderAt
	Stat() (fs.FileInfo, error)
}

// Backend keeps content under its hash. The Store does the hashing,
// reference counting and collection; a Backend only stores bytes.
type Backend interface {
	// Keep makes the complete content spooled in f (size bytes, hashing
	// to hash) durable under hash and closes f. When it returns nil the
	// content is stored: a crash before leaves no object under hash.
	// Content already there is marked as new, so a collection running
	// now does not take it before the caller's reference is committed.
	Keep(ctx context.Context, hash string, f *os.File, size int64) error
	// Open returns the content of hash, or an error wrapping
	// core.ErrNotFound.
	Open(ctx context.Context, hash string) (File, error)
	// RemoveIfOld deletes the content of hash unless it was kept after
	// cutoff. Content already gone is no error.
	RemoveIfOld(ctx context.Context, hash string, cutoff time.Time) error
	// Walk calls fn with the hash of every content kept before cutoff.
	Walk(ctx context.Context, cutoff time.Time, fn func(hash string) error) error
}

// Store keeps blobs in a Backend and their reference counts in the
// database.
type Store struct {
	dir   string
	spool string // temporary files of uploads in progress
	back  Backend
	db    *store.DB
	log   *slog.Logger
	now   func() time.Time
	grace time.Duration
	bufs  buffers
	// digests caches SHA-1 and MD5 digests (see Digests)
	digests digestCache
}

// Options configure a Store.
type Options struct {
	// Dir holds the content (with the default Backend) and, in Dir/tmp,
	// uploads in progress.
	Dir string
	// Backend keeps the content; nil keeps it in Dir.
	Backend Backend
	DB      *store.DB
	Logger  *slog.Logger
	// Grace is how long unreferenced content is kept before collection,
	// which covers content written but not yet committed. Default 1 hour.
	Grace time.Duration
	Now   func() time.Time
}

// New opens (creating if needed) a blob store.
func New(o Options) (*Store, error) {
	spool := filepath.Join(o.Dir, "tmp")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		return nil, fmt.Errorf("blob directory: %w", err)
	}
	s := &Store{dir: o.Dir, spool: spool, back: o.Backend, db: o.DB, log: o.Logger, now: o.Now, grace: o.Grace}
	if s.back == nil {
		s.back = &Local{Dir: o.Dir, Now: o.Now}
	}
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

// Put streams r into the store and returns its hash and size. The content
// is durable when Put returns, but unreferenced: the caller commits a row
// that refers to it and calls Ref in the same transaction.
func (s *Store) Put(ctx context.Context, r io.Reader) (Blob, error) {
	b, err := s.put(ctx, r)
	return b, storageFull(err)
}

// storageFull wraps a full disk or filesystem quota into
// core.ErrInsufficientStorage, keeping the OS error.
func storageFull(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %w", core.ErrInsufficientStorage, err)
	}
	return err
}

func (s *Store) put(ctx context.Context, r io.Reader) (Blob, error) {
	tmp, err := os.CreateTemp(s.spool, "put-*")
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
	return b, s.back.Keep(ctx, b.Hash, tmp, n)
}

// Open returns the content of hash for reading and seeking.
func (s *Store) Open(hash string) (File, error) {
	if !ValidHash(hash) {
		return nil, fmt.Errorf("%w: bad blob hash", core.ErrInvalid)
	}
	return s.back.Open(context.Background(), hash)
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
		if err := s.back.RemoveIfOld(ctx, h, cutoff); err != nil {
			s.log.Warn("collect blob", "hash", h, "err", err)
			continue
		}
		n++
	}
	strays, err := s.collectStrays(ctx, cutoff)
	return n + strays, err
}

// collectStrays removes uploads that died with their process, and content
// no row knows of (a write that never committed).
func (s *Store) collectStrays(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	dead, err := os.ReadDir(s.spool)
	if err != nil {
		return 0, err
	}
	for _, d := range dead {
		if info, err := d.Info(); err == nil && !info.ModTime().After(cutoff) && os.Remove(filepath.Join(s.spool, d.Name())) == nil {
			n++
		}
	}
	err = s.back.Walk(ctx, cutoff, func(hash string) error {
		var known int
		if err := s.db.NewRaw(`SELECT COUNT(*) FROM blobs WHERE hash = ?`, hash).Scan(ctx, &known); err != nil {
			return err
		}
		if known != 0 {
			return nil
		}
		if busy, err := store.LeaseHeld(ctx, s.db.DB, store.BackupLeasePrefix, s.now()); err != nil || busy {
			return err
		}
		if err := s.back.RemoveIfOld(ctx, hash, cutoff); err != nil {
			s.log.Warn("collect stray blob", "hash", hash, "err", err)
			return nil
		}
		n++
		return nil
	})
	return n, err
}

// Dir is the directory the store keeps content (or, with an object
// store, uploads in progress) in.
func (s *Store) Dir() string { return s.dir }
