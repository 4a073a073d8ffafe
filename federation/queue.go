package federation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"plaza/core/store"
)

// Queue delivers activities to remote inboxes from the ap_deliveries
// table: one row per (activity, inbox), so a failing peer delays only its
// own rows. Rows are claimed for claimTime by one worker: on PostgreSQL
// with FOR UPDATE SKIP LOCKED, so any number of processes can run a Queue
// over one database and never deliver a row twice; on SQLite the claim
// runs in an IMMEDIATE transaction, which serialises claimers (one writer
// at a time is all SQLite offers, and enough for one process). A worker
// that dies mid-delivery leaves a claim that expires, and the row is
// delivered again (peers de-duplicate activity ids). Failures back off
// exponentially (as Mastodon: n⁴+15 s plus jitter, about 2.5 days over 16
// tries); 4xx other than 408 and 429 are final; rows are dead-lettered
// (state 'dead', kept for inspection) after MaxAttempts or MaxAge.
type Queue struct {
	s           *Server
	db          *store.DB
	backoff     func(int) time.Duration
	maxAttempts int
	maxAge      time.Duration
	poll        time.Duration
	id          string
	wake        chan struct{}
}

const (
	claimTime = 5 * time.Minute
	batch     = 16
	parallel  = 8
)

func newQueue(s *Server, o Options) *Queue {
	q := &Queue{s: s, db: o.DB, backoff: o.Backoff, maxAttempts: o.MaxAttempts, maxAge: o.MaxAge,
		poll: o.PollInterval, id: o.WorkerID, wake: make(chan struct{}, 1)}
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
	if q.id == "" {
		host, _ := os.Hostname()
		q.id = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), randomID()[:8])
	}
	return q
}

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
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run delivers until ctx ends. Start one per process (or several).
func (q *Queue) Run(ctx context.Context) error {
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
		n, err := q.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			q.s.log.Warn("federation queue", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-q.wake:
		}
	}
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

// RunOnce claims the deliveries that are due and attempts them; it
// returns how many it attempted.
func (q *Queue) RunOnce(ctx context.Context) (int, error) {
	ds, err := q.claim(ctx)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	// Deliver the batch in parallel: one slow peer does not hold the others.
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range ds {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			q.attempt(ctx, &ds[i])
		}()
	}
	wg.Wait()
	return len(ds), nil
}

func (q *Queue) claim(ctx context.Context) ([]Delivery, error) {
	now := q.s.now().UTC()
	lock := ""
	if q.db.Kind == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var ds []Delivery
	err := q.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`UPDATE ap_deliveries SET claimed_by = ?, claimed_until = ?
			WHERE id IN (SELECT id FROM ap_deliveries
				WHERE state = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
				ORDER BY next_attempt_at, id LIMIT ?`+lock+`)
			RETURNING *`, q.id, now.Add(claimTime), now, now, batch).Scan(ctx, &ds)
	})
	return ds, store.Translate(err)
}

func (q *Queue) attempt(ctx context.Context, d *Delivery) {
	err := q.post(ctx, d)
	now := q.s.now().UTC()
	upd := q.db.NewUpdate().Model((*Delivery)(nil)).Where("id = ? AND claimed_by = ?", d.ID, q.id).
		Set("claimed_by = ''").Set("claimed_until = NULL")
	if err == nil {
		upd = upd.Set("state = 'done'").Set("done_at = ?", now).Set("attempts = ?", d.Attempts+1).Set("last_error = ''")
		q.s.log.Debug("federation: delivered", "inbox", d.Inbox, "activity", d.ActivityID)
	} else {
		n := d.Attempts + 1
		wait := q.backoff(n)
		var se *statusError
		final := false
		if errors.As(err, &se) {
			final = se.Code >= 400 && se.Code < 500 && se.Code != 408 && se.Code != 429
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
	if _, err := upd.Exec(context.WithoutCancel(ctx)); err != nil {
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
	req.Header.Set("Content-Type", ldType)
	req.Header.Set("Accept", acceptAP)
	req.Header.Set("User-Agent", q.s.userAgent())
	if err := signRequest(req, actorID+"#main-key", key, []byte(d.Body), q.s.now()); err != nil {
		return err
	}
	resp, err := q.s.client.Do(req)
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
