// Package migrations holds the numbered schema migrations of Plaza, one
// folder per SQL dialect. Files are never edited once shipped: a change to
// the schema is a new file in both folders, tested on both databases.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun/migrate"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// For returns the migrations of a dialect: "sqlite" or "postgres".
func For(dialect string) (*migrate.Migrations, error) {
	sub, err := fs.Sub(files, dialect)
	if err != nil {
		return nil, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", dialect, err)
	}
	if len(ms.Sorted()) == 0 {
		return nil, fmt.Errorf("no migrations for dialect %q", dialect)
	}
	return ms, nil
}
