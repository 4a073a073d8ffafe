// Package sharelink keeps the public links of files and folders: a secret
// URL that answers without an account, reading (a file, or a folder and
// what is under it) or upload only (new files into a folder, nothing
// listed or read), with an optional password and expiry, revocable. It
// owns the share_links table.
//
// A link acts for the person who made it and never beyond: it opens only
// what its maker may still read (or add to, for upload), through the ACL
// core's decision, and only the operations its mode allows. Whoever has
// full on the file or folder, or may use its folder's sharing dialog
// (acl.MayShare: a space administrator), makes, lists and revokes its links.
package sharelink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/files"
	"plaza/core/secret"
	"plaza/core/store"
)

// Mode is what a link lets its visitors do.
type Mode string

const (
	Read   Mode = "read"   // download the file; list and download the folder's content
	Upload Mode = "upload" // add new files to the folder; nothing is shown
)

// Op is an operation a visitor asks of a link.
type Op int

const (
	OpRead   Op = iota // list a folder, download a file
	OpUpload           // add a new file
	OpProbe            // see the link's own folder without its content (what an upload client asks first)
)

// Allows reports whether a link's mode permits op.
func (m Mode) Allows(op Op) bool {
	switch m {
	case Read:
		return op == OpRead || op == OpProbe
	case Upload:
		return op == OpUpload || op == OpProbe
	}
	return false
}

// Link is one public link.
type Link struct {
	bun.BaseModel `bun:"table:share_links,alias:sl"`

	ID           int64      `bun:",pk,autoincrement" json:"id"`
	TokenHash    string     `json:"-"`
	NodeID       int64      `json:"node_id"`
	CreatedBy    int64      `json:"created_by"`
	Mode         Mode       `json:"mode"`
	PasswordHash string     `json:"-"`
	ExpiresAt    *time.Time `bun:",nullzero" json:"expires_at"`
	CreatedAt    time.Time  `json:"created_at"`
	RevokedAt    *time.Time `bun:",nullzero" json:"revoked_at,omitempty"`

	// Token is the secret of the URL, known only when the link is made.
	Token string `bun:"-" json:"token,omitempty"`
	// HasPassword tells the maker a password guards the link.
	HasPassword bool `bun:"-" json:"has_password"`
}

// Service manages public links.
type Service struct {
	db       *store.DB
	files    *files.Service
	accounts *account.Service
	now      func() time.Time
}

// New returns the link service. now may be nil (time.Now).
func New(db *store.DB, f *files.Service, a *account.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, files: f, accounts: a, now: now}
}

// NewLink describes a link to make.
type NewLink struct {
	NodeID    int64
	Mode      Mode
	Password  string     // empty: none
	ExpiresAt *time.Time // nil: never
}

// maker loads the node and checks who may manage its links: full on it.
func (s *Service) maker(ctx context.Context, who core.Subject, nodeID int64) (*files.Node, error) {
	if who.IsAnonymous() {
		return nil, fmt.Errorf("%w: sign in first", core.ErrUnauthenticated)
	}
	n, err := s.files.Node(ctx, who, nodeID)
	if err != nil {
		return nil, err
	}
	if n.Level < acl.Full {
		// Space administrators share what is in their space, as in the
		// sharing dialog.
		if _, err := acl.New(s.db).MayShare(ctx, who, n.ContainerID); err != nil {
			return nil, &acl.DeniedError{Need: acl.PrivWriteACL, Have: n.Level}
		}
	}
	return n, nil
}

