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

// NewTopic is what a person writes to open a topic: Markdown, or
// (federation, older callers) Body as HTML when Markdown is empty.
type NewTopic struct {
	Title    string
	Body     string
	Markdown string
}

func (s *Service) selectTopics(db bun.IDB, dst *[]Topic) *bun.SelectQuery {
	q := db.NewSelect().Model(dst).ColumnExpr("ft.*").
		Join("JOIN containers AS c ON c.id = ft.container_id")
	return authorJoins(q, "ft")
}

// CreateTopic opens a topic in a category: it needs limited (bind) on it.
func (s *Service) CreateTopic(ctx context.Context, who core.Subject, categoryID int64, n NewTopic) (*Topic, error) {
	title, err := checkTitle(n.Title)
	if err != nil {
		return nil, err
	}
	body, src, err := written(n.Body, n.Markdown)
	if err != nil {
		return nil, err
	}
	if err := s.eng.Decide(ctx, who, acl.Target{ContainerID: categoryID}, acl.PrivBind); err != nil {
		return nil, err
	}
	if who.IsAnonymous() {
		return nil, fmt.Errorf("%w: sign in to write", core.ErrForbidden)
	}
	var t *Topic
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		cat, err := s.categoryTx(ctx, tx, categoryID)
		if err != nil {
			return err
		}
		author := who.AccountID
		t, err = s.insertTopic(ctx, tx, cat, &Topic{Title: title, Body: body, Source: src, AuthorID: &author})
		if err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: TopicCreated, Category: cat, Topic: t})
	})
	return t, err
}

func (s *Service) insertTopic(ctx context.Context, tx bun.IDB, cat *Category, t *Topic) (*Topic, error) {
	now := s.now().UTC()
	sp, parent := cat.SpaceID, cat.ContainerID
	cont := &acl.Container{SpaceID: &sp, Module: core.ModForum, Kind: KindTopic, Name: t.Title, ParentID: &parent}
	if err := acl.CreateContainer(ctx, tx, cont, nil, now); err != nil {
		return nil, err
	}
	t.ContainerID, t.CategoryID = cont.ID, cat.ContainerID
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = t.CreatedAt
	}
	if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return s.topicTx(ctx, tx, t.ContainerID)
}

func (s *Service) topicTx(ctx context.Context, db bun.IDB, id int64) (*Topic, error) {
	var ts []Topic
	if err := s.selectTopics(db, &ts).Where("ft.container_id = ?", id).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("topic %d: %w", id, core.ErrNotFound)
	}
	return &ts[0], nil
}

// Topic returns one topic who may read.
func (s *Service) Topic(ctx context.Context, who core.Subject, id int64) (*Topic, error) {
	var ts []Topic
	q := s.selectTopics(s.db, &ts).Where("ft.container_id = ?", id)
	if err := acl.WhereReadableItems(q, who, "c", "ft.author_id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("topic %d: %w", id, core.ErrNotFound)
	}
	return &ts[0], nil
}

// Topics lists the topics of a category who may read, pinned first, then
// the most recently active.
func (s *Service) Topics(ctx context.Context, who core.Subject, categoryID int64, limit int) ([]Topic, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	var ts []Topic
	q := s.selectTopics(s.db, &ts).Where("ft.category_id = ?", categoryID).
		OrderExpr("ft.pinned DESC, ft.updated_at DESC, ft.container_id DESC").Limit(int64(limit))
	err := acl.WhereReadableItems(q, who, "c", "ft.author_id").Scan(ctx)
	return ts, store.Translate(err)
}

// UpdateTopic changes a topic's title and text: its author, or a
// moderator (write).
func (s *Service) UpdateTopic(ctx context.Context, who core.Subject, id int64, n NewTopic) (*Topic, error) {
	title, err := checkTitle(n.Title)
	if err != nil {
		return nil, err
	}
	body, src, err := written(n.Body, n.Markdown)
	if err != nil {
		return nil, err
	}
	t, err := s.Topic(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if err := s.eng.Decide(ctx, who, acl.Target{ContainerID: id, AuthorID: deref(t.AuthorID), Item: true}, acl.PrivWriteContent); err != nil {
		return nil, err
	}
	return s.updateTopic(ctx, id, title, body, src, time.Time{})
}

func (s *Service) updateTopic(ctx context.Context, id int64, title, body string, src *string, at time.Time) (*Topic, error) {
	if at.IsZero() {
		at = s.now()
	}
	var t *Topic
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Table("forum_topics").Set("title = ?, body = ?, source = ?, updated_at = ?", title, body, src, at.UTC()).
			Where("container_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Table("containers").Set("name = ?, updated_at = ?", title, at.UTC()).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		var err error
		if t, err = s.topicTx(ctx, tx, id); err != nil {
			return err
		}
		cat, err := s.categoryTx(ctx, tx, t.CategoryID)
		if err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: TopicUpdated, Category: cat, Topic: t})
	})
	return t, err
}

// DeleteTopic removes a topic and its replies: its author, or a moderator.
func (s *Service) DeleteTopic(ctx context.Context, who core.Subject, id int64) error {
	t, err := s.Topic(ctx, who, id)
	if err != nil {
		return err
	}
	if err := s.eng.Decide(ctx, who, acl.Target{ContainerID: id, AuthorID: deref(t.AuthorID), Item: true}, acl.PrivWriteContent); err != nil {
		return err
	}
	return s.RemoveTopic(ctx, id)
}

// RemoveTopic deletes a topic without an access decision: for adapters
// that have made their own (federation, after checking the remote author).
func (s *Service) RemoveTopic(ctx context.Context, id int64) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := s.topicTx(ctx, tx, id)
		if err != nil {
			return err
		}
		cat, err := s.categoryTx(ctx, tx, t.CategoryID)
		if err != nil {
			return err
		}
		if err := s.emit(ctx, tx, Event{Kind: TopicDeleted, Category: cat, Topic: t}); err != nil {
			return err
		}
		if err := s.unrefAttachments(ctx, tx, "topic_id = ?", id); err != nil {
			return err
		}
		_, err = tx.NewDelete().Table("containers").Where("id = ?", id).Exec(ctx)
		return err
	})
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
