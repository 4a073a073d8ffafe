// Package space manages spaces, their members and the modules they turn on.
package space

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/secret"
	"plaza/core/store"
)

// Space is a team's place: members, modules and their content.
type Space struct {
	bun.BaseModel `bun:"table:spaces"`

	ID                 int64      `bun:",pk,autoincrement" json:"id"`
	Slug               string     `json:"slug"`
	Name               string     `json:"name"`
	Description        string     `json:"description"`
	Public             bool       `json:"public"`
	PasswordHash       string     `json:"-"`
	AllowMemberInvites bool       `json:"allow_member_invites"`
	ArchivedAt         *time.Time `json:"archived_at"`
	CreatedAt          time.Time  `json:"created_at"`
}

// HasPassword reports whether visitors must give a password.
func (s *Space) HasPassword() bool { return s.PasswordHash != "" }

// Role is a member's role in a space.
type Role string

const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// Member is one membership.
type Member struct {
	bun.BaseModel `bun:"table:space_members"`

	SpaceID   int64     `bun:",pk" json:"space_id"`
	AccountID int64     `bun:",pk" json:"account_id"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

type moduleRow struct {
	bun.BaseModel `bun:"table:space_modules"`

	SpaceID int64       `bun:",pk"`
	Module  core.Module `bun:",pk"`
	Enabled bool
}

// Service manages spaces.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns the space service. now may be nil (time.Now).
func New(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// NewSpace describes a space to create.
type NewSpace struct {
	Slug     string
	Name     string
	Public   bool
	Password string // for a public space: visitors must give it
}

// Create adds a space with every module turned on.
func (s *Service) Create(ctx context.Context, n NewSpace) (*Space, error) {
	if !slugRE.MatchString(n.Slug) {
		return nil, fmt.Errorf("%w: slug must be 1 to 63 lower-case letters, digits or '-', starting with a letter or digit", core.ErrInvalid)
	}
	if n.Name == "" {
		n.Name = n.Slug
	}
	if utf8.RuneCountInString(n.Name) > 200 || strings.ContainsAny(n.Name, "\x00\r\n") {
		return nil, fmt.Errorf("%w: name too long or with control characters", core.ErrInvalid)
	}
	sp := &Space{Slug: n.Slug, Name: n.Name, Public: n.Public, CreatedAt: s.now().UTC()}
	if n.Password != "" {
		if !n.Public {
			return nil, fmt.Errorf("%w: only a public space has a visitor password", core.ErrInvalid)
		}
		sp.PasswordHash = secret.HashPassword(n.Password)
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(sp).Exec(ctx); err != nil {
			return err
		}
		var rows []moduleRow
		for _, m := range core.AllModules() {
			rows = append(rows, moduleRow{SpaceID: sp.ID, Module: m, Enabled: true})
		}
		_, err := tx.NewInsert().Model(&rows).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("space %q: %w", n.Slug, err)
	}
	return sp, nil
}

// Get returns a space by id.
func (s *Service) Get(ctx context.Context, id int64) (*Space, error) {
	sp := new(Space)
	if err := s.db.NewSelect().Model(sp).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("space %d: %w", id, store.Translate(err))
	}
	return sp, nil
}

// BySlug returns a space by slug.
func (s *Service) BySlug(ctx context.Context, slug string) (*Space, error) {
	sp := new(Space)
	if err := s.db.NewSelect().Model(sp).Where("slug = ?", slug).Scan(ctx); err != nil {
		return nil, fmt.Errorf("space %q: %w", slug, store.Translate(err))
	}
	return sp, nil
}

// Visible lists the spaces who may enter: those they belong to, public
// ones, and all of them for a platform administrator. A guest sees only
// the spaces they belong to (not public ones), so a guest removed from a
// space no longer sees it. An archived space stays visible (read-only)
// to its members and platform administrators only.
func (s *Service) Visible(ctx context.Context, who core.Subject) ([]Space, error) {
	var out []Space
	q := s.db.NewSelect().Model(&out).Order("name", "id")
	if !who.Type.PlatformAdmin() {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			if who.Type == core.Guest {
				return q.Where("EXISTS (SELECT 1 FROM space_members m WHERE m.space_id = space.id AND m.account_id = ?)", who.AccountID)
			}
			q = q.Where("public AND archived_at IS NULL")
			if !who.IsAnonymous() {
				q = q.WhereOr("EXISTS (SELECT 1 FROM space_members m WHERE m.space_id = space.id AND m.account_id = ?)", who.AccountID)
			}
			return q
		})
	}
	return out, store.Translate(q.Scan(ctx))
}

// SetMember adds an account to a space or changes its role. A guest can
// only be a member, never a space administrator.
func (s *Service) SetMember(ctx context.Context, spaceID, accountID int64, role Role) error {
	if role != RoleAdmin && role != RoleMember {
		return fmt.Errorf("%w: role must be admin or member", core.ErrInvalid)
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var typ core.AccountType
		if err := tx.NewRaw(`SELECT type FROM accounts WHERE id = ?`, accountID).Scan(ctx, &typ); err != nil {
			return fmt.Errorf("account %d: %w", accountID, store.Translate(err))
		}
		if typ == core.Guest && role == RoleAdmin {
			return fmt.Errorf("%w: a guest cannot administer a space", core.ErrInvalid)
		}
		_, err := tx.NewRaw(`INSERT INTO space_members (space_id, account_id, role, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (space_id, account_id) DO UPDATE SET role = EXCLUDED.role`,
			spaceID, accountID, role, s.now().UTC()).Exec(ctx)
		return err
	})
}

// RemoveMember takes an account out of a space.
func (s *Service) RemoveMember(ctx context.Context, spaceID, accountID int64) error {
	_, err := s.db.NewDelete().Model((*Member)(nil)).Where("space_id = ? AND account_id = ?", spaceID, accountID).Exec(ctx)
	return store.Translate(err)
}

// Members lists the memberships of a space.
func (s *Service) Members(ctx context.Context, spaceID int64) ([]Member, error) {
	var ms []Member
	err := s.db.NewSelect().Model(&ms).Where("space_id = ?", spaceID).Order("account_id").Scan(ctx)
	return ms, store.Translate(err)
}

// SetModule turns a module of a space on or off.
func (s *Service) SetModule(ctx context.Context, spaceID int64, m core.Module, enabled bool) error {
	if !m.Valid() {
		return fmt.Errorf("%w: unknown module %q", core.ErrInvalid, m)
	}
	_, err := s.db.NewRaw(`INSERT INTO space_modules (space_id, module, enabled) VALUES (?, ?, ?)
		ON CONFLICT (space_id, module) DO UPDATE SET enabled = EXCLUDED.enabled`, spaceID, m, enabled).Exec(ctx)
	return store.Translate(err)
}

// Modules returns which modules a space has on.
func (s *Service) Modules(ctx context.Context, spaceID int64) (map[core.Module]bool, error) {
	var rows []moduleRow
	if err := s.db.NewSelect().Model(&rows).Where("space_id = ?", spaceID).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	out := map[core.Module]bool{}
	for _, r := range rows {
		out[r.Module] = r.Enabled
	}
	return out, nil
}

// Unlock checks a visitor password of a public space and returns the
// subject with that space unlocked for the rest of its session.
func (s *Service) Unlock(ctx context.Context, who core.Subject, slug, password string) (core.Subject, error) {
	sp, err := s.BySlug(ctx, slug)
	if err != nil {
		return who, err
	}
	if !sp.Public || (sp.HasPassword() && !secret.CheckPassword(sp.PasswordHash, password)) {
		return who, fmt.Errorf("%w: wrong space password", core.ErrForbidden)
	}
	who.UnlockedSpaces = append(who.UnlockedSpaces, sp.ID)
	return who, nil
}

// DemoteEverywhere makes an account a plain member of every space it
// administers (an account turned into a guest), in the caller's
// transaction.
func DemoteEverywhere(ctx context.Context, db bun.IDB, accountID int64) error {
	_, err := db.NewUpdate().Model((*Member)(nil)).Set("role = ?", RoleMember).Where("account_id = ?", accountID).Exec(ctx)
	return store.Translate(err)
}
