// Package files is Plaza's file tree: each user's personal files and each
// space's files module. Folders are access-control containers (module
// files, kind "folder"), so the one ACL engine decides every access; files
// are content of their folder, authored by whoever created them. Content
// lives in the blob store (written, synced and renamed before any row
// refers to it); rows hold names, versions, the trash, dead properties and
// WebDAV locks, so every process sharing the database sees the same tree.
//
// A tree has a root: a row of file_roots naming its container, plus a
// folder node with no parent. Every file and folder is a node with a
// stable id (the DAV oc:fileid) that survives renames and moves.
package files

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/store"
)

// Defaults of Options.
const (
	DefaultKeepVersions = 50
	DefaultTrashDays    = 30
	MaxNameLength       = 255 // characters of one name
	MaxDepth            = 64  // folders from the root
)

// ErrQuota is returned when a write would exceed the tree's quota: a
// kind of insufficient storage (507 over HTTP), the tree's and not the
// server's, so its reason may be shown.
var ErrQuota = fmt.Errorf("%w: quota exceeded", core.ErrInsufficientStorage)

// Options configure the Service.
type Options struct {
	DB    *store.DB
	Blobs *blob.Store
	// KeepVersions is how many previous contents a file keeps (0: the
	// default, negative: none).
	KeepVersions int
	// TrashDays is how long deleted items stay restorable (0: the default).
	TrashDays int
	// DefaultQuota in bytes applies to trees without their own (0: none).
	DefaultQuota int64
	// SpaceRootLevel is what every member of a space may do at the root
	// of its files, like a team drive (default acl.Write: add, change and
	// delete anything). Space administrators always have write.
	SpaceRootLevel acl.Level
	// ListingCacheMin: folders of at least this many files keep their
	// listing in memory, checked against the folder's ETag (default 256;
	// negative: never).
	ListingCacheMin int
	Now             func() time.Time
}

// Service manages file trees.
type Service struct {
	hooks     []Hook
	lists     *listCache
	nodeSQLMu sync.Mutex
	nodeSQL   map[nodeSQLKey]string // see nodeQuery
	db        *store.DB
	blobs     *blob.Store
	keep      int
	trashDays int
	quota     int64
	rootLevel acl.Level
	now       func() time.Time
}

// New returns the file service.
func New(o Options) *Service {
	s := &Service{lists: newListCache(o.ListingCacheMin), nodeSQL: map[nodeSQLKey]string{}, db: o.DB, blobs: o.Blobs, keep: o.KeepVersions, trashDays: o.TrashDays,
		quota: o.DefaultQuota, rootLevel: o.SpaceRootLevel, now: o.Now}
	if s.keep == 0 {
		s.keep = DefaultKeepVersions
	} else if s.keep < 0 {
		s.keep = 0
	}
	if s.trashDays <= 0 {
		s.trashDays = DefaultTrashDays
	}
	if s.rootLevel == acl.None {
		s.rootLevel = acl.Write
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Blobs returns the blob store content is kept in.
func (s *Service) Blobs() *blob.Store { return s.blobs }

// Root is one tree: a user's personal files or a space's files module.
type Root struct {
	bun.BaseModel `bun:"table:file_roots,alias:r"`

	ContainerID int64  `bun:",pk"`
	SpaceID     *int64 `bun:",nullzero"`
	OwnerID     *int64 `bun:",nullzero"`
	QuotaBytes  int64

	NodeID int64 `bun:"-"` // the root folder's node
}

// Node is a file or a folder.
type Node struct {
	bun.BaseModel `bun:"table:file_nodes,alias:n"`

	ID          int64 `bun:",pk,autoincrement"`
	RootID      int64
	ParentID    *int64 `bun:",nullzero"`
	ContainerID int64  // a folder's own container; a file's folder's container
	IsDir       bool   `bun:",notnull"`
	Name        string
	AuthorID    *int64 `bun:",nullzero"`
	BlobHash    string // empty in a listing (Children): look the node up to open it
	Size        int64
	ContentType string
	ETag        string `bun:"etag"`
	CreatedAt   time.Time
	ModifiedAt  time.Time
	TrashedAt   *time.Time `bun:",nullzero"`
	TrashedBy   *int64     `bun:",nullzero"`
	TrashPath   string

	// Level is what the subject that looked the node up may do on it.
	Level acl.Level `bun:"level,scanonly"`
}

// Path is a node's location under its root, as names.
type Path []string

// String renders p as "/a/b" ("" for the root).
func (p Path) String() string {
	if len(p) == 0 {
		return ""
	}
	return "/" + strings.Join(p, "/")
}

// Parent returns the path of the folder holding p, and p's last name.
func (p Path) Parent() (Path, string) {
	if len(p) == 0 {
		return nil, ""
	}
	return p[:len(p)-1], p[len(p)-1]
}

// ValidName reports whether name may name a file or a folder.
func ValidName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("%w: empty name or dot name", core.ErrInvalid)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: name is not UTF-8", core.ErrInvalid)
	case utf8.RuneCountInString(name) > MaxNameLength:
		return fmt.Errorf("%w: name longer than %d characters", core.ErrInvalid, MaxNameLength)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("%w: name with '/' or NUL", core.ErrInvalid)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == 0xfffe || r == 0xffff {
			return fmt.Errorf("%w: name with a control character", core.ErrInvalid)
		}
	}
	return nil
}

