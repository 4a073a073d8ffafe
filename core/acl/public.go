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
// then, if given, runs in the same transaction once the grants are set
// (federation publishes what became public).
func (e *Engine) SetPublic(ctx context.Context, who core.Subject, containerID, authorID int64, public bool, then ...func(context.Context, bun.Tx) error) error {
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
		if err := SetGrants(ctx, tx, containerID, out); err != nil {
			return err
		}
		for _, f := range then {
			if err := f(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
}
