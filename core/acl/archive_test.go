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

// An archived space is read-only: its members, its administrators,
// platform administrators and authors keep read and lose the rest;
// listings still show its containers; new containers are refused;
// restoring gives everything back.
func TestArchivedSpaceReadOnly(t *testing.T) {
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
		owner, sa, mem := mk("owner"), mk("sa"), mk("mem")
		sp, _ := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		spaces.SetMember(ctx, sp.ID, sa.AccountID, space.RoleAdmin)
		spaces.SetMember(ctx, sp.ID, mem.AccountID, space.RoleMember)
		c := &acl.Container{SpaceID: &sp.ID, Module: core.ModTasks, Kind: "tasklist", Name: "Plan"}
		if err := acl.CreateContainer(ctx, db, c, []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: sp.ID, Level: acl.Write}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		archive := func(on bool) {
			q := db.NewUpdate().Model((*space.Space)(nil)).Where("id = ?", sp.ID)
			if on {
				q = q.Set("archived_at = ?", time.Now().UTC())
			} else {
				q = q.Set("archived_at = NULL")
			}
			if _, err := q.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		type check struct {
			name string
			who  core.Subject
			t    acl.Target
		}
		checks := []check{
			{"member", mem, acl.Target{ContainerID: c.ID}},
			{"space admin", sa, acl.Target{ContainerID: c.ID}},
			{"platform owner", owner, acl.Target{ContainerID: c.ID}},
			{"author of an item", mem, acl.Target{ContainerID: c.ID, Item: true, AuthorID: mem.AccountID}},
		}
		archive(true)
		for _, ck := range checks {
			if l, err := eng.Level(ctx, ck.who, ck.t); err != nil || l != acl.Read {
				t.Errorf("%s in an archived space: %v %v, want read", ck.name, l, err)
			}
			if err := eng.Decide(ctx, ck.who, ck.t, acl.PrivWriteContent); !errors.Is(err, core.ErrForbidden) {
				t.Errorf("%s writes in an archived space: %v, want forbidden", ck.name, err)
			}
		}
		if rs, err := eng.ReadableIn(ctx, mem, sp.ID, core.ModTasks, "tasklist"); err != nil || len(rs) != 1 || rs[0].Level != acl.Read {
			t.Errorf("listing in an archived space: %+v %v", rs, err)
		}
		if err := acl.RequireMember(ctx, db, sa, sp.ID, core.ModTasks); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("new container in an archived space: %v", err)
		}
		archive(false)
		for _, ck := range checks {
			if l, _ := eng.Level(ctx, ck.who, ck.t); l < acl.Write {
				t.Errorf("%s after restoring: %v", ck.name, l)
			}
		}
		if err := acl.RequireMember(ctx, db, sa, sp.ID, core.ModTasks); err != nil {
			t.Errorf("new container after restoring: %v", err)
		}
	})
}
