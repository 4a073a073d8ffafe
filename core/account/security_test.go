package account_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/coretest"
	pmail "plaza/core/mail"
	"plaza/core/store"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestChangePassword(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.New(db, nil)
		ann, _ := s.Create(ctx, account.NewAccount{Login: "ann", Password: "ann-password"})
		if err := s.ChangePassword(ctx, ann.ID, "not-her-password", "new-password"); !errors.Is(err, account.ErrWrongPassword) {
			t.Fatalf("wrong current password: %v", err)
		}
		if err := s.ChangePassword(ctx, ann.ID, "ann-password", "short"); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("short new password: %v", err)
		}
		if err := s.ChangePassword(ctx, ann.ID, "ann-password", "new-password"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "ann", "ann-password"); !errors.Is(err, core.ErrUnauthenticated) {
			t.Errorf("old password still works: %v", err)
		}
		if _, err := s.Authenticate(ctx, "ann", "new-password"); err != nil {
			t.Errorf("new password: %v", err)
		}
		// Guessing the current password is throttled like a login: the
		// wrong guess above counted, with failed logins.
		s.RecordFailure(ctx, slices.Repeat([]string{"login:ann"}, account.MaxLoginFailures-2)...)
		s.ChangePassword(ctx, ann.ID, "guess", "other-password")
		if err := s.ChangePassword(ctx, ann.ID, "new-password", "other-password"); !errors.Is(err, account.ErrThrottled) {
			t.Errorf("after %d wrong guesses: %v, want throttled", account.MaxLoginFailures, err)
		}
	})
}

func TestPasswordReset(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{now: time.Now().UTC()}
		s := account.New(db, c.Now)
		queue := pmail.New(db, pmail.Options{})
		tpl, err := pmail.LoadTemplates()
		if err != nil {
			t.Fatal(err)
		}
		r := account.NewResets(s, account.ResetOptions{Queue: queue, Templates: tpl, BaseURL: "https://p.example/"})
		s.Create(ctx, account.NewAccount{Login: "owner", Password: "owner-password"})
		ann, _ := s.Create(ctx, account.NewAccount{Login: "ann", Email: "ann@example.org", Password: "ann-password"})
		sess, _ := s.CreateSession(ctx, ann.ID)

		// An unknown address: the same answer, nothing queued.
		if tok, err := r.Request(ctx, "nobody@example.org", "10.0.0.1"); err != nil || tok != "" {
			t.Fatalf("unknown address: %q %v", tok, err)
		}
		tok, err := r.Request(ctx, "ANN@example.org", "10.0.0.1")
		if err != nil || tok == "" {
			t.Fatalf("request: %q %v", tok, err)
		}
		rows, err := queue.Rows(ctx, 10)
		if err != nil || len(rows) != 1 || rows[0].Recipient != "ann@example.org" || !strings.Contains(rows[0].BodyText, "https://p.example/password/reset/"+tok) {
			t.Fatalf("queued: %+v %v", rows, err)
		}
		if a, err := r.Lookup(ctx, tok); err != nil || a.ID != ann.ID {
			t.Fatalf("lookup: %v", err)
		}
		if _, err := r.Complete(ctx, tok, "short"); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("short password: %v", err)
		}
		if _, err := r.Complete(ctx, tok, "reset-password"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "ann", "reset-password"); err != nil {
			t.Errorf("new password: %v", err)
		}
		if _, err := s.LookupSession(ctx, sess.Token); !errors.Is(err, core.ErrUnauthenticated) {
			t.Errorf("session after reset: %v, want ended", err)
		}
		if _, err := r.Complete(ctx, tok, "again-password"); !errors.Is(err, account.ErrResetInvalid) {
			t.Errorf("second use: %v", err)
		}
		// Expiry.
		tok2, _ := r.Request(ctx, "ann@example.org", "10.0.0.2")
		c.advance(account.ResetValidity)
		if _, err := r.Complete(ctx, tok2, "late-password"); !errors.Is(err, account.ErrResetInvalid) {
			t.Errorf("expired link: %v", err)
		}
		// At most MaxResetsPerHour links an hour for one account, answered alike.
		sent := 0
		for i := 0; i < account.MaxResetsPerHour+2; i++ {
			if tok, err := r.Request(ctx, "ann@example.org", "10.0.1."+string(rune('0'+i))); err != nil {
				t.Fatal(err)
			} else if tok != "" {
				sent++
			}
		}
		if sent != account.MaxResetsPerHour {
			t.Errorf("%d links in an hour, want %d", sent, account.MaxResetsPerHour)
		}
		// One client asking too often is throttled.
		for i := 0; i < account.MaxLoginFailures; i++ {
			r.Request(ctx, "x@example.org", "10.9.9.9")
		}
		if _, err := r.Request(ctx, "x@example.org", "10.9.9.9"); !errors.Is(err, account.ErrThrottled) {
			t.Errorf("flood: %v, want throttled", err)
		}
	})
}

