package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/secret"
	"plaza/core/store"
)

// A second factor for the web sign-in: time-based one-time codes
// (RFC 6238: SHA-1, 6 digits, 30 seconds, what every authenticator app
// reads from an otpauth:// URI), with single-use recovery codes. Once it
// is on, the account's own password no longer opens DAV or the API by
// itself (HTTP Basic cannot carry a code): those clients use app
// passwords, as with Nextcloud.

type totpRow struct {
	bun.BaseModel `bun:"table:account_totp"`

	AccountID   int64 `bun:",pk"`
	Secret      string
	ConfirmedAt *time.Time
	LastStep    int64
	CreatedAt   time.Time
}

type recoveryCode struct {
	bun.BaseModel `bun:"table:totp_recovery_codes"`

	AccountID int64  `bun:",pk"`
	CodeHash  string `bun:",pk"`
	UsedAt    *time.Time
}

// TOTPStatus says where an account stands with its second factor.
type TOTPStatus struct {
	Enabled       bool `json:"enabled"`
	Pending       bool `json:"pending"` // enrolment begun, not confirmed
	RecoveryCodes int  `json:"recovery_codes_left"`
}

// RecoveryCodeCount is how many recovery codes an enrolment gives.
const RecoveryCodeCount = 10

const totpPeriod = 30 // seconds

var (
	// ErrWrongCode is a one-time or recovery code that does not match.
	ErrWrongCode = fmt.Errorf("%w: wrong or already used code", core.ErrInvalid)
	// ErrCodeRequired is a sign-in that needs a one-time code.
	ErrCodeRequired = fmt.Errorf("%w: a one-time code is required", core.ErrUnauthenticated)
)

func (s *Service) totp(ctx context.Context, db bun.IDB, accountID int64) (*totpRow, error) {
	row := new(totpRow)
	err := db.NewSelect().Model(row).Where("account_id = ?", accountID).Scan(ctx)
	if err = store.Translate(err); errors.Is(err, core.ErrNotFound) {
		return nil, nil
	}
	return row, err
}

// TOTP returns the second-factor status of an account.
func (s *Service) TOTP(ctx context.Context, accountID int64) (TOTPStatus, error) {
	row, err := s.totp(ctx, s.db, accountID)
	if err != nil || row == nil {
		return TOTPStatus{}, err
	}
	st := TOTPStatus{Enabled: row.ConfirmedAt != nil, Pending: row.ConfirmedAt == nil}
	n, err := s.db.NewSelect().Model((*recoveryCode)(nil)).Where("account_id = ? AND used_at IS NULL", accountID).Count(ctx)
	st.RecoveryCodes = int(n)
	return st, store.Translate(err)
}

// BeginTOTP starts an enrolment: it makes a new secret (replacing an
// unconfirmed one) and returns its otpauth:// URI, for a QR code, and the
// secret, for typing. The factor is on only once ConfirmTOTP saw a code.
func (s *Service) BeginTOTP(ctx context.Context, accountID int64, issuer string) (uri, key string, err error) {
	a, err := s.Get(ctx, accountID)
	if err != nil {
		return "", "", err
	}
	if issuer == "" {
		issuer = "Plaza"
	}
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: a.Login, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", err
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row, err := s.totp(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if row != nil && row.ConfirmedAt != nil {
			return fmt.Errorf("%w: the second factor is already on; turn it off first", core.ErrConflict)
		}
		_, err = tx.NewRaw(`INSERT INTO account_totp (account_id, secret, last_step, created_at) VALUES (?, ?, 0, ?)
			ON CONFLICT (account_id) DO UPDATE SET secret = EXCLUDED.secret, confirmed_at = NULL, last_step = 0, created_at = EXCLUDED.created_at`,
			accountID, k.Secret(), s.now().UTC()).Exec(ctx)
		return err
	})
	if err != nil {
		return "", "", store.Translate(err)
	}
	return k.URL(), k.Secret(), nil
}

// ConfirmTOTP turns the second factor on when code matches the secret
// of the enrolment begun, and returns fresh recovery codes in clear: the
// only time they are shown.
func (s *Service) ConfirmTOTP(ctx context.Context, accountID int64, code string) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		b := make([]byte, 5)
		rand.Read(b)
		h := hex.EncodeToString(b)
		codes[i] = h[:5] + "-" + h[5:]
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row, err := s.totp(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if row == nil || row.ConfirmedAt != nil {
			return fmt.Errorf("%w: begin the enrolment first", core.ErrConflict)
		}
		step, ok := s.matchStep(row, code)
		if !ok {
			return ErrWrongCode
		}
		if _, err := tx.NewUpdate().Model(row).Set("confirmed_at = ?", s.now().UTC()).Set("last_step = ?", step).
			WherePK().Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*recoveryCode)(nil)).Where("account_id = ?", accountID).Exec(ctx); err != nil {
			return err
		}
		rows := make([]recoveryCode, len(codes))
		for i, c := range codes {
			rows[i] = recoveryCode{AccountID: accountID, CodeHash: secret.Digest(normalizeRecovery(c))}
		}
		_, err = tx.NewInsert().Model(&rows).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	return codes, nil
}

// DisableTOTP turns the second factor off; it takes a current one-time
// code or a recovery code.
func (s *Service) DisableTOTP(ctx context.Context, accountID int64, code string) error {
	if err := s.CheckCode(ctx, accountID, code); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*recoveryCode)(nil)).Where("account_id = ?", accountID).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewDelete().Model((*totpRow)(nil)).Where("account_id = ?", accountID).Exec(ctx)
		return err
	})
}

