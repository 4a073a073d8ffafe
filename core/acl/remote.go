package acl

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// RemoteLevel is the level people of other servers (who reach a
// container through federation, with no account here) have on it: read
// where anonymous visitors read, and limited (add content, change their
// own) where, in addition, the space's members may write — the fediverse
// gets what the space's members get, never more than limited. A container
// the public cannot read gives them nothing. db may be a transaction.
func RemoteLevel(ctx context.Context, db bun.IDB, containerID int64) (Level, error) {
	expr, args := LevelSQL(core.AnonymousSubject, "c", "")
	var l Level
	err := db.NewRaw("SELECT "+expr+" FROM containers c WHERE c.id = ?", append(args, containerID)...).Scan(ctx, &l)
	if err != nil {
		return None, fmt.Errorf("container %d: %w", containerID, store.Translate(err))
	}
	if l < Read {
		return None, nil
	}
	gs, err := Grants(ctx, db, containerID)
	if err != nil {
		return None, err
	}
	for _, g := range gs {
		if g.PrincipalKind == PrincipalSpace && g.Level >= Limited {
			return Limited, nil
		}
	}
	return Read, nil
}
