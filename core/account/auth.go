package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/sync/singleflight"

	"plaza/core"
	"plaza/core/secret"
	"plaza/core/store"
)

// appPasswordPrefix marks app passwords, so authentication knows which
// table to look in without running argon2 on every DAV request.
const appPasswordPrefix = "plz-"

// AppPassword is a password for one client (a phone, a desktop sync
// client), revocable on its own.
type AppPassword struct {
	bun.BaseModel `bun:"table:app_passwords"`

	ID         int64      `bun:",pk,autoincrement" json:"id"`
	AccountID  int64      `json:"-"`
	Label      string     `json:"label"`
	TokenHash  string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// CreateAppPassword makes a new app password and returns it in clear:
// the only time it is ever shown.
func (s *Service) CreateAppPassword(ctx context.Context, accountID int64, label string) (string, *AppPassword, error) {
	label = strings.TrimSpace(label)
	if label == "" || len(label) > 100 {
		return "", nil, fmt.Errorf("%w: an app password needs a label of at most 100 bytes", core.ErrInvalid)
	}
	token := appPasswordPrefix + secret.Token(24)
	ap := &AppPassword{AccountID: accountID, Label: label, TokenHash: secret.Digest(token), CreatedAt: s.now().UTC()}
	if _, err := s.db.NewInsert().Model(ap).Exec(ctx); err != nil {
		return "", nil, store.Translate(err)
	}
	return token, ap, nil
}

// AppPasswords lists the app passwords of an account.
func (s *Service) AppPasswords(ctx context.Context, accountID int64) ([]AppPassword, error) {
	var aps []AppPassword
	err := s.db.NewSelect().Model(&aps).Where("account_id = ?", accountID).Order("id").Scan(ctx)
	return aps, store.Translate(err)
}

// RevokeAppPassword deletes one app password of an account.
func (s *Service) RevokeAppPassword(ctx context.Context, accountID, id int64) error {
	res, err := s.db.NewDelete().Model((*AppPassword)(nil)).
		Where("id = ? AND account_id = ?", id, accountID).Exec(ctx)
	return expectOne(res, err, "app password")
}

// dummyHash is verified against when the login is unknown, so an unknown
// login costs the same time as a wrong password. It is made on first use:
// a hash costs its full memory (19 MiB), which a process that never meets
// an unknown login (a command, a DAV server whose users all exist) should
// not pay for.
var dummyHash = sync.OnceValue(func() string { return secret.HashPassword("plaza-timing-equaliser") })

// Authenticate checks a login and a password or app password and returns
// the subject: HTTP Basic on DAV and the API. An account with a second
// factor on is let in by its app passwords only. Any failure is
// ErrUnauthenticated, with no hint of which part was wrong.
func (s *Service) Authenticate(ctx context.Context, login, password string) (core.Subject, error) {
	return s.authenticate(ctx, login, password, false)
}

// authenticate is Authenticate; web leaves the second factor to SignIn.
func (s *Service) authenticate(ctx context.Context, login, password string, web bool) (core.Subject, error) {
	fail := fmt.Errorf("%w: wrong login or password", core.ErrUnauthenticated)
	if !loginRE.MatchString(login) {
		// No account can have it (a NUL byte, say): fail like an unknown
		// login, without asking the database.
		secret.CheckPassword(dummyHash(), password)
		return core.Subject{}, fail
	}
	a, totp, err := s.credentials(ctx, login)
	if errors.Is(err, core.ErrNotFound) {
		secret.CheckPassword(dummyHash(), password)
		return core.Subject{}, fail
	}
	if err != nil {
		return core.Subject{}, err
	}
	if strings.HasPrefix(password, appPasswordPrefix) {
		ok, err := s.checkAppPassword(ctx, a.ID, password)
		if err != nil {
			return core.Subject{}, err
		}
		if ok && !a.Disabled {
			return a.Subject(), nil
		}
		return core.Subject{}, fail
	}
	if !s.verify.check(a.PasswordHash, login, password) {
		return core.Subject{}, fail
	}
	if a.Disabled {
		return core.Subject{}, fail
	}
	if !web {
		if totp {
			return core.Subject{}, fail
		}
	}
	return a.Subject(), nil
}

// credentials reads what authentication needs of the account with
// login, and whether its second factor is on, in one prepared statement
// (every DAV and API request runs it).
func (s *Service) credentials(ctx context.Context, login string) (*Account, bool, error) {
	a := new(Account)
	var totp bool
	err := s.db.Get(ctx, s.db.DB, `SELECT a.id, a.login, a.type, a.password_hash, a.disabled,
		EXISTS (SELECT 1 FROM account_totp t WHERE t.account_id = a.id AND t.confirmed_at IS NOT NULL)
		FROM accounts a WHERE a.login = ?`, []any{login}, &a.ID, &a.Login, &a.Type, &a.PasswordHash, &a.Disabled, &totp)
	if err != nil {
		return nil, false, fmt.Errorf("account %q: %w", login, store.Translate(err))
	}
	return a, totp, nil
}

func (s *Service) checkAppPassword(ctx context.Context, accountID int64, token string) (bool, error) {
	ap := new(AppPassword)
	err := s.db.NewSelect().Model(ap).Where("account_id = ? AND token_hash = ?", accountID, secret.Digest(token)).Scan(ctx)
	if err = store.Translate(err); errors.Is(err, core.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	// Record use at most hourly: DAV clients authenticate on every request.
	now := s.now().UTC()
	if ap.LastUsedAt == nil || now.Sub(*ap.LastUsedAt) > time.Hour {
		_, err = s.db.NewUpdate().Model(ap).Set("last_used_at = ?", now).WherePK().Exec(ctx)
	}
	return true, store.Translate(err)
}

// verifyCache remembers, for a few minutes, credentials that verified,
// so a DAV client sending Basic credentials on every request does not cost
// an argon2 hash each time. Entries are keyed by an HMAC (with a key that
// lives only in this process) of the login, the password and the stored
// hash: a password change misses the cache at once.
//
// Concurrent checks of the same credentials (a sync client opening many
// connections at once, each sending its first request) share one hash:
// argon2 costs 19 MiB and tens of milliseconds each, so 32 connections
// each hashing would cost 600 MiB and a second of CPU.
type verifyCache struct {
	mu      sync.Mutex
	key     []byte
	entries map[[32]byte]time.Time
	now     func() time.Time
	flight  singleflight.Group
	hashes  atomic.Int64 // passwords hashed to check them
}

const (
	verifyTTL     = 5 * time.Minute
	verifyMaxSize = 10000
)

func newVerifyCache(now func() time.Time) *verifyCache {
	key := make([]byte, 32)
	rand.Read(key)
	return &verifyCache{key: key, entries: map[[32]byte]time.Time{}, now: now}
}

func (c *verifyCache) check(hash, login, password string) bool {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(hash + "\x00" + login + "\x00" + password))
	var k [32]byte
	copy(k[:], m.Sum(nil))
	now := c.now()
	c.mu.Lock()
	exp, ok := c.entries[k]
	c.mu.Unlock()
	if ok && now.Before(exp) {
		return true
	}
	v, _, _ := c.flight.Do(string(k[:]), func() (any, error) {
		c.mu.Lock()
		exp, ok := c.entries[k]
		c.mu.Unlock()
		if ok && now.Before(exp) {
			// A check that ended just before this one began.
			return true, nil
		}
		c.hashes.Add(1)
		if !secret.CheckPassword(hash, password) {
			return false, nil
		}
		c.mu.Lock()
		if len(c.entries) >= verifyMaxSize {
			clear(c.entries)
		}
		c.entries[k] = now.Add(verifyTTL)
		c.mu.Unlock()
		return true, nil
	})
	return v.(bool)
}

// PasswordHashes counts the passwords this process hashed to check a
// login (credentials found in the cache of verified ones cost none): the
// metric plaza_password_hashes_total.
func (s *Service) PasswordHashes() int64 { return s.verify.hashes.Load() }
