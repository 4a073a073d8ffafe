package federation_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/coretest"
	"plaza/core/fediverse"
	"plaza/core/store"
)

// TestBlocks: an administrator's block of a server (the fake GoToSocial)
// ends its follows, makes its inbox requests 403 and drops deliveries
// already queued for it; a block of one actor (given as name@host) does
// the same for that actor; people who are not administrators may not
// block, and a bad block is refused.
func TestBlocks(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newInstance(t, db, "", instOpts{})
		g := newGTS(t, a.base, time.Now)
		root, err := a.accts.Create(ctx, account.NewAccount{Login: "root", Type: core.Administrator, Password: "password-root"})
		must(t, err)
		admin := root.Subject() // the first account owns the server
		alice := a.user("alice")
		pub := a.space("pub", true, alice)
		a.publicCategory(alice, pub, "general")
		groupID := a.base + "/ap/groups/general"
		asCtx := `"@context":"https://www.w3.org/ns/activitystreams"`
		follow := func(n int) (int, string) {
			return g.send(groupID+"/inbox", "bob", fmt.Sprintf(`{%s,"id":"%s/follows/%d","type":"Follow","actor":%q,"object":%q}`, asCtx, g.base, n, g.actor("bob"), groupID))
		}
		followers := func() int {
			sp, err := a.fed.SpaceFediverse(ctx, alice, pub.ID)
			must(t, err)
			n := 0
			for _, ac := range sp.Actors {
				n += len(ac.Followers)
			}
			return n
		}
		if code, body := follow(1); code != http.StatusAccepted {
			t.Fatalf("follow: %d %s", code, body)
		}
		g.waitFor("Accept", "follows/1")
		if followers() != 1 {
			t.Fatal("bob does not follow")
		}

		if _, err := a.fed.AddBlock(ctx, alice, fediverse.BlockDomain, g.host); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("a user blocks a server: %v", err)
		}
		for _, bad := range []struct{ kind, value string }{{"planet", "x"}, {fediverse.BlockDomain, "http://x/"}, {fediverse.BlockDomain, a.host}, {fediverse.BlockActor, a.base + "/ap/users/alice"}} {
			if _, err := a.fed.AddBlock(ctx, admin, bad.kind, bad.value); !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("block %v: %v", bad, err)
			}
		}
		// Something is queued for bob, then his server is blocked.
		must(t, a.fed.Queue().EnqueueForTest(ctx, a.base+"/ap/activities/queued-1", g.actor("bob")+"/inbox",
			[]byte(fmt.Sprintf(`{%s,"id":"%s/ap/activities/queued-1","type":"Note"}`, asCtx, a.base))))
		b, err := a.fed.AddBlock(ctx, admin, fediverse.BlockDomain, g.host)
		must(t, err)
		if _, err := a.fed.AddBlock(ctx, admin, fediverse.BlockDomain, g.host); !errors.Is(err, core.ErrConflict) {
			t.Fatalf("the same block twice: %v", err)
		}
		if followers() != 0 {
			t.Fatal("a blocked server still follows")
		}
		if code, _ := follow(2); code != http.StatusForbidden {
			t.Fatalf("a blocked server's follow: %d", code)
		}
		eventually(t, "the queued delivery is dropped", func() bool {
			var state string
			must(t, a.db.NewSelect().Table("ap_deliveries").Column("state").Where("activity_id = ?", a.base+"/ap/activities/queued-1").Scan(ctx, &state))
			return state == "dead"
		})
		g.mu.Lock()
		for _, body := range g.bodies {
			if strings.Contains(body, "queued-1") {
				t.Fatal("delivered to a blocked server")
			}
		}
		g.mu.Unlock()

		// Unblocked, then bob alone blocked by his handle.
		must(t, a.fed.RemoveBlock(ctx, admin, b.ID))
		if err := a.fed.RemoveBlock(ctx, admin, b.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("lift a lifted block: %v", err)
		}
		if code, body := follow(3); code != http.StatusAccepted {
			t.Fatalf("follow once unblocked: %d %s", code, body)
		}
		if _, err := a.fed.AddBlock(ctx, admin, fediverse.BlockActor, "bob@"+g.host); err != nil {
			t.Fatal(err)
		}
		bs, err := a.fed.Blocks(ctx, admin)
		must(t, err)
		if len(bs) != 1 || bs[0].Value != g.actor("bob") {
			t.Fatalf("blocks: %+v", bs)
		}
		if followers() != 0 {
			t.Fatal("a blocked actor still follows")
		}
		if code, _ := follow(4); code != http.StatusForbidden {
			t.Fatalf("a blocked actor's follow: %d", code)
		}
		if _, err := a.fed.Follow(ctx, alice, pub.ID, "bob@"+g.host); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("following a blocked actor: %v", err)
		}
	})
}
