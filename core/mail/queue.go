// Package mail is Plaza's outgoing mail: a durable queue table that any
// number of processes drain together, message templates in English and
// French, and notification preferences (immediate mail or a daily digest).
//
// core knows nothing of SMTP: a Transport delivers a finished message.
// cmd/plaza/smtpmail is the SMTP transport (github.com/emersion/go-smtp).
//
// Claims: a sender takes due rows in one transaction and pushes their
// next_attempt_at past a lease, so no other process takes them meanwhile;
// on PostgreSQL the select uses FOR UPDATE SKIP LOCKED so senders do not
// wait for each other. SQLite has one writer at a time (transactions are
// IMMEDIATE), so the select-and-push is atomic there as well. A process
// that dies holding a claim leaves rows that become due again when the
// lease ends. A message is delivered at least once; only a crash between
// the SMTP server's acceptance and the row's update can send it twice.
package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/blob"
	"plaza/core/store"
)

// Transport delivers one message (RFC 5322 bytes) to one recipient.
type Transport interface {
	Send(ctx context.Context, from, to string, msg []byte) error
}

// Attachment is a file sent with a message; its content is a blob.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Hash        string `json:"hash"`
}

// Message is one mail to one recipient.
type Message struct {
	To          string
	Subject     string
	Text        string
	HTML        string // optional alternative part, already sanitized
	Attachments []Attachment
	// NewsletterID ties the row to a newsletter (its history).
	NewsletterID *int64
}

// Status of a queued row.
const (
	Pending = "pending"
	Sent    = "sent"
	Failed  = "failed" // gave up after MaxAttempts
)