// Allows reports whether the subject that looked n up has p on it.
func (n *Node) Allows(p acl.Privilege) bool { return acl.Allows(n.Level, n.IsDir, p) }

// Need returns nil when n allows p, else the refusal.
func (n *Node) Need(p acl.Privilege) error {
	if n.Level < acl.Read {
		return fmt.Errorf("%w: no access", core.ErrNotFound)
	}
	if !n.Allows(p) {
		return &acl.DeniedError{Need: p, Have: n.Level}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // never fails
	return hex.EncodeToString(b)
}

func dirETag() string { return `"d` + randomHex(8) + `"` }

func fileETag(hash string) string { return `"` + hash[:32] + `"` }

func isUnique(err error) bool { return errors.Is(store.Translate(err), core.ErrConflict) }

// PersonalRoot returns the personal tree of an account, creating it on
// first use. Only its owner has access to it, unless grants say more.
func (s *Service) PersonalRoot(ctx context.Context, accountID int64) (*Root, error) {
	return s.root(ctx, "owner_id", accountID, func(r *Root) (*acl.Container, []acl.Grant) {
		r.OwnerID = &accountID
		return &acl.Container{Module: core.ModFiles, Kind: "folder", Name: "files", OwnerID: &accountID}, []acl.Grant{}
	})
}

// SpaceRoot returns the files tree of a space, creating it on first use
// with every member at Options.SpaceRootLevel (a team drive).
func (s *Service) SpaceRoot(ctx context.Context, spaceID int64) (*Root, error) {
	return s.root(ctx, "space_id", spaceID, func(r *Root) (*acl.Container, []acl.Grant) {
		r.SpaceID = &spaceID
		return &acl.Container{Module: core.ModFiles, Kind: "folder", Name: "files", SpaceID: &spaceID},
			[]acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: spaceID, Level: s.rootLevel}}
	})
}

func (s *Service) root(ctx context.Context, col string, id int64, mk func(*Root) (*acl.Container, []acl.Grant)) (*Root, error) {
	for attempt := 0; ; attempt++ {
		r := new(Root)
		// One prepared statement: the tree and its root folder.
		err := s.db.Get(ctx, s.db.DB, `SELECT r.container_id, r.space_id, r.owner_id, r.quota_bytes, n.id
			FROM file_roots r JOIN file_nodes n ON n.root_id = r.container_id AND n.parent_id IS NULL
			WHERE r.`+col+` = ?`, []any{id}, &r.ContainerID, &r.SpaceID, &r.OwnerID, &r.QuotaBytes, &r.NodeID)
		if err == nil {
			return r, nil
		}
		if err = store.Translate(err); !errors.Is(err, core.ErrNotFound) || attempt > 0 {
			return nil, err
		}
		err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			r := new(Root)
			c, grants := mk(r)
			now := s.now().UTC()
			if err := acl.CreateContainer(ctx, tx, c, grants, now); err != nil {
				return err
			}
			r.ContainerID = c.ID
			if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
				return err
			}
			n := &Node{RootID: c.ID, ContainerID: c.ID, IsDir: true, ETag: dirETag(), CreatedAt: now, ModifiedAt: now}
			_, err := tx.NewInsert().Model(n).Exec(ctx)
			return err
		})
		if err != nil && !isUnique(err) {
			return nil, err
		}
		// Created, or another request created it first: read it back.
	}
}

