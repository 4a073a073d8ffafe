package files

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// Lock is a WebDAV write lock on a path of a tree. Locks live in the
// database, so every process serving the tree honours them.
type Lock struct {
	bun.BaseModel `bun:"table:file_locks,alias:l"`

	Token         string `bun:",pk"`
	RootID        int64
	Path          string // "/a/b", "" for the root
	DepthInfinity bool   `bun:",notnull"`
	Shared        bool   `bun:",notnull"`
	OwnerXML      string `bun:"owner_xml"`
	AccountID     *int64 `bun:",nullzero"`
	TimeoutSecs   int64
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// Lock timeouts.
const (
	DefaultLockTimeout = time.Hour
	MaxLockTimeout     = 7 * 24 * time.Hour
)

// ErrLocked is returned when a lock held by someone else refuses a
// change: a new lock that conflicts, or a write (from any surface: web
// page, API, WebDAV) to a locked path whose token was not submitted.
var ErrLocked = fmt.Errorf("%w: locked", core.ErrConflict)

// LockedError is a write refused because locks cover Paths ("/a/b", ""
// for the root) and none of their tokens came with the write.
type LockedError struct{ Paths []string }

func (e *LockedError) Error() string {
	return ErrLocked.Error() + ": " + strings.Join(e.Paths, ", ")
}

func (e *LockedError) Unwrap() error { return ErrLocked }

type tokensKey struct{}

// WithLockTokens returns ctx carrying the lock tokens a client submitted
// (a WebDAV If header): writes under ctx may change what those locks
// cover. Without them, a locked path refuses every write.
func WithLockTokens(ctx context.Context, tokens []string) context.Context {
	if len(tokens) == 0 {
		return ctx
	}
	m := make(map[string]bool, len(tokens))
	for _, t := range tokens {
		m[t] = true
	}
	return context.WithValue(ctx, tokensKey{}, m)
}

// checkLocks refuses, inside the write's transaction db, a change of p
// (and with descendants of what is inside it) unless, for every lock
// covering it, a token of a lock on that path was submitted in ctx
// (WithLockTokens). On PostgreSQL it holds the tree's row in share mode,
// so a lock cannot be granted between this check and the commit.
func (s *Service) checkLocks(ctx context.Context, db bun.IDB, rootID int64, p Path, descendants bool) error {
	if _, tx := db.(bun.Tx); tx && s.db.Kind == store.Postgres {
		if _, err := db.NewRaw(`SELECT 1 FROM file_roots WHERE container_id = ? FOR SHARE`, rootID).Exec(ctx); err != nil {
			return store.Translate(err)
		}
	}
	all, err := s.locks(ctx, db, rootID)
	if err != nil || len(all) == 0 {
		return err
	}
	at := p.String()
	submitted, _ := ctx.Value(tokensKey{}).(map[string]bool)
	ok := map[string]bool{} // lock paths with a submitted token
	var hit []Lock
	for _, l := range all {
		if l.Covers(at) || (descendants && pathUnder(l.Path, at)) {
			hit = append(hit, l)
			if submitted[l.Token] {
				ok[l.Path] = true
			}
		}
	}
	var paths []string
	for _, l := range hit {
		if !ok[l.Path] {
			ok[l.Path] = true // name each path once
			paths = append(paths, l.Path)
		}
	}
	if len(paths) > 0 {
		return &LockedError{Paths: paths}
	}
	return nil
}

// Covers reports whether l applies to path p.
func (l *Lock) Covers(p string) bool {
	return l.Path == p || (l.DepthInfinity && pathUnder(p, l.Path))
}

// pathUnder reports whether p lies strictly inside anc ("" is the root).
func pathUnder(p, anc string) bool {
	if anc == "" {
		return p != ""
	}
	return strings.HasPrefix(p, anc+"/")
}

// Locks returns the live locks of tree rootID, oldest first.
func (s *Service) Locks(ctx context.Context, rootID int64) ([]Lock, error) {
	return s.locks(ctx, s.db.DB, rootID)
}

func (s *Service) locks(ctx context.Context, db bun.IDB, rootID int64) ([]Lock, error) {
	// A prepared statement (every PROPFIND and write reads the locks);
	// expired locks are left out here rather than in SQL, so that no
	// time is bound (bun and the driver write times differently, and
	// SQLite compares them as text).
	var all []Lock
	err := s.db.All(ctx, db, `SELECT token, root_id, path, depth_infinity, shared, owner_xml, account_id,
		timeout_secs, created_at, expires_at FROM file_locks WHERE root_id = ? ORDER BY created_at, token`, []any{rootID}, &all)
	if err = store.Translate(err); err != nil && !errors.Is(err, core.ErrNotFound) {
		return nil, err
	}
	now := s.now()
	ls := all[:0]
	for _, l := range all {
		if l.ExpiresAt.After(now) {
			ls = append(ls, l)
		}
	}
	if len(ls) == 0 {
		return nil, nil
	}
	return ls, nil
}

// LocksAt returns the live locks that apply to path p, and with
// descendants also those on paths inside it.
func (s *Service) LocksAt(ctx context.Context, rootID int64, p string, descendants bool) ([]Lock, error) {
	all, err := s.Locks(ctx, rootID)
	if err != nil {
		return nil, err
	}
	var out []Lock
	for _, l := range all {
		if l.Covers(p) || (descendants && pathUnder(l.Path, p)) {
			out = append(out, l)
		}
	}
	return out, nil
}

// CreateLock records l (Token, RootID, Path, DepthInfinity, Shared,
// OwnerXML, AccountID set by the caller) with timeout, unless a lock held
// conflicts (ErrLocked). create runs in the same transaction first, to
// make the empty file a lock on an unmapped name creates.
func (s *Service) CreateLock(ctx context.Context, l *Lock, timeout time.Duration, create func(ctx context.Context, tx bun.Tx) error) error {
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	timeout = min(timeout, MaxLockTimeout)
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if s.db.Kind == store.Postgres {
			// One lock decision at a time per tree, across processes.
			if _, err := tx.NewRaw(`SELECT 1 FROM file_roots WHERE container_id = ? FOR UPDATE`, l.RootID).Exec(ctx); err != nil {
				return err
			}
		}
		held, err := s.locks(ctx, tx, l.RootID)
		if err != nil {
			return err
		}
		for _, h := range held {
			overlap := h.Covers(l.Path) || (l.DepthInfinity && pathUnder(h.Path, l.Path))
			if overlap && (!l.Shared || !h.Shared) {
				return fmt.Errorf("%w: %s is locked", ErrLocked, h.Path)
			}
		}
		if create != nil {
			if err := create(ctx, tx); err != nil {
				return err
			}
		}
		now := s.now().UTC()
		l.CreatedAt, l.TimeoutSecs, l.ExpiresAt = now, int64(timeout/time.Second), now.Add(timeout)
		_, err = tx.NewInsert().Model(l).Exec(ctx)
		return err
	})
}