// Row is a queued message as stored.
type Row struct {
	bun.BaseModel `bun:"table:mail_queue"`

	ID            int64      `bun:",pk,autoincrement" json:"id"`
	Recipient     string     `json:"recipient"`
	Subject       string     `json:"subject"`
	BodyText      string     `json:"-"`
	BodyHTML      string     `json:"-"`
	Attachments   string     `json:"-"`
	NewsletterID  *int64     `json:"newsletter_id,omitempty"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
}

// Options configure a Queue.
type Options struct {
	From      string      // envelope and header sender
	Transport Transport   // nil: messages stay queued (and are logged)
	Blobs     *blob.Store // attachments
	Logger    *slog.Logger
	Now       func() time.Time
	// Backoff returns the wait after the n-th failed attempt (n ≥ 1).
	// Default: 1 min, doubling, at most 6 h.
	Backoff func(n int) time.Duration
	// Lease is how long a claim keeps other senders off a row. Default 5 min.
	Lease time.Duration
	// MaxAttempts before a row is marked failed. Default 20.
	MaxAttempts int
	// Batch is how many rows one claim takes. Default 20.
	Batch int
}

// Queue is the durable outgoing mail queue.
type Queue struct {
	db *store.DB
	o  Options
}

// New returns the queue over db.
func New(db *store.DB, o Options) *Queue {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.Lease == 0 {
		o.Lease = 5 * time.Minute
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 20
	}
	if o.Batch == 0 {
		o.Batch = 20
	}
	if o.From == "" {
		o.From = "plaza@localhost"
	}
	return &Queue{db: db, o: o}
}

// DefaultBackoff waits one minute after the first failure, doubling up to
// six hours.
func DefaultBackoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// Configured reports whether the queue has a transport.
func (q *Queue) Configured() bool { return q.o.Transport != nil }

// CheckAddress returns ErrInvalid unless addr is one plain address.
func CheckAddress(addr string) error {
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr || strings.ContainsAny(addr, "\r\n") {
		return fmt.Errorf("%w: %q is not an email address", core.ErrInvalid, addr)
	}
	return nil
}

// Enqueue stores messages inside tx (so they are sent only if the change
// that caused them commits).
func (q *Queue) Enqueue(ctx context.Context, tx bun.IDB, msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	now := q.o.Now().UTC()
	rows := make([]Row, 0, len(msgs))
	for _, m := range msgs {
		if err := CheckAddress(m.To); err != nil {
			return err
		}
		if strings.ContainsAny(m.Subject, "\r\n") {
			return fmt.Errorf("%w: subject on one line", core.ErrInvalid)
		}
		att, err := json.Marshal(nonNil(m.Attachments))
		if err != nil {
			return err
		}
		rows = append(rows, Row{Recipient: m.To, Subject: m.Subject, BodyText: m.Text, BodyHTML: m.HTML,
			Attachments: string(att), NewsletterID: m.NewsletterID, Status: Pending,
			NextAttemptAt: now, CreatedAt: now})
		if !q.Configured() {
			q.o.Logger.Info("mail queued (no SMTP configured)", "to", m.To, "subject", m.Subject)
		}
	}
	for len(rows) > 0 {
		n := min(len(rows), 500)
		chunk := rows[:n]
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		rows = rows[n:]
	}
	return nil
}

func nonNil(a []Attachment) []Attachment {
	if a == nil {
		return []Attachment{}
	}
	return a
}

// claim takes up to Batch due rows and pushes them past the lease.
func (q *Queue) claim(ctx context.Context) ([]Row, error) {
	var rows []Row
	now := q.o.Now().UTC()
	err := q.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sel := tx.NewSelect().Model(&rows).
			Where("status = ?", Pending).Where("next_attempt_at <= ?", now).
			Order("id").Limit(int64(q.o.Batch))
		if q.db.Kind == store.Postgres {
			sel = sel.For("UPDATE SKIP LOCKED")
		}
		if err := sel.Scan(ctx); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		_, err := tx.NewUpdate().Model((*Row)(nil)).Set("next_attempt_at = ?", now.Add(q.o.Lease)).
			Where("id IN (?)", bun.In(ids)).Exec(ctx)
		return err
	})
	return rows, err
}

// RunOnce sends what is due now and returns how many were sent and how
// many failed this time. Without a transport it does nothing.
func (q *Queue) RunOnce(ctx context.Context) (sent, failed int, err error) {
	if q.o.Transport == nil {
		return 0, 0, nil
	}
	for {
		rows, err := q.claim(ctx)
		if err != nil || len(rows) == 0 {
			return sent, failed, err
		}
		down := false
		for i, r := range rows {
			if ctx.Err() != nil || down {
				// Not attempted: give the rest back at once.
				return sent, failed, q.release(rows[i:])
			}
			msg, err := q.compose(r)
			if err == nil {
				err = q.o.Transport.Send(ctx, q.o.From, r.Recipient, msg)
			}
			if uerr := q.settle(ctx, r, err); uerr != nil {
				return sent, failed, uerr
			}
			switch {
			case err == nil:
				sent++
			case errors.Is(err, ErrPermanent):
				failed++
				q.o.Logger.Warn("mail refused for good", "id", r.ID, "to", r.Recipient, "err", err)
			default:
				failed++
				down = true // the server is likely down: try the rest on the next run
				q.o.Logger.Warn("mail not sent", "id", r.ID, "to", r.Recipient, "attempt", r.Attempts+1, "err", err)
			}
		}
		if down {
			return sent, failed, nil
		}
	}
}

// ErrPermanent marks a refusal that retrying cannot change (an SMTP 5xx
// answer); a transport wraps it with %w.
var ErrPermanent = errors.New("permanent failure")

// release makes claimed rows due again.
func (q *Queue) release(rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	_, err := q.db.NewUpdate().Model((*Row)(nil)).Set("next_attempt_at = ?", q.o.Now().UTC()).
		Where("id IN (?) AND status = ?", bun.In(ids), Pending).Exec(context.Background())
	return store.Translate(err)
}

func (q *Queue) settle(ctx context.Context, r Row, sendErr error) error {
	now := q.o.Now().UTC()
	upd := q.db.NewUpdate().Model((*Row)(nil)).Where("id = ?", r.ID)
	if sendErr == nil {
		upd = upd.Set("status = ?", Sent).Set("sent_at = ?", now).Set("attempts = attempts + 1").Set("last_error = ''")
	} else {
		n := r.Attempts + 1
		msg := sendErr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		upd = upd.Set("attempts = ?", n).Set("last_error = ?", msg).Set("next_attempt_at = ?", now.Add(q.o.Backoff(n)))
		if n >= q.o.MaxAttempts || errors.Is(sendErr, ErrPermanent) {
			upd = upd.Set("status = ?", Failed)
		}
	}
	_, err := upd.Exec(context.WithoutCancel(ctx))
	return store.Translate(err)
}

// Run sends due mail every interval until ctx ends.
func (q *Queue) Run(ctx context.Context, interval time.Duration) {
	if q.o.Transport == nil {
		q.o.Logger.Info("no SMTP server configured: mail stays queued")
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, _, err := q.RunOnce(ctx); err != nil && ctx.Err() == nil {
			q.o.Logger.Error("mail queue", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stats counts rows by status.
func (q *Queue) Stats(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	err := q.db.NewSelect().Model((*Row)(nil)).ColumnExpr("status, COUNT(*) AS n").Group("status").Scan(ctx, &rows)
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, store.Translate(err)
}

// Rows lists queued rows, newest first (administration).
func (q *Queue) Rows(ctx context.Context, limit int) ([]Row, error) {
	var rows []Row
	err := q.db.NewSelect().Model(&rows).Order("id DESC").Limit(int64(limit)).Scan(ctx)
	return rows, store.Translate(err)
}

func (q *Queue) compose(r Row) ([]byte, error) {
	var att []Attachment
	if err := json.Unmarshal([]byte(r.Attachments), &att); err != nil {
		return nil, fmt.Errorf("attachments of mail %d: %w", r.ID, err)
	}
	var b bytes.Buffer
	err := Compose(&b, Header{From: q.o.From, To: r.Recipient, Subject: r.Subject,
		Date: q.o.Now(), MessageID: fmt.Sprintf("<plaza-%d-%d@%s>", r.ID, r.CreatedAt.Unix(), domainOf(q.o.From))},
		r.BodyText, r.BodyHTML, att, q.o.Blobs)
	return b.Bytes(), err
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.Trim(addr[i+1:], "<> ")
	}
	return "localhost"
}
