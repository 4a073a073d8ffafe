package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/uptrace/bun"

	"plaza/core/coretest"
	"plaza/core/store"
)

type preparedRow struct {
	bun.BaseModel `bun:"table:settings"`

	Key   string
	Value string
}

// TestPreparedStatements runs Get, All and Query on both databases: rows
// scanned into bun models and into plain pointers, no row as
// sql.ErrNoRows, inside a transaction (which sees its own writes), and
// the same text reused with other arguments.
func TestPreparedStatements(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := range 3 {
			if _, err := db.NewRaw(`INSERT INTO settings (key, value) VALUES (?, ?)`, fmt.Sprint("k", i), fmt.Sprint("v", i)).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		const one = `SELECT key, value FROM settings WHERE key = ?`
		for i := range 3 {
			var r preparedRow
			if err := db.Get(ctx, db.DB, one, []any{fmt.Sprint("k", i)}, &r); err != nil || r.Value != fmt.Sprint("v", i) {
				t.Fatalf("Get k%d: %+v %v", i, r, err)
			}
		}
		var v string
		if err := db.Get(ctx, db.DB, `SELECT value FROM settings WHERE key = ? AND value <> ?`, []any{"k1", "x"}, &v); err != nil || v != "v1" {
			t.Fatalf("Get into a string: %q %v", v, err)
		}
		if err := db.Get(ctx, db.DB, one, []any{"missing"}, &v); !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("Get of no row: %v", err)
		}
		var all []preparedRow
		if err := db.All(ctx, db.DB, `SELECT key, value FROM settings WHERE key > ? ORDER BY key`, []any{"k0"}, &all); err != nil || len(all) != 2 || all[1].Key != "k2" {
			t.Fatalf("All: %+v %v", all, err)
		}
		err := db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewRaw(`UPDATE settings SET value = 'changed' WHERE key = 'k1'`).Exec(ctx); err != nil {
				return err
			}
			var r preparedRow
			if err := db.Get(ctx, tx, one, []any{"k1"}, &r); err != nil || r.Value != "changed" {
				return fmt.Errorf("Get in the transaction: %+v %v", r, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var r preparedRow
		if err := db.Get(ctx, db.DB, one, []any{"k1"}, &r); err != nil || r.Value != "changed" {
			t.Fatalf("Get after the commit: %+v %v", r, err)
		}
	})
}
