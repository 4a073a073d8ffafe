package federation

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"plaza/core/store"
)

// Queue delivers activities to remote inboxes from the ap_deliveries
// table: one row per (activity, inbox), so a failing peer delays only its
// own rows. Each row is claimed by one worker for a short lease: on
// PostgreSQL with FOR UPDATE SKIP LOCKED, so any number of processes can
// run a Queue over one database and never deliver a row twice; on SQLite
// the claim runs in an IMMEDIATE transaction, which serialises claimers.
//
// No peer can hold the others up: rows are claimed as delivery slots free
// up (no batch waits for its slowest member), at most perHost at a time
// per host (a host at its limit is left out of the claim), and each POST
// has DeliveryTimeout to answer (a peer that accepts the connection and
// never answers loses its slot then, not the queue). On shutdown nothing
// new is claimed and the deliveries in flight have shutdownGrace to
// finish; those still waiting for a slow peer are cut and their rows
// given back, due at once, so no claim is left behind and a restart
// waits for no peer; after a crash the claims of the
// dead process are released when a process with the same worker id
// starts, and expire after the lease anyway. Failures back off
// exponentially (as Mastodon: n⁴+15 s plus jitter, about 2.5 days over 16
// tries); 4xx other than 401, 408 and 429 are final; rows are dead-lettered
// (state 'dead', kept for inspection) after MaxAttempts or MaxAge.
type Queue struct {
	s           *Server
	db          *store.DB
	backoff     func(int) time.Duration
	maxAttempts int
	maxAge      time.Duration
	poll        time.Duration
	timeout     time.Duration
	workers     int
	perHost     int
	id          string
	wake        chan struct{}
	freed       chan struct{}

	mu       sync.Mutex
	inFlight int
	busy     map[string]int // host → deliveries in flight
	sending  map[int64]bool // rows in flight here: never claimed again while their POST runs
	wg       sync.WaitGroup
}

func newQueue(s *Server, o Options) *Queue {
	q := &Queue{s: s, db: o.DB, backoff: o.Backoff, maxAttempts: o.MaxAttempts, maxAge: o.MaxAge,
		poll: o.PollInterval, timeout: o.DeliveryTimeout, workers: o.DeliveryWorkers, perHost: o.DeliveriesPerHost,
		id: o.WorkerID, wake: make(chan struct{}, 1), freed: make(chan struct{}, 1), busy: map[string]int{},
		sending: map[int64]bool{}}
	if q.backoff == nil {
		q.backoff = mastodonBackoff
	}
	if q.maxAttempts <= 0 {
		q.maxAttempts = 16
	}
	if q.maxAge <= 0 {
		q.maxAge = 7 * 24 * time.Hour
	}
	if q.poll <= 0 {
		q.poll = 2 * time.Second
	}
	if q.timeout <= 0 {
		q.timeout = 10 * time.Second
	}
	if q.workers <= 0 {
		q.workers = 512
	}
	if q.perHost <= 0 {
		q.perHost = 4
	}
	if q.id == "" {
		// Stable across restarts of this process (no PID): a restarted
		// server releases the claims its predecessor left at once.
		host, _ := os.Hostname()
		q.id = host + " " + s.baseStr
	}
	return q
}

// shutdownGrace is how long deliveries in flight may finish once Run's
// context ends.
const shutdownGrace = 2 * time.Second

// lease is how long a claim holds: the delivery's timeout and a margin
// to record its outcome.
func (q *Queue) lease() time.Duration { return q.timeout + 5*time.Second }

func mastodonBackoff(n int) time.Duration {
	s := n*n*n*n + 15 + rand.IntN(30)*(n+1)
	return time.Duration(s) * time.Second
}

