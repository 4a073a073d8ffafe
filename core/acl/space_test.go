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

// The space-level rules have one answer: visitors asked to act sign in,
// what who may not see is not found, what who sees but may not do is
// forbidden; disabled accounts count as no one; guests see only their
// spaces; a module turned off and an archived space refuse.
func TestSpaceRules(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accts, spaces := account.New(db, nil), space.New(db, nil)
		mk := func(login string, typ core.AccountType) core.Subject {
			a, err := accts.Create(ctx, account.NewAccount{Login: login, Type: typ, Password: "password-" + login})
			if err != nil {
				t.Fatal(err)
			}
			return a.Subject()
		}
		owner := mk("owner", core.Owner)
		admin, sa, mem, guest := mk("admin", core.Administrator), mk("sa", core.User), mk("mem", core.User), mk("guest", core.Guest)
		outsider, gone, guestOut := mk("outsider", core.User), mk("gone", core.User), mk("guestout", core.Guest)
		priv, _ := spaces.Create(ctx, space.NewSpace{Slug: "priv"})
		pub, _ := spaces.Create(ctx, space.NewSpace{Slug: "pub", Public: true})
		arch, _ := spaces.Create(ctx, space.NewSpace{Slug: "arch", Public: true})
		for _, sp := range []*space.Space{priv, pub, arch} {
			spaces.SetMember(ctx, sp.ID, sa.AccountID, space.RoleAdmin)
			spaces.SetMember(ctx, sp.ID, mem.AccountID, space.RoleMember)
			spaces.SetMember(ctx, sp.ID, guest.AccountID, space.RoleMember)
			spaces.SetMember(ctx, sp.ID, gone.AccountID, space.RoleAdmin)
			spaces.SetModule(ctx, sp.ID, core.ModChat, false)
		}
		accts.SetDisabled(ctx, gone.AccountID, true)
		if _, err := db.NewUpdate().Model((*space.Space)(nil)).Set("archived_at = ?", time.Now().UTC()).Where("id = ?", arch.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		member := acl.SpaceNeed{}
		adminNeed := acl.SpaceNeed{Admin: true}
		change := acl.SpaceNeed{Change: true}
		chat := acl.SpaceNeed{Module: core.ModChat}
		visit := acl.SpaceNeed{Visitor: true}
		anon := core.AnonymousSubject
		var (
			ok    error
			nf    = core.ErrNotFound
			forb  = core.ErrForbidden
			unaut = core.ErrUnauthenticated
		)
		cases := []struct {
			name  string
			who   core.Subject
			space int64
			need  acl.SpaceNeed
			want  error
		}{
			{"member in private", mem, priv.ID, member, ok},
			{"guest member in private", guest, priv.ID, member, ok},
			{"member asks admin", mem, priv.ID, adminNeed, forb},
			{"space admin", sa, priv.ID, adminNeed, ok},
			{"platform admin, not a member", admin, priv.ID, adminNeed, ok},
			{"owner, not a member", owner, priv.ID, change, ok},
			{"outsider in private", outsider, priv.ID, member, nf},
			{"outsider in public", outsider, pub.ID, member, forb},
			{"outsider visits public", outsider, pub.ID, visit, ok},
			{"outsider visits private", outsider, priv.ID, visit, nf},
			{"guest outside visits public", guestOut, pub.ID, visit, nf},
			{"visitor visits public", anon, pub.ID, visit, ok},
			{"visitor visits private", anon, priv.ID, visit, nf},
			{"visitor acts in public", anon, pub.ID, member, unaut},
			{"visitor acts in private", anon, priv.ID, member, unaut},
			{"disabled space admin", gone, priv.ID, member, nf},
			{"disabled space admin in public", gone, pub.ID, adminNeed, nf},
			{"module off, member", mem, priv.ID, chat, forb},
			{"module off, outsider in public", outsider, pub.ID, chat, nf},
			{"archived, member reads", mem, arch.ID, member, ok},
			{"archived, space admin changes", sa, arch.ID, acl.SpaceNeed{Admin: true, Change: true}, forb},
			{"archived, visitor", anon, arch.ID, visit, nf},
			{"no such space", mem, 999999, member, nf},
		}
		for _, c := range cases {
			err := acl.RequireSpace(ctx, db, c.who, c.space, c.need)
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		if ok, _ := acl.IsMember(ctx, db, gone, priv.ID); ok {
			t.Error("a disabled account counts as a member")
		}
		if ok, _ := acl.IsSpaceAdmin(ctx, db, admin, priv.ID); !ok {
			t.Error("a platform administrator does not administer a space")
		}
		if all, _ := acl.AllMembers(ctx, db, priv.ID, []int64{mem.AccountID, guest.AccountID, mem.AccountID}); !all {
			t.Error("members are not all members")
		}
		if all, _ := acl.AllMembers(ctx, db, priv.ID, []int64{mem.AccountID, outsider.AccountID}); all {
			t.Error("an outsider counts as a member")
		}
	})
}
