package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/migrations"

	"github.com/uptrace/bun/migrate"
)

// TestTablesListsTheSchema keeps store.Tables (the restore order) in step
// with the migrations: a table missing there would be left out of backups.
func TestTablesListsTheSchema(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var names []string
		q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
		if db.Kind == store.Postgres {
			q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
		}
		if err := db.NewRaw(q).Scan(ctx, &names); err != nil {
			t.Fatal(err)
		}
		var schema []string
		for _, n := range names {
			if !store.IsInternalTable(n) {
				schema = append(schema, n)
			}
		}
		listed := store.Tables()
		slices.Sort(schema)
		sorted := slices.Sorted(slices.Values(listed))
		if !slices.Equal(schema, sorted) {
			t.Errorf("schema tables %v, store.Tables() %v", schema, sorted)
		}
	})
}

func TestMigrateIsIdempotentAndRefusesNewerSchema(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ms, err := migrations.For(string(db.Kind))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx, ms, nil); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		// A newer binary ran here.
		if _, err := db.NewRaw(`INSERT INTO bun_migrations (name, group_id, migrated_at) VALUES ('99990101000000', 99, CURRENT_TIMESTAMP)`).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		err = db.Migrate(ctx, ms, nil)
		if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
			t.Errorf("migrate over a newer schema: %v", err)
		}
	})
}

// TestUpgradeFromFirstSchema migrates a database frozen at the first
// migration up to the latest, with data in it.
func TestUpgradeFromFirstSchema(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			var o store.Options
			if d == store.Postgres {
				o.URL = coretest.FreshPostgresURL(t)
			} else {
				o.DataDir = t.TempDir()
			}
			db, err := store.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			all, _ := migrations.For(string(d))
			frozen := migrationsUpTo(t, string(d), all.Sorted()[0].Name)
			if err := db.Migrate(ctx, frozen, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := db.NewRaw(`INSERT INTO accounts (login, type, created_at, updated_at) VALUES ('old', 'owner', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.Migrate(ctx, all, nil); err != nil {
				t.Fatalf("upgrade: %v", err)
			}
			var login string
			if err := db.NewRaw(`SELECT login FROM accounts`).Scan(ctx, &login); err != nil || login != "old" {
				t.Errorf("data after upgrade: %q %v", login, err)
			}
		})
	}
}

func migrationsUpTo(t *testing.T, dialect, last string) *migrate.Migrations {
	t.Helper()
	all, err := migrations.For(dialect)
	if err != nil {
		t.Fatal(err)
	}
	out := migrate.NewMigrations()
	for _, m := range all.Sorted() {
		if m.Name <= last {
			out.Add(m)
		}
	}
	return out
}

// TestMigrateConcurrently starts three processes' worth of migrations on
// one empty database at the same moment, as three `plaza serve` (or a
// server and a command) do when started together: each waits for the
// one ahead instead of failing.
func TestMigrateConcurrently(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			var o store.Options
			if d == store.Postgres {
				o.URL = coretest.FreshPostgresURL(t)
			} else {
				o.DataDir = t.TempDir()
			}
			const n = 3
			errs := make(chan error, n)
			start := make(chan struct{})
			for range n {
				db, err := store.Open(ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				ms, err := migrations.For(string(d))
				if err != nil {
					t.Fatal(err)
				}
				go func() {
					<-start
					errs <- db.Migrate(ctx, ms, nil)
				}()
			}
			close(start)
			for range n {
				if err := <-errs; err != nil {
					t.Errorf("concurrent migrate: %v", err)
				}
			}
		})
	}
}