// levelExpr is the level of the subject on node alias n: the ACL engine's
// one expression over its container c, with the node's author.
func levelExpr(who core.Subject) (string, []any) {
	return acl.LevelSQL(who, "c", "n.author_id")
}

// itemLevel applies the content rule: limited on a folder is read on a
// file someone else wrote (the author already got full in SQL).
func itemLevel(n *Node) {
	if !n.IsDir && n.Level == acl.Limited {
		n.Level = acl.Read
	}
}

func (s *Service) selectNodes(db bun.IDB, who core.Subject, nodes any) *bun.SelectQuery {
	expr, args := levelExpr(who)
	return db.NewSelect().Model(nodes).
		ColumnExpr("n.*").ColumnExpr(expr+" AS level", args...).
		Join("JOIN containers c ON c.id = n.container_id")
}

// nodeByID returns the text of the prepared statement that loads one
// node by id with who's level (its ? stand for args, then the id).
func (s *Service) nodeByID(who core.Subject) (string, []any) {
	return s.nodeQuery(who, "n.id = ?", false)
}

// nodeQuery returns the text of a prepared statement that loads nodes
// matching where (with ? for its arguments, which follow args) with who's
// level, locked for update with lock. The text depends only on the kind
// of subject (its arguments do not), so a few texts serve every request;
// they are kept, by level expression and condition.
func (s *Service) nodeQuery(who core.Subject, where string, lock bool) (string, []any) {
	expr, args := levelExpr(who)
	key := nodeSQLKey{expr, where, lock}
	s.nodeSQLMu.Lock()
	q, ok := s.nodeSQL[key]
	s.nodeSQLMu.Unlock()
	if !ok {
		params := make([]any, len(args)+strings.Count(where, "?"))
		for i := range params {
			params[i] = store.Param
		}
		sq := s.db.NewSelect().Model((*Node)(nil)).
			ColumnExpr("n.*").ColumnExpr(expr+" AS level", params[:len(args)]...).
			Join("JOIN containers c ON c.id = n.container_id").
			Where(where, params[len(args):]...)
		if lock {
			sq = s.forUpdate(sq)
		}
		q = sq.String()
		s.nodeSQLMu.Lock()
		if len(s.nodeSQL) < maxNodeSQL {
			s.nodeSQL[key] = q
		}
		s.nodeSQLMu.Unlock()
	}
	return q, args
}

type nodeSQLKey struct {
	level, where string
	lock         bool
}

// maxNodeSQL bounds the texts nodeByID keeps (anonymous visitors who
// unlocked many spaces each make another).
const maxNodeSQL = 64

// Node loads one node by id with who's level on it. It returns
// ErrNotFound when who may not read it.
func (s *Service) Node(ctx context.Context, who core.Subject, id int64) (*Node, error) {
	return s.node(ctx, s.db.DB, who, id)
}

func (s *Service) node(ctx context.Context, db bun.IDB, who core.Subject, id int64) (*Node, error) {
	n := new(Node)
	q, args := s.nodeByID(who)
	if err := s.db.Get(ctx, db, q, append(args, id), n); err != nil {
		return nil, fmt.Errorf("file %d: %w", id, store.Translate(err))
	}
	itemLevel(n)
	if n.Level < acl.Read {
		return nil, fmt.Errorf("file %d: %w", id, core.ErrNotFound)
	}
	return n, nil
}

// Lookup walks p from the root and returns the node there, with who's
// level. ErrNotFound when a name is missing or who may not read the node.
func (s *Service) Lookup(ctx context.Context, who core.Subject, r *Root, p Path) (*Node, error) {
	return s.lookup(ctx, s.db.DB, who, r, p)
}