// RefreshLock extends a live lock of tree rootID.
func (s *Service) RefreshLock(ctx context.Context, rootID int64, token string, timeout time.Duration) (*Lock, error) {
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	timeout = min(timeout, MaxLockTimeout)
	now := s.now().UTC()
	l := new(Lock)
	err := s.db.NewUpdate().Model(l).Set("timeout_secs = ?", int64(timeout/time.Second)).Set("expires_at = ?", now.Add(timeout)).
		Where("token = ? AND root_id = ? AND expires_at > ?", token, rootID, now).Returning("*").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", store.Translate(err))
	}
	return l, nil
}

// Unlock removes a lock of tree rootID.
func (s *Service) Unlock(ctx context.Context, rootID int64, token string) error {
	res, err := s.db.NewRaw(`DELETE FROM file_locks WHERE token = ? AND root_id = ?`, token, rootID).Exec(ctx)
	if err != nil {
		return store.Translate(err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return fmt.Errorf("lock: %w", core.ErrNotFound)
	}
	return nil
}

// dropLocks removes the locks on p and inside it (the resource moved or
// was deleted).
func (s *Service) dropLocks(ctx context.Context, db bun.IDB, rootID int64, p string) error {
	ls, err := s.locks(ctx, db, rootID)
	if err != nil {
		return err
	}
	for _, l := range ls {
		if l.Path == p || pathUnder(l.Path, p) {
			if _, err := db.NewRaw(`DELETE FROM file_locks WHERE token = ?`, l.Token).Exec(ctx); err != nil {
				return store.Translate(err)
			}
		}
	}
	return nil
}

// checkNodeLocks is checkLocks at n's path.
func (s *Service) checkNodeLocks(ctx context.Context, tx bun.IDB, n *Node, descendants bool) error {
	p, err := pathOf(ctx, tx, n.ID)
	if err != nil {
		return err
	}
	return s.checkLocks(ctx, tx, n.RootID, p, descendants)
}

// SweepLocks deletes expired locks.
func (s *Service) SweepLocks(ctx context.Context) error {
	_, err := s.db.NewRaw(`DELETE FROM file_locks WHERE expires_at <= ?`, s.now().UTC()).Exec(ctx)
	return store.Translate(err)
}

// PutEmpty creates an empty file at p inside tx (a lock on an unmapped
// name), when who may add it.
func (s *Service) PutEmpty(ctx context.Context, tx bun.Tx, who core.Subject, r *Root, p Path) error {
	parent, name, err := s.parentOf(ctx, tx, who, r, p)
	if err != nil {
		return err
	}
	if err := parent.Need("bind"); err != nil {
		return err
	}
	b, err := s.blobs.Put(ctx, strings.NewReader(""))
	if err != nil {
		return err
	}
	if err := s.blobs.Ref(ctx, tx, b); err != nil {
		return err
	}
	now := s.now().UTC()
	n := &Node{RootID: r.ContainerID, ParentID: &parent.ID, ContainerID: parent.ContainerID, Name: name,
		AuthorID: author(who), BlobHash: b.Hash, ETag: fileETag(b.Hash), CreatedAt: now, ModifiedAt: now}
	if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	return s.touch(ctx, tx, parent.ID, now)
}
