// Package store opens Plaza's database (embedded SQLite or PostgreSQL),
// migrates it and translates driver errors into core sentinels once.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/migrate"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"plaza/core"
)

// Dialect names a supported database.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the database handle shared by every core service.
type DB struct {
	*bun.DB
	Kind Dialect

	prep prepared // statements of Get and Query
}

// Options select the database. With URL empty, SQLite in DataDir is used.
type Options struct {
	DataDir string
	URL     string
	Logger  *slog.Logger
}

// Open opens the database without migrating it.
func Open(ctx context.Context, o Options) (*DB, error) {
	if o.URL != "" {
		u, err := url.Parse(o.URL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, fmt.Errorf("database URL must be postgres://…")
		}
		cfg, err := pgx.ParseConfig(o.URL)
		if err != nil {
			return nil, fmt.Errorf("invalid PostgreSQL URL: %w", err)
		}
		sqldb := stdlib.OpenDB(*cfg)
		// Bounded, so a burst (a thousand chat clients leaving at once)
		// queues in the pool instead of exhausting the server's
		// max_connections (100 by default), shared by every process.
		sqldb.SetMaxOpenConns(20)
		sqldb.SetMaxIdleConns(10)
		db := &DB{DB: bun.NewDB(sqldb, pgdialect.New()), Kind: Postgres}
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		return db, nil
	}
	if err := os.MkdirAll(o.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(o.DataDir, "plaza.db")
	// The same pragmas on every connection: foreign keys enforced, writers
	// wait for each other instead of failing, WAL so readers never block,
	// synchronous=FULL so a committed transaction survives a power cut, and
	// IMMEDIATE transactions so two writers cannot deadlock on upgrade.
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(15000)" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// Connections are kept once opened: a new one reads and parses the
	// whole schema on its first statement, and starts with an empty page
	// cache, which costs a PROPFIND of a large folder as much again as
	// its query (database/sql keeps only two idle by default, so a burst
	// of requests left the next ones opening connections).
	sqldb.SetMaxOpenConns(sqliteConns)
	sqldb.SetMaxIdleConns(sqliteConns)
	db := &DB{DB: bun.NewDB(sqldb, sqlitedialect.New()), Kind: SQLite}
	if err := db.warm(ctx, sqliteWarmConns); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

const (
	sqliteConns     = 8 // open at most
	sqliteWarmConns = 3 // opened at start: a large listing reads on two at once, besides its request's
)

// warm opens n connections at once and has each load the schema, so
// that the first requests do not.
func (db *DB) warm(ctx context.Context, n int) error {
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := db.DB.DB.Conn(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
		var tables int
		if err := c.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
			return err
		}
	}
	return nil
}

// MigrationLockWait bounds how long Migrate waits for another process
// (a second `plaza serve` started at the same moment, or a command run
// beside it) to finish migrating.
const MigrationLockWait = 60 * time.Second

// migrationLockKey is the PostgreSQL advisory lock Plaza migrates under
// (the ASCII of "plazamig").
const migrationLockKey int64 = 0x706c617a616d6967

// Migrate applies every pending migration of ms. It refuses a database
// that has migrations this binary does not know (a newer Plaza ran on it).
// Processes migrating at once take turns: each waits up to
// MigrationLockWait for the one ahead, then finds nothing left to do.
func (db *DB) Migrate(ctx context.Context, ms *migrate.Migrations, log *slog.Logger) error {
	m := migrate.NewMigrator(db.DB, ms, migrate.WithMarkAppliedOnSuccess(true))
	unlock, err := db.migrationLock(ctx, m)
	if err != nil {
		return err
	}
	defer unlock()
	applied, err := m.AppliedMigrations(ctx)
	if err != nil {
		return err
	}
	known := ms.Sorted()
	for _, a := range applied {
		if !slices.ContainsFunc(known, func(k migrate.Migration) bool { return k.Name == a.Name }) {
			return fmt.Errorf("database schema %s_%s is newer than this binary; upgrade Plaza", a.Name, a.Comment)
		}
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !group.IsZero() && log != nil {
		log.Info("database migrated", "dialect", db.Kind, "to", group.Migrations[len(group.Migrations)-1].Name)
	}
	return nil
}

// migrationLock waits for the right to migrate and initialises bun's
// migration tables. On PostgreSQL it is a session advisory lock, taken
// before the tables are created (two processes creating them at once
// collide) and released by the server if its holder dies, so a killed
// process never leaves the database locked. SQLite has no such lock: the
// tables are created under SQLite's own file lock, and bun's lock row is
// retried.
func (db *DB) migrationLock(ctx context.Context, m *migrate.Migrator) (func(), error) {
	wait, cancel := context.WithTimeout(ctx, MigrationLockWait)
	defer cancel()
	busy := func(err error) error {
		if wait.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("migration lock: another process has been migrating for %s", MigrationLockWait)
		}
		return fmt.Errorf("migration lock: %w", err)
	}
	if db.Kind == Postgres {
		conn, err := db.DB.DB.Conn(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := conn.ExecContext(wait, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
			conn.Close()
			return nil, busy(err)
		}
		unlock := func() {
			conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey) //nolint:errcheck
			conn.Close()
		}
		if err := m.Init(ctx); err != nil {
			unlock()
			return nil, fmt.Errorf("migrations table: %w", err)
		}
		return unlock, nil
	}
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("migrations table: %w", err)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := m.Lock(wait)
		if err == nil {
			return func() { m.Unlock(context.WithoutCancel(ctx)) }, nil //nolint:errcheck
		}
		select {
		case <-wait.Done():
			return nil, busy(err)
		case <-tick.C:
		}
	}
}

