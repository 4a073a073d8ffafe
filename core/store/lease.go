package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// BackupLeasePrefix starts the name of the lease a running backup holds.
const BackupLeasePrefix = "backup/"

// TakeLease records a named lease until expires; it is visible to every
// process sharing the database.
func TakeLease(ctx context.Context, db bun.IDB, name, holder string, expires time.Time) error {
	_, err := db.NewRaw(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at`,
		name, holder, expires.UTC()).Exec(ctx)
	return Translate(err)
}

// DropLease removes a lease.
func DropLease(ctx context.Context, db bun.IDB, name string) error {
	_, err := db.NewRaw(`DELETE FROM leases WHERE name = ?`, name).Exec(ctx)
	return Translate(err)
}

// LeaseHeld reports whether an unexpired lease whose name starts with
// prefix exists.
func LeaseHeld(ctx context.Context, db bun.IDB, prefix string, now time.Time) (bool, error) {
	var n int
	err := db.NewRaw(`SELECT COUNT(*) FROM leases WHERE name LIKE ? AND expires_at > ?`,
		prefix+"%", now.UTC()).Scan(ctx, &n)
	return n > 0, Translate(err)
}
