package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/mail"
	"plaza/core/secret"
	"plaza/core/store"
)

// ErrWrongPassword is a change of password whose current password is
// wrong. It counts as a failed login against the account.
var ErrWrongPassword = fmt.Errorf("%w: the current password is wrong", core.ErrInvalid)

// IsAppPassword reports whether a credential is an app password (rather
// than an account's own password). App passwords may not manage
// credentials: a phone's password cannot make itself a new one.
func IsAppPassword(password string) bool { return strings.HasPrefix(password, appPasswordPrefix) }

// ChangePassword replaces the password of an account after checking its
// current one. Wrong current passwords count against the account's login
// throttle, so a borrowed session cannot guess it.
func (s *Service) ChangePassword(ctx context.Context, id int64, current, next string) error {
	a, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	key := "login:" + a.Login
	if err := s.CheckThrottle(ctx, key); err != nil {
		return err
	}
	if !secret.CheckPassword(a.PasswordHash, current) {
		if err := s.RecordFailure(ctx, key); err != nil {
			return err
		}
		return ErrWrongPassword
	}
	return s.SetPassword(ctx, id, next)
}

// Password reset by mail.
const (
	// ResetValidity is how long a reset link works.
	ResetValidity = time.Hour
	// MaxResetsPerHour bounds the links sent for one account in an hour;
	// requests past it are answered the same but send nothing.
	MaxResetsPerHour = 3
)

// ErrResetInvalid is a reset link that is unknown, used or expired.
var ErrResetInvalid = fmt.Errorf("%w: this password link is unknown, used or expired", core.ErrNotFound)

type passwordReset struct {
	bun.BaseModel `bun:"table:password_resets"`

	ID        int64 `bun:",pk,autoincrement"`
	AccountID int64
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// ResetOptions are what password resets need to send their mail.
type ResetOptions struct {
	Queue     *mail.Queue
	Templates *mail.Templates
	BaseURL   string // links are BaseURL/password/reset/TOKEN
	// Platform returns the platform's name for mails; nil: "Plaza".
	Platform func(ctx context.Context) string
}

// Resets sends single-use password links by mail and uses them.
type Resets struct {
	s *Service
	o ResetOptions
}

// NewResets returns the password reset service over accounts.
func NewResets(s *Service, o ResetOptions) *Resets {
	if o.Platform == nil {
		o.Platform = func(context.Context) string { return "Plaza" }
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	return &Resets{s: s, o: o}
}

// Link is the address a reset mail carries.
func (r *Resets) Link(token string) string { return r.o.BaseURL + "/password/reset/" + token }

// Request queues a reset link for the enabled account with that address,
// if there is one. Its answer never tells whether there was: it fails
// only when the database does, or with ErrThrottled when clientKey (the
// requester's address) asked too often. It returns the token when a
// link was made (for tests; callers must not show it).
func (r *Resets) Request(ctx context.Context, email, clientKey string) (string, error) {
	s := r.s
	key := "reset:" + clientKey
	if err := s.CheckThrottle(ctx, key); err != nil {
		return "", err
	}
	if err := s.RecordFailure(ctx, key); err != nil {
		return "", err
	}
	email = strings.TrimSpace(email)
	if email == "" || len(email) > 320 {
		return "", nil
	}
	var accs []Account
	err := s.db.NewSelect().Model(&accs).Where("LOWER(email) = LOWER(?) AND NOT disabled", email).Order("id").Scan(ctx)
	if err != nil {
		return "", store.Translate(err)
	}
	if len(accs) != 1 {
		// None, or an address several accounts share: which one would
		// it be? Nothing is sent.
		return "", nil
	}
	a := accs[0]
	now := s.now().UTC()
	token := secret.Token(24)
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*passwordReset)(nil)).
			Where("account_id = ? AND created_at > ?", a.ID, now.Add(-time.Hour)).Count(ctx)
		if err != nil || n >= MaxResetsPerHour {
			token = ""
			return err
		}
		row := &passwordReset{AccountID: a.ID, TokenHash: secret.Digest(token), CreatedAt: now, ExpiresAt: now.Add(ResetValidity)}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		subj, body, err := r.o.Templates.Render(a.Language, "reset", map[string]any{
			"Name": a.Name, "Login": a.Login, "Platform": r.o.Platform(ctx), "Link": r.Link(token),
			"Expires": row.ExpiresAt.Format("2006-01-02 15:04 MST")})
		if err != nil {
			return err
		}
		return r.o.Queue.Enqueue(ctx, tx, mail.Message{To: a.Email, Subject: subj, Text: body})
	})
	if err != nil {
		return "", store.Translate(err)
	}
	return token, nil
}

// Lookup returns the account a live reset link is for.
func (r *Resets) Lookup(ctx context.Context, token string) (*Account, error) {
	row := new(passwordReset)
	err := r.s.db.NewSelect().Model(row).Where("token_hash = ?", secret.Digest(token)).Scan(ctx)
	if err = store.Translate(err); errors.Is(err, core.ErrNotFound) {
		return nil, ErrResetInvalid
	} else if err != nil {
		return nil, err
	}
	if row.UsedAt != nil || !r.s.now().Before(row.ExpiresAt) {
		return nil, ErrResetInvalid
	}
	a, err := r.s.Get(ctx, row.AccountID)
	if err != nil {
		return nil, err
	}
	if a.Disabled {
		return nil, ErrResetInvalid
	}
	return a, nil
}

// Complete uses a reset link: it sets the new password, spends every
// link of the account and ends its web sessions (whoever held the old
// password is signed out).
func (r *Resets) Complete(ctx context.Context, token, password string) (*Account, error) {
	if err := CheckPasswordRules(password); err != nil {
		return nil, err
	}
	a, err := r.Lookup(ctx, token)
	if err != nil {
		return nil, err
	}
	now := r.s.now().UTC()
	err = r.s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Claim the link first: of two uses racing, one wins.
		res, err := tx.NewUpdate().Model((*passwordReset)(nil)).Set("used_at = ?", now).
			Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", secret.Digest(token), now).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrResetInvalid
		}
		if _, err := tx.NewUpdate().Model((*passwordReset)(nil)).Set("used_at = ?", now).
			Where("account_id = ? AND used_at IS NULL", a.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*Account)(nil)).Set("password_hash = ?", secret.HashPassword(password)).
			Set("updated_at = ?", now).Where("id = ?", a.ID).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.NewDelete().Model((*session)(nil)).Where("account_id = ?", a.ID).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	// The old password's failures no longer matter.
	return a, r.s.ClearFailures(ctx, "login:"+a.Login)
}

// PurgeResets deletes reset links past their validity.
func (s *Service) PurgeResets(ctx context.Context) error {
	_, err := s.db.NewDelete().Model((*passwordReset)(nil)).Where("expires_at <= ?", s.now().UTC().Add(-24*time.Hour)).Exec(ctx)
	if err != nil {
		return store.Translate(err)
	}
	_, err = s.db.NewDelete().Model((*challenge)(nil)).Where("expires_at <= ?", s.now().UTC()).Exec(ctx)
	return store.Translate(err)
}
