package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// Mode says how a subscriber hears of new posts.
type Mode string

const (
	Immediate Mode = "immediate" // one mail per post
	Digest    Mode = "digest"    // one mail a day
)

// Subscription is a person following a topic or a whole category.
type Subscription struct {
	bun.BaseModel `bun:"table:forum_subscriptions,alias:fs"`

	AccountID   int64     `bun:",pk" json:"account_id"`
	ContainerID int64     `bun:",pk" json:"container_id"`
	Mode        Mode      `json:"mode"`
	CreatedAt   time.Time `json:"created_at"`

	Email string           `bun:",scanonly" json:"-"`
	Type  core.AccountType `bun:",scanonly" json:"-"`
}

// Subscribe makes who follow a topic or category they may read.
func (s *Service) Subscribe(ctx context.Context, who core.Subject, containerID int64, m Mode) error {
	if who.IsAnonymous() {
		return fmt.Errorf("%w: sign in to subscribe", core.ErrForbidden)
	}
	if m != Immediate && m != Digest {
		return fmt.Errorf("%w: mode is immediate or digest", core.ErrInvalid)
	}
	if _, err := s.Topic(ctx, who, containerID); err != nil {
		if _, err2 := s.Category(ctx, who, containerID); err2 != nil {
			return err
		}
	}
	sub := &Subscription{AccountID: who.AccountID, ContainerID: containerID, Mode: m, CreatedAt: s.now().UTC()}
	_, err := s.db.NewInsert().Model(sub).On("CONFLICT (account_id, container_id) DO UPDATE").Set("mode = EXCLUDED.mode").Exec(ctx)
	return store.Translate(err)
}

// Subscribed reports whether who follows a topic or category.
func (s *Service) Subscribed(ctx context.Context, who core.Subject, containerID int64) (bool, error) {
	if who.IsAnonymous() {
		return false, nil
	}
	n, err := s.db.NewSelect().Model((*Subscription)(nil)).
		Where("account_id = ? AND container_id = ?", who.AccountID, containerID).Count(ctx)
	return n > 0, store.Translate(err)
}

// Unsubscribe stops who following a container.
func (s *Service) Unsubscribe(ctx context.Context, who core.Subject, containerID int64) error {
	_, err := s.db.NewDelete().Model((*Subscription)(nil)).
		Where("account_id = ? AND container_id = ?", who.AccountID, containerID).Exec(ctx)
	return store.Translate(err)
}

// Subscribers lists who must hear of a change in topic t: subscribers of
// the topic or of its category who may still read the topic, with their
// email, the event's author excluded. A notification hook (the mail queue)
// calls it from ForumEvent with the transaction it is given.
func (s *Service) Subscribers(ctx context.Context, tx bun.IDB, e Event) ([]Subscription, error) {
	var subs []Subscription
	err := tx.NewSelect().Model(&subs).ColumnExpr("fs.*").ColumnExpr("a.email AS email, a.type AS type").
		Join("JOIN accounts AS a ON a.id = fs.account_id").
		Where("fs.container_id IN (?, ?)", e.Topic.ContainerID, e.Topic.CategoryID).
		Where("NOT a.disabled").Order("fs.account_id").Scan(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	var author int64
	if e.Post != nil {
		author = deref(e.Post.AuthorID)
	} else {
		author = deref(e.Topic.AuthorID)
	}
	out := subs[:0]
	seen := map[int64]bool{}
	for _, sub := range subs {
		if sub.AccountID == author || seen[sub.AccountID] {
			continue
		}
		who := core.Subject{AccountID: sub.AccountID, Type: sub.Type}
		q := tx.NewSelect().TableExpr("containers AS c").Where("c.id = ?", e.Topic.ContainerID)
		n, err := acl.WhereReadable(q, who, "c").Count(ctx)
		if err != nil {
			return nil, store.Translate(err)
		}
		if n == 0 {
			continue
		}
		seen[sub.AccountID] = true
		out = append(out, sub)
	}
	return out, nil
}
