package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/coretest"
	"plaza/core/settings"
	"plaza/core/store"
)

func TestThrottle(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		s := account.New(db, func() time.Time { return now })
		for i := 0; i < account.MaxLoginFailures; i++ {
			if err := s.CheckThrottle(ctx, "login:ann", "ip:1.2.3.4"); err != nil {
				t.Fatalf("attempt %d refused: %v", i, err)
			}
			if err := s.RecordFailure(ctx, "login:ann", "ip:1.2.3.4"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CheckThrottle(ctx, "login:ann"); !errors.Is(err, account.ErrThrottled) || !errors.Is(err, core.ErrForbidden) {
			t.Errorf("after %d failures: %v", account.MaxLoginFailures, err)
		}
		if err := s.CheckThrottle(ctx, "login:bob"); err != nil {
			t.Errorf("another login throttled: %v", err)
		}
		now = now.Add(account.LoginWindow + time.Second)
		if err := s.CheckThrottle(ctx, "login:ann"); err != nil {
			t.Errorf("after the window: %v", err)
		}
		s.RecordFailure(ctx, "login:ann")
		if err := s.CheckThrottle(ctx, "login:ann"); err != nil {
			t.Errorf("one failure in a new window: %v", err)
		}
		s.ClearFailures(ctx, "login:ann")
	})
}

func TestProfileAndSettings(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.New(db, nil)
		a, _ := s.Create(ctx, account.NewAccount{Login: "ann", Password: "ann-password"})
		p, err := s.ProfileOf(ctx, a.ID)
		if err != nil || p.Language != "en" || p.DateFormat != "iso" || !p.PersonalCalendar {
			t.Fatalf("default profile: %+v %v", p, err)
		}
		p = account.Profile{Name: "Ann É", Language: "fr", Timezone: "Europe/Paris", DateFormat: "dmy", PersonalCalendar: false}
		if err := s.UpdateProfile(ctx, a.ID, p); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ProfileOf(ctx, a.ID); got != p {
			t.Errorf("profile %+v, want %+v", got, p)
		}
		for _, bad := range []account.Profile{
			{Name: "", Language: "fr", Timezone: "UTC", DateFormat: "iso"},
			{Name: "x", Language: "de", Timezone: "UTC", DateFormat: "iso"},
			{Name: "x", Language: "fr", Timezone: "Mars/Olympus", DateFormat: "iso"},
			{Name: "x", Language: "fr", Timezone: "UTC", DateFormat: "yyyy"},
		} {
			if err := s.UpdateProfile(ctx, a.ID, bad); !errors.Is(err, core.ErrInvalid) {
				t.Errorf("profile %+v: %v", bad, err)
			}
		}

		st := settings.New(db)
		s1, err := st.Secret(ctx, "jitsi")
		s2, _ := settings.New(db).Secret(ctx, "jitsi")
		if err != nil || s1 == "" || s1 != s2 {
			t.Errorf("secret not stable: %q %q %v", s1, s2, err)
		}
		if v, _ := st.Get(ctx, "platform.name", "Plaza"); v != "Plaza" {
			t.Errorf("default: %q", v)
		}
		st.Set(ctx, "platform.name", "Acme")
		if v, _ := st.Get(ctx, "platform.name", "Plaza"); v != "Acme" {
			t.Errorf("set: %q", v)
		}
	})
}
