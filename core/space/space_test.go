package space_test

import (
	"context"
	"errors"
	"testing"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
)

func TestSpaces(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accts := account.New(db, nil)
		s := space.New(db, nil)
		owner, _ := accts.Create(ctx, account.NewAccount{Login: "owner", Password: "owner-password"})
		ann, _ := accts.Create(ctx, account.NewAccount{Login: "ann", Password: "ann-password"})
		gus, _ := accts.Create(ctx, account.NewAccount{Login: "gus", Type: core.Guest, Password: "gus-password"})

		team, err := s.Create(ctx, space.NewSpace{Slug: "team", Name: "The Team"})
		if err != nil {
			t.Fatal(err)
		}
		lobby, _ := s.Create(ctx, space.NewSpace{Slug: "lobby", Public: true, Password: "visitor-pw"})
		s.Create(ctx, space.NewSpace{Slug: "other"})
		if _, err := s.Create(ctx, space.NewSpace{Slug: "team"}); !errors.Is(err, core.ErrConflict) {
			t.Errorf("duplicate slug: %v", err)
		}
		if _, err := s.Create(ctx, space.NewSpace{Slug: "secret", Password: "pw-for-private"}); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("password on a private space: %v", err)
		}

		mods, _ := s.Modules(ctx, team.ID)
		if len(mods) != len(core.AllModules()) || !mods[core.ModFiles] {
			t.Errorf("new space modules: %v", mods)
		}
		s.SetModule(ctx, team.ID, core.ModChat, false)
		if mods, _ := s.Modules(ctx, team.ID); mods[core.ModChat] {
			t.Error("chat still on")
		}
		if err := s.SetModule(ctx, team.ID, "teleport", true); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("unknown module: %v", err)
		}

		if err := s.SetMember(ctx, team.ID, ann.ID, space.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := s.SetMember(ctx, team.ID, gus.ID, space.RoleAdmin); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("guest as space admin: %v", err)
		}
		s.SetMember(ctx, team.ID, gus.ID, space.RoleMember)
		s.SetMember(ctx, team.ID, ann.ID, space.RoleMember) // role change
		ms, _ := s.Members(ctx, team.ID)
		if len(ms) != 2 || ms[0].Role != space.RoleMember {
			t.Errorf("members: %+v", ms)
		}

		slugs := func(who core.Subject) []string {
			sp, err := s.Visible(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, x := range sp {
				out = append(out, x.Slug)
			}
			return out
		}
		if got := slugs(gus.Subject()); len(got) != 1 || got[0] != "team" {
			t.Errorf("guest sees %v, want only the space it belongs to", got)
		}
		// A guest removed from its space no longer sees it, even public.
		if err := s.SetMember(ctx, lobby.ID, gus.ID, space.RoleMember); err != nil {
			t.Fatal(err)
		}
		if got := slugs(gus.Subject()); len(got) != 2 {
			t.Errorf("guest member of two spaces sees %v", got)
		}
		if err := s.RemoveMember(ctx, lobby.ID, gus.ID); err != nil {
			t.Fatal(err)
		}
		if got := slugs(gus.Subject()); len(got) != 1 || got[0] != "team" {
			t.Errorf("guest removed from the public space still sees %v", got)
		}
		if got := slugs(core.AnonymousSubject); len(got) != 1 || got[0] != "lobby" {
			t.Errorf("anonymous sees %v", got)
		}
		if got := slugs(owner.Subject()); len(got) != 3 {
			t.Errorf("owner sees %v", got)
		}

		if _, err := s.Unlock(ctx, core.AnonymousSubject, "lobby", "wrong"); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("wrong space password: %v", err)
		}
		who, err := s.Unlock(ctx, core.AnonymousSubject, "lobby", "visitor-pw")
		if err != nil || len(who.UnlockedSpaces) != 1 || who.UnlockedSpaces[0] != lobby.ID {
			t.Errorf("unlock: %+v %v", who, err)
		}
		if _, err := s.Unlock(ctx, core.AnonymousSubject, "team", ""); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("unlock a private space: %v", err)
		}
		s.RemoveMember(ctx, team.ID, gus.ID)
		if got := slugs(gus.Subject()); len(got) != 0 {
			t.Errorf("removed guest sees %v, want nothing", got)
		}
	})
}
