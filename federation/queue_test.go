package federation_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
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

// peerHost is a fake inbox with a behaviour: healthy, slow or hanging
// (accepts the connection and never answers). It records when each
// activity first arrived, how many times, and the most requests it had
// in flight at once.
type peerHost struct {
	srv   *httptest.Server
	delay time.Duration // slow: answer after this
	hang  bool
	stop  chan struct{}

	mu         sync.Mutex
	got        map[string]int
	first      map[string]time.Time
	inFlight   int
	maxInFight int
}

func newPeerHost(t testing.TB, delay time.Duration, hang bool) *peerHost {
	p := &peerHost{delay: delay, hang: hang, stop: make(chan struct{}), got: map[string]int{}, first: map[string]time.Time{}}
	p.srv = httptest.NewServer(p)
	t.Cleanup(func() { close(p.stop); p.srv.Close() })
	return p
}

func (p *peerHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.inFlight++
	p.maxInFight = max(p.maxInFight, p.inFlight)
	p.mu.Unlock()
	defer func() { p.mu.Lock(); p.inFlight--; p.mu.Unlock() }()
	if p.hang {
		select {
		case <-r.Context().Done():
		case <-p.stop:
		}
		return
	}
	select {
	case <-time.After(p.delay):
	case <-p.stop:
		return
	}
	if r.Context().Err() != nil {
		return // the sender gave up: not delivered
	}
	p.mu.Lock()
	key := string(b)
	if p.got[key] == 0 {
		p.first[key] = time.Now()
	}
	p.got[key]++
	p.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// TestNoPeerHoldsTheQueue: a hanging host and a slow one hold only their
// own rows: healthy hosts get everything before the hanging host's first
// requests time out; one host never has more than DeliveriesPerHost
// requests in flight.
func TestNoPeerHoldsTheQueue(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in := newInstance(t, db, "", instOpts{timeout: 8 * time.Second, perHost: 2})
		hanging, slow := newPeerHost(t, 0, true), newPeerHost(t, 800*time.Millisecond, false)
		var healthy []*peerHost
		for range 5 {
			healthy = append(healthy, newPeerHost(t, 0, false))
		}
		start := time.Now()
		const n = 12
		for i := range n {
			id := fmt.Sprintf("http://x/ap/activities/%d", i)
			for _, p := range append([]*peerHost{hanging, slow}, healthy...) {
				// The busy hosts first: they are claimed before the healthy ones.
				must(t, in.fed.Queue().EnqueueForTest(ctx, id, p.srv.URL+"/inbox", []byte(fmt.Sprintf(`{"id":%q}`, id))))
			}
		}
		eventually(t, "healthy hosts served", func() bool {
			for _, p := range healthy {
				p.mu.Lock()
				k := len(p.got)
				p.mu.Unlock()
				if k != n {
					return false
				}
			}
			return true
		})
		// Before the hanging host's first deliveries have even timed out.
		timedOut, err := db.NewSelect().Table("ap_deliveries").Where("inbox = ? AND attempts > 0", hanging.srv.URL+"/inbox").Count(ctx)
		must(t, err)
		if timedOut > 0 {
			t.Fatalf("healthy hosts waited %v, behind the hanging host's timeouts", time.Since(start))
		}
		for _, p := range []*peerHost{hanging, slow} {
			p.mu.Lock()
			m := p.maxInFight
			p.mu.Unlock()
			if m > 2 {
				t.Fatalf("%d requests at once to one host", m)
			}
		}
	})
}

