//go:build bench

package webui_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/chat"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/migrations"
	"plaza/webui"
)

// TestBenchChatFanOut connects 1,000 WebSocket clients (PLAZA_BENCH_CHAT_CLIENTS)
// on loopback to one group conversation, posts messages at a steady rate
// through one more client, and prints deliveries per second and the
// fan-out latency (from the sender's write to each receiver's read,
// through the database commit and, on PostgreSQL, NOTIFY). On SQLite one
// process serves everyone; on PostgreSQL two server instances (separate
// pools and listeners, as two processes) share the clients half and half.
// Meanwhile other members of the space come and go, 5 joins or leaves a
// second (PLAZA_BENCH_CHAT_CHURN), so presence changes all along; "p99
// all" is the 99th percentile, over messages, of the time until every
// client has a message.
func TestBenchChatFanOut(t *testing.T) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("PLAZA_BENCH_CHAT_CLIENTS")); err == nil && v > 0 {
		n = v
	}
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) { benchFanOut(t, d, n) })
	}
}

func benchFanOut(t *testing.T, d store.Dialect, n int) {
	ctx := context.Background()
	var dbs []*store.DB
	switch d {
	case store.SQLite:
		dbs = []*store.DB{coretest.OpenDB(t, d)}
	case store.Postgres:
		u := coretest.FreshPostgresURL(t)
		for range 2 {
			db, err := store.Open(ctx, store.Options{URL: u})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			// Two pools must fit PostgreSQL's default 100 connections.
			db.SetMaxOpenConns(30)
			ms, _ := migrations.For(string(db.Kind))
			if err := db.Migrate(ctx, ms, nil); err != nil {
				t.Fatal(err)
			}
			dbs = append(dbs, db)
		}
	}
	db := dbs[0]
	// n+1 accounts (no password: sessions are made directly), all members.
	start := time.Now()
	sp, err := space.New(db, nil).Create(ctx, space.NewSpace{Slug: "crowd"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	type acct struct {
		ID        int64 `bun:",pk,autoincrement"`
		Login     string
		Name      string
		Type      core.AccountType
		CreatedAt time.Time
		UpdatedAt time.Time
	}
	const churners = 20 // accounts that come and go
	churn := 5.0        // joins and leaves a second
	if v, err := strconv.ParseFloat(os.Getenv("PLAZA_BENCH_CHAT_CHURN"), 64); err == nil && v >= 0 {
		churn = v
	}
	accts := make([]acct, n+1+churners)
	for i := range accts {
		accts[i] = acct{Login: fmt.Sprintf("u%04d", i), Name: fmt.Sprintf("User %d", i), Type: core.User, CreatedAt: now, UpdatedAt: now}
	}
	if _, err := db.NewInsert().Model(&accts).ModelTableExpr("accounts").Returning("id").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	members := make([]space.Member, len(accts))
	ids := make([]int64, len(accts))
	for i, a := range accts {
		members[i] = space.Member{SpaceID: sp.ID, AccountID: a.ID, Role: space.RoleMember, CreatedAt: now}
		ids[i] = a.ID
	}
	if _, err := db.NewInsert().Model(&members).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	am := account.New(db, nil)
	tokens := make([]string, len(accts))
	for i, a := range accts {
		s, err := am.CreateSession(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		tokens[i] = s.Token
	}
	var servers []string
	var svcs []*chat.Service
	for _, db := range dbs {
		srv, svc := chatServer(t, db, "")
		servers = append(servers, srv.URL)
		svcs = append(svcs, svc)
	}
	sender := core.Subject{AccountID: accts[0].ID, Type: core.User}
	conv, err := svcs[0].Start(ctx, sender, sp.ID, chat.Group, "Everyone", ids[1:n+1])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("set-up of %d accounts and the conversation: %s", n+1, time.Since(start).Round(time.Millisecond))

	// Receivers: each records when every message reaches it.
	const messages = 400
	type rec struct {
		mu sync.Mutex
		at [messages]time.Time
	}
	recs := make([]*rec, n)
	var connWG, readWG sync.WaitGroup
	sem := make(chan struct{}, 64)
	conns := make([]*websocket.Conn, n)
	start = time.Now()
	var dialErrs sync.Map
	for i := range n {
		recs[i] = &rec{}
		connWG.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer connWG.Done()
			defer func() { <-sem }()
			h := http.Header{"Cookie": {webui.SessionCookie + "=" + tokens[i+1]}}
			c, _, err := websocket.Dial(ctx, wsURL(servers[i%len(servers)], "crowd", ""), &websocket.DialOptions{HTTPHeader: h})
			if err != nil {
				dialErrs.Store(i, err)
				return
			}
			c.SetReadLimit(1 << 22)
			conns[i] = c
			readWG.Add(1)
			go func() {
				defer readWG.Done()
				for {
					_, b, err := c.Read(ctx)
					if err != nil {
						return
					}
					at := time.Now()
					for _, line := range bytes.Split(b, []byte("\n")) {
						if !bytes.HasPrefix(line, []byte(`{"type":"message"`)) {
							continue
						}
						j := bytes.Index(line, []byte(`"body":"m`))
						if j < 0 {
							continue
						}
						k := bytes.IndexByte(line[j+9:], '"')
						seq, err := strconv.Atoi(string(line[j+9 : j+9+k]))
						if err == nil && seq >= 0 && seq < messages {
							recs[i].mu.Lock()
							recs[i].at[seq] = at
							recs[i].mu.Unlock()
						}
					}
				}
			}()
		}(i)
	}
	connWG.Wait()
	dialErrs.Range(func(k, v any) bool { t.Fatalf("client %d: %v", k, v); return false })
	connected := time.Since(start)
	total := 0
	for _, s := range svcs {
		total += s.Clients()
	}
	t.Logf("%d clients connected in %s (%d held by the servers)", n, connected.Round(time.Millisecond), total)
	time.Sleep(2 * time.Second) // presence frames of the crowd settle

	h := http.Header{"Cookie": {webui.SessionCookie + "=" + tokens[0]}}
	sc, _, err := websocket.Dial(ctx, wsURL(servers[0], "crowd", ""), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	sc.SetReadLimit(1 << 22)
	go func() {
		for {
			if _, _, err := sc.Read(ctx); err != nil {
				return
			}
		}
	}()
	// Churn: members outside the conversation connect and disconnect.
	churnDone := make(chan struct{})
	var churnWG sync.WaitGroup
	if churn > 0 {
		churnWG.Add(1)
		go func() {
			defer churnWG.Done()
			var open []*websocket.Conn
			defer func() {
				for _, c := range open {
					c.CloseNow()
				}
			}()
			tick := time.NewTicker(time.Duration(float64(time.Second) / churn))
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-churnDone:
					return
				case <-tick.C:
				}
				if len(open) > 0 && (i%2 == 1 || len(open) == churners) {
					open[0].CloseNow()
					open = open[1:]
					continue
				}
				h := http.Header{"Cookie": {webui.SessionCookie + "=" + tokens[n+1+i%churners]}}
				c, _, err := websocket.Dial(ctx, wsURL(servers[i%len(servers)], "crowd", ""), &websocket.DialOptions{HTTPHeader: h})
				if err != nil {
					continue
				}
				c.SetReadLimit(1 << 22)
				go func() {
					for {
						if _, _, err := c.Read(ctx); err != nil {
							return
						}
					}
				}()
				open = append(open, c)
			}
		}()
	}

	// Three phases: a moderate rate, a busy one, a heavy one.
	phases := []struct {
		rate  float64 // messages a second
		first int     // sequence numbers [first, first+count)
		count int
	}{{5, 0, 50}, {20, 50, 150}, {50, 200, 200}}
	fmt.Printf("\nchat fan-out on %s (%d server instance(s), %d clients in one conversation, %.0f presence changes/s)\n", d, len(servers), n, churn)
	fmt.Printf("| messages/s posted | deliveries | lost | deliveries/s | p50 | p99 | max | p99 all |\n|---|---|---|---|---|---|---|---|\n")
	var sent [messages]time.Time
	for _, ph := range phases {
		start := time.Now()
		tick := time.NewTicker(time.Duration(float64(time.Second) / ph.rate))
		for seq := ph.first; seq < ph.first+ph.count; seq++ {
			<-tick.C
			frame := fmt.Sprintf(`{"type":"send","conversation":%d,"body":"m%d"}`, conv.ID, seq)
			sent[seq] = time.Now()
			if err := sc.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
				t.Fatal(err)
			}
		}
		tick.Stop()
		end := ph.first + ph.count - 1
		// Wait for the phase's last deliveries (at most 20 s).
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			missing := 0
			for _, r := range recs {
				r.mu.Lock()
				if r.at[end].IsZero() {
					missing++
				}
				r.mu.Unlock()
			}
			if missing == 0 {
				break
			}
		}
		var lat []time.Duration
		var last time.Time
		lost := 0
		for _, r := range recs {
			r.mu.Lock()
			for seq := ph.first; seq <= end; seq++ {
				if r.at[seq].IsZero() {
					lost++
					continue
				}
				lat = append(lat, r.at[seq].Sub(sent[seq]))
				if r.at[seq].After(last) {
					last = r.at[seq]
				}
			}
			r.mu.Unlock()
		}
		// Until every client has each message.
		var all []time.Duration
		for seq := ph.first; seq <= end; seq++ {
			var worst time.Duration
			for _, r := range recs {
				r.mu.Lock()
				if d := r.at[seq].Sub(sent[seq]); !r.at[seq].IsZero() && d > worst {
					worst = d
				}
				r.mu.Unlock()
			}
			all = append(all, worst)
		}
		slices.Sort(lat)
		slices.Sort(all)
		pct := func(lat []time.Duration, p float64) time.Duration {
			if len(lat) == 0 {
				return 0
			}
			return lat[min(len(lat)-1, int(float64(len(lat))*p))].Round(100 * time.Microsecond)
		}
		fmt.Printf("| %.0f | %d | %d | %.0f | %s | %s | %s | %s |\n", ph.rate, len(lat), lost,
			float64(len(lat))/last.Sub(start).Seconds(), pct(lat, 0.50), pct(lat, 0.99), pct(lat, 1), pct(all, 0.99))
		if lost > 0 {
			t.Errorf("%d deliveries lost at %.0f messages/s", lost, ph.rate)
		}
	}
	close(churnDone)
	churnWG.Wait()
	sc.CloseNow()
	for _, c := range conns {
		if c != nil {
			c.CloseNow()
		}
	}
	readWG.Wait()
}
