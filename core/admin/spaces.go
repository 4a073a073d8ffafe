package admin

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/secret"
	"plaza/core/space"
	"plaza/core/store"
)

// SpaceInfo is a space with what an administrator needs to see.
type SpaceInfo struct {
	space.Space
	Members int `bun:",scanonly" json:"members"`
}

// Spaces lists every space, archived ones included (platform administrators).
func (s *Service) Spaces(ctx context.Context, who core.Subject) ([]SpaceInfo, error) {
	if err := requireAdmin(who); err != nil {
		return nil, err
	}
	var out []SpaceInfo
	err := s.db.NewSelect().Model(&out).ModelTableExpr("spaces AS space").ColumnExpr("space.*").
		ColumnExpr(acl.MembersCountSQL("space.id")+" AS members").
		Order("space.name", "space.id").Scan(ctx)
	return out, store.Translate(err)
}

// CreateSpace adds a space (platform administrators), with its creator
// as a member when given.
func (s *Service) CreateSpace(ctx context.Context, who core.Subject, n space.NewSpace, adminID int64) (*space.Space, error) {
	if err := requireAdmin(who); err != nil {
		return nil, err
	}
	sp, err := s.o.Spaces.Create(ctx, n)
	if err != nil {
		return nil, err
	}
	if adminID != 0 {
		if err := s.o.Spaces.SetMember(ctx, sp.ID, adminID, space.RoleAdmin); err != nil {
			return nil, err
		}
	}
	return sp, nil
}

// SpaceUpdate changes a space; nil fields stay.
type SpaceUpdate struct {
	Name               *string `json:"name,omitempty"`
	Description        *string `json:"description,omitempty"`
	Public             *bool   `json:"public,omitempty"`
	Password           *string `json:"password,omitempty"` // "" removes the visitor password
	AllowMemberInvites *bool   `json:"allow_member_invites,omitempty"`
}

// UpdateSpace edits a space (platform or space administrators).
func (s *Service) UpdateSpace(ctx context.Context, who core.Subject, id int64, u SpaceUpdate) (*space.Space, error) {
	if err := s.requireSpaceAdmin(ctx, who, id); err != nil {
		return nil, err
	}
	sp, err := s.o.Spaces.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	q := s.db.NewUpdate().Model((*space.Space)(nil)).Where("id = ?", id)
	if u.Name != nil {
		name := strings.TrimSpace(*u.Name)
		if name == "" || utf8.RuneCountInString(name) > 200 || strings.ContainsAny(name, "\x00\r\n") {
			return nil, fmt.Errorf("%w: a name is 1 to 200 characters on one line", core.ErrInvalid)
		}
		q = q.Set("name = ?", name)
	}
	if u.Description != nil {
		if utf8.RuneCountInString(*u.Description) > 2000 || !utf8.ValidString(*u.Description) {
			return nil, fmt.Errorf("%w: a description is at most 2000 characters", core.ErrInvalid)
		}
		q = q.Set("description = ?", *u.Description)
	}
	public := sp.Public
	if u.Public != nil {
		public = *u.Public
		q = q.Set("public = ?", public)
	}
	switch {
	case !public:
		q = q.Set("password_hash = ''")
	case u.Password != nil && *u.Password == "":
		q = q.Set("password_hash = ''")
	case u.Password != nil:
		if utf8.RuneCountInString(*u.Password) < 4 || len(*u.Password) > 200 {
			return nil, fmt.Errorf("%w: a visitor password is 4 to 200 characters", core.ErrInvalid)
		}
		q = q.Set("password_hash = ?", secret.HashPassword(*u.Password))
	}
	if u.AllowMemberInvites != nil {
		q = q.Set("allow_member_invites = ?", *u.AllowMemberInvites)
	}
	if _, err := q.Exec(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return s.o.Spaces.Get(ctx, id)
}

// ArchiveSpace archives a space (read-only for its members, hidden from
// visitors and from people outside it) or brings it back (platform
// administrators and the space's own administrators).
func (s *Service) ArchiveSpace(ctx context.Context, who core.Subject, id int64, archived bool) error {
	if err := s.requireSpaceAdmin(ctx, who, id); err != nil {
		return err
	}
	q := s.db.NewUpdate().Model((*space.Space)(nil)).Where("id = ?", id)
	if archived {
		q = q.Set("archived_at = COALESCE(archived_at, ?)", s.o.Now().UTC())
	} else {
		q = q.Set("archived_at = NULL")
	}
	res, err := q.Exec(ctx)
	return one(res, err, "space")
}

// DeleteSpace removes a space and everything in it (platform
// administrators). The space must be archived first, so a slip of the
// hand cannot delete a live space.
func (s *Service) DeleteSpace(ctx context.Context, who core.Subject, id int64) error {
	if err := requireAdmin(who); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sp := new(space.Space)
		if err := tx.NewSelect().Model(sp).Where("id = ?", id).Scan(ctx); err != nil {
			return err
		}
		if sp.ArchivedAt == nil {
			return fmt.Errorf("%w: archive the space before deleting it", core.ErrConflict)
		}
		_, err := tx.NewDelete().Model(sp).WherePK().Exec(ctx)
		return err
	})
}