func (s *Service) lookup(ctx context.Context, db bun.IDB, who core.Subject, r *Root, p Path) (*Node, error) {
	if len(p) > MaxDepth {
		return nil, fmt.Errorf("%w: path too deep", core.ErrNotFound)
	}
	id := r.NodeID
	if len(p) > 0 {
		// One statement walks the whole path, a join per name: its text
		// depends on the depth only.
		var b strings.Builder
		args := make([]any, 0, 1+len(p))
		b.WriteString("SELECT p" + strconv.Itoa(len(p)) + ".id FROM file_nodes p1")
		for i := 2; i <= len(p); i++ {
			fmt.Fprintf(&b, " JOIN file_nodes p%d ON p%[1]d.parent_id = p%d.id AND p%[1]d.name = ? AND p%[1]d.trashed_at IS NULL", i, i-1)
			args = append(args, p[i-1])
		}
		b.WriteString(" WHERE p1.parent_id = ? AND p1.name = ? AND p1.trashed_at IS NULL")
		// The joins' names come first in the text, then the root and the
		// first name.
		args = append(args, id, p[0])
		if err := s.db.Get(ctx, db, b.String(), args, &id); err != nil {
			return nil, fmt.Errorf("%s: %w", p, store.Translate(err))
		}
	}
	return s.node(ctx, db, who, id)
}

// PathOf returns the location of n under its root.
func (s *Service) PathOf(ctx context.Context, n *Node) (Path, error) {
	return pathOf(ctx, s.db.DB, n.ID)
}

func pathOf(ctx context.Context, db bun.IDB, id int64) (Path, error) {
	var p Path
	for i := 0; i <= MaxDepth+1; i++ {
		var row struct {
			ParentID *int64
			Name     string
		}
		if err := db.NewRaw(`SELECT parent_id, name FROM file_nodes WHERE id = ?`, id).Scan(ctx, &row); err != nil {
			return nil, store.Translate(err)
		}
		if row.ParentID == nil {
			// reverse
			for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
				p[i], p[j] = p[j], p[i]
			}
			return p, nil
		}
		p = append(p, row.Name)
		id = *row.ParentID
	}
	return nil, fmt.Errorf("%w: path too deep", core.ErrInvalid)
}

// Usage returns the bytes a tree holds (files, including those in its
// trash) and its quota (0: none).
func (s *Service) Usage(ctx context.Context, r *Root) (used, quota int64, err error) {
	err = s.db.NewRaw(`SELECT COALESCE(SUM(size), 0) FROM file_nodes WHERE root_id = ? AND NOT is_dir`, r.ContainerID).
		Scan(ctx, &used)
	quota = r.QuotaBytes
	if quota == 0 {
		quota = s.quota
	}
	return used, quota, store.Translate(err)
}

// SetQuota sets a tree's own quota in bytes (0: the default).
func (s *Service) SetQuota(ctx context.Context, r *Root, bytes int64) error {
	if bytes < 0 {
		return fmt.Errorf("%w: negative quota", core.ErrInvalid)
	}
	_, err := s.db.NewRaw(`UPDATE file_roots SET quota_bytes = ? WHERE container_id = ?`, bytes, r.ContainerID).Exec(ctx)
	if err == nil {
		r.QuotaBytes = bytes
	}
	return store.Translate(err)
}

// forUpdate locks the rows a query reads on PostgreSQL (SQLite
// transactions already hold the write lock).
func (s *Service) forUpdate(q *bun.SelectQuery) *bun.SelectQuery {
	if s.db.Kind == store.Postgres {
		return q.For("UPDATE OF n")
	}
	return q
}

// touchParent gives n's folder a new ETag: every change to a row a
// listing shows goes through here or touch, which keeps listings cached
// by folder ETag exact.
func (s *Service) touchParent(ctx context.Context, db bun.IDB, n *Node, now time.Time) error {
	if n.ParentID == nil {
		return nil
	}
	return s.touch(ctx, db, *n.ParentID, now)
}

func (s *Service) touch(ctx context.Context, db bun.IDB, dirID int64, now time.Time) error {
	_, err := db.NewRaw(`UPDATE file_nodes SET modified_at = ?, etag = ? WHERE id = ?`, now, dirETag(), dirID).Exec(ctx)
	return store.Translate(err)
}
