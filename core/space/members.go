package space

import (
	"context"
	"fmt"

	"plaza/core"
	"plaza/core/store"
)

// Person is a member of a space as the other members see them: no
// address, only who they are and their role.
type Person struct {
	AccountID int64            `json:"account_id"`
	Login     string           `json:"login"`
	Name      string           `json:"name"`
	Role      Role             `json:"role"`
	Type      core.AccountType `json:"type"` // guest shows who is a guest
	Disabled  bool             `json:"disabled"`
}

// Roster lists the members of a space with their roles, space
// administrators first, for anyone who belongs to it (and platform
// administrators). Others get ErrNotFound: a space's people are its own.
func (s *Service) Roster(ctx context.Context, who core.Subject, spaceID int64) ([]Person, error) {
	if who.IsAnonymous() {
		return nil, fmt.Errorf("%w: sign in first", core.ErrUnauthenticated)
	}
	if !who.Type.PlatformAdmin() {
		n, err := s.db.NewSelect().Model((*Member)(nil)).Where("space_id = ? AND account_id = ?", spaceID, who.AccountID).Count(ctx)
		if err != nil {
			return nil, store.Translate(err)
		}
		if n == 0 {
			return nil, fmt.Errorf("space %d: %w", spaceID, core.ErrNotFound)
		}
	}
	out := []Person{}
	err := s.db.NewRaw(`SELECT a.id AS account_id, a.login, a.name, m.role, a.type, a.disabled
		FROM space_members m JOIN accounts a ON a.id = m.account_id
		WHERE m.space_id = ? ORDER BY CASE WHEN m.role = 'admin' THEN 0 ELSE 1 END, a.name, a.login`, spaceID).Scan(ctx, &out)
	return out, store.Translate(err)
}

// Archived reports whether a space is archived (read-only for its members).
func (sp *Space) Archived() bool { return sp.ArchivedAt != nil }