// Delivery is one row of the queue.
type Delivery struct {
	bun.BaseModel `bun:"table:ap_deliveries,alias:d"`

	ID            int64 `bun:",pk,autoincrement"`
	ActivityID    string
	Inbox         string
	Signer        string // "KEY ACTOR-URL"
	Body          string
	State         string
	Attempts      int
	NextAttemptAt time.Time
	ClaimedBy     string
	ClaimedUntil  *time.Time
	LastError     string
	CreatedAt     time.Time
	DoneAt        *time.Time
}

// enqueue adds one delivery per inbox, in the caller's transaction.
func (q *Queue) enqueue(ctx context.Context, tx bun.IDB, signer *localActor, activityID string, body []byte, inboxes []string) error {
	if len(inboxes) == 0 {
		return nil
	}
	now := q.s.now().UTC()
	var rows []Delivery
	for _, in := range inboxes {
		rows = append(rows, Delivery{ActivityID: activityID, Inbox: in, Signer: signer.Key + " " + signer.ID,
			Body: string(body), State: "pending", NextAttemptAt: now, CreatedAt: now})
	}
	if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (activity_id, inbox) DO NOTHING").Exec(ctx); err != nil {
		return store.Translate(err)
	}
	signal(q.wake)
	return nil
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the deliveries in flight
// (each bounded by DeliveryTimeout) and returns. Start one per process
// (or several).
func (q *Queue) Run(ctx context.Context) error {
	// Deliveries outlive ctx by at most shutdownGrace: then they are cut
	// and their rows given back, due at once, for the next process.
	sends, halt := context.WithCancel(detach(ctx))
	defer halt()
	defer func() {
		done := make(chan struct{})
		go func() { q.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(shutdownGrace):
			halt()
			<-done
		}
	}()
	if err := q.releaseOwn(ctx); err != nil && ctx.Err() == nil {
		q.s.log.Warn("federation queue: release old claims", "err", err)
	}
	t := time.NewTicker(q.poll)
	defer t.Stop()
	var pruned time.Time
	for {
		if q.s.now().Sub(pruned) > time.Hour {
			if err := q.Prune(ctx); err != nil && ctx.Err() == nil {
				q.s.log.Warn("federation queue: prune", "err", err)
			}
			pruned = q.s.now()
		}
		n, err := q.fill(ctx, sends, nil)
		if err != nil && ctx.Err() == nil {
			q.s.log.Warn("federation queue", "err", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if n > 0 && err == nil && q.free() > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-q.wake:
		case <-q.freed:
		}
	}
}

// releaseOwn frees the claims a previous process with this worker id
// left (it crashed mid-delivery): they are due again at once.
func (q *Queue) releaseOwn(ctx context.Context) error {
	q.mu.Lock()
	idle := q.inFlight == 0
	q.mu.Unlock()
	if !idle {
		return nil
	}
	_, err := q.db.NewUpdate().Model((*Delivery)(nil)).Set("claimed_by = ''").Set("claimed_until = NULL").
		Where("claimed_by = ? AND state = 'pending'", q.id).Exec(ctx)
	return store.Translate(err)
}

// Prune forgets deliveries done a week ago, dead letters after 30 days,
// and received activity ids after 30 days (peers do not retry that long).
func (q *Queue) Prune(ctx context.Context) error {
	now := q.s.now().UTC()
	if _, err := q.db.NewDelete().Model((*Delivery)(nil)).Where("state = 'done' AND done_at < ?", now.Add(-7*24*time.Hour)).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	if _, err := q.db.NewDelete().Model((*Delivery)(nil)).Where("state = 'dead' AND created_at < ?", now.Add(-30*24*time.Hour)).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	_, err := q.db.NewDelete().Table("ap_seen").Where("received_at < ?", now.Add(-30*24*time.Hour)).Exec(ctx)
	return store.Translate(err)
}

// RunOnce claims the deliveries that are due now (as many as there are
// free slots) and attempts them, waiting for them; it returns how many it
// attempted.
func (q *Queue) RunOnce(ctx context.Context) (int, error) {
	var wg sync.WaitGroup
	n, err := q.fill(ctx, detach(ctx), &wg)
	wg.Wait()
	return n, err
}

func (q *Queue) free() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.workers - q.inFlight
}