func TestTOTP(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
		s := account.New(db, c.Now)
		ann, _ := s.Create(ctx, account.NewAccount{Login: "ann", Password: "ann-password"})
		app, _, err := s.CreateAppPassword(ctx, ann.ID, "phone")
		if err != nil {
			t.Fatal(err)
		}
		uri, key, err := s.BeginTOTP(ctx, ann.ID, "Plaza")
		if err != nil || !strings.HasPrefix(uri, "otpauth://totp/Plaza:ann?") || key == "" {
			t.Fatalf("begin: %q %q %v", uri, key, err)
		}
		// Not on until confirmed: the password alone still signs in.
		if _, chal, err := s.SignIn(ctx, "ann", "ann-password"); err != nil || chal != "" {
			t.Fatalf("sign in before confirmation: %q %v", chal, err)
		}
		if _, err := s.ConfirmTOTP(ctx, ann.ID, "000000"); !errors.Is(err, account.ErrWrongCode) {
			t.Errorf("wrong confirmation: %v", err)
		}
		code, _ := totp.GenerateCode(key, c.Now())
		codes, err := s.ConfirmTOTP(ctx, ann.ID, code)
		if err != nil || len(codes) != account.RecoveryCodeCount {
			t.Fatalf("confirm: %v %v", codes, err)
		}
		if st, _ := s.TOTP(ctx, ann.ID); !st.Enabled || st.RecoveryCodes != account.RecoveryCodeCount {
			t.Errorf("status %+v", st)
		}
		// Basic: the password alone no longer works, app passwords do.
		if _, err := s.Authenticate(ctx, "ann", "ann-password"); !errors.Is(err, core.ErrUnauthenticated) {
			t.Errorf("Basic with the password and TOTP on: %v", err)
		}
		if who, err := s.Authenticate(ctx, "ann", app); err != nil || who.AccountID != ann.ID {
			t.Errorf("Basic with an app password: %v", err)
		}
		// Web: the password asks for a code; an app password opens nothing.
		if _, _, err := s.SignIn(ctx, "ann", app); !errors.Is(err, core.ErrUnauthenticated) || errors.Is(err, account.ErrCodeRequired) {
			t.Errorf("web sign-in with an app password: %v", err)
		}
		_, chal, err := s.SignIn(ctx, "ann", "ann-password")
		if !errors.Is(err, account.ErrCodeRequired) || chal == "" {
			t.Fatalf("sign in: %q %v", chal, err)
		}
		// The code used for confirmation does not work twice.
		if _, err := s.Answer(ctx, chal, code); !errors.Is(err, account.ErrWrongCode) {
			t.Errorf("replayed code: %v", err)
		}
		c.advance(30 * time.Second)
		code2, _ := totp.GenerateCode(key, c.Now())
		if who, err := s.Answer(ctx, chal, code2); err != nil || who.AccountID != ann.ID {
			t.Fatalf("answer: %v", err)
		}
		if _, err := s.Answer(ctx, chal, code2); !errors.Is(err, core.ErrUnauthenticated) {
			t.Errorf("challenge used twice: %v", err)
		}
		// A recovery code works once.
		_, chal, _ = s.SignIn(ctx, "ann", "ann-password")
		if _, err := s.Answer(ctx, chal, strings.ToUpper(codes[0])); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		_, chal, _ = s.SignIn(ctx, "ann", "ann-password")
		if _, err := s.Answer(ctx, chal, codes[0]); !errors.Is(err, account.ErrWrongCode) {
			t.Errorf("recovery code twice: %v", err)
		}
		// A challenge expires.
		c.advance(account.ChallengeTTL)
		if _, err := s.Answer(ctx, chal, codes[1]); !errors.Is(err, core.ErrUnauthenticated) {
			t.Errorf("expired challenge: %v", err)
		}
		// Off with a code; then the password opens Basic again.
		if err := s.DisableTOTP(ctx, ann.ID, "123456"); !errors.Is(err, account.ErrWrongCode) {
			t.Errorf("disable with a wrong code: %v", err)
		}
		if err := s.DisableTOTP(ctx, ann.ID, codes[2]); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "ann", "ann-password"); err != nil {
			t.Errorf("Basic after turning TOTP off: %v", err)
		}
	})
}
