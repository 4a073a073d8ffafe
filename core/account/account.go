// Package account manages accounts, groups, app passwords and web
// sessions, and authenticates subjects.
package account

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/secret"
	"plaza/core/store"
)

// Account is a person (or guest) known to the platform.
type Account struct {
	bun.BaseModel `bun:"table:accounts"`

	ID           int64            `bun:",pk,autoincrement" json:"id"`
	Login        string           `json:"login"`
	Email        string           `json:"email"`
	Name         string           `json:"name"`
	Type         core.AccountType `json:"type"`
	PasswordHash string           `json:"-"`
	Disabled     bool             `json:"disabled"`
	Language     string           `json:"language"`
	Timezone     string           `json:"timezone"`
	DateFormat   string           `json:"date_format"`
	// PersonalCalendar is false when the person turned their calendar off.
	PersonalCalendar bool      `json:"personal_calendar"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// Subject is the account acting.
func (a *Account) Subject() core.Subject {
	return core.Subject{AccountID: a.ID, Login: a.Login, Type: a.Type}
}

// Service manages accounts.
type Service struct {
	db     *store.DB
	now    func() time.Time
	verify *verifyCache
	// byLogin is the text of ByLogin's prepared statement.
	byLogin func() string
}

// New returns the account service. now may be nil (time.Now).
func New(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{db: db, now: now, verify: newVerifyCache(now)}
	s.byLogin = sync.OnceValue(func() string {
		return db.NewSelect().Model((*Account)(nil)).Where("login = ?", store.Param).String()
	})
	return s
}

var loginRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Password length bounds, in characters.
const (
	MinPassword = 8
	MaxPassword = 64
)

// CheckPasswordRules returns ErrInvalid with a reason when password may
// not be used.
func CheckPasswordRules(password string) error {
	n := utf8.RuneCountInString(password)
	if !utf8.ValidString(password) || n < MinPassword || n > MaxPassword {
		return fmt.Errorf("%w: password must be %d to %d characters", core.ErrInvalid, MinPassword, MaxPassword)
	}
	return nil
}

// NewAccount describes an account to create.
type NewAccount struct {
	Login    string
	Email    string
	Name     string
	Type     core.AccountType
	Password string
}

func (n NewAccount) validate() error {
	if !loginRE.MatchString(n.Login) {
		return fmt.Errorf("%w: login must be 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", core.ErrInvalid)
	}
	if n.Email != "" {
		if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != n.Email {
			return fmt.Errorf("%w: email %q is not an address", core.ErrInvalid, n.Email)
		}
	}
	if utf8.RuneCountInString(n.Name) > 200 || strings.ContainsAny(n.Name, "\x00\r\n") {
		return fmt.Errorf("%w: name too long or with control characters", core.ErrInvalid)
	}
	if !n.Type.Valid() {
		return fmt.Errorf("%w: unknown account type %q", core.ErrInvalid, n.Type)
	}
	return CheckPasswordRules(n.Password)
}

var errOwnerExists = fmt.Errorf("%w: the platform has an owner already", core.ErrConflict)

// Create adds an account. The first account of the platform is always its
// owner; a guest cannot be the first.
func (s *Service) Create(ctx context.Context, n NewAccount) (*Account, error) {
	if n.Type == "" {
		n.Type = core.User
	}
	if err := n.validate(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	a := &Account{Login: n.Login, Email: n.Email, Name: n.Name, Type: n.Type,
		PasswordHash: secret.HashPassword(n.Password), Language: "en", Timezone: "UTC",
		DateFormat: "iso", PersonalCalendar: true, CreatedAt: now, UpdatedAt: now}
	if a.Name == "" {
		a.Name = a.Login
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		count, err := tx.NewSelect().Model((*Account)(nil)).Count(ctx)
		if err != nil {
			return err
		}
		if count == 0 {
			if a.Type == core.Guest {
				return fmt.Errorf("%w: the first account is the owner and cannot be a guest", core.ErrInvalid)
			}
			a.Type = core.Owner
		} else if a.Type == core.Owner {
			return errOwnerExists
		}
		_, err = tx.NewInsert().Model(a).Exec(ctx)
		return err
	})
	if errors.Is(err, core.ErrConflict) && !errors.Is(err, errOwnerExists) {
		return nil, fmt.Errorf("%w: login %q is taken", core.ErrConflict, n.Login)
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Count returns the number of accounts.
func (s *Service) Count(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Model((*Account)(nil)).Count(ctx)
	return int(n), store.Translate(err)
}

// Get returns the account with id.
func (s *Service) Get(ctx context.Context, id int64) (*Account, error) {
	a := new(Account)
	err := s.db.NewSelect().Model(a).Where("id = ?", id).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("account %d: %w", id, store.Translate(err))
	}
	return a, nil
}

// ByLogin returns the account with login.
func (s *Service) ByLogin(ctx context.Context, login string) (*Account, error) {
	a := new(Account)
	if err := s.db.Get(ctx, s.db.DB, s.byLogin(), []any{login}, a); err != nil {
		return nil, fmt.Errorf("account %q: %w", login, store.Translate(err))
	}
	return a, nil
}

// SetPassword replaces the password of an account.
func (s *Service) SetPassword(ctx context.Context, id int64, password string) error {
	if err := CheckPasswordRules(password); err != nil {
		return err
	}
	res, err := s.db.NewUpdate().Model((*Account)(nil)).
		Set("password_hash = ?", secret.HashPassword(password)).
		Set("updated_at = ?", s.now().UTC()).
		Where("id = ?", id).Exec(ctx)
	return expectOne(res, err, "account")
}

// SetDisabled turns an account off (it can no longer authenticate) or on.
// Turning an account off also ends its web sessions.
func (s *Service) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*Account)(nil)).Set("disabled = ?", disabled).
			Set("updated_at = ?", s.now().UTC()).Where("id = ?", id).Exec(ctx)
		if err := expectOne(res, err, "account"); err != nil {
			return err
		}
		if disabled {
			_, err = tx.NewDelete().Model((*session)(nil)).Where("account_id = ?", id).Exec(ctx)
		}
		return err
	})
}

func expectOne(res interface{ RowsAffected() (int64, error) }, err error, what string) error {
	if err != nil {
		return store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", what, core.ErrNotFound)
	}
	return nil
}

// MayManage returns ErrForbidden unless who may create, promote to,
// demote from, deactivate or otherwise change an account of type target
// (or give an account that type): only the owner manages administrators
// (and itself); administrators manage users and guests.
func MayManage(who core.Subject, target core.AccountType) error {
	switch {
	case who.Type == core.Owner:
		return nil
	case who.Type == core.Administrator && (target == core.User || target == core.Guest):
		return nil
	case who.Type == core.Administrator:
		return fmt.Errorf("%w: only the owner manages administrators", core.ErrForbidden)
	}
	return fmt.Errorf("%w: platform administrators only", core.ErrForbidden)
}