// Create makes a link; its Token is returned once.
func (s *Service) Create(ctx context.Context, who core.Subject, nl NewLink) (*Link, error) {
	n, err := s.maker(ctx, who, nl.NodeID)
	if err != nil {
		return nil, err
	}
	switch nl.Mode {
	case Read:
	case Upload:
		if !n.IsDir {
			return nil, fmt.Errorf("%w: an upload link is for a folder", core.ErrInvalid)
		}
	default:
		return nil, fmt.Errorf("%w: a link reads or uploads", core.ErrInvalid)
	}
	now := s.now().UTC()
	if nl.ExpiresAt != nil && !nl.ExpiresAt.After(now) {
		return nil, fmt.Errorf("%w: the expiry is in the past", core.ErrInvalid)
	}
	if utf8.RuneCountInString(nl.Password) > 200 || strings.ContainsRune(nl.Password, 0) {
		return nil, fmt.Errorf("%w: a link password has at most 200 characters", core.ErrInvalid)
	}
	l := &Link{NodeID: n.ID, CreatedBy: who.AccountID, Mode: nl.Mode, CreatedAt: now, Token: secret.Token(24)}
	l.TokenHash = secret.Digest(l.Token)
	if nl.ExpiresAt != nil {
		t := nl.ExpiresAt.UTC()
		l.ExpiresAt = &t
	}
	if nl.Password != "" {
		l.PasswordHash, l.HasPassword = secret.HashPassword(nl.Password), true
	}
	if _, err := s.db.NewInsert().Model(l).Exec(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return l, nil
}

// List returns the live links of a node (whoever has full on it).
func (s *Service) List(ctx context.Context, who core.Subject, nodeID int64) ([]Link, error) {
	if _, err := s.maker(ctx, who, nodeID); err != nil {
		return nil, err
	}
	out := []Link{}
	err := s.db.NewSelect().Model(&out).Where("node_id = ? AND revoked_at IS NULL", nodeID).
		Where("(expires_at IS NULL OR expires_at > ?)", s.now().UTC()).Order("id").Scan(ctx)
	for i := range out {
		out[i].HasPassword = out[i].PasswordHash != ""
	}
	return out, store.Translate(err)
}

// Revoke ends a link at once (whoever has full on its node).
func (s *Service) Revoke(ctx context.Context, who core.Subject, linkID int64) error {
	l := new(Link)
	if err := s.db.NewSelect().Model(l).Where("id = ?", linkID).Scan(ctx); err != nil {
		return fmt.Errorf("link %d: %w", linkID, store.Translate(err))
	}
	if _, err := s.maker(ctx, who, l.NodeID); err != nil {
		return err
	}
	_, err := s.db.NewUpdate().Model(l).Set("revoked_at = ?", s.now().UTC()).WherePK().Where("revoked_at IS NULL").Exec(ctx)
	return store.Translate(err)
}

// ErrPassword: the link asks for its password (none given, or a wrong one).
var ErrPassword = fmt.Errorf("%w: this link needs its password", core.ErrUnauthenticated)

// Access is an opened link: what a visitor reaches through it.
type Access struct {
	Link *Link
	// As is the subject the link acts for (its maker): every file
	// operation through the link runs as them, so the ACL core still
	// decides, and a maker who lost access takes the link's access away.
	As   core.Subject
	Root *files.Root
	Node *files.Node // the linked file or folder, with the maker's level
	Path files.Path  // the linked node's place in its tree
}

// Open finds a live link by its token and checks its password (empty
// when none is given). Unknown, revoked and expired links, and links
// whose maker can no longer read the node, are ErrNotFound; a missing or
// wrong password is ErrPassword.
func (s *Service) Open(ctx context.Context, token, password string) (*Access, error) {
	return s.open(ctx, token, func(l *Link) bool {
		return password != "" && secret.CheckPassword(l.PasswordHash, password)
	})
}

// OpenPass is Open with the pass a browser keeps after giving the
// password once (Access.Pass), instead of the password.
func (s *Service) OpenPass(ctx context.Context, token, pass string) (*Access, error) {
	return s.open(ctx, token, func(l *Link) bool { return pass != "" && pass == l.pass() })
}

// pass is what a browser keeps to prove it gave the password: a digest
// of the password's hash, useless elsewhere, changed with the link.
func (l *Link) pass() string { return secret.Digest("share-link-pass:" + l.PasswordHash) }

// Pass returns the pass of an opened link (empty when it has no password).
func (a *Access) Pass() string {
	if a.Link.PasswordHash == "" {
		return ""
	}
	return a.Link.pass()
}

func (s *Service) open(ctx context.Context, token string, unlocked func(*Link) bool) (*Access, error) {
	gone := fmt.Errorf("%w: no such link, or it was revoked or has expired", core.ErrNotFound)
	if token == "" || len(token) > 100 {
		return nil, gone
	}
	l := new(Link)
	err := s.db.NewSelect().Model(l).Where("token_hash = ? AND revoked_at IS NULL", secret.Digest(token)).Scan(ctx)
	if err != nil {
		if err = store.Translate(err); errors.Is(err, core.ErrNotFound) {
			return nil, gone
		}
		return nil, err
	}
	if l.ExpiresAt != nil && !l.ExpiresAt.After(s.now()) {
		return nil, gone
	}
	if l.PasswordHash != "" && !unlocked(l) {
		return nil, ErrPassword
	}
	l.HasPassword = l.PasswordHash != ""
	acc, err := s.accounts.Get(ctx, l.CreatedBy)
	if err != nil || acc.Disabled {
		return nil, gone
	}
	as := acc.Subject()
	n, err := s.files.Node(ctx, as, l.NodeID)
	if err != nil || n.TrashedAt != nil {
		return nil, gone
	}
	if l.Mode == Upload && !n.Allows(acl.PrivBind) {
		return nil, gone
	}
	root, err := s.files.RootOf(ctx, n)
	if err != nil {
		return nil, err
	}
	p, err := s.files.PathOf(ctx, n)
	if err != nil {
		return nil, err
	}
	return &Access{Link: l, As: as, Root: root, Node: n, Path: p}, nil
}

// errMode refuses what a link's mode does not allow.
func errMode(m Mode) error {
	if m == Upload {
		return fmt.Errorf("%w: this link only receives files", core.ErrForbidden)
	}
	return fmt.Errorf("%w: this link only shows files", core.ErrForbidden)
}

// Lookup returns the node at rel under the linked node, as the link's
// maker sees it, when the link's mode allows op.
func (s *Service) Lookup(ctx context.Context, a *Access, rel files.Path, op Op) (*files.Node, error) {
	if !a.Link.Mode.Allows(op) || (op == OpProbe && len(rel) > 0) {
		return nil, errMode(a.Link.Mode)
	}
	if len(rel) > 0 && !a.Node.IsDir {
		return nil, fmt.Errorf("%w: a file has nothing under it", core.ErrNotFound)
	}
	return s.files.Lookup(ctx, a.As, a.Root, a.Within(rel))
}

// Within is the tree path of rel under the linked node.
func (a *Access) Within(rel files.Path) files.Path {
	return append(append(files.Path{}, a.Path...), rel...)
}

// Children lists a folder reached through a read link.
func (s *Service) Children(ctx context.Context, a *Access, dir *files.Node) ([]files.Node, error) {
	if !a.Link.Mode.Allows(OpRead) {
		return nil, errMode(a.Link.Mode)
	}
	return s.files.Children(ctx, a.As, dir)
}

// Upload stores a new file in the linked folder through an upload (or
// read-write) link; a name already taken is a conflict, so a visitor can
// never replace nor learn of what is there.
func (s *Service) Upload(ctx context.Context, a *Access, name, ctype string, size int64, body io.Reader) (*files.Node, error) {
	if !a.Link.Mode.Allows(OpUpload) {
		return nil, errMode(a.Link.Mode)
	}
	if err := files.ValidName(name); err != nil {
		return nil, err
	}
	n, _, err := s.files.Put(ctx, a.As, a.Root, a.Within(files.Path{name}), body, files.PutOptions{ContentType: ctype, Size: size,
		Check: func(existing *files.Node) error {
			if existing != nil {
				return fmt.Errorf("%w: a file of that name is there already", core.ErrConflict)
			}
			return nil
		}})
	return n, err
}