// fill claims due rows for the free slots and starts delivering them,
// each counted in q.wg and in wg if given.
func (q *Queue) fill(ctx, sends context.Context, wg *sync.WaitGroup) (int, error) {
	free := q.free()
	if free <= 0 || ctx.Err() != nil {
		return 0, nil
	}
	q.mu.Lock()
	room := map[string]int{} // hosts with deliveries in flight → how many more they may take
	for h, n := range q.busy {
		room[h] = q.perHost - n
	}
	// A row whose lease ran out while its POST still runs here (a starved
	// machine) is not taken again: that would send it twice.
	sending := make(map[int64]bool, len(q.sending))
	for id := range q.sending {
		sending[id] = true
	}
	q.mu.Unlock()
	ds, err := q.claim(ctx, free, room, sending)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	var extra []int64
	started := 0
	q.mu.Lock()
	for i := range ds {
		d := &ds[i]
		h := inboxHost(d.Inbox)
		if q.busy[h] >= q.perHost {
			extra = append(extra, d.ID) // several rows of one host in this claim
			continue
		}
		q.busy[h]++
		q.inFlight++
		q.sending[d.ID] = true
		started++
		q.wg.Add(1)
		if wg != nil {
			wg.Add(1)
		}
		go func() {
			defer func() {
				q.wg.Done()
				if wg != nil {
					wg.Done()
				}
			}()
			q.attempt(sends, d)
			q.mu.Lock()
			if q.busy[h]--; q.busy[h] <= 0 {
				delete(q.busy, h)
			}
			q.inFlight--
			delete(q.sending, d.ID)
			q.mu.Unlock()
			signal(q.freed)
		}()
	}
	q.mu.Unlock()
	if len(extra) > 0 {
		_, err = q.db.NewUpdate().Model((*Delivery)(nil)).Set("claimed_by = ''").Set("claimed_until = NULL").
			Where("id IN (?) AND claimed_by = ?", bun.In(extra), q.id).Exec(detach(ctx))
	}
	return started, store.Translate(err)
}

// inboxHost is the host a delivery goes to, for the per-host limit.
func inboxHost(inbox string) string {
	u, err := url.Parse(inbox)
	if err != nil {
		return inbox
	}
	return strings.ToLower(u.Host)
}

// claim takes up to n due rows, at most room[host] (else perHost) for
// each host: candidates are read, picked per host, and only those are
// claimed, in one transaction (rows locked with SKIP LOCKED on
// PostgreSQL, the database locked by the IMMEDIATE transaction on SQLite).
func (q *Queue) claim(ctx context.Context, n int, room map[string]int, sending map[int64]bool) ([]Delivery, error) {
	now := q.s.now().UTC()
	lock := ""
	if q.db.Kind == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var ds []Delivery
	err := q.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var cands []struct {
			ID    int64
			Inbox string
		}
		if err := tx.NewRaw(`SELECT id, inbox FROM ap_deliveries
			WHERE state = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
			ORDER BY next_attempt_at, id LIMIT ?`+lock, now, now, 8*n).Scan(ctx, &cands); err != nil {
			return err
		}
		var ids []int64
		for _, c := range cands {
			if sending[c.ID] {
				continue
			}
			h := inboxHost(c.Inbox)
			r, ok := room[h]
			if !ok {
				r = q.perHost
			}
			if r <= 0 {
				continue
			}
			room[h] = r - 1
			ids = append(ids, c.ID)
			if len(ids) == n {
				break
			}
		}
		if len(ids) == 0 {
			return nil
		}
		return tx.NewRaw(`UPDATE ap_deliveries SET claimed_by = ?, claimed_until = ? WHERE id IN (?) RETURNING *`,
			q.id, now.Add(q.lease()), bun.In(ids)).Scan(ctx, &ds)
	})
	return ds, store.Translate(err)
}

