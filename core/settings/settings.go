// Package settings keeps platform-wide settings and secrets in the
// database, so every server process shares them.
package settings

import (
	"context"
	"errors"

	"plaza/core"
	"plaza/core/secret"
	"plaza/core/store"
)

// Store reads and writes settings.
type Store struct{ db *store.DB }

// New returns the settings store.
func New(db *store.DB) *Store { return &Store{db: db} }

// Get returns a setting, or def when it is unset.
func (s *Store) Get(ctx context.Context, key, def string) (string, error) {
	var v string
	err := store.Translate(s.db.NewRaw(`SELECT value FROM settings WHERE key = ?`, key).Scan(ctx, &v))
	if errors.Is(err, core.ErrNotFound) {
		return def, nil
	}
	return v, err
}

// Set writes a setting.
func (s *Store) Set(ctx context.Context, key, value string) error {
	_, err := s.db.NewRaw(`INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, key, value).Exec(ctx)
	return store.Translate(err)
}

// Secret returns the named random secret, made on first use. Processes
// racing to make it agree: the first insert wins and all read it back.
func (s *Store) Secret(ctx context.Context, name string) (string, error) {
	key := "secret." + name
	if _, err := s.db.NewRaw(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
		key, secret.Token(32)).Exec(ctx); err != nil {
		return "", store.Translate(err)
	}
	return s.Get(ctx, key, "")
}
