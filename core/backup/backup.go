// Package backup writes a consistent snapshot of Plaza (every table of the
// database and the blobs it refers to) to a tar.gz stream while the server
// runs, and restores one into an empty data directory or database.
//
// Format: manifest.json; tables/NAME.jsonl with one JSON object a row, in
// store.Tables() order; blobs/HASH with the content of every referenced
// blob. Values keep their type: times and bytes are tagged objects, so a
// restore writes back exactly what was read.
package backup

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/blob"
	"plaza/core/secret"
	"plaza/core/store"
)

// FormatVersion is the version of the backup format.
const FormatVersion = 1

// Manifest describes a backup.
type Manifest struct {
	Format     int       `json:"format"`
	Dialect    string    `json:"dialect"`
	CreatedAt  time.Time `json:"created_at"`
	Migrations []string  `json:"migrations"`
	Tables     []string  `json:"tables"`
	Rows       int64     `json:"rows"`
	Blobs      int64     `json:"blobs"`
}

// Write streams a backup of db and blobs to w. The database is read in one
// read-only transaction, so the backup is consistent while writes go on;
// a lease keeps blob collection from deleting content the snapshot refers
// to while it is copied.
func Write(ctx context.Context, db *store.DB, blobs *blob.Store, w io.Writer) (*Manifest, error) {
	lease := store.BackupLeasePrefix + secret.Token(8)
	if err := store.TakeLease(ctx, db.DB, lease, "backup", time.Now().Add(24*time.Hour)); err != nil {
		return nil, err
	}
	defer store.DropLease(context.WithoutCancel(ctx), db.DB, lease) //nolint:errcheck

	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	snap, err := beginSnapshot(ctx, db.Kind, conn)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer snap.rollback()

	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	m := &Manifest{Format: FormatVersion, Dialect: string(db.Kind), CreatedAt: time.Now().UTC(), Tables: store.Tables()}
	if err := snap.q.NewRaw(`SELECT name FROM bun_migrations ORDER BY name`).Scan(ctx, &m.Migrations); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	for _, t := range m.Tables {
		n, err := dumpTable(ctx, snap.q, tw, t)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t, err)
		}
		m.Rows += n
	}
	var hashes []string
	if err := snap.q.NewRaw(`SELECT hash FROM blobs WHERE refs > 0 ORDER BY hash`).Scan(ctx, &hashes); err != nil {
		return nil, err
	}
	snap.rollback() // the lease protects the blobs from here on
	for _, h := range hashes {
		if err := copyBlob(blobs, tw, h); err != nil {
			return nil, err
		}
		m.Blobs++
	}
	mj, _ := json.MarshalIndent(m, "", "  ")
	if err := writeEntry(tw, "manifest.json", mj); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return m, gz.Close()
}

// snapshot is a read-only transaction on one connection.
type snapshot struct {
	q        bun.IDB
	rollback func()
}

func beginSnapshot(ctx context.Context, kind store.Dialect, conn bun.Conn) (*snapshot, error) {
	if kind == store.Postgres {
		tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
		if err != nil {
			return nil, err
		}
		return &snapshot{q: tx, rollback: func() { tx.Rollback() }}, nil //nolint:errcheck
	}
	// SQLite connections start IMMEDIATE transactions (a write lock): a
	// snapshot needs a plain deferred one, which in WAL mode reads one
	// consistent state from its first read on without blocking writers.
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return nil, err
	}
	var one int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM bun_migrations").Scan(&one); err != nil {
		conn.ExecContext(ctx, "ROLLBACK") //nolint:errcheck
		return nil, err
	}
	done := false
	return &snapshot{q: conn, rollback: func() {
		if !done {
			done = true
			conn.ExecContext(context.Background(), "ROLLBACK") //nolint:errcheck
		}
	}}, nil
}

func writeEntry(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: time.Now()}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

func dumpTable(ctx context.Context, q bun.IDB, tw *tar.Writer, table string) (int64, error) {
	// Ordered by the first column (the id where there is one): parents
	// come before the rows that name them, and two backups of the same
	// data are the same bytes.
	rows, err := q.QueryContext(ctx, "SELECT * FROM "+table+" ORDER BY 1")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	var buf strings.Builder
	var n int64
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, err
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			row[c] = encodeValue(vals[i])
		}
		line, err := json.Marshal(row)
		if err != nil {
			return 0, err
		}
		buf.Write(line)
		buf.WriteByte('\n')
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return n, writeEntry(tw, "tables/"+table+".jsonl", []byte(buf.String()))
}