// SetModule turns a module of a space on or off (platform or space administrators).
func (s *Service) SetModule(ctx context.Context, who core.Subject, spaceID int64, m core.Module, on bool) error {
	if err := s.requireSpaceAdmin(ctx, who, spaceID); err != nil {
		return err
	}
	return s.o.Spaces.SetModule(ctx, spaceID, m, on)
}

// MemberInfo is a membership with the account's names.
type MemberInfo struct {
	space.Member
	Login string           `bun:",scanonly" json:"login"`
	Name  string           `bun:",scanonly" json:"name"`
	Email string           `bun:",scanonly" json:"email"`
	Type  core.AccountType `bun:",scanonly" json:"type"`
}

// Members lists a space's members with their names (platform or space administrators).
func (s *Service) Members(ctx context.Context, who core.Subject, spaceID int64) ([]MemberInfo, error) {
	if err := s.requireSpaceAdmin(ctx, who, spaceID); err != nil {
		return nil, err
	}
	var out []MemberInfo
	err := s.db.NewSelect().Model(&out).ModelTableExpr(acl.MembershipsTable("m")).ColumnExpr("m.*").
		ColumnExpr("a.login, a.name, a.email, a.type").Join("JOIN accounts AS a ON a.id = m.account_id").
		Where("m.space_id = ?", spaceID).Order("a.login").Scan(ctx)
	return out, store.Translate(err)
}

// SetRole adds an account to a space or changes its role (platform or
// space administrators). The last space administrator cannot step down.
func (s *Service) SetRole(ctx context.Context, who core.Subject, spaceID, accountID int64, role space.Role) error {
	if err := s.requireSpaceAdmin(ctx, who, spaceID); err != nil {
		return err
	}
	if role == space.RoleMember && !who.Type.PlatformAdmin() && accountID == who.AccountID {
		return fmt.Errorf("%w: a space administrator cannot step down; ask another", core.ErrInvalid)
	}
	return s.o.Spaces.SetMember(ctx, spaceID, accountID, role)
}

// RemoveMember takes an account out of a space (platform or space administrators).
func (s *Service) RemoveMember(ctx context.Context, who core.Subject, spaceID, accountID int64) error {
	if err := s.requireSpaceAdmin(ctx, who, spaceID); err != nil {
		return err
	}
	return s.o.Spaces.RemoveMember(ctx, spaceID, accountID)
}

func one(res interface{ RowsAffected() (int64, error) }, err error, what string) error {
	if err != nil {
		return store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", what, core.ErrNotFound)
	}
	return nil
}
