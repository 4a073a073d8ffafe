package admin

import (
	"context"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/store"
)

// GroupInfo is a group with its member count.
type GroupInfo struct {
	account.Group
	Members int `bun:",scanonly" json:"members"`
}

// mayManageGroup lets platform administrators manage every group and a
// space's administrators the groups that space keeps.
func (s *Service) mayManageGroup(ctx context.Context, who core.Subject, spaceID *int64) error {
	if spaceID == nil {
		return requireAdmin(who)
	}
	return s.requireSpaceAdmin(ctx, who, *spaceID)
}

func (s *Service) group(ctx context.Context, id int64) (*account.Group, error) {
	g := new(account.Group)
	if err := s.db.NewSelect().Model(g).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return g, nil
}

// Groups lists the platform's groups (spaceID nil) or a space's.
func (s *Service) Groups(ctx context.Context, who core.Subject, spaceID *int64) ([]GroupInfo, error) {
	if err := s.mayManageGroup(ctx, who, spaceID); err != nil {
		return nil, err
	}
	out := []GroupInfo{}
	q := s.db.NewSelect().Model(&out).ModelTableExpr("user_groups AS g").ColumnExpr("g.*").
		ColumnExpr("(SELECT COUNT(*) FROM user_group_members gm WHERE gm.group_id = g.id) AS members").Order("g.name")
	if spaceID == nil {
		q = q.Where("g.space_id IS NULL")
	} else {
		q = q.Where("g.space_id = ?", *spaceID)
	}
	return out, store.Translate(q.Scan(ctx))
}

// CreateGroup adds a group.
func (s *Service) CreateGroup(ctx context.Context, who core.Subject, spaceID *int64, name string) (*account.Group, error) {
	if err := s.mayManageGroup(ctx, who, spaceID); err != nil {
		return nil, err
	}
	return s.o.Accounts.CreateGroup(ctx, spaceID, name)
}

// DeleteGroup removes a group (grants naming it go with it).
func (s *Service) DeleteGroup(ctx context.Context, who core.Subject, id int64) error {
	g, err := s.group(ctx, id)
	if err != nil {
		return err
	}
	if err := s.mayManageGroup(ctx, who, g.SpaceID); err != nil {
		return err
	}
	err = acl.DropPrincipal(ctx, s.db, acl.PrincipalGroup, id)
	if err == nil {
		_, err = s.db.NewDelete().Model(g).WherePK().Exec(ctx)
	}
	return store.Translate(err)
}

// SetGroupMember adds an account to a group or takes it out.
func (s *Service) SetGroupMember(ctx context.Context, who core.Subject, id, accountID int64, in bool) error {
	g, err := s.group(ctx, id)
	if err != nil {
		return err
	}
	if err := s.mayManageGroup(ctx, who, g.SpaceID); err != nil {
		return err
	}
	if !in {
		return s.o.Accounts.RemoveFromGroup(ctx, id, accountID)
	}
	if _, err := s.o.Accounts.Get(ctx, accountID); err != nil {
		return err
	}
	return s.o.Accounts.AddToGroup(ctx, id, accountID)
}

// GroupMembers lists a group's members.
func (s *Service) GroupMembers(ctx context.Context, who core.Subject, id int64) ([]Person, error) {
	g, err := s.group(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.mayManageGroup(ctx, who, g.SpaceID); err != nil {
		return nil, err
	}
	out := []Person{}
	err = s.db.NewSelect().TableExpr("user_group_members AS gm").Join("JOIN accounts AS a ON a.id = gm.account_id").
		ColumnExpr("a.id, a.login, a.name, a.email, a.type").Where("gm.group_id = ?", id).Order("a.login").Scan(ctx, &out)
	return out, store.Translate(err)
}