// Tx runs fn in a transaction and commits when it returns nil.
func (db *DB) Tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return Translate(db.RunInTx(ctx, nil, fn))
}

// Translate maps driver errors to core sentinels; other errors pass through.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w", core.ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: already exists", core.ErrConflict)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: refers to something that does not exist", core.ErrInvalid)
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return fmt.Errorf("%w: value out of range", core.ErrInvalid)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return fmt.Errorf("%w: already exists", core.ErrConflict)
		case "23503":
			return fmt.Errorf("%w: refers to something that does not exist", core.ErrInvalid)
		case "23514", "23502", "22001", "22003":
			return fmt.Errorf("%w: value out of range", core.ErrInvalid)
		}
	}
	return err
}

// Tables lists every table of the schema, parents before children: the
// order a restore inserts them in. A test checks it against the database.
func Tables() []string {
	return []string{
		"accounts", "app_passwords", "sessions",
		"spaces", "space_members", "space_modules",
		"user_groups", "user_group_members",
		"containers", "grants",
		"blobs", "leases",
		"file_roots", "file_nodes", "file_versions", "file_props", "file_locks", "file_comments", "file_tags",
		"dav_collections", "dav_objects", "dav_members", "dav_changes", "calendar_feeds", "event_comments",
		"task_statuses", "tasks", "task_assignees", "task_tags", "task_comments", "login_failures",
		"settings", "task_attachments", "dashboard_widgets",
		"chat_conversations", "chat_participants", "chat_messages", "chat_attachments", "chat_presence",
		"ap_actors", "forum_categories", "forum_topics", "forum_posts", "forum_attachments", "forum_subscriptions", "forum_reads", "news_articles", "news_comments", "polls", "poll_options", "poll_ballots", "poll_votes", "ap_keys", "ap_follows", "ap_deliveries", "ap_seen", "ap_blocks",
		"mail_queue", "notify_prefs", "notify_digest", "invitations", "newsletters", "newsletter_attachments", "event_proposals", "notify_cursors", "notify_task_state", "follows", "notifications",
		"activity_events", "activity_feeds", "wiki_pages", "wiki_versions", "wiki_tags", "wiki_comments", "links", "link_tags", "link_attachments",
		"password_resets", "account_totp", "totp_recovery_codes", "login_challenges",
		"share_links", "space_module_roles",
	}
}

// IsInternalTable reports tables owned by the migration tool, and the
// search index (search_*: its queue, documents and SQLite's FTS5 tables),
// which is derived from content: a restore leaves it out and the triggers
// on the content tables queue every restored row for indexing again.
func IsInternalTable(name string) bool {
	return strings.HasPrefix(name, "bun_migration") || strings.HasPrefix(name, "search_")
}
