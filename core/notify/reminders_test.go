package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"plaza/cmd/plaza/icalarm"
	"plaza/cmd/plaza/smtpmail"
	"plaza/cmd/plaza/smtpmail/smtptest"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/coretest"
	pmail "plaza/core/mail"
	"plaza/core/notify"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/dav/caldav/ics"
)

func event(uid, summary string, start time.Time, trigger string) []byte {
	f := "20060102T150405Z"
	return []byte(strings.Join([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT",
		"UID:" + uid, "DTSTAMP:" + start.Format(f), "DTSTART:" + start.Format(f), "DTEND:" + start.Add(time.Hour).Format(f),
		"SUMMARY:" + summary, "BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:x", "TRIGGER:" + trigger, "END:VALARM",
		"END:VEVENT", "END:VCALENDAR", ""}, "\r\n"))
}

// Calendar alarms become reminder mails when they fire: to the owner of
// a personal calendar, to the author of an event in a space's agenda;
// once each, and not before their time.
func TestCalendarReminders(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Now().UTC().Truncate(time.Second)
		clk := &clock{t: t0}
		accounts, spaces := account.New(db, nil), space.New(db, nil)
		srv := smtptest.Start(t, smtptest.Options{})
		tr, _ := smtpmail.Parse(srv.URL(), "")
		q := pmail.New(db, pmail.Options{Transport: tr})
		tpl, _ := pmail.LoadTemplates()
		n := notify.New(db, notify.Options{Queue: q, Templates: tpl, Now: clk.Now})
		ann, _ := accounts.Create(ctx, account.NewAccount{Login: "ann", Email: "ann@example.org", Password: "a good password"})
		bob, _ := accounts.Create(ctx, account.NewAccount{Login: "bob", Email: "bob@example.org", Password: "a good password"})
		sp, _ := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		spaces.SetMember(ctx, sp.ID, ann.ID, space.RoleMember)
		spaces.SetMember(ctx, sp.ID, bob.ID, space.RoleMember)
		cal := calendar.New(db, acl.New(db), ics.Codec{}, nil)
		if k, err := n.SendReminders(ctx, icalarm.Alarms); k != 0 || err != nil {
			t.Fatalf("first call: %d %v", k, err)
		}
		personal, err := cal.EnsurePersonal(ctx, ann.Subject())
		if err != nil {
			t.Fatal(err)
		}
		pc, _ := cal.ByID(ctx, ann.Subject(), personal)
		if _, _, err := cal.Put(ctx, ann.Subject(), pc, "dentist.ics", event("d1", "Dentist", t0.Add(40*time.Minute), "-PT30M"), calendar.Conditions{}); err != nil {
			t.Fatal(err)
		}
		agenda, err := cal.EnsureSpace(ctx, sp.ID, "Agenda")
		if err != nil {
			t.Fatal(err)
		}
		ac, _ := cal.ByID(ctx, bob.Subject(), agenda)
		if _, _, err := cal.Put(ctx, bob.Subject(), ac, "meeting.ics", event("m1", "Team meeting", t0.Add(2*time.Hour), "-PT110M"), calendar.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := cal.Put(ctx, bob.Subject(), ac, "later.ics", event("l1", "Later", t0.Add(48*time.Hour), "-PT15M"), calendar.Conditions{}); err != nil {
			t.Fatal(err)
		}
		clk.Add(5 * time.Minute)
		if k, err := n.SendReminders(ctx, icalarm.Alarms); k != 0 || err != nil {
			t.Fatalf("before the alarms: %d %v", k, err)
		}
		clk.Add(10 * time.Minute)
		if k, err := n.SendReminders(ctx, icalarm.Alarms); k != 2 || err != nil {
			t.Fatalf("after the alarms: %d %v", k, err)
		}
		if k, _ := n.SendReminders(ctx, icalarm.Alarms); k != 0 {
			t.Fatalf("told twice: %d", k)
		}
		q.RunOnce(ctx)
		got := map[string]string{}
		for _, m := range srv.Messages() {
			got[m.To[0]] = string(m.Data)
		}
		if !strings.Contains(got["ann@example.org"], "Reminder: Dentist") || !strings.Contains(got["bob@example.org"], "Reminder: Team meeting") || len(got) != 2 {
			t.Errorf("mails: %v", got)
		}
	})
}
