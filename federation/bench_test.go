//go:build bench

package federation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"plaza/core/coretest"
	"plaza/core/forum"
	"plaza/core/store"
	"plaza/federation"
)

// TestBenchFanOut: a group with 10,000 followers on 100 loopback
// instances (shared inboxes), 10 answering in 5 s and 10 accepting the
// connection and never answering. A new topic (three activities per
// instance: Announce(Create), Announce(Page), the author's Create) must
// reach every healthy instance in under 5 s; a restart of the sender
// mid-fan-out must delay nothing more than a few seconds; no instance
// may get an activity twice. Run with `make bench`.
func TestBenchFanOut(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in := newInstance(t, db, "", instOpts{noQueue: true, workerID: "bench"})
		alice := in.user("alice")
		general := in.publicCategory(alice, in.space("pub", true, alice), "general")
		var hosts, healthy []*peerHost
		for i := range 100 {
			switch {
			case i < 10:
				hosts = append(hosts, newPeerHost(t, 5*time.Second, false))
			case i < 20:
				hosts = append(hosts, newPeerHost(t, 0, true))
			default:
				p := newPeerHost(t, 0, false)
				hosts = append(hosts, p)
				healthy = append(healthy, p)
			}
		}
		var fs []federation.FollowerForTest
		for _, h := range hosts {
			for u := range 100 {
				id := fmt.Sprintf("%s/users/u%d", h.srv.URL, u)
				fs = append(fs, federation.FollowerForTest{URI: id, Inbox: id + "/inbox", SharedInbox: h.srv.URL + "/inbox"})
			}
		}
		must(t, in.fed.AddFollowersForTest(ctx, fmt.Sprintf("group:%d", general.ContainerID), fs))

		// served waits until every healthy host has want activities and
		// returns the time the last one got its last.
		served := func(want int) time.Time {
			var last time.Time
			deadline := time.Now().Add(60 * time.Second)
			for _, h := range healthy {
				for {
					h.mu.Lock()
					n := len(h.got)
					var l time.Time
					for _, at := range h.first {
						if at.After(l) {
							l = at
						}
					}
					h.mu.Unlock()
					if n >= want {
						if l.After(last) {
							last = l
						}
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("a healthy instance has %d of %d activities after 60 s", n, want)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			return last
		}

		run1, stop1 := context.WithCancel(ctx)
		done1 := make(chan struct{})
		go func() { in.fed.Queue().Run(run1); close(done1) }()
		start := time.Now()
		_, err := in.forum.CreateTopic(ctx, alice, general.ContainerID, forum.NewTopic{Title: "Fan-out", Body: "<p>to all</p>"})
		must(t, err)
		fanOut := served(3).Sub(start)

		// A restart mid-fan-out: the second topic's deliveries have begun
		// when the sender stops; a new process takes over.
		_, err = in.forum.CreateTopic(ctx, alice, general.ContainerID, forum.NewTopic{Title: "Restart", Body: "<p>again</p>"})
		must(t, err)
		time.Sleep(150 * time.Millisecond)
		restart := time.Now()
		stop1()
		<-done1
		stopped := time.Since(restart)
		next := newInstance(t, db, in.base, instOpts{workerID: "bench"})
		_ = next
		afterRestart := served(6).Sub(restart)

		// Slow instances get everything too; count duplicates.
		dups, slowDone := 0, 0
		eventually(t, "slow instances served", func() bool {
			slowDone = 0
			for _, h := range hosts[:10] {
				h.mu.Lock()
				if len(h.got) >= 6 {
					slowDone++
				}
				h.mu.Unlock()
			}
			return slowDone == 10
		})
		for i, h := range hosts {
			h.mu.Lock()
			for b, c := range h.got {
				if c > 1 {
					dups += c - 1
					var act struct{ ID string }
					json.Unmarshal([]byte(b), &act)
					t.Logf("instance %d (%s) got %d times: %s", i, h.srv.URL, c, act.ID)
				}
			}
			h.mu.Unlock()
		}
		t.Logf("\n| %s | followers | instances (slow 5 s / hanging) | new topic: last healthy instance served | restart: sender stopped in | restart: last healthy served after | slow instances served | duplicates |\n|---|---|---|---|---|---|---|---|\n| %s | %d | %d (%d / %d) | %v | %v | %v | %d/10 | %d |",
			"db", db.Kind, len(fs), len(hosts), 10, 10, fanOut.Round(time.Millisecond), stopped.Round(time.Millisecond),
			afterRestart.Round(time.Millisecond), slowDone, dups)
		if fanOut > 5*time.Second {
			t.Errorf("healthy instances served in %v, want < 5 s", fanOut)
		}
		if afterRestart > 8*time.Second {
			t.Errorf("after a restart healthy instances served in %v", afterRestart)
		}
		if dups > 0 {
			t.Errorf("%d duplicate deliveries", dups)
		}
	})
}
