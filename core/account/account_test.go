package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/coretest"
	"plaza/core/store"
)

func TestCreateAndAuthenticate(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.New(db, nil)
		first, err := s.Create(ctx, account.NewAccount{Login: "first", Type: core.User, Password: "first-password"})
		if err != nil || first.Type != core.Owner {
			t.Fatalf("first account: %+v %v, want the owner", first, err)
		}
		if _, err := s.Create(ctx, account.NewAccount{Login: "second", Type: core.Owner, Password: "second-password"}); !errors.Is(err, core.ErrConflict) {
			t.Errorf("second owner: %v, want conflict", err)
		}
		bob, err := s.Create(ctx, account.NewAccount{Login: "bob", Email: "bob@example.org", Password: "bob-password"})
		if err != nil || bob.Type != core.User {
			t.Fatalf("bob: %+v %v", bob, err)
		}
		if strings.Contains(bob.PasswordHash, "bob-password") || !strings.HasPrefix(bob.PasswordHash, "$argon2id$") {
			t.Errorf("password stored as %q", bob.PasswordHash)
		}
		for _, bad := range []account.NewAccount{
			{Login: "bob", Password: "another-pw"},
			{Login: "", Password: "another-pw"},
			{Login: "UPPER", Password: "another-pw"},
			{Login: "x", Password: "short"},
			{Login: "x", Password: strings.Repeat("p", 65)},
			{Login: "x", Password: "long-enough", Email: "nope"},
			{Login: "x", Password: "long-enough", Type: "emperor"},
		} {
			if _, err := s.Create(ctx, bad); err == nil {
				t.Errorf("create %+v succeeded", bad)
			}
		}

		who, err := s.Authenticate(ctx, "bob", "bob-password")
		if err != nil || who.AccountID != bob.ID || who.Type != core.User {
			t.Errorf("authenticate: %+v %v", who, err)
		}
		// Twice: the second time comes from the verification cache.
		if _, err := s.Authenticate(ctx, "bob", "bob-password"); err != nil {
			t.Errorf("cached authenticate: %v", err)
		}
		for _, c := range [][2]string{{"bob", "wrong-password"}, {"nobody", "bob-password"}, {"bob", ""},
			{"bob\x00", "bob-password"}, {"Bob", "bob-password"}, {strings.Repeat("b", 300), "x"}} {
			if _, err := s.Authenticate(ctx, c[0], c[1]); !errors.Is(err, core.ErrUnauthenticated) {
				t.Errorf("authenticate %v: %v, want unauthenticated", c, err)
			}
		}
		// A password change takes effect at once, cache or not.
		if err := s.SetPassword(ctx, bob.ID, "new-bob-password"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "bob", "bob-password"); err == nil {
			t.Error("old password still accepted after a change")
		}
		if _, err := s.Authenticate(ctx, "bob", "new-bob-password"); err != nil {
			t.Errorf("new password: %v", err)
		}
		// A disabled account cannot authenticate.
		if err := s.SetDisabled(ctx, bob.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "bob", "new-bob-password"); err == nil {
			t.Error("disabled account authenticated")
		}
	})
}

func TestAppPasswords(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.New(db, nil)
		a, _ := s.Create(ctx, account.NewAccount{Login: "ann", Password: "ann-password"})
		b, _ := s.Create(ctx, account.NewAccount{Login: "ben", Password: "ben-password"})
		token, ap, err := s.CreateAppPassword(ctx, a.ID, "phone")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "ann", token); err != nil {
			t.Errorf("app password: %v", err)
		}
		if _, err := s.Authenticate(ctx, "ben", token); err == nil {
			t.Error("ann's app password authenticated ben")
		}
		if err := s.RevokeAppPassword(ctx, b.ID, ap.ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("ben revoking ann's app password: %v", err)
		}
		list, _ := s.AppPasswords(ctx, a.ID)
		if len(list) != 1 || list[0].LastUsedAt == nil {
			t.Errorf("app passwords after use: %+v", list)
		}
		if err := s.RevokeAppPassword(ctx, a.ID, ap.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "ann", token); err == nil {
			t.Error("revoked app password still works")
		}
		if _, _, err := s.CreateAppPassword(ctx, a.ID, " "); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("empty label: %v", err)
		}
	})
}

func TestSessions(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		clock := func() time.Time { return now }
		s := account.New(db, clock)
		a, _ := s.Create(ctx, account.NewAccount{Login: "ann", Password: "ann-password"})
		sess, err := s.CreateSession(ctx, a.ID)
		if err != nil || sess.Token == "" || sess.CSRFToken == "" {
			t.Fatalf("session: %+v %v", sess, err)
		}
		got, err := s.LookupSession(ctx, sess.Token)
		if err != nil || got.Subject.AccountID != a.ID || got.CSRFToken != sess.CSRFToken {
			t.Errorf("lookup: %+v %v", got, err)
		}
		if _, err := s.LookupSession(ctx, sess.Token+"x"); !errors.Is(err, core.ErrUnauthenticated) {
			t.Errorf("forged token: %v", err)
		}
		now = now.Add(account.SessionTTL + time.Second)
		if _, err := s.LookupSession(ctx, sess.Token); !errors.Is(err, core.ErrUnauthenticated) {
			t.Errorf("expired session: %v", err)
		}
		if n, err := s.PurgeSessions(ctx); err != nil || n != 1 {
			t.Errorf("purge: %d %v", n, err)
		}
		sess2, _ := s.CreateSession(ctx, a.ID)
		if err := s.EndSession(ctx, sess2.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LookupSession(ctx, sess2.Token); err == nil {
			t.Error("ended session still valid")
		}
		sess3, _ := s.CreateSession(ctx, a.ID)
		s.SetDisabled(ctx, a.ID, true)
		if _, err := s.LookupSession(ctx, sess3.Token); err == nil {
			t.Error("session of a disabled account still valid")
		}
	})
}
