// Package activity is the feed of what changed: every create, update and
// delete of content becomes an Event. Events are not written by the
// modules themselves: triggers on their tables queue each change (see
// migrations 0011) and the search indexer records the event while it
// indexes the change, so no write path needs to know about the feed.
//
// Listings are filtered by the ACL engine's SQL expression inside the
// query: an event about something the reader may not read is never
// returned nor counted.
package activity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// Verb says what happened.
type Verb string

const (
	Create Verb = "create"
	Update Verb = "update"
	Delete Verb = "delete"
)

// Event is one change of one piece of content.
type Event struct {
	bun.BaseModel `bun:"table:activity_events,alias:e"`

	ID          int64       `bun:",pk,autoincrement" json:"id"`
	Module      core.Module `json:"module"`
	Kind        string      `json:"kind"` // file, event, contact, topic, post, news, task, poll, wiki, link
	RefID       int64       `json:"ref_id"`
	Verb        Verb        `json:"verb"`
	SpaceID     *int64      `json:"space_id"`
	ContainerID int64       `json:"container_id"`
	ActorID     *int64      `json:"actor_id"`
	AuthorID    *int64      `json:"author_id"`
	Title       string      `json:"title"`
	At          time.Time   `json:"at"`
}

// Record stores e in the caller's transaction. An event already recorded
// (same item, verb and time: a restored database re-queues its content)
// is kept once.
func Record(ctx context.Context, db bun.IDB, e *Event) error {
	e.At = e.At.UTC()
	_, err := db.NewInsert().Model(e).On("CONFLICT DO NOTHING").Exec(ctx)
	return store.Translate(err)
}

// Service lists the feed.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns the activity service.
func New(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

// Filter narrows a listing (Acollab's filters).
type Filter struct {
	SpaceIDs []int64       // empty: every space who belongs to, and personal content
	Modules  []core.Module // empty: all
	PersonID int64         // the actor (or author); 0: anyone
	Before   int64         // events with an id below this (paging); 0: latest
	Limit    int           // default 50, at most 200
}

// WhereReadable restricts a query over rows with a container column and
// an author column to what who may read: content in a container who may
// read, or content who wrote where its module is on. It uses the ACL
// engine's one expression, over containers, once per query.
func WhereReadable(q *bun.SelectQuery, who core.Subject, containerCol, authorCol string) *bun.SelectQuery {
	expr, args := acl.LevelSQL(who, "c", "")
	cond := containerCol + " IN (SELECT c.id FROM containers c WHERE (" + expr + ") >= 1)"
	if !who.IsAnonymous() {
		// The author rule: with the author column equal to who, the level
		// is full wherever the module is on.
		aexpr, aargs := acl.LevelSQL(who, "c", strconv.FormatInt(who.AccountID, 10))
		cond = "(" + cond + " OR (" + authorCol + " = ? AND " + containerCol +
			" IN (SELECT c.id FROM containers c WHERE (" + aexpr + ") >= 1)))"
		args = append(args, who.AccountID)
		args = append(args, aargs...)
	}
	return q.Where(cond, args...)
}

// List returns the latest events who may see, newest first.
func (s *Service) List(ctx context.Context, who core.Subject, f Filter) ([]Event, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var evs []Event
	q := s.db.NewSelect().Model(&evs).OrderExpr("e.id DESC").Limit(int64(f.Limit))
	q = WhereReadable(q, who, "e.container_id", "e.author_id")
	if len(f.SpaceIDs) > 0 {
		q = q.Where("e.space_id IN (?)", bun.In(f.SpaceIDs))
	}
	if len(f.Modules) > 0 {
		q = q.Where("e.module IN (?)", bun.In(f.Modules))
	}
	if f.PersonID != 0 {
		q = q.Where("(e.actor_id = ? OR e.author_id = ?)", f.PersonID, f.PersonID)
	}
	if f.Before > 0 {
		q = q.Where("e.id < ?", f.Before)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return evs, nil
}

// Count returns how many events who may see match f (ignoring paging).
func (s *Service) Count(ctx context.Context, who core.Subject, f Filter) (int, error) {
	q := s.db.NewSelect().Model((*Event)(nil))
	q = WhereReadable(q, who, "e.container_id", "e.author_id")
	if len(f.SpaceIDs) > 0 {
		q = q.Where("e.space_id IN (?)", bun.In(f.SpaceIDs))
	}
	if len(f.Modules) > 0 {
		q = q.Where("e.module IN (?)", bun.In(f.Modules))
	}
	if f.PersonID != 0 {
		q = q.Where("(e.actor_id = ? OR e.author_id = ?)", f.PersonID, f.PersonID)
	}
	n, err := q.Count(ctx)
	return int(n), store.Translate(err)
}

// Prune deletes events older than before.
func (s *Service) Prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.NewDelete().Model((*Event)(nil)).Where("at < ?", before.UTC()).Exec(ctx)
	if err != nil {
		return 0, store.Translate(err)
	}
	return res.RowsAffected()
}

// FeedToken is a private token that opens one account's RSS/Atom feed.
type feedToken struct {
	bun.BaseModel `bun:"table:activity_feeds"`

	TokenHash string    `bun:",pk"`
	AccountID int64     `bun:"account_id"`
	CreatedAt time.Time `bun:"created_at"`
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// NewFeedToken creates a feed token for accountID, replacing earlier ones
// (so a leaked token is revoked by asking for a new one). The token is
// returned once; only its hash is stored.
func (s *Service) NewFeedToken(ctx context.Context, accountID int64) (string, error) {
	if accountID == 0 {
		return "", fmt.Errorf("%w: a feed belongs to an account", core.ErrForbidden)
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	tok := "plf-" + base64.RawURLEncoding.EncodeToString(b)
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*feedToken)(nil)).Where("account_id = ?", accountID).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(&feedToken{TokenHash: hashToken(tok), AccountID: accountID, CreatedAt: s.now().UTC()}).Exec(ctx)
		return err
	})
	return tok, err
}

// RevokeFeedTokens removes accountID's feed tokens.
func (s *Service) RevokeFeedTokens(ctx context.Context, accountID int64) error {
	_, err := s.db.NewDelete().Model((*feedToken)(nil)).Where("account_id = ?", accountID).Exec(ctx)
	return store.Translate(err)
}

// FeedAccount returns the account a feed token opens, ErrNotFound for an
// unknown or revoked token.
func (s *Service) FeedAccount(ctx context.Context, tok string) (int64, error) {
	var id int64
	err := s.db.NewSelect().Model((*feedToken)(nil)).Column("account_id").
		Where("token_hash = ?", hashToken(tok)).Scan(ctx, &id)
	if err != nil {
		return 0, fmt.Errorf("feed: %w", store.Translate(err))
	}
	return id, nil
}
