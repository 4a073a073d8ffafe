package admin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/admin"
	"plaza/core/coretest"
	"plaza/core/invite"
	"plaza/core/space"
	"plaza/core/store"
)

// Only the owner promotes, demotes, deactivates or edits administrators;
// a plain administrator manages users and guests, and itself.
func TestOnlyOwnerManagesAdministrators(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		mk := func(login string, typ core.AccountType) *account.Account {
			a, err := w.accounts.Create(ctx, account.NewAccount{Login: login, Type: typ, Password: login + "-password"})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		adm, other, usr := mk("adm", core.Administrator), mk("other", core.Administrator), mk("usr", core.User)
		as := adm.Subject()
		promote, demote, yes := core.Administrator, core.User, true
		for name, err := range map[string]error{
			"promote a user": func() error {
				_, err := w.admin.UpdateUser(ctx, as, usr.ID, admin.UserUpdate{Type: &promote})
				return err
			}(),
			"demote an administrator": func() error {
				_, err := w.admin.UpdateUser(ctx, as, other.ID, admin.UserUpdate{Type: &demote})
				return err
			}(),
			"deactivate an administrator": func() error {
				_, err := w.admin.UpdateUser(ctx, as, other.ID, admin.UserUpdate{Disabled: &yes})
				return err
			}(),
			"set an administrator's password": func() error {
				pw := "taken-over-password"
				_, err := w.admin.UpdateUser(ctx, as, other.ID, admin.UserUpdate{Password: &pw})
				return err
			}(),
			"create an administrator": func() error {
				_, _, err := w.admin.CreateUser(ctx, as, admin.NewUser{Login: "boss", Type: core.Administrator, Password: "boss-password"})
				return err
			}(),
			"invite an administrator": func() error {
				_, _, err := w.invites.Create(ctx, as, invite.Spec{Email: "boss@example.org", Type: core.Administrator})
				return err
			}(),
		} {
			if !errors.Is(err, core.ErrForbidden) {
				t.Errorf("a plain administrator may %s: %v", name, err)
			}
		}
		rep, err := w.admin.ImportUsersCSV(ctx, as, strings.NewReader("login,type\nboss2,administrator\nfine,user\n"))
		if err != nil || rep.Created != 1 || len(rep.Rejected) != 1 {
			t.Errorf("import by a plain administrator: %+v %v", rep, err)
		}
		// Users and guests: still theirs; and their own name.
		guest := core.Guest
		if _, err := w.admin.UpdateUser(ctx, as, usr.ID, admin.UserUpdate{Type: &guest, Disabled: &yes}); err != nil {
			t.Errorf("administrator manages a user: %v", err)
		}
		name := "Adm"
		if _, err := w.admin.UpdateUser(ctx, as, adm.ID, admin.UserUpdate{Name: &name}); err != nil {
			t.Errorf("administrator edits itself: %v", err)
		}
		// The owner does it all.
		if _, err := w.admin.UpdateUser(ctx, w.owner, other.ID, admin.UserUpdate{Disabled: &yes}); err != nil {
			t.Errorf("owner deactivates an administrator: %v", err)
		}
		if _, err := w.admin.UpdateUser(ctx, w.owner, adm.ID, admin.UserUpdate{Type: &demote}); err != nil {
			t.Errorf("owner demotes an administrator: %v", err)
		}
		if a, _ := w.accounts.Get(ctx, usr.ID); a.Type != core.Guest {
			t.Errorf("usr is %s", a.Type)
		}
	})
}

// A space administrator archives and restores their own space, not
// another; members see it archived; outsiders do not see it.
func TestSpaceAdminArchives(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		sa, _ := w.accounts.Create(ctx, account.NewAccount{Login: "sa", Password: "sa-password"})
		mem, _ := w.accounts.Create(ctx, account.NewAccount{Login: "mem", Password: "mem-password"})
		out, _ := w.accounts.Create(ctx, account.NewAccount{Login: "out", Password: "out-password"})
		team, _ := w.spaces.Create(ctx, space.NewSpace{Slug: "team", Public: true})
		lab, _ := w.spaces.Create(ctx, space.NewSpace{Slug: "lab"})
		w.spaces.SetMember(ctx, team.ID, sa.ID, space.RoleAdmin)
		w.spaces.SetMember(ctx, team.ID, mem.ID, space.RoleMember)
		w.spaces.SetMember(ctx, lab.ID, sa.ID, space.RoleMember)
		if err := w.admin.ArchiveSpace(ctx, mem.Subject(), team.ID, true); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("member archives: %v", err)
		}
		if err := w.admin.ArchiveSpace(ctx, sa.Subject(), lab.ID, true); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("space admin archives another space: %v", err)
		}
		if err := w.admin.ArchiveSpace(ctx, sa.Subject(), team.ID, true); err != nil {
			t.Fatalf("space admin archives: %v", err)
		}
		visible := func(who core.Subject) bool {
			sps, err := w.spaces.Visible(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			for _, sp := range sps {
				if sp.ID == team.ID {
					return sp.ArchivedAt != nil
				}
			}
			return false
		}
		if !visible(mem.Subject()) || !visible(w.owner) {
			t.Error("members and administrators do not see the archived space")
		}
		if visible(out.Subject()) || visible(core.AnonymousSubject) {
			t.Error("outsiders see the archived public space")
		}
		people, err := w.spaces.Roster(ctx, mem.Subject(), team.ID)
		if err != nil || len(people) != 2 || people[0].Login != "sa" || people[0].Role != space.RoleAdmin {
			t.Errorf("roster: %+v %v", people, err)
		}
		if _, err := w.spaces.Roster(ctx, out.Subject(), team.ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("outsider's roster: %v", err)
		}
		if err := w.admin.ArchiveSpace(ctx, sa.Subject(), team.ID, false); err != nil {
			t.Errorf("space admin restores: %v", err)
		}
		if sps, _ := w.spaces.Visible(ctx, out.Subject()); len(sps) != 1 || sps[0].ID != team.ID || sps[0].ArchivedAt != nil {
			t.Errorf("restored public space, seen from outside: %+v", sps)
		}
	})
}
