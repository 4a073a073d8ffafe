package admin

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/space"
	"plaza/core/store"
)

// UserFilter narrows a user listing.
type UserFilter struct {
	Query    string // part of login, name or email
	Type     core.AccountType
	Disabled *bool
	Limit    int // default 200, at most 5000
	Offset   int
}

// Users lists accounts for an administrator.
func (s *Service) Users(ctx context.Context, who core.Subject, f UserFilter) ([]account.Account, int, error) {
	if err := requireAdmin(who); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 5000 {
		f.Limit = 200
	}
	var out []account.Account
	q := s.db.NewSelect().Model(&out).Order("login")
	if f.Query != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(f.Query)) + "%"
		q = q.Where(`(LOWER(login) LIKE ? ESCAPE '\' OR LOWER(name) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\')`, like, like, like)
	}
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	if f.Disabled != nil {
		q = q.Where("disabled = ?", *f.Disabled)
	}
	n, err := q.Limit(int64(f.Limit)).Offset(int64(f.Offset)).ScanAndCount(ctx)
	return out, int(n), store.Translate(err)
}

// NewUser is an account an administrator creates. Without a password,
// the account gets a single-use link (mailed when it has an address) to
// choose one.
type NewUser struct {
	Login    string           `json:"login"`
	Email    string           `json:"email"`
	Name     string           `json:"name"`
	Type     core.AccountType `json:"type"`
	Password string           `json:"password,omitempty"`
}

var loginRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// check applies the account rules (those of account.Create) without a
// password.
func (n *NewUser) check() error {
	n.Login = strings.TrimSpace(n.Login)
	n.Email = strings.TrimSpace(n.Email)
	n.Name = strings.TrimSpace(n.Name)
	if n.Type == "" {
		n.Type = core.User
	}
	if !loginRE.MatchString(n.Login) {
		return fmt.Errorf("%w: login must be 1 to 64 lower-case letters, digits, '.', '_' or '-'", core.ErrInvalid)
	}
	if n.Email != "" {
		if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != n.Email {
			return fmt.Errorf("%w: email %q is not an address", core.ErrInvalid, n.Email)
		}
	}
	if utf8.RuneCountInString(n.Name) > 200 || strings.ContainsAny(n.Name, "\x00\r\n") {
		return fmt.Errorf("%w: name too long or with control characters", core.ErrInvalid)
	}
	if n.Type != core.Administrator && n.Type != core.User && n.Type != core.Guest {
		return fmt.Errorf("%w: type must be administrator, user or guest", core.ErrInvalid)
	}
	if n.Password != "" {
		return account.CheckPasswordRules(n.Password)
	}
	return nil
}

// CreateUser adds an account. It returns the password link token when
// no password was given (empty otherwise).
func (s *Service) CreateUser(ctx context.Context, who core.Subject, n NewUser) (*account.Account, string, error) {
	if err := requireAdmin(who); err != nil {
		return nil, "", err
	}
	if err := n.check(); err != nil {
		return nil, "", err
	}
	if err := account.MayManage(who, n.Type); err != nil {
		return nil, "", err
	}
	if n.Password != "" {
		a, err := s.o.Accounts.Create(ctx, account.NewAccount{Login: n.Login, Email: n.Email, Name: n.Name, Type: n.Type, Password: n.Password})
		return a, "", err
	}
	var a *account.Account
	var token string
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		a, err = s.insertAccount(ctx, tx, n, "")
		if err != nil {
			return err
		}
		if s.o.Invites != nil {
			token, err = s.o.Invites.PasswordLink(ctx, tx, who, a)
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return a, token, nil
}

func (s *Service) newAccount(n NewUser, hash string) *account.Account {
	now := s.o.Now().UTC()
	a := &account.Account{Login: n.Login, Email: n.Email, Name: n.Name, Type: n.Type, PasswordHash: hash,
		Language: "en", Timezone: "UTC", DateFormat: "iso", PersonalCalendar: true, CreatedAt: now, UpdatedAt: now}
	if a.Name == "" {
		a.Name = a.Login
	}
	return a
}

func (s *Service) insertAccount(ctx context.Context, tx bun.IDB, n NewUser, hash string) (*account.Account, error) {
	a := s.newAccount(n, hash)
	if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
		err = store.Translate(err)
		return nil, fmt.Errorf("login %q: %w", n.Login, err)
	}
	return a, nil
}

// UserUpdate changes an account; nil fields stay.
type UserUpdate struct {
	Email    *string           `json:"email,omitempty"`
	Name     *string           `json:"name,omitempty"`
	Type     *core.AccountType `json:"type,omitempty"`
	Disabled *bool             `json:"disabled,omitempty"`
	Password *string           `json:"password,omitempty"`
}

// UpdateUser edits an account. The owner's type cannot change and no one
// becomes owner; only the owner edits the owner and administrators
// (account.MayManage), an administrator may still edit itself; an account cannot
// deactivate or demote itself. A guest loses the space administrator
// roles it held.
func (s *Service) UpdateUser(ctx context.Context, who core.Subject, id int64, u UserUpdate) (*account.Account, error) {
	if err := requireAdmin(who); err != nil {
		return nil, err
	}
	a, err := s.o.Accounts.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Type == core.Owner && who.Type != core.Owner {
		return nil, fmt.Errorf("%w: only the owner edits the owner", core.ErrForbidden)
	}
	// Administrators are the owner's to promote, demote, deactivate or
	// edit: a plain administrator manages users and guests only.
	if err := account.MayManage(who, a.Type); err != nil && id != who.AccountID {
		return nil, err
	}
	if u.Type != nil {
		if err := account.MayManage(who, *u.Type); err != nil {
			return nil, err
		}
	}
	n := NewUser{Login: a.Login, Email: a.Email, Name: a.Name, Type: a.Type}
	if n.Type == core.Owner {
		n.Type = core.Administrator // for check() only
	}
	if u.Email != nil {
		n.Email = *u.Email
	}
	if u.Name != nil {
		n.Name = *u.Name
	}
	if u.Type != nil {
		if a.Type == core.Owner || *u.Type == core.Owner {
			return nil, fmt.Errorf("%w: the owner stays the owner", core.ErrInvalid)
		}
		if id == who.AccountID {
			return nil, fmt.Errorf("%w: you cannot change your own type", core.ErrInvalid)
		}
		n.Type = *u.Type
	}
	if u.Password != nil {
		n.Password = *u.Password
	}
	if err := n.check(); err != nil {
		return nil, err
	}
	if u.Disabled != nil && *u.Disabled && (id == who.AccountID || a.Type == core.Owner) {
		return nil, fmt.Errorf("%w: the owner and yourself cannot be deactivated", core.ErrInvalid)
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Model((*account.Account)(nil)).Where("id = ?", id).
			Set("email = ?", n.Email).Set("name = ?", n.Name).Set("updated_at = ?", s.o.Now().UTC())
		if a.Type != core.Owner {
			q = q.Set("type = ?", n.Type)
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		if n.Type == core.Guest && a.Type != core.Guest {
			return space.DemoteEverywhere(ctx, tx, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if u.Password != nil {
		if err := s.o.Accounts.SetPassword(ctx, id, *u.Password); err != nil {
			return nil, err
		}
	}
	if u.Disabled != nil {
		if err := s.o.Accounts.SetDisabled(ctx, id, *u.Disabled); err != nil {
			return nil, err
		}
	}
	return s.o.Accounts.Get(ctx, id)
}