// tagged carries a value JSON has no type for.
type tagged struct {
	Time  *time.Time `json:"$time,omitempty"`
	Bytes *string    `json:"$bytes,omitempty"`
}

func encodeValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		t := x.UTC()
		return tagged{Time: &t}
	case []byte:
		s := base64.StdEncoding.EncodeToString(x)
		return tagged{Bytes: &s}
	}
	return v
}

func decodeValue(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.Float64()
	case map[string]any:
		if s, ok := x["$time"].(string); ok {
			return time.Parse(time.RFC3339Nano, s)
		}
		if s, ok := x["$bytes"].(string); ok {
			return base64.StdEncoding.DecodeString(s)
		}
		return nil, fmt.Errorf("%w: unknown tagged value", core.ErrInvalid)
	}
	return v, nil
}

func copyBlob(blobs *blob.Store, tw *tar.Writer, hash string) error {
	f, err := blobs.Open(hash)
	if err != nil {
		return fmt.Errorf("blob %s: %w", hash, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "blobs/" + hash, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// Restore reads a backup into db and blobs. The database must be migrated
// to the same schema as the backup and hold no rows. Rows stream into one
// transaction, committed only after the manifest has been checked; every
// blob is checked against its hash.
func Restore(ctx context.Context, db *store.DB, blobs *blob.Store, r io.Reader) (*Manifest, error) {
	if err := requireEmpty(ctx, db); err != nil {
		return nil, err
	}
	var have []string
	if err := db.NewRaw(`SELECT name FROM bun_migrations ORDER BY name`).Scan(ctx, &have); err != nil {
		return nil, err
	}
	gz, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("%w: not a Plaza backup (gzip: %v)", core.ErrInvalid, err)
	}
	var m *Manifest
	err = db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		known := store.Tables()
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("%w: damaged backup: %v", core.ErrInvalid, err)
			}
			switch name := h.Name; {
			case name == "manifest.json":
				m = new(Manifest)
				if err := json.NewDecoder(tr).Decode(m); err != nil {
					return fmt.Errorf("%w: manifest: %v", core.ErrInvalid, err)
				}
			case strings.HasPrefix(name, "tables/") && strings.HasSuffix(name, ".jsonl"):
				table := strings.TrimSuffix(strings.TrimPrefix(name, "tables/"), ".jsonl")
				if !slices.Contains(known, table) {
					return fmt.Errorf("%w: backup has unknown table %q", core.ErrInvalid, table)
				}
				if err := restoreTable(ctx, tx, db.Kind, table, tr); err != nil {
					return fmt.Errorf("restore %s: %w", table, err)
				}
			case strings.HasPrefix(name, "blobs/"):
				want := strings.TrimPrefix(name, "blobs/")
				b, err := blobs.Put(ctx, tr)
				if err != nil {
					return err
				}
				if b.Hash != want {
					return fmt.Errorf("%w: blob %s is damaged (content hashes to %s)", core.ErrInvalid, want, b.Hash)
				}
			default:
				return fmt.Errorf("%w: unexpected entry %q", core.ErrInvalid, name)
			}
		}
		switch {
		case m == nil || m.Format != FormatVersion:
			return fmt.Errorf("%w: missing manifest or unknown backup format", core.ErrInvalid)
		case m.Dialect != string(db.Kind):
			return fmt.Errorf("%w: backup of a %s database cannot be restored into %s", core.ErrInvalid, m.Dialect, db.Kind)
		case !slices.Equal(have, m.Migrations):
			return fmt.Errorf("%w: backup schema %v differs from this database's %v", core.ErrInvalid, m.Migrations, have)
		}
		if db.Kind == store.Postgres {
			return resetSequences(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func restoreTable(ctx context.Context, tx bun.Tx, kind store.Dialect, table string, r io.Reader) error {
	selfRefs, err := selfReferences(ctx, tx, kind, table)
	if err != nil {
		return err
	}
	// A row may name a row of its own table that comes later in the dump
	// (a folder moved under a newer one): such references are inserted
	// empty and set once every row of the table is in.
	type later struct {
		id  any
		col string
		val any
	}
	var pending []later
	restored := map[string]bool{} // ids of this table inserted so far
	dec := json.NewDecoder(r)
	dec.UseNumber()
	for {
		var row map[string]any
		if err := dec.Decode(&row); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("%w: %v", core.ErrInvalid, err)
		}
		id, hasID := row["id"]
		if hasID {
			// Only a reference to a row not restored yet waits: the usual
			// order (parents first) restores with plain inserts, so
			// triggers on the table see no updates.
			for _, col := range selfRefs {
				if v := row[col]; v != nil && !restored[fmt.Sprint(v)] {
					pending = append(pending, later{id, col, v})
					row[col] = nil
				}
			}
		}
		if err := insertRow(ctx, tx, table, row); err != nil {
			return err
		}
		if hasID {
			restored[fmt.Sprint(id)] = true
		}
	}
	for _, p := range pending {
		id, err := decodeValue(p.id)
		if err != nil {
			return err
		}
		v, err := decodeValue(p.val)
		if err != nil {
			return err
		}
		if _, err := tx.NewRaw(fmt.Sprintf("UPDATE %s SET %s = ? WHERE id = ?", table, p.col), v, id).Exec(ctx); err != nil {
			return store.Translate(err)
		}
	}
	return nil
}

// selfReferences lists the nullable columns of table that refer to table
// itself.
func selfReferences(ctx context.Context, tx bun.Tx, kind store.Dialect, table string) ([]string, error) {
	q := `SELECT f."from" FROM pragma_foreign_key_list(?) AS f JOIN pragma_table_info(?) AS c ON c.name = f."from"
		WHERE f."table" = ? AND c."notnull" = 0`
	args := []any{table, table, table}
	if kind == store.Postgres {
		q = `SELECT a.attname FROM pg_constraint c
			JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
			WHERE c.contype = 'f' AND c.conrelid = CAST(? AS regclass) AND c.confrelid = c.conrelid AND NOT a.attnotnull`
		args = []any{table}
	}
	var cols []string
	if err := tx.NewRaw(q, args...).Scan(ctx, &cols); err != nil {
		return nil, fmt.Errorf("foreign keys of %s: %w", table, err)
	}
	for _, c := range cols {
		if !identRE.MatchString(c) {
			return nil, fmt.Errorf("%w: bad column name %q", core.ErrInvalid, c)
		}
	}
	return cols, nil
}

func insertRow(ctx context.Context, tx bun.Tx, table string, row map[string]any) error {
	cols := make([]string, 0, len(row))
	marks := make([]string, 0, len(row))
	args := make([]any, 0, len(row))
	for c, v := range row {
		val, err := decodeValue(v)
		if err != nil {
			return err
		}
		if !identRE.MatchString(c) {
			return fmt.Errorf("%w: bad column name %q", core.ErrInvalid, c)
		}
		cols = append(cols, c)
		marks = append(marks, "?")
		args = append(args, val)
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ", "), strings.Join(marks, ", "))
	_, err := tx.NewRaw(q, args...).Exec(ctx)
	return store.Translate(err)
}

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// resetSequences moves every identity sequence past the restored ids.
func resetSequences(ctx context.Context, tx bun.Tx) error {
	var seqs []struct {
		Table  string `bun:"table_name"`
		Column string `bun:"column_name"`
	}
	err := tx.NewRaw(`SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`).Scan(ctx, &seqs)
	if err != nil {
		return err
	}
	for _, s := range seqs {
		_, err := tx.NewRaw(fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE((SELECT MAX(%s) FROM %s), 0) + 1, false)`,
			s.Table, s.Column, s.Column, s.Table)).Exec(ctx)
		if err != nil {
			return err
		}
	}
	return nil
}

func requireEmpty(ctx context.Context, db *store.DB) error {
	for _, t := range store.Tables() {
		var n int
		if err := db.NewRaw("SELECT COUNT(*) FROM "+t).Scan(ctx, &n); err != nil {
			return fmt.Errorf("table %s: %w", t, err)
		}
		if n > 0 {
			return fmt.Errorf("%w: the database is not empty (table %s has rows); restore needs an empty data directory or database", core.ErrConflict, t)
		}
	}
	return nil
}