// TestQueueRestart: a shutdown lets deliveries in flight finish and
// leaves no claim; a crash's claims are taken back at once by the next
// process with the same worker id; nothing is delivered twice.
func TestQueueRestart(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		slow := newPeerHost(t, 300*time.Millisecond, false)
		in := newInstance(t, db, "http://127.0.0.1:1", instOpts{noQueue: true, workerID: "w", perHost: 2})
		const n = 10
		for i := range n {
			id := fmt.Sprintf("http://x/ap/activities/%d", i)
			must(t, in.fed.Queue().EnqueueForTest(ctx, id, slow.srv.URL+"/inbox", []byte(fmt.Sprintf(`{"id":%q}`, id))))
		}
		run, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { in.fed.Queue().Run(run); close(done) }()
		eventually(t, "deliveries in flight", func() bool {
			slow.mu.Lock()
			defer slow.mu.Unlock()
			return slow.inFlight > 0
		})
		stop()
		<-done
		claimed, err := db.NewSelect().Table("ap_deliveries").Where("claimed_by <> ''").Count(ctx)
		must(t, err)
		st, err := in.fed.Queue().Stats(ctx)
		must(t, err)
		if claimed != 0 || st["done"] == 0 || st["pending"] == 0 {
			t.Fatalf("after shutdown: %d claimed, %v", claimed, st)
		}
		// A crash: rows claimed by this worker for a long while.
		_, err = db.NewRaw("UPDATE ap_deliveries SET claimed_by = 'w', claimed_until = ? WHERE state = 'pending'", time.Now().Add(time.Hour)).Exec(ctx)
		must(t, err)
		restarted := time.Now()
		in2 := newInstance(t, db, "http://127.0.0.1:1", instOpts{workerID: "w", perHost: 2})
		eventually(t, "all delivered after the restart", func() bool {
			st, err := in2.fed.Queue().Stats(ctx)
			return err == nil && st["done"] == n
		})
		if took := time.Since(restarted); took > 5*time.Second {
			t.Fatalf("claims of the crashed process held %v", took)
		}
		slow.mu.Lock()
		defer slow.mu.Unlock()
		for b, c := range slow.got {
			if c != 1 {
				t.Fatalf("%s delivered %d times", b, c)
			}
		}
	})
}

// TestLeaseOutlivedInFlight: a delivery still in flight when its claim's
// lease has run out (on a starved machine: signing and connecting took
// the time) is not claimed and sent again by its own process; the peer
// gets it once.
func TestLeaseOutlivedInFlight(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var offset atomic.Int64
		now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		in := newInstance(t, db, "", instOpts{now: now, timeout: 5 * time.Second})
		slow := newPeerHost(t, 1500*time.Millisecond, false)
		body := []byte(`{"id":"http://x/ap/activities/lease"}`)
		must(t, in.fed.Queue().EnqueueForTest(ctx, "http://x/ap/activities/lease", slow.srv.URL+"/inbox", body))
		eventually(t, "the delivery is in flight", func() bool {
			slow.mu.Lock()
			defer slow.mu.Unlock()
			return slow.inFlight == 1
		})
		// The lease (timeout + 5 s) runs out while the peer still works;
		// another delivery wakes the queue, which claims what is due.
		offset.Store(int64(time.Minute))
		must(t, in.fed.Queue().EnqueueForTest(ctx, "http://x/ap/activities/other", slow.srv.URL+"/inbox", []byte(`{"id":"http://x/ap/activities/other"}`)))
		eventually(t, "both delivered", func() bool {
			st, err := in.fed.Queue().Stats(ctx)
			return err == nil && st["done"] == 2
		})
		slow.mu.Lock()
		defer slow.mu.Unlock()
		if n := slow.got[string(body)]; n != 1 {
			t.Fatalf("the peer got the delivery %d times", n)
		}
	})
}

// TestUnauthorizedRetried: a 401 is retried, as Mastodon does — a real
// GoToSocial answered 401 to a Create while it was still fetching the
// sender's key for the group's boost sent just before; the retry went in.
func TestUnauthorizedRetried(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rc := &receiver{got: map[string]int{}, status: http.StatusUnauthorized}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc.ServeHTTP(w, r)
			rc.mu.Lock()
			rc.status = http.StatusAccepted // the key is known now
			rc.mu.Unlock()
		}))
		defer srv.Close()
		in := newInstance(t, db, "", instOpts{})
		must(t, in.fed.Queue().EnqueueForTest(ctx, "http://x/401", srv.URL+"/inbox", []byte(`{"id":"http://x/401"}`)))
		eventually(t, "delivered on the retry", func() bool {
			st, err := in.fed.Queue().Stats(ctx)
			return err == nil && st["done"] == 1
		})
	})
}
