package acl_test

import (
	"context"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/store"
)

// TestRemoteLevel: people of other servers read what the public reads and
// write (limited) only where the space's members may also write; nothing
// where the public cannot read (a members' container, a space behind a
// password, an archived space, a module turned off).
func TestRemoteLevel(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := build(t, db)
		pub := w.spaces["pub"].ID
		anon := acl.Grant{PrincipalKind: acl.PrincipalAnonymous, Level: acl.Read}
		members := func(l acl.Level) acl.Grant {
			return acl.Grant{PrincipalKind: acl.PrincipalSpace, PrincipalID: pub, Level: l}
		}
		mk := func(m core.Module, gs ...acl.Grant) int64 {
			c := &acl.Container{SpaceID: &pub, Module: m, Kind: "category", Name: "c"}
			if err := acl.CreateContainer(ctx, db, c, gs, time.Now()); err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		for _, c := range []struct {
			name string
			id   int64
			want acl.Level
		}{
			{"public, members write", mk(core.ModForum, anon, members(acl.Limited)), acl.Limited},
			{"public, members write more", mk(core.ModForum, anon, members(acl.Full)), acl.Limited},
			{"public, members read", mk(core.ModForum, anon, members(acl.Read)), acl.Read},
			{"members only", mk(core.ModForum, members(acl.Limited)), acl.None},
			{"public", w.conts["public"], acl.Read},
			{"behind a password", w.conts["locked"], acl.None},
			{"archived", w.conts["archived"], acl.None},
		} {
			got, err := acl.RemoteLevel(ctx, db, c.id)
			if err != nil || got != c.want {
				t.Errorf("%s: %v %v, want %v", c.name, got, err, c.want)
			}
		}
		if _, err := acl.RemoteLevel(ctx, db, 1<<40); err == nil {
			t.Error("no error for a missing container")
		}
	})
}
