package proposal_test

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
	"plaza/core/proposal"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/dav/caldav/ics"
)

// A visitor of a public space (after its password) proposes an event; it
// waits until a space administrator accepts it into the space's agenda.
func TestProposalQueue(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accounts, spaces := account.New(db, nil), space.New(db, nil)
		accounts.Create(ctx, account.NewAccount{Login: "owner", Password: "owner-password"})
		boss, _ := accounts.Create(ctx, account.NewAccount{Login: "boss", Password: "boss-password"})
		member, _ := accounts.Create(ctx, account.NewAccount{Login: "mem", Password: "mem-password"})
		pub, err := spaces.Create(ctx, space.NewSpace{Slug: "club", Public: true, Password: "open sesame"})
		if err != nil {
			t.Fatal(err)
		}
		priv, _ := spaces.Create(ctx, space.NewSpace{Slug: "private"})
		spaces.SetMember(ctx, pub.ID, boss.ID, space.RoleAdmin)
		spaces.SetMember(ctx, pub.ID, member.ID, space.RoleMember)
		cal := calendar.New(db, acl.New(db), ics.Codec{}, nil)
		ps := proposal.New(db, spaces, cal, nil)
		start := time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)
		in := proposal.Input{Summary: "Concert, with friends", Description: "In the park", Start: start, End: start.Add(2 * time.Hour), Name: "Vi Visitor", Email: "vi@example.net"}

		if _, err := ps.Propose(ctx, core.AnonymousSubject, pub.ID, in); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("before the password: %v", err)
		}
		if _, err := ps.Propose(ctx, core.AnonymousSubject, priv.ID, in); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("private space: %v", err)
		}
		visitor, err := spaces.Unlock(ctx, core.AnonymousSubject, "club", "open sesame")
		if err != nil {
			t.Fatal(err)
		}
		bad := in
		bad.End = start
		if _, err := ps.Propose(ctx, visitor, pub.ID, bad); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("end before start: %v", err)
		}
		p1, err := ps.Propose(ctx, visitor, pub.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		in.Summary = "Spam"
		p2, err := ps.Propose(ctx, visitor, pub.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ps.List(ctx, member.Subject(), pub.ID, proposal.Pending); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("member lists: %v", err)
		}
		pending, err := ps.List(ctx, boss.Subject(), pub.ID, proposal.Pending)
		if err != nil || len(pending) != 2 {
			t.Fatalf("pending %v %v", pending, err)
		}
		// Nothing in the agenda yet.
		agendaID, err := cal.EnsureSpace(ctx, pub.ID, "Agenda")
		if err != nil {
			t.Fatal(err)
		}
		c, err := cal.ByID(ctx, boss.Subject(), agendaID)
		if err != nil {
			t.Fatal(err)
		}
		if objs, _ := cal.List(ctx, c); len(objs) != 0 {
			t.Fatalf("agenda before acceptance: %d", len(objs))
		}
		if _, err := ps.Decide(ctx, member.Subject(), p1.ID, true); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("member decides: %v", err)
		}
		if _, err := ps.Decide(ctx, boss.Subject(), p1.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := ps.Decide(ctx, boss.Subject(), p1.ID, false); !errors.Is(err, core.ErrConflict) {
			t.Errorf("decided twice: %v", err)
		}
		if _, err := ps.Decide(ctx, boss.Subject(), p2.ID, false); err != nil {
			t.Fatal(err)
		}
		objs, err := cal.List(ctx, c)
		if err != nil || len(objs) != 1 {
			t.Fatalf("agenda after: %d %v", len(objs), err)
		}
		obj, err := cal.Get(ctx, c, objs[0].Name)
		if err != nil {
			t.Fatal(err)
		}
		if d := obj.Data; !strings.Contains(d, `SUMMARY:Concert\, with friends`) || !strings.Contains(d, "DTSTART:20260601T180000Z") {
			t.Errorf("event:\n%s", d)
		}
		if left, _ := ps.List(ctx, boss.Subject(), pub.ID, proposal.Pending); len(left) != 0 {
			t.Errorf("still pending: %v", left)
		}
	})
}
