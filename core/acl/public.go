package acl

import (
	"context"

	"github.com/uptrace/bun"

	"plaza/core"
)

// SetPublic gives anonymous visitors read on a container (public) or
// takes it away, keeping its other grants: a public forum category or
// news article is what federation publishes. who needs full on it
// (write-acl), or to be authorID (an item's author has full on it).
func (e *Engine) SetPublic(ctx context.Context, who core.Subject, containerID, authorID int64, public bool) error {
	if who.IsAnonymous() || authorID == 0 || who.AccountID != authorID {
		if err := e.Decide(ctx, who, Target{ContainerID: containerID}, PrivWriteACL); err != nil {
			return err
		}
	}
	return e.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		gs, err := Grants(ctx, tx, containerID)
		if err != nil {
			return err
		}
		out := []Grant{}
		for _, g := range gs {
			if g.PrincipalKind != PrincipalAnonymous {
				out = append(out, g)
			}
		}
		if public {
			out = append(out, Grant{PrincipalKind: PrincipalAnonymous, Level: Read})
		}
		return SetGrants(ctx, tx, containerID, out)
	})
}