// attempt posts one delivery and records the outcome. The POST does not
// end with ctx (a shutdown lets it finish, so it is not sent twice) but
// within the delivery timeout.
func (q *Queue) attempt(ctx context.Context, d *Delivery) {
	err := q.post(ctx, d)
	now := q.s.now().UTC()
	upd := q.db.NewUpdate().Model((*Delivery)(nil)).Where("id = ? AND claimed_by = ?", d.ID, q.id).
		Set("claimed_by = ''").Set("claimed_until = NULL")
	switch {
	case err != nil && ctx.Err() != nil:
		// Cut by a shutdown: not an attempt; due again at once.
		q.s.log.Info("federation: delivery cut by shutdown", "inbox", d.Inbox, "activity", d.ActivityID)
	case err == nil:
		upd = upd.Set("state = 'done'").Set("done_at = ?", now).Set("attempts = ?", d.Attempts+1).Set("last_error = ''")
		q.s.log.Debug("federation: delivered", "inbox", d.Inbox, "activity", d.ActivityID)
	default:
		n := d.Attempts + 1
		wait := q.backoff(n)
		var se *statusError
		final := false
		if errors.As(err, &se) {
			final = se.Code >= 400 && se.Code < 500 && se.Code != 401 && se.Code != 408 && se.Code != 429
			wait = max(wait, se.RetryAfter)
		}
		msg := err.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		state := "pending"
		if final || n >= q.maxAttempts || now.Sub(d.CreatedAt) > q.maxAge {
			state = "dead"
		}
		upd = upd.Set("state = ?", state).Set("attempts = ?", n).Set("next_attempt_at = ?", now.Add(wait)).Set("last_error = ?", msg)
		q.s.log.Info("federation: delivery failed", "inbox", d.Inbox, "activity", d.ActivityID, "attempt", n, "state", state, "err", msg)
	}
	if _, err := upd.Exec(detach(ctx)); err != nil {
		q.s.log.Warn("federation queue: record attempt", "err", err)
	}
}

// post sends one delivery, signed by its actor.
func (q *Queue) post(ctx context.Context, d *Delivery) error {
	keyName, actorID, ok := strings.Cut(d.Signer, " ")
	if !ok {
		return errors.New("malformed signer")
	}
	key, _, err := q.s.ensureKey(ctx, q.db, keyName)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Inbox, bytes.NewReader([]byte(d.Body)))
	if err != nil {
		return &statusError{Code: http.StatusBadRequest}
	}
	if err := checkURL(req.URL, q.s.insecure); err != nil {
		return &statusError{Code: http.StatusBadRequest}
	}
	if b, err := q.s.blocked(ctx, d.Inbox); err != nil || b {
		if err == nil {
			err = &statusError{Code: http.StatusForbidden} // blocked here: final
		}
		return err
	}
	req.Header.Set("Content-Type", ldType)
	req.Header.Set("Accept", acceptAP)
	req.Header.Set("User-Agent", q.s.userAgent())
	if err := signRequest(req, actorID+"#main-key", key, []byte(d.Body), q.s.now()); err != nil {
		return err
	}
	// The peer's time starts now: signing on a starved machine does not
	// eat into it (a peer answering near the deadline would get a retry).
	tctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	resp, err := q.s.client.Do(req.WithContext(tctx))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	readLimited(resp.Body) //nolint:errcheck // drain for connection reuse
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &statusError{Code: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), q.s.now())}
}

// Stats counts deliveries by state (for metrics and tests).
func (q *Queue) Stats(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State string
		N     int
	}
	err := q.db.NewSelect().Model((*Delivery)(nil)).Column("state").ColumnExpr("COUNT(*) AS n").Group("state").Scan(ctx, &rows)
	out := map[string]int{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, store.Translate(err)
}
