package acl

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// An archived space is read-only: its members (and platform
// administrators) keep reading what they read, and nobody may change
// anything, authors and space administrators included, until a space
// administrator restores it. Visitors see nothing of it (the anonymous
// rule already asks for an unarchived space).

// liveSQL is the condition "the container aliased c is personal, or its
// space is not archived". It takes no arguments.
func liveSQL(c string) string {
	return "(" + c + ".space_id IS NULL OR NOT EXISTS (SELECT 1 FROM spaces sx WHERE sx.id = " + c +
		".space_id AND sx.archived_at IS NOT NULL))"
}

// archivedCap turns the level subquery sub (with its arguments) of the
// container aliased c into the level expression: nothing where the module
// is off, read at most in an archived space.
func archivedCap(c, sub string, args []any) (string, []any) {
	expr := fmt.Sprintf("(CASE WHEN NOT %s THEN 0 WHEN %s THEN (%s) WHEN (%s) >= 1 THEN 1 ELSE 0 END)",
		moduleOnSQL(c), liveSQL(c), sub, sub)
	return expr, append(append([]any{}, args...), args...)
}

// RequireLive refuses changes in an archived space.
func RequireLive(ctx context.Context, db bun.IDB, spaceID int64) error {
	var n int
	err := db.NewRaw(`SELECT COUNT(*) FROM spaces WHERE id = ? AND archived_at IS NOT NULL`, spaceID).Scan(ctx, &n)
	if err != nil {
		return store.Translate(err)
	}
	if n > 0 {
		return fmt.Errorf("%w: the space is archived (read-only)", core.ErrForbidden)
	}
	return nil
}
