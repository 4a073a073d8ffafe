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
)

// lineCodec is a stand-in codec for the store's own rules: data is
// "UID|start|end" (unix seconds, optional); "bad" is refused.
type lineCodec struct{}

func (lineCodec) Parse(data []byte) (calendar.Meta, error) {
	f := strings.Split(string(data), "|")
	if f[0] == "bad" || f[0] == "" {
		return calendar.Meta{}, &calendar.Violation{Code: calendar.CodeInvalidData, Err: core.ErrInvalid, Reason: "bad"}
	}
	return calendar.Meta{UID: f[0], Component: "VEVENT", Busy: true}, nil
}

func (lineCodec) Busy(data []byte, start, end time.Time) ([][2]time.Time, error) { return nil, nil }

func TestStore(t *testing.T) {
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
		alice, bob, carol := mk("alice"), mk("bob"), mk("carol")
		sp, err := space.New(db, nil).Create(ctx, space.NewSpace{Slug: "team"})
		if err != nil {
			t.Fatal(err)
		}
		space.New(db, nil).SetMember(ctx, sp.ID, bob.AccountID, space.RoleMember)
		s := calendar.New(db, acl.New(db), lineCodec{}, nil)

		home, err := s.Home(ctx, bob)
		if err != nil || len(home) != 2 || !home[0].Personal || home[1].Segment(bob) != "agenda@team" {
			t.Fatalf("bob's home: %+v %v", home, err)
		}
		personal, _ := s.Resolve(ctx, bob, "personal")
		team, _ := s.Resolve(ctx, bob, "agenda@team")

		// preconditions and the change log
		tag, created, err := s.Put(ctx, bob, personal, "a", []byte("a"), calendar.Conditions{IfNoneMatch: []string{"*"}})
		if err != nil || !created {
			t.Fatal(err)
		}
		if _, _, err := s.Put(ctx, bob, personal, "a", []byte("a|1"), calendar.Conditions{IfNoneMatch: []string{"*"}}); !errors.Is(err, calendar.ErrPrecondition) {
			t.Fatalf("If-None-Match: %v", err)
		}
		if _, _, err := s.Put(ctx, bob, personal, "a", []byte("a|1"), calendar.Conditions{IfMatch: []string{"nope"}}); !errors.Is(err, calendar.ErrPrecondition) {
			t.Fatalf("If-Match: %v", err)
		}
		if _, _, err := s.Put(ctx, bob, personal, "a", []byte("a|1"), calendar.Conditions{IfMatch: []string{tag}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Put(ctx, bob, personal, "x", []byte("bad"), calendar.Conditions{}); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("invalid data: %v", err)
		}
		if _, _, err := s.Put(ctx, bob, personal, "x", []byte("a|2"), calendar.Conditions{}); err == nil {
			t.Fatal("same UID under a second name accepted")
		} else if v, ok := calendar.ViolationOf(err); !ok || v.Code != calendar.CodeUIDConflict || v.Href != "a" {
			t.Fatalf("uid conflict: %v", err)
		}
		personal, _ = s.Resolve(ctx, bob, "personal")
		seq := personal.SyncSeq
		s.Put(ctx, bob, personal, "b", []byte("b"), calendar.Conditions{})
		s.Delete(ctx, bob, personal, "a", calendar.Conditions{})
		changed, deleted, now, err := s.Changes(ctx, personal, seq)
		if err != nil || len(changed) != 1 || changed[0].Name != "b" || len(deleted) != 1 || deleted[0] != "a" || now != seq+2 {
			t.Fatalf("changes since %d: %+v %v %d %v", seq, changed, deleted, now, err)
		}
		if _, _, _, err := s.Changes(ctx, personal, now+1); err == nil {
			t.Fatal("a future token accepted")
		}

		// one object in two calendars
		if err := s.Link(ctx, bob, personal, "b", team); err != nil {
			t.Fatal(err)
		}
		teamSeq := team.SyncSeq
		if _, _, err := s.Put(ctx, bob, team, "b", []byte("b|changed"), calendar.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if o, _ := s.Get(ctx, personal, "b"); o.Data != "b|changed" {
			t.Fatalf("the edit did not show in the other calendar: %q", o.Data)
		}
		if c, _, _, _ := s.Changes(ctx, personal, now); len(c) != 1 {
			t.Fatalf("the other calendar did not log the edit: %v", c)
		}
		team, _ = s.Resolve(ctx, bob, "agenda@team")
		if team.SyncSeq <= teamSeq {
			t.Fatal("team sequence did not move")
		}

		// access: carol sees neither; alice (platform owner) sees the team's
		if _, err := s.Resolve(ctx, carol, "personal~bob"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("carol: %v", err)
		}
		if _, err := s.Resolve(ctx, carol, "agenda@team"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("carol on team: %v", err)
		}
		aliceTeam, err := s.Resolve(ctx, alice, "agenda@team")
		if err != nil {
			t.Fatalf("the platform owner administers every space: %v", err)
		}
		if err := s.Link(ctx, carol, personal, "b", team); err == nil {
			t.Fatal("carol linked into a calendar she cannot see")
		}
		// a read-only grant: reads, no writes, 403 naming the privilege
		acl.SetGrants(ctx, db, personal.ContainerID, []acl.Grant{{PrincipalKind: acl.PrincipalUser, PrincipalID: carol.AccountID, Level: acl.Read}})
		shared, err := s.Resolve(ctx, carol, "personal~bob")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Put(ctx, carol, shared, "c", []byte("c"), calendar.Conditions{}); err == nil {
			t.Fatal("read-only PUT accepted")
		} else if p, ok := acl.IsDenied(err); !ok || p != acl.PrivBind {
			t.Fatalf("read-only PUT: %v", err)
		}
		if err := s.Delete(ctx, carol, shared, "b", calendar.Conditions{}); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("read-only DELETE: %v", err)
		}
		// the personal calendar cannot be deleted, only turned off
		if err := s.DeleteCollection(ctx, bob, personal); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("delete personal: %v", err)
		}
		if err := s.DeleteCollection(ctx, alice, aliceTeam); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("a space administrator has write, not full, on the space calendar: %v", err)
		}
		// deleting a calendar keeps objects other calendars hold
		id, err := s.Create(ctx, bob, calendar.NewCollection{Slug: "work"})
		if err != nil {
			t.Fatal(err)
		}
		work, _ := s.ByID(ctx, bob, id)
		if err := s.Link(ctx, bob, personal, "b", work); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteCollection(ctx, bob, work); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, personal, "b"); err != nil {
			t.Fatalf("object lost with another calendar: %v", err)
		}
		if _, err := s.Create(ctx, bob, calendar.NewCollection{Slug: "a@b"}); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("slug with @: %v", err)
		}
	})
}

