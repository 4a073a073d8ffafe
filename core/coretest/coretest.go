// Package coretest gives tests a real, freshly migrated database: SQLite in
// a temporary directory always, and PostgreSQL too when
// PLAZA_TEST_DATABASE_URL names a server (make test arranges one). Each
// test gets its own database, so tests never see each other's rows.
package coretest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"plaza/core/store"
	"plaza/migrations"
)

// EnvDatabaseURL names the PostgreSQL server tests use.
const EnvDatabaseURL = "PLAZA_TEST_DATABASE_URL"

// Dialects returns the databases the suite runs on.
func Dialects() []store.Dialect {
	if os.Getenv(EnvDatabaseURL) != "" {
		return []store.Dialect{store.SQLite, store.Postgres}
	}
	return []store.Dialect{store.SQLite}
}

// EachDB runs f as a subtest on every database under test.
func EachDB(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) { f(t, OpenDB(t, d)) })
	}
}

// Logger routes logs to t.Logf while the test runs. A goroutine that
// outlives its test (a background writer finishing late) must not make
// testing panic, so once the test's cleanup has run, logs go to stderr.
func Logger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return os.Stderr.Write(p)
	}
	w.t.Logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// OpenDB returns a fresh migrated database of dialect d, closed (and for
// PostgreSQL dropped) when the test ends.
func OpenDB(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	ctx := context.Background()
	var o store.Options
	switch d {
	case store.SQLite:
		o.DataDir = t.TempDir()
	case store.Postgres:
		o.URL = freshPostgres(t)
	}
	db, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	if d == store.SQLite {
		Migrate(t, db)
	}
	return db
}

// Migrate applies every migration to db.
func Migrate(t testing.TB, db *store.DB) {
	t.Helper()
	ms, err := migrations.For(string(db.Kind))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(context.Background(), ms, nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

var template struct {
	once sync.Once
	name string
	err  error
}

// FreshPostgresURL returns the URL of a new, empty, unmigrated PostgreSQL
// database, dropped when the test ends.
func FreshPostgresURL(t testing.TB) string {
	return newDatabase(t, "template0")
}

// freshPostgres returns the URL of a new migrated database: a copy of a
// template migrated once per test binary.
func freshPostgres(t testing.TB) string {
	template.once.Do(func() {
		template.name, template.err = makeTemplate()
	})
	if template.err != nil {
		t.Fatalf("PostgreSQL template: %v", template.err)
	}
	return newDatabase(t, template.name)
}

func serverURL() (*url.URL, error) {
	raw := os.Getenv(EnvDatabaseURL)
	if raw == "" {
		return nil, fmt.Errorf("%s is not set", EnvDatabaseURL)
	}
	return url.Parse(raw)
}

func withDB(u *url.URL, name string) string {
	c := *u
	c.Path = "/" + name
	return c.String()
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func makeTemplate() (string, error) {
	u, err := serverURL()
	if err != nil {
		return "", err
	}
	ctx := context.Background()
	admin, err := store.Open(ctx, store.Options{URL: u.String()})
	if err != nil {
		return "", err
	}
	defer admin.Close()
	name := randomName("plaza_tpl_")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		return "", err
	}
	db, err := store.Open(ctx, store.Options{URL: withDB(u, name)})
	if err != nil {
		return "", err
	}
	defer db.Close()
	ms, err := migrations.For(string(store.Postgres))
	if err != nil {
		return "", err
	}
	return name, db.Migrate(ctx, ms, nil)
}

func newDatabase(t testing.TB, tpl string) string {
	t.Helper()
	u, err := serverURL()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err := store.Open(ctx, store.Options{URL: u.String()})
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	defer admin.Close()
	name := randomName("plaza_t_")
	// The template may still show a connection that is closing (ours, or
	// a parallel test's copy): PostgreSQL then refuses with 55006
	// (object in use) for a moment. Try again briefly.
	for attempt := 0; ; attempt++ {
		_, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tpl+" STRATEGY FILE_COPY")
		if err == nil {
			break
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "55006" || attempt == 50 {
			t.Fatalf("create database: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() {
		admin, err := store.Open(ctx, store.Options{URL: u.String()})
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") //nolint:errcheck
	})
	return withDB(u, name)
}
