package acl

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// Sharing: the one dialog every container (folder, calendar, address
// book, forum category or topic, wiki or links folder, task list) and
// every news article and poll (a container of kind "item") offers. It
// lists the grants with the principal's name, says which come from the
// parent container (inherited) and which were set here (own), and
// replaces them. Whoever has full on the container uses it, and space
// administrators on their space's containers (they keep the space's
// rights; nobody else has full on a category or a space calendar).

// SharedGrant is a grant as the sharing dialog shows it.
type SharedGrant struct {
	Grant
	Name      string `json:"name"`      // who, by name: login or name, group, space; empty for visitors
	Inherited bool   `json:"inherited"` // the parent container has the same grant
	Role      string `json:"role"`      // the DocSpace room role this level reads as
}

// Sharing is a container's sharing state.
type Sharing struct {
	Container Container     `json:"container"`
	Grants    []SharedGrant `json:"grants"`
	Public    bool          `json:"public_space"` // its space admits visitors: anonymous grants count
	Parent    *int64        `json:"parent_id"`
}

// RoomRole names a level with the DocSpace room role it matches (the
// highest role of that level): viewer, content-creator, editor,
// room-manager.
func RoomRole(l Level) string {
	switch l {
	case Read:
		return "viewer"
	case Limited:
		return "content-creator"
	case Write:
		return "editor"
	case Full:
		return "room-manager"
	}
	return ""
}

// MayShare returns nil when who may use the sharing dialog of the
// container: full on it, or space administrator of its space (and the
// space live). Otherwise the decision's own answer (not found when who
// may not even read it, forbidden otherwise).
func (e *Engine) MayShare(ctx context.Context, who core.Subject, containerID int64) (*Container, error) {
	if who.IsAnonymous() {
		return nil, fmt.Errorf("%w: sign in first", core.ErrUnauthenticated)
	}
	c, err := GetContainer(ctx, e.db, containerID)
	if err != nil {
		return nil, err
	}
	l, err := e.Level(ctx, who, Target{ContainerID: containerID})
	if err != nil {
		return nil, err
	}
	if l < Read {
		return nil, fmt.Errorf("container %d: %w", containerID, core.ErrNotFound)
	}
	if l >= Full {
		return c, nil
	}
	if c.SpaceID != nil {
		st, err := StandingIn(ctx, e.db, who, *c.SpaceID)
		if err != nil {
			return nil, err
		}
		if err := st.Require(who, SpaceNeed{Admin: true, Change: true, Module: c.Module}); err == nil {
			return c, nil
		}
	}
	return nil, &DeniedError{Need: PrivWriteACL, Have: l}
}

// Sharing returns the sharing state of a container for its dialog.
func (e *Engine) Sharing(ctx context.Context, who core.Subject, containerID int64) (*Sharing, error) {
	c, err := e.MayShare(ctx, who, containerID)
	if err != nil {
		return nil, err
	}
	out := &Sharing{Container: *c, Grants: []SharedGrant{}, Parent: c.ParentID}
	if c.SpaceID != nil {
		if err := e.db.NewRaw(`SELECT public FROM spaces WHERE id = ?`, *c.SpaceID).Scan(ctx, &out.Public); err != nil {
			return nil, store.Translate(err)
		}
	}
	err = e.db.NewRaw(`SELECT g.container_id, g.principal_kind, g.principal_id, g.level,
		COALESCE(CASE g.principal_kind
			WHEN 'user' THEN (SELECT CASE WHEN a.name <> '' THEN a.name ELSE a.login END FROM accounts a WHERE a.id = g.principal_id)
			WHEN 'group' THEN (SELECT ug.name FROM user_groups ug WHERE ug.id = g.principal_id)
			WHEN 'space' THEN (SELECT sp.name FROM spaces sp WHERE sp.id = g.principal_id)
			ELSE '' END, '') AS name,
		EXISTS (SELECT 1 FROM grants pg WHERE pg.container_id = ? AND pg.principal_kind = g.principal_kind
			AND pg.principal_id = g.principal_id AND pg.level = g.level) AS inherited
		FROM grants g WHERE g.container_id = ?
		ORDER BY CASE g.principal_kind WHEN 'space' THEN 0 WHEN 'anonymous' THEN 1 WHEN 'group' THEN 2 ELSE 3 END, name, g.principal_id`,
		parentOrZero(c), containerID).Scan(ctx, &out.Grants)
	if err != nil {
		return nil, store.Translate(err)
	}
	for i := range out.Grants {
		out.Grants[i].Role = RoomRole(out.Grants[i].Level)
	}
	return out, nil
}

func parentOrZero(c *Container) int64 {
	if c.ParentID == nil {
		return 0
	}
	return *c.ParentID
}

