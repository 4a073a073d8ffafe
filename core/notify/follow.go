package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// Kinds of things a person may follow. Forum topics and categories are
// followed through the forum's own subscriptions (forum.Subscribe), which
// ForumEvent announces; everything else through Follow and Announce.
const (
	KindWikiPage   = "wiki_page"   // ID: the page's id
	KindNews       = "news"        // ID: the article's container (its comments)
	KindFolder     = "folder"      // ID: the folder's container
	KindTaskStatus = "task_status" // ID: the task list's container, Key: the status
	KindCalendar   = "calendar"    // ID: the calendar's container
)

// Target is one thing to follow: a kind, an id and, for some kinds, a
// key (the status of a task list).
type Target struct {
	Kind string
	ID   int64
	Key  string
}

type follow struct {
	bun.BaseModel `bun:"table:follows"`

	AccountID int64  `bun:",pk"`
	Kind      string `bun:",pk"`
	TargetID  int64  `bun:",pk"`
	SubKey    string `bun:",pk"`
	CreatedAt time.Time
}

func (t Target) check() error {
	switch t.Kind {
	case KindWikiPage, KindNews, KindFolder, KindTaskStatus, KindCalendar:
	default:
		return fmt.Errorf("%w: cannot follow a %q", core.ErrInvalid, t.Kind)
	}
	if t.ID <= 0 || len(t.Key) > 100 {
		return fmt.Errorf("%w: what to follow is missing", core.ErrInvalid)
	}
	return nil
}

// Follow makes who follow t, which lives in the access container
// container: who must be signed in and able to read it. Following twice
// is following once.
func (s *Service) Follow(ctx context.Context, who core.Subject, t Target, container int64) error {
	if who.IsAnonymous() {
		return core.ErrUnauthenticated
	}
	if err := t.check(); err != nil {
		return err
	}
	if err := acl.New(s.db).Decide(ctx, who, acl.Target{ContainerID: container}, acl.PrivRead); err != nil {
		return err
	}
	_, err := s.db.NewInsert().Model(&follow{AccountID: who.AccountID, Kind: t.Kind, TargetID: t.ID, SubKey: t.Key, CreatedAt: s.o.Now().UTC()}).
		On("CONFLICT DO NOTHING").Exec(ctx)
	return store.Translate(err)
}

// Unfollow stops who following t (nothing happens when they did not).
func (s *Service) Unfollow(ctx context.Context, who core.Subject, t Target) error {
	_, err := s.db.NewDelete().Model((*follow)(nil)).
		Where("account_id = ? AND kind = ? AND target_id = ? AND sub_key = ?", who.AccountID, t.Kind, t.ID, t.Key).Exec(ctx)
	return store.Translate(err)
}

// Following reports whether who follows t.
func (s *Service) Following(ctx context.Context, who core.Subject, t Target) (bool, error) {
	if who.IsAnonymous() {
		return false, nil
	}
	n, err := s.db.NewSelect().Model((*follow)(nil)).
		Where("account_id = ? AND kind = ? AND target_id = ? AND sub_key = ?", who.AccountID, t.Kind, t.ID, t.Key).Count(ctx)
	return n > 0, store.Translate(err)
}

// Announce tells the followers of t of a change, inside tx (nothing is
// told for a change that rolls back): each follower who may still read
// container gets n (in the list, and by mail per their profile), except
// the one who made the change (by). It returns how many were told.
func (s *Service) Announce(ctx context.Context, tx bun.IDB, t Target, container, by int64, n Note) (int, error) {
	var rows []struct {
		AccountID int64
		Type      core.AccountType
	}
	err := tx.NewRaw(`SELECT f.account_id, a.type FROM follows f JOIN accounts a ON a.id = f.account_id
		WHERE f.kind = ? AND f.target_id = ? AND f.sub_key = ? AND f.account_id <> ? AND NOT a.disabled ORDER BY f.account_id`,
		t.Kind, t.ID, t.Key, by).Scan(ctx, &rows)
	if err != nil {
		return 0, store.Translate(err)
	}
	var notes []Note
	for _, r := range rows {
		q := tx.NewSelect().TableExpr("containers AS c").Where("c.id = ?", container)
		c, err := acl.WhereReadable(q, core.Subject{AccountID: r.AccountID, Type: r.Type}, "c").Count(ctx)
		if err != nil {
			return 0, store.Translate(err)
		}
		if c == 0 {
			continue
		}
		n.AccountID = r.AccountID
		notes = append(notes, n)
	}
	return len(notes), s.Notify(ctx, tx, notes...)
}
