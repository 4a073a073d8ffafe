package acl_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
)

// Acollab's module roles count as grants of their level on every
// container of the module (members only; the highest level wins); a
// reader adds nothing at the module's root; DocSpace room roles given
// through an invitation become module roles in every module; only space
// administrators set them.
func TestModuleRoles(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accts, spaces, eng := account.New(db, nil), space.New(db, nil), acl.New(db)
		mk := func(login string) core.Subject {
			a, err := accts.Create(ctx, account.NewAccount{Login: login, Password: "password-" + login})
			if err != nil {
				t.Fatal(err)
			}
			return a.Subject()
		}
		owner, sa, ann, bob, out := mk("owner"), mk("sa"), mk("ann"), mk("bob"), mk("out")
		_ = owner
		sp, _ := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		spaces.SetMember(ctx, sp.ID, sa.AccountID, space.RoleAdmin)
		spaces.SetMember(ctx, sp.ID, ann.AccountID, space.RoleMember)
		spaces.SetMember(ctx, sp.ID, bob.AccountID, space.RoleMember)
		mkc := func(m core.Module) int64 {
			c := &acl.Container{SpaceID: &sp.ID, Module: m, Kind: "tasklist", Name: "c"}
			if err := acl.CreateContainer(ctx, db, c, []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: sp.ID, Level: acl.Read}}, time.Now()); err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		tasks, wiki := mkc(core.ModTasks), mkc(core.ModWiki)
		level := func(who core.Subject, c int64) acl.Level {
			l, err := eng.Level(ctx, who, acl.Target{ContainerID: c})
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		if err := acl.SetModuleRole(ctx, db, ann, sp.ID, core.ModTasks, acl.PrincipalUser, ann.AccountID, acl.ModuleEditor); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("a member sets module roles: %v", err)
		}
		if err := acl.SetModuleRole(ctx, db, sa, sp.ID, core.ModTasks, acl.PrincipalUser, out.AccountID, acl.ModuleEditor); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("a role for a non-member: %v", err)
		}
		if err := acl.SetModuleRole(ctx, db, sa, sp.ID, core.ModTasks, acl.PrincipalUser, ann.AccountID, "boss"); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("an unknown role: %v", err)
		}
		for _, c := range []struct {
			role acl.ModuleRole
			want acl.Level
		}{{acl.ModuleAdministrator, acl.Full}, {acl.ModuleEditor, acl.Write}, {acl.ModuleAuthor, acl.Limited}, {acl.ModuleReader, acl.Read}, {"", acl.Read}} {
			if err := acl.SetModuleRole(ctx, db, sa, sp.ID, core.ModTasks, acl.PrincipalUser, ann.AccountID, c.role); err != nil {
				t.Fatal(err)
			}
			if l := level(ann, tasks); l != c.want {
				t.Errorf("%q in tasks: %v, want %v", c.role, l, c.want)
			}
			if l := level(ann, wiki); l != acl.Read {
				t.Errorf("%q in tasks gives %v in the wiki", c.role, l)
			}
			if l := level(bob, tasks); l != acl.Read {
				t.Errorf("bob's level moved with ann's role: %v", l)
			}
		}
		acl.SetModuleRole(ctx, db, sa, sp.ID, core.ModTasks, acl.PrincipalUser, ann.AccountID, acl.ModuleReader)
		if err := acl.RequireMember(ctx, db, ann, sp.ID, core.ModTasks); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("a reader creates at the module's root: %v", err)
		}
		if err := acl.RequireMember(ctx, db, ann, sp.ID, core.ModWiki); err != nil {
			t.Errorf("a reader of tasks creates in the wiki: %v", err)
		}
		roles, err := acl.ModuleRoles(ctx, db, bob, sp.ID)
		if err != nil || len(roles) != 1 || roles[0].Name != "ann" || roles[0].Role != acl.ModuleReader {
			t.Errorf("roles as a member lists them: %+v %v", roles, err)
		}
		// A room role from an invitation: a content creator is an author
		// of every module.
		if err := acl.GiveRoomRole(ctx, db, sp.ID, bob.AccountID, "content-creator"); err != nil {
			t.Fatal(err)
		}
		if level(bob, tasks) != acl.Limited || level(bob, wiki) != acl.Limited {
			t.Errorf("content creator: %v %v", level(bob, tasks), level(bob, wiki))
		}
		// Removed from the space, the role gives nothing.
		spaces.RemoveMember(ctx, sp.ID, bob.AccountID)
		if l := level(bob, tasks); l != acl.None {
			t.Errorf("a removed member keeps %v", l)
		}
		for room, want := range map[string]acl.ModuleRole{"viewer": acl.ModuleReader, "reviewer": acl.ModuleReader, "form-filler": acl.ModuleAuthor, "editor": acl.ModuleEditor, "room-manager": acl.ModuleAdministrator} {
			if got, ok := acl.RoomRoleModuleRole(room); !ok || got != want {
				t.Errorf("room role %s: %v", room, got)
			}
		}
	})
}
