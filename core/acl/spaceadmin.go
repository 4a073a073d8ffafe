package acl

import (
	"context"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// SpaceAdmin reports whether who administers the space (a space
// administrator, or a platform one): the moderators of what members write
// there, such as comments.
func SpaceAdmin(ctx context.Context, db bun.IDB, who core.Subject, spaceID int64) (bool, error) {
	if who.IsAnonymous() {
		return false, nil
	}
	if who.Type.PlatformAdmin() {
		return true, nil
	}
	var k int
	err := db.NewRaw(`SELECT COUNT(*) FROM space_members WHERE space_id = ? AND account_id = ? AND role = 'admin'`,
		spaceID, who.AccountID).Scan(ctx, &k)
	return k > 0, store.Translate(err)
}
