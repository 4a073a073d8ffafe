package federation_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"plaza/core/coretest"
	"plaza/core/forum"
	"plaza/core/store"
	"plaza/federation"
)

// kill stops an instance: its HTTP server and its queue worker.
func (in *instance) kill() {
	if in.srv != nil {
		in.srv.Close()
	}
	in.stop()
}

// TestDeliveryRetriedAcrossRestart: the follower's server is down when a
// topic is created; the sender retries, is restarted (new handler and
// queue over the same database), and the topic arrives once the
// follower is back.
func TestDeliveryRetriedAcrossRestart(t *testing.T) {
	// Not parallel: it listens again on ports it freed.
	coretest.EachDB(t, func(t *testing.T, dbS *store.DB) {
		ctx := context.Background()
		s := newInstance(t, dbS, "", instOpts{workerID: "first"})
		dbR := coretest.OpenDB(t, dbS.Kind)
		r := newInstance(t, dbR, "", instOpts{})
		alice := s.user("alice")
		general := s.publicCategory(alice, s.space("pub", true, alice), "general")
		bob := r.user("bob")
		team := r.space("team", false, bob)
		followed, err := r.fed.Follow(ctx, bob, team.ID, "general@"+s.host)
		must(t, err)
		eventually(t, "follow accepted", func() bool {
			ok, _ := r.fed.FollowAccepted(ctx, bob, followed.ActorID)
			return ok
		})
		// The follower goes down.
		r.kill()
		_, err = s.forum.CreateTopic(ctx, alice, general.ContainerID, forum.NewTopic{Title: "While you were away", Body: "<p>hi</p>"})
		must(t, err)
		eventually(t, "failed attempts recorded", func() bool {
			n, err := dbS.NewSelect().Table("ap_deliveries").Where("state = 'pending' AND attempts >= 2").Count(ctx)
			return err == nil && n > 0
		})
		// The sender restarts: a new handler and queue over its database.
		s.kill()
		ln, err := net.Listen("tcp", s.host)
		must(t, err)
		s2 := newInstance(t, dbS, s.base, instOpts{listener: ln, workerID: "second"})
		// The follower comes back on its address.
		ln, err = net.Listen("tcp", r.host)
		must(t, err)
		r2 := newInstance(t, dbR, r.base, instOpts{listener: ln})
		eventually(t, "the topic arrives after the restart", func() bool {
			ts, err := r2.forum.Topics(ctx, bob, followed.CategoryID, 0)
			return err == nil && len(ts) == 1 && ts[0].Title == "While you were away"
		})
		eventually(t, "the queue is drained", func() bool {
			st, err := s2.fed.Queue().Stats(ctx)
			return err == nil && st["pending"] == 0 && st["dead"] == 0
		})
		var by []string
		must(t, dbS.NewSelect().Table("ap_deliveries").Column("last_error").Where("attempts > 1").Scan(ctx, &by))
		if len(by) == 0 {
			t.Fatal("no delivery needed a retry")
		}
	})
}

// receiver counts the activities posted to it.
type receiver struct {
	mu     sync.Mutex
	got    map[string]int
	status int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got[string(b)]++
	st := rc.status
	rc.mu.Unlock()
	if r.Header.Get("Signature") == "" || r.Header.Get("Digest") == "" {
		st = http.StatusUnauthorized
	}
	w.WriteHeader(st)
}

// TestTwoWorkersDeliverOnce: two queues (two "serve" processes) over one
// database deliver every row exactly once.
func TestTwoWorkersDeliverOnce(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rc := &receiver{got: map[string]int{}, status: http.StatusAccepted}
		srv := httptest.NewServer(rc)
		defer srv.Close()
		w1 := newInstance(t, db, "http://127.0.0.1:1", instOpts{noQueue: true, workerID: "w1"})
		w2 := newInstance(t, db, "http://127.0.0.1:1", instOpts{noQueue: true, workerID: "w2"})
		const n = 60
		for i := range n {
			body := fmt.Sprintf(`{"id":"http://127.0.0.1:1/ap/activities/%d","type":"Create"}`, i)
			must(t, w1.fed.Queue().EnqueueForTest(ctx, fmt.Sprintf("http://127.0.0.1:1/ap/activities/%d", i), srv.URL+"/inbox", []byte(body)))
		}
		var wg sync.WaitGroup
		for _, q := range []*federation.Queue{w1.fed.Queue(), w2.fed.Queue(), w1.fed.Queue(), w2.fed.Queue()} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 200 {
					k, err := q.RunOnce(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					if k == 0 {
						st, _ := q.Stats(ctx)
						if st["done"] == n {
							return
						}
						time.Sleep(5 * time.Millisecond)
					}
				}
			}()
		}
		wg.Wait()
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.got) != n {
			t.Fatalf("%d distinct activities delivered, want %d", len(rc.got), n)
		}
		for b, c := range rc.got {
			if c != 1 {
				t.Fatalf("%s delivered %d times", b, c)
			}
		}
	})
}

// TestDeadLetter: a permanent refusal (410) dead-letters at once; server
// errors are retried up to MaxAttempts.
func TestDeadLetter(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		gone := httptest.NewServer(&receiver{got: map[string]int{}, status: http.StatusGone})
		defer gone.Close()
		broken := &receiver{got: map[string]int{}, status: http.StatusInternalServerError}
		bsrv := httptest.NewServer(broken)
		defer bsrv.Close()
		in := newInstance(t, db, "", instOpts{})
		must(t, in.fed.Queue().EnqueueForTest(ctx, "http://x/1", gone.URL+"/inbox", []byte(`{"id":"http://x/1"}`)))
		must(t, in.fed.Queue().EnqueueForTest(ctx, "http://x/2", bsrv.URL+"/inbox", []byte(`{"id":"http://x/2"}`)))
		eventually(t, "both dead-lettered", func() bool {
			st, err := in.fed.Queue().Stats(ctx)
			return err == nil && st["dead"] == 2
		})
		var attempts []int
		must(t, db.NewSelect().Table("ap_deliveries").Column("attempts").Order("id").Scan(ctx, &attempts))
		if attempts[0] != 1 || attempts[1] != 16 {
			t.Fatalf("attempts %v, want [1 16]", attempts)
		}
		broken.mu.Lock()
		defer broken.mu.Unlock()
		if broken.got[`{"id":"http://x/2"}`] != 16 {
			t.Fatalf("broken server got %d tries", broken.got[`{"id":"http://x/2"}`])
		}
	})
}