func normalizeRecovery(code string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
}

// matchStep returns the time step whose code is code, within one step of
// now either way and after the last step used (a code works once).
func (s *Service) matchStep(row *totpRow, code string) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	now := s.now()
	for _, off := range []int64{-1, 0, 1} {
		t := now.Add(time.Duration(off*totpPeriod) * time.Second)
		step := t.Unix() / totpPeriod
		if step <= row.LastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(row.Secret, t, totp.ValidateOpts{Period: totpPeriod,
			Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// CheckCode accepts a one-time code (each once) or an unused recovery
// code (spent by this call) for an account whose second factor is on.
// Wrong codes count against the account's login throttle.
func (s *Service) CheckCode(ctx context.Context, accountID int64, code string) error {
	a, err := s.Get(ctx, accountID)
	if err != nil {
		return err
	}
	key := "login:" + a.Login
	if err := s.CheckThrottle(ctx, key); err != nil {
		return err
	}
	ok := false
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row, err := s.totp(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if row == nil || row.ConfirmedAt == nil {
			return fmt.Errorf("%w: the second factor is off", core.ErrConflict)
		}
		if step, match := s.matchStep(row, code); match {
			ok = true
			_, err := tx.NewUpdate().Model(row).Set("last_step = ?", step).WherePK().Exec(ctx)
			return err
		}
		res, err := tx.NewUpdate().Model((*recoveryCode)(nil)).Set("used_at = ?", s.now().UTC()).
			Where("account_id = ? AND code_hash = ? AND used_at IS NULL", accountID, secret.Digest(normalizeRecovery(code))).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	if err != nil {
		return store.Translate(err)
	}
	if !ok {
		if err := s.RecordFailure(ctx, key); err != nil {
			return err
		}
		return ErrWrongCode
	}
	return s.ClearFailures(ctx, key)
}

func (s *Service) totpOn(ctx context.Context, accountID int64) (bool, error) {
	n, err := s.db.NewSelect().Model((*totpRow)(nil)).Where("account_id = ? AND confirmed_at IS NOT NULL", accountID).Count(ctx)
	return n > 0, store.Translate(err)
}

// Sign-in challenges: after the password, before the code.

type challenge struct {
	bun.BaseModel `bun:"table:login_challenges"`

	TokenHash string `bun:",pk"`
	AccountID int64
	Attempts  int
	ExpiresAt time.Time
}

// ChallengeTTL is how long a signed-in password waits for its code.
const ChallengeTTL = 5 * time.Minute

// maxChallengeAttempts bounds the codes tried against one challenge.
const maxChallengeAttempts = 5

// SignIn checks a login and password for a web session. For an account
// with a second factor it returns ErrCodeRequired and a challenge token
// to answer with Answer; app passwords do not open a web session of
// such an account. Any other failure is like Authenticate's.
func (s *Service) SignIn(ctx context.Context, login, password string) (core.Subject, string, error) {
	who, err := s.authenticate(ctx, login, password, true)
	if err != nil {
		return who, "", err
	}
	on, err := s.totpOn(ctx, who.AccountID)
	if err != nil || !on {
		return who, "", err
	}
	if IsAppPassword(password) {
		return core.Subject{}, "", fmt.Errorf("%w: wrong login or password", core.ErrUnauthenticated)
	}
	token := secret.Token(24)
	row := &challenge{TokenHash: secret.Digest(token), AccountID: who.AccountID, ExpiresAt: s.now().UTC().Add(ChallengeTTL)}
	if _, err := s.db.NewInsert().Model(row).Exec(ctx); err != nil {
		return core.Subject{}, "", store.Translate(err)
	}
	return core.Subject{}, token, ErrCodeRequired
}

// Answer completes a sign-in challenge with a one-time or recovery code.
// A challenge takes a few attempts, then it is gone.
func (s *Service) Answer(ctx context.Context, token, code string) (core.Subject, error) {
	gone := fmt.Errorf("%w: the sign-in expired; start again", core.ErrUnauthenticated)
	row := new(challenge)
	err := s.db.NewSelect().Model(row).Where("token_hash = ?", secret.Digest(token)).Scan(ctx)
	if err = store.Translate(err); errors.Is(err, core.ErrNotFound) {
		return core.Subject{}, gone
	} else if err != nil {
		return core.Subject{}, err
	}
	if !s.now().Before(row.ExpiresAt) || row.Attempts >= maxChallengeAttempts {
		s.db.NewDelete().Model(row).WherePK().Exec(ctx) //nolint:errcheck // expired anyway
		return core.Subject{}, gone
	}
	if err := s.CheckCode(ctx, row.AccountID, code); err != nil {
		if _, uerr := s.db.NewUpdate().Model(row).Set("attempts = attempts + 1").WherePK().Exec(ctx); uerr != nil {
			return core.Subject{}, store.Translate(uerr)
		}
		return core.Subject{}, err
	}
	if _, err := s.db.NewDelete().Model(row).WherePK().Exec(ctx); err != nil {
		return core.Subject{}, store.Translate(err)
	}
	a, err := s.Get(ctx, row.AccountID)
	if err != nil {
		return core.Subject{}, err
	}
	if a.Disabled {
		return core.Subject{}, gone
	}
	return a.Subject(), nil
}
