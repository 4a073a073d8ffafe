package calendar_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/dav/caldav/ics"
)

// Occurrences completes lineCodec (store_test.go) as a calendar.ICal: the
// store's own tests place nothing on an agenda.
func (lineCodec) Occurrences(data []byte, from, to time.Time, loc *time.Location) ([]calendar.Occurrence, error) {
	return nil, nil
}

func event(uid, props string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\n" +
		strings.ReplaceAll(props, "|", "\r\n") + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}

// TestAgendaOccurrences: the agenda of several calendars, each event in
// the reader's zone with the calendar it came from; an event linked into
// two calendars shows once; a calendar of tasks and an unreadable object
// are left out without failing the rest.
func TestAgendaOccurrences(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := account.New(db, nil).Create(ctx, account.NewAccount{Login: "bob", Password: "password-bob"})
		if err != nil {
			t.Fatal(err)
		}
		bob := a.Subject()
		sp, err := space.New(db, nil).Create(ctx, space.NewSpace{Slug: "team", Name: "Team"})
		if err != nil {
			t.Fatal(err)
		}
		space.New(db, nil).SetMember(ctx, sp.ID, bob.AccountID, space.RoleMember)
		s := calendar.New(db, acl.New(db), ics.Codec{}, nil)
		workID, err := s.Create(ctx, bob, calendar.NewCollection{Slug: "work", Name: "Work", Color: "#1E88E5FF", Components: []string{"VEVENT"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, bob, calendar.NewCollection{Slug: "todo", Name: "To do", Components: []string{"VTODO"}}); err != nil {
			t.Fatal(err)
		}
		work, _ := s.ByID(ctx, bob, workID)
		if _, err := s.Home(ctx, bob); err != nil { // makes the space's agenda
			t.Fatal(err)
		}
		team, err := s.Resolve(ctx, bob, "agenda@team")
		if err != nil {
			t.Fatal(err)
		}
		put := func(c *calendar.Collection, name string, data []byte) {
			t.Helper()
			if _, _, err := s.Put(ctx, bob, c, name, data, calendar.Conditions{}); err != nil {
				t.Fatalf("put %s: %v", name, err)
			}
		}
		put(work, "weekly.ics", event("weekly", "DTSTART;TZID=Europe/Paris:20260302T100000|DURATION:PT1H|SUMMARY:Weekly|RRULE:FREQ=WEEKLY"))
		put(work, "far.ics", event("far", "DTSTART:20270101T100000Z|DURATION:PT1H|SUMMARY:Next year"))
		put(team, "offsite.ics", event("offsite", "DTSTART;VALUE=DATE:20260303|SUMMARY:Offsite|TRANSP:TRANSPARENT"))
		put(team, "lunch.ics", event("lunch", "DTSTART:20260304T120000|DTEND:20260304T130000|SUMMARY:Lunch"))
		if err := s.Link(ctx, bob, team, "lunch.ics", work); err != nil {
			t.Fatal(err)
		}
		// data written before this codec, which it cannot read: it stays
		// stored, and the agenda shows the rest
		var objID int64
		if err := db.NewRaw(`INSERT INTO dav_objects (uid, component, data, etag, busy, created_at, updated_at)
			VALUES ('broken', 'VEVENT', 'BEGIN:VCALENDAR', 'x', TRUE, ?, ?) RETURNING id`, time.Now().UTC(), time.Now().UTC()).Scan(ctx, &objID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.NewRaw(`INSERT INTO dav_members (collection_id, name, object_id, uid) VALUES (?, 'broken.ics', ?, 'broken')`,
			team.ContainerID, objID).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		home, err := s.Home(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		paris, _ := time.LoadLocation("Europe/Paris")
		from := time.Date(2026, 3, 2, 0, 0, 0, 0, paris)
		ag, err := s.Occurrences(ctx, home, from, from.AddDate(0, 0, 7), paris)
		if err != nil {
			t.Fatal(err)
		}
		if ag.Unreadable != 1 {
			t.Errorf("unreadable: %d, want 1", ag.Unreadable)
		}
		var got []string
		for _, o := range ag.Occurrences {
			got = append(got, o.Start.Format("Mon 15:04 ")+o.Summary)
			if o.Start.Location() != paris {
				t.Errorf("%s is not in the reader's zone", o.Summary)
			}
		}
		want := "Mon 10:00 Weekly|Tue 00:00 Offsite|Wed 12:00 Lunch"
		if strings.Join(got, "|") != want {
			t.Fatalf("agenda:\n %s\nwant\n %s", strings.Join(got, "|"), want)
		}
		weekly, offsite, lunch := ag.Occurrences[0], ag.Occurrences[1], ag.Occurrences[2]
		if weekly.CalendarID != work.ContainerID || weekly.Color != "#1E88E5FF" || weekly.Name != "weekly.ics" || !weekly.Recurring || weekly.ObjectID == 0 {
			t.Errorf("weekly: %+v", weekly)
		}
		if offsite.CalendarID != team.ContainerID || !offsite.AllDay || !offsite.Free {
			t.Errorf("offsite: %+v", offsite)
		}
		if lunch.UID != "lunch" {
			t.Errorf("lunch: %+v", lunch)
		}

		// one calendar only
		ag, err = s.Occurrences(ctx, []calendar.Collection{*work}, from, from.AddDate(0, 0, 7), paris)
		if err != nil || len(ag.Occurrences) != 2 || ag.Unreadable != 0 {
			t.Fatalf("work alone: %+v %v", ag, err)
		}
		// a month of a weekly event
		ag, _ = s.Occurrences(ctx, []calendar.Collection{*work}, time.Date(2026, 3, 1, 0, 0, 0, 0, paris), time.Date(2026, 4, 1, 0, 0, 0, 0, paris), paris)
		if n := len(ag.Occurrences); n != 6 { // five Mondays and lunch
			t.Fatalf("March: %d occurrences", n)
		}
		// a collection loaded for someone who may not read it is skipped
		blind := *work
		blind.Level = acl.None
		if ag, _ := s.Occurrences(ctx, []calendar.Collection{blind}, from, from.AddDate(0, 0, 7), paris); len(ag.Occurrences) != 0 {
			t.Fatal("an unreadable calendar showed")
		}
		if _, err := s.Occurrences(ctx, home, from, from, paris); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("empty range: %v", err)
		}
		if _, err := s.Occurrences(ctx, home, from, from.AddDate(2, 0, 0), paris); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("two years at once: %v", err)
		}

		// one event, for its page
		occ, err := s.EventOccurrences(ctx, work, "weekly.ics", from.AddDate(0, 0, 7), from.AddDate(0, 0, 8), paris)
		if err != nil || len(occ) != 1 || occ[0].Start.Day() != 9 || occ[0].Name != "weekly.ics" {
			t.Fatalf("event page: %+v %v", occ, err)
		}
		if _, err := s.EventOccurrences(ctx, team, "broken.ics", from, from.AddDate(0, 0, 7), paris); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("broken event page: %v", err)
		}
		if _, err := s.EventOccurrences(ctx, work, "nothing.ics", from, from.AddDate(0, 0, 7), paris); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("missing event: %v", err)
		}
	})
}
