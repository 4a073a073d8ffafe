package account

import (
	"context"
	"fmt"
	"time"

	"plaza/core"
	"plaza/core/store"
)

// Login throttling: after MaxLoginFailures failed logins for one key (a
// login name, or a client address) within LoginWindow, further attempts
// for that key are refused until the window ends. Counters live in the
// database, so every process behind a load balancer counts together.
const (
	MaxLoginFailures = 10
	LoginWindow      = 15 * time.Minute
)

// ErrThrottled is returned while a key is locked out.
var ErrThrottled = fmt.Errorf("%w: too many failed logins, try again later", core.ErrForbidden)

// CheckThrottle returns ErrThrottled when any key has too many recent
// failures.
func (s *Service) CheckThrottle(ctx context.Context, keys ...string) error {
	since := s.now().Add(-LoginWindow).UTC()
	for _, k := range keys {
		var n int
		err := s.db.NewRaw(`SELECT COALESCE(MAX(failures), 0) FROM login_failures WHERE key = ? AND window_start > ?`,
			k, since).Scan(ctx, &n)
		if err != nil {
			return store.Translate(err)
		}
		if n >= MaxLoginFailures {
			return ErrThrottled
		}
	}
	return nil
}

// RecordFailure counts one failed login against each key.
func (s *Service) RecordFailure(ctx context.Context, keys ...string) error {
	now := s.now().UTC()
	for _, k := range keys {
		_, err := s.db.NewRaw(`INSERT INTO login_failures (key, failures, window_start) VALUES (?, 1, ?)
			ON CONFLICT (key) DO UPDATE SET
				failures = CASE WHEN login_failures.window_start > ? THEN login_failures.failures + 1 ELSE 1 END,
				window_start = CASE WHEN login_failures.window_start > ? THEN login_failures.window_start ELSE EXCLUDED.window_start END`,
			k, now, now.Add(-LoginWindow), now.Add(-LoginWindow)).Exec(ctx)
		if err != nil {
			return store.Translate(err)
		}
	}
	return nil
}

// ClearFailures forgets the failures of keys (after a good login).
func (s *Service) ClearFailures(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if _, err := s.db.NewRaw(`DELETE FROM login_failures WHERE key = ?`, k).Exec(ctx); err != nil {
			return store.Translate(err)
		}
	}
	return nil
}
