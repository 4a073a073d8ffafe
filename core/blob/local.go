package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"plaza/core"
)

// Local keeps content in a directory, as Dir/ab/cd/abcd…: a file is
// synced, then renamed into place, so it is whole or absent.
type Local struct {
	Dir string
	Now func() time.Time // nil: time.Now
}

func (l *Local) path(hash string) string {
	return filepath.Join(l.Dir, hash[:2], hash[2:4], hash)
}

// Keep renames the synced temporary file into place.
func (l *Local) Keep(_ context.Context, hash string, tmp *os.File, _ int64) error {
	final := l.path(hash)
	dir := filepath.Dir(final)
	if _, err := os.Stat(final); err == nil {
		// Same content is already there, synced before it was renamed
		// into place: this copy need not be. Touch it so a collection
		// running now does not take it before our reference is
		// committed, and sync its folder in case the Put that renamed it
		// is still about to.
		tmp.Close()
		now := time.Now()
		if l.Now != nil {
			now = l.Now()
		}
		if err := os.Chtimes(final, now, now); err != nil {
			return err
		}
		return syncDir(dir)
	}
	err := tmp.Sync()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open opens the file of hash.
func (l *Local) Open(_ context.Context, hash string) (File, error) {
	f, err := os.Open(l.path(hash))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", hash, core.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// RemoveIfOld removes content unless it was touched after cutoff: a Put
// of the same bytes racing with collection touches the file first.
func (l *Local) RemoveIfOld(_ context.Context, hash string, cutoff time.Time) error {
	p := l.path(hash)
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

// Walk lists the content files older than cutoff.
func (l *Local) Walk(ctx context.Context, cutoff time.Time, fn func(hash string) error) error {
	return filepath.WalkDir(l.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p != l.Dir && d.Name() == "tmp" && filepath.Dir(p) == l.Dir {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil || info.ModTime().After(cutoff) || !ValidHash(d.Name()) {
			return nil
		}
		return fn(d.Name())
	})
}