// Share replaces the grants of a container from its sharing dialog. Each
// principal must exist: an account (a member of the container's space,
// for a space's container), a group, a space; visitors only read and only
// in a public space.
func (e *Engine) Share(ctx context.Context, who core.Subject, containerID int64, grants []Grant) error {
	c, err := e.MayShare(ctx, who, containerID)
	if err != nil {
		return err
	}
	seen := map[[2]any]bool{}
	for _, g := range grants {
		if err := g.validate(); err != nil {
			return err
		}
		k := [2]any{g.PrincipalKind, g.PrincipalID}
		if seen[k] {
			return fmt.Errorf("%w: %s %d is named twice", core.ErrInvalid, g.PrincipalKind, g.PrincipalID)
		}
		seen[k] = true
		if err := e.checkPrincipal(ctx, c, g); err != nil {
			return err
		}
	}
	return e.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return SetGrants(ctx, tx, containerID, grants)
	})
}

func (e *Engine) checkPrincipal(ctx context.Context, c *Container, g Grant) error {
	var n int
	var err error
	switch g.PrincipalKind {
	case PrincipalUser:
		if c.SpaceID != nil {
			err = e.db.NewRaw(`SELECT COUNT(*) FROM accounts a WHERE a.id = ? AND NOT a.disabled AND `+MemberOfSQL("?", "a.id"),
				g.PrincipalID, *c.SpaceID).Scan(ctx, &n)
		} else {
			err = e.db.NewRaw(`SELECT COUNT(*) FROM accounts WHERE id = ? AND NOT disabled`, g.PrincipalID).Scan(ctx, &n)
		}
		if err == nil && n == 0 {
			return fmt.Errorf("%w: account %d is not a member here", core.ErrInvalid, g.PrincipalID)
		}
	case PrincipalGroup:
		err = e.db.NewRaw(`SELECT COUNT(*) FROM user_groups WHERE id = ?`, g.PrincipalID).Scan(ctx, &n)
		if err == nil && n == 0 {
			return fmt.Errorf("%w: no group %d", core.ErrInvalid, g.PrincipalID)
		}
	case PrincipalSpace:
		err = e.db.NewRaw(`SELECT COUNT(*) FROM spaces WHERE id = ?`, g.PrincipalID).Scan(ctx, &n)
		if err == nil && n == 0 {
			return fmt.Errorf("%w: no space %d", core.ErrInvalid, g.PrincipalID)
		}
	case PrincipalAnonymous:
		pub := false
		if c.SpaceID != nil {
			err = e.db.NewRaw(`SELECT public FROM spaces WHERE id = ?`, *c.SpaceID).Scan(ctx, &pub)
		}
		if err == nil && !pub {
			return fmt.Errorf("%w: only a public space admits visitors", core.ErrInvalid)
		}
	}
	return store.Translate(err)
}

// Principal is someone the sharing dialog may name.
type Principal struct {
	Kind PrincipalKind `json:"principal_kind"`
	ID   int64         `json:"principal_id"`
	Name string        `json:"name"`
}

// Principals lists whom the dialog of a container offers: the members of
// its space (or, for a personal container, nobody but groups and spaces
// who's in), the groups of the space and platform-wide groups, the spaces
// who belongs to, and visitors when the space is public.
func (e *Engine) Principals(ctx context.Context, who core.Subject, containerID int64) ([]Principal, error) {
	c, err := e.MayShare(ctx, who, containerID)
	if err != nil {
		return nil, err
	}
	out := []Principal{}
	var ps []Principal
	space := int64(0)
	if c.SpaceID != nil {
		space = *c.SpaceID
	}
	if err := e.db.NewRaw(`SELECT 'user' AS kind, a.id, CASE WHEN a.name <> '' THEN a.name ELSE a.login END AS name
		FROM accounts a WHERE NOT a.disabled AND `+MemberOfSQL("?", "a.id")+` ORDER BY 3, 2`, space).Scan(ctx, &ps); err != nil {
		return nil, store.Translate(err)
	}
	out = append(out, ps...)
	ps = nil
	if err := e.db.NewRaw(`SELECT 'group' AS kind, id, name FROM user_groups WHERE space_id IS NULL OR space_id = ? ORDER BY 3, 2`, space).Scan(ctx, &ps); err != nil {
		return nil, store.Translate(err)
	}
	out = append(out, ps...)
	ps = nil
	q := `SELECT 'space' AS kind, sp.id, sp.name FROM spaces sp WHERE sp.archived_at IS NULL AND (sp.id = ? OR ` + MemberOfSQL("sp.id", "?") + `) ORDER BY 3, 2`
	args := []any{space, who.AccountID}
	if who.Type.PlatformAdmin() {
		q, args = `SELECT 'space' AS kind, sp.id, sp.name FROM spaces sp WHERE sp.archived_at IS NULL ORDER BY 3, 2`, nil
	}
	if err := e.db.NewRaw(q, args...).Scan(ctx, &ps); err != nil {
		return nil, store.Translate(err)
	}
	out = append(out, ps...)
	var pub bool
	if c.SpaceID != nil {
		if err := e.db.NewRaw(`SELECT public FROM spaces WHERE id = ?`, space).Scan(ctx, &pub); err != nil {
			return nil, store.Translate(err)
		}
	}
	if pub {
		out = append(out, Principal{Kind: PrincipalAnonymous})
	}
	return out, nil
}
