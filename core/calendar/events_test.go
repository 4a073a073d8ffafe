package calendar_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/caldav/ics"
)

// TestAddEvent: an event made on the agenda page is stored like a
// client's and shows on the agenda; it needs the right to add, a title
// and an end after its start.
func TestAddEvent(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accts := account.New(db, nil)
		mk := func(login string) core.Subject {
			a, err := accts.Create(ctx, account.NewAccount{Login: login, Password: "password-" + login})
			if err != nil {
				t.Fatal(err)
			}
			return a.Subject()
		}
		ann, rob := mk("ann"), mk("rob")
		s := calendar.New(db, acl.New(db), ics.Codec{}, nil)
		id, err := s.EnsurePersonal(ctx, ann)
		if err != nil {
			t.Fatal(err)
		}
		mine, _ := s.ByID(ctx, ann, id)
		start := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		name, err := s.AddEvent(ctx, ann, mine, calendar.NewEvent{Summary: " Plan ", Start: start, End: start.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		ag, err := s.Occurrences(ctx, []calendar.Collection{*mine}, start.Add(-time.Hour), start.Add(2*time.Hour), time.UTC)
		if err != nil || len(ag.Occurrences) != 1 || ag.Occurrences[0].Summary != "Plan" || ag.Occurrences[0].Name != name {
			t.Fatalf("added event: %+v %v", ag, err)
		}
		for _, c := range []struct {
			name string
			e    calendar.NewEvent
		}{
			{"no title", calendar.NewEvent{Summary: "  ", Start: start, End: start.Add(time.Hour)}},
			{"ends before it starts", calendar.NewEvent{Summary: "x", Start: start, End: start.Add(-time.Hour)}},
			{"lasts two years", calendar.NewEvent{Summary: "x", Start: start, End: start.AddDate(2, 0, 0)}},
		} {
			if _, err := s.AddEvent(ctx, ann, mine, c.e); !errors.Is(err, core.ErrInvalid) {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		// Rob may read Ann's calendar, not add to it
		acl.SetGrants(ctx, db, mine.ContainerID, []acl.Grant{{PrincipalKind: acl.PrincipalUser, PrincipalID: rob.AccountID, Level: acl.Read}})
		shared, err := s.ByID(ctx, rob, mine.ContainerID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddEvent(ctx, rob, shared, calendar.NewEvent{Summary: "x", Start: start, End: start.Add(time.Hour)}); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("read-only add: %v", err)
		}
	})
}
