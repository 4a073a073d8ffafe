package store

import (
	"context"
	"database/sql"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Prepared statements for the hot paths.
//
// bun writes every query as text with its arguments inside, so the
// database parses and plans each one anew: on SQLite that parsing was
// about half of the CPU of a small DAV GET. Get instead keeps one
// prepared statement per SQL text (written with ? placeholders, turned
// into $1, $2… on PostgreSQL) for the life of the process, and
// database/sql prepares it once on each connection it runs on. Nothing is
// cached but the statement: every call reads the database, so a change
// by any process is seen by the next request of every process.

// maxPrepared bounds the statements kept: texts that vary without end
// (an IN list of any length) run unprepared past it.
const maxPrepared = 512

type prepared struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// stmt returns the statement for query, preparing it on first use; nil
// when the cache is full (the caller runs query as it is).
func (db *DB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	db.prep.mu.Lock()
	s, ok := db.prep.m[query]
	full := len(db.prep.m) >= maxPrepared
	db.prep.mu.Unlock()
	if ok || full {
		return s, nil
	}
	s, err := db.DB.DB.PrepareContext(ctx, db.rebind(query))
	if err != nil {
		return nil, err
	}
	db.prep.mu.Lock()
	defer db.prep.mu.Unlock()
	if old, ok := db.prep.m[query]; ok {
		// Another request prepared it meanwhile.
		s.Close()
		return old, nil
	}
	if db.prep.m == nil {
		db.prep.m = map[string]*sql.Stmt{}
	}
	db.prep.m[query] = s
	return s, nil
}

// rebind numbers the ? placeholders of query for PostgreSQL. Queries
// given to Get hold no ? in literals or identifiers.
func (db *DB) rebind(query string) string {
	if db.Kind != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Get runs query, a fixed SQL text with ? placeholders, as a reused
// prepared statement on idb (the database, or a transaction of it) and
// scans its first row into dest: a bun model (columns matched to fields
// by name, as bun's own Scan does) or one pointer per column. It returns
// sql.ErrNoRows when there is no row; callers Translate it.
func (db *DB) Get(ctx context.Context, idb bun.IDB, query string, args []any, dest ...any) error {
	rows, err := db.Query(ctx, idb, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if len(dest) == 1 && isModel(dest[0]) {
		err = db.ScanRow(ctx, rows, dest[0])
	} else {
		err = rows.Scan(dest...)
	}
	if err != nil {
		return err
	}
	// Read to the end: SQLite may report an error after the first row.
	for rows.Next() {
	}
	return rows.Err()
}

// All runs query as Get does and scans every row into dest, a pointer
// to a slice of bun models; no row leaves it empty (no error).
func (db *DB) All(ctx context.Context, idb bun.IDB, query string, args []any, dest any) error {
	rows, err := db.Query(ctx, idb, query, args...)
	if err != nil {
		return err
	}
	return db.ScanRows(ctx, rows, dest)
}

// Query runs query as Get does and returns its rows, which the caller
// closes.
func (db *DB) Query(ctx context.Context, idb bun.IDB, query string, args ...any) (*sql.Rows, error) {
	s, err := db.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return db.DB.DB.QueryContext(ctx, db.rebind(query), args...)
	}
	switch tx := idb.(type) {
	case bun.Tx:
		// Prepared once on the transaction's connection too, and reused
		// there by later transactions.
		return tx.Tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	case *bun.Tx:
		return tx.Tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return s.QueryContext(ctx, args...)
}

// Param stands for a placeholder when a query for Get is built with
// bun: db.NewSelect().Model(m).Where("id = ?", store.Param).String()
// gives the text with a ? where the argument goes.
var Param = bun.Safe("?")

var timeType = reflect.TypeOf(time.Time{})

// isModel reports whether v points to a struct bun maps by column names.
func isModel(v any) bool {
	t := reflect.TypeOf(v)
	return t != nil && t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && t.Elem() != timeType
}