// TestBindNeedsWrite: a binding is one more way to change an object, so
// binding needs write on the object, and a change through any binding
// needs write on it in every collection that holds it (issue 20, item 1).
func TestBindNeedsWrite(t *testing.T) {
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
		_, bob, carol := mk("owner"), mk("bob"), mk("carol")
		spaces := space.New(db, nil)
		sp, err := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		if err != nil {
			t.Fatal(err)
		}
		for _, who := range []core.Subject{bob, carol} {
			if err := spaces.SetMember(ctx, sp.ID, who.AccountID, space.RoleMember); err != nil {
				t.Fatal(err)
			}
		}
		s := calendar.New(db, acl.New(db), lineCodec{}, nil)
		for _, who := range []core.Subject{bob, carol} {
			if _, err := s.Home(ctx, who); err != nil {
				t.Fatal(err)
			}
		}
		personal, _ := s.Resolve(ctx, bob, "personal")
		if _, _, err := s.Put(ctx, bob, personal, "e", []byte("e"), calendar.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if err := acl.SetGrants(ctx, db, personal.ContainerID, []acl.Grant{{PrincipalKind: acl.PrincipalUser, PrincipalID: carol.AccountID, Level: acl.Read}}); err != nil {
			t.Fatal(err)
		}
		shared, err := s.Resolve(ctx, carol, "personal~bob")
		if err != nil {
			t.Fatal(err)
		}
		mine, err := s.Resolve(ctx, carol, "personal")
		if err != nil {
			t.Fatal(err)
		}
		// carol reads bob's event: binding it into her own calendar would let
		// her rewrite it there.
		err = s.Link(ctx, carol, shared, "e", mine)
		if p, ok := acl.IsDenied(err); !ok || p != acl.PrivWriteContent {
			t.Fatalf("carol binds an event she only reads: %v, want forbidden (write-content)", err)
		}
		// bob binds it into the team agenda, where carol has write: she may
		// still not change it, since she cannot in bob's calendar.
		team, _ := s.Resolve(ctx, bob, "agenda@team")
		if err := s.Link(ctx, bob, personal, "e", team); err != nil {
			t.Fatal(err)
		}
		carolTeam, err := s.Resolve(ctx, carol, "agenda@team")
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = s.Put(ctx, carol, carolTeam, "e", []byte("e|rewritten"), calendar.Conditions{})
		if p, ok := acl.IsDenied(err); !ok || p != acl.PrivWriteContent {
			t.Fatalf("carol changes bob's event through the team's binding: %v, want forbidden", err)
		}
		if o, _ := s.Get(ctx, personal, "e"); o.Data != "e" {
			t.Fatalf("bob's event changed: %q", o.Data)
		}
		// her own event, bound into the team agenda, she changes there.
		if _, _, err := s.Put(ctx, carol, mine, "f", []byte("f"), calendar.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if err := s.Link(ctx, carol, mine, "f", carolTeam); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Put(ctx, carol, carolTeam, "f", []byte("f|1"), calendar.Conditions{}); err != nil {
			t.Fatal(err)
		}
		// unbinding through the team agenda leaves bob's event in place.
		if err := s.Delete(ctx, carol, carolTeam, "e", calendar.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if o, err := s.Get(ctx, personal, "e"); err != nil || o.Data != "e" {
			t.Fatalf("bob's event after an unbind: %+v %v", o, err)
		}
	})
}
