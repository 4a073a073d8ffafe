package poll_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/coretest"
	"plaza/core/poll"
	"plaza/core/space"
	"plaza/core/store"
)

func TestPoll(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		accts := account.New(db, nil)
		spaces := space.New(db, nil)
		who := map[string]core.Subject{}
		sp, err := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		must(err)
		for _, l := range []string{"alice", "bob", "carol", "mallory"} {
			a, err := accts.Create(ctx, account.NewAccount{Login: l, Type: core.User, Password: "password-" + l})
			must(err)
			who[l] = a.Subject()
			if l != "mallory" {
				must(spaces.SetMember(ctx, sp.ID, a.ID, space.RoleMember))
			}
		}
		svc := poll.New(db, clock)
		closes := now.Add(time.Hour)
		for _, bad := range []poll.NewPoll{
			{SpaceID: sp.ID, Question: "q", Options: []string{"only"}},
			{SpaceID: sp.ID, Question: "q", Options: []string{"a", "a"}},
			{SpaceID: sp.ID, Question: "", Options: []string{"a", "b"}},
			{SpaceID: sp.ID, Question: "q", Options: []string{"a", "b"}, Results: poll.AfterClose},
			{SpaceID: sp.ID, Question: "q", Options: []string{"a", "b"}, Results: "never"},
		} {
			if _, err := svc.Create(ctx, who["alice"], bad); !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("%+v: %v", bad, err)
			}
		}
		// A private space is hidden from outsiders (acl.RequireSpace).
		if _, err := svc.Create(ctx, who["mallory"], poll.NewPoll{SpaceID: sp.ID, Question: "q", Options: []string{"a", "b"}}); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("outsider creates: %v", err)
		}
		p, err := svc.Create(ctx, who["alice"], poll.NewPoll{SpaceID: sp.ID, Question: "Lunch?", Options: []string{"pizza", "sushi", "salad"},
			ClosesAt: &closes, Results: poll.AfterVote})
		must(err)
		opt := func(i int) int64 { return p.Options[i].ID }
		// Results hidden before voting, shown after.
		got, err := svc.Get(ctx, who["bob"], p.ContainerID)
		must(err)
		if got.Options[0].Votes != nil {
			t.Fatal("results visible before voting")
		}
		if err := svc.Vote(ctx, who["bob"], p.ContainerID, []int64{opt(0), opt(1)}); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("two choices on single choice: %v", err)
		}
		must(svc.Vote(ctx, who["bob"], p.ContainerID, []int64{opt(0)}))
		if err := svc.Vote(ctx, who["bob"], p.ContainerID, []int64{opt(1)}); !errors.Is(err, core.ErrConflict) {
			t.Fatalf("second ballot: %v", err)
		}
		if err := svc.Vote(ctx, who["mallory"], p.ContainerID, []int64{opt(1)}); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("outsider votes: %v", err)
		}
		got, err = svc.Get(ctx, who["bob"], p.ContainerID)
		must(err)
		if got.Options[0].Votes == nil || *got.Options[0].Votes != 1 || *got.Options[1].Votes != 0 {
			t.Fatalf("results after vote %+v", got.Options)
		}
		got, err = svc.Get(ctx, who["carol"], p.ContainerID)
		must(err)
		if got.Options[0].Votes != nil {
			t.Fatal("results visible to carol who has not voted")
		}
		// Closing: no more votes; results for everyone.
		mu.Lock()
		now = closes
		mu.Unlock()
		if err := svc.Vote(ctx, who["carol"], p.ContainerID, []int64{opt(2)}); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("vote after close: %v", err)
		}
		got, err = svc.Get(ctx, who["carol"], p.ContainerID)
		must(err)
		if got.Options[0].Votes == nil || *got.Options[0].Votes != 1 {
			t.Fatalf("results after close %+v", got.Options)
		}
		// Multiple choice.
		m, err := svc.Create(ctx, who["alice"], poll.NewPoll{SpaceID: sp.ID, Question: "Days?", Options: []string{"mon", "tue", "wed"}, Multiple: true})
		must(err)
		must(svc.Vote(ctx, who["carol"], m.ContainerID, []int64{m.Options[0].ID, m.Options[2].ID}))
		got, err = svc.Get(ctx, who["mallory"], m.ContainerID)
		if !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("outsider reads poll: %v", err)
		}
		got, err = svc.Get(ctx, who["bob"], m.ContainerID)
		must(err)
		if *got.Options[0].Votes != 1 || *got.Options[1].Votes != 0 || *got.Options[2].Votes != 1 {
			t.Fatalf("multiple results %+v", got.Options)
		}
		if err := svc.Close(ctx, who["bob"], m.ContainerID); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("member closes another's poll: %v", err)
		}
		ps, err := svc.List(ctx, who["mallory"], sp.ID)
		must(err)
		if len(ps) != 0 {
			t.Fatalf("outsider lists %d polls", len(ps))
		}
	})
}
