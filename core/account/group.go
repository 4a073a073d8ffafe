package account

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// Group is a named set of accounts, platform-wide (SpaceID nil) or kept
// by one space. Grants may name a group.
type Group struct {
	bun.BaseModel `bun:"table:user_groups"`

	ID        int64     `bun:",pk,autoincrement" json:"id"`
	SpaceID   *int64    `json:"space_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateGroup adds a group.
func (s *Service) CreateGroup(ctx context.Context, spaceID *int64, name string) (*Group, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, fmt.Errorf("%w: a group needs a name of at most 100 bytes", core.ErrInvalid)
	}
	g := &Group{SpaceID: spaceID, Name: name, CreatedAt: s.now().UTC()}
	if _, err := s.db.NewInsert().Model(g).Exec(ctx); err != nil {
		return nil, fmt.Errorf("group %q: %w", name, store.Translate(err))
	}
	return g, nil
}

// AddToGroup makes an account a member of a group (idempotent).
func (s *Service) AddToGroup(ctx context.Context, groupID, accountID int64) error {
	_, err := s.db.NewRaw(`INSERT INTO user_group_members (group_id, account_id) VALUES (?, ?)
		ON CONFLICT DO NOTHING`, groupID, accountID).Exec(ctx)
	return store.Translate(err)
}

// RemoveFromGroup takes an account out of a group.
func (s *Service) RemoveFromGroup(ctx context.Context, groupID, accountID int64) error {
	_, err := s.db.NewRaw(`DELETE FROM user_group_members WHERE group_id = ? AND account_id = ?`,
		groupID, accountID).Exec(ctx)
	return store.Translate(err)
}
