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

// NewPost is a reply; InReplyTo names the post it answers (nil: the
// topic). Markdown is the text as written; Body, HTML, is used when
// Markdown is empty (federation, older callers).
type NewPost struct {
	Body      string
	Markdown  string
	InReplyTo *int64
}

func (s *Service) selectPosts(db bun.IDB, dst *[]Post) *bun.SelectQuery {
	q := db.NewSelect().Model(dst).ColumnExpr("fp.*").
		Join("JOIN containers AS c ON c.id = fp.topic_id")
	return authorJoins(q, "fp")
}

// Reply adds a post to a topic: it needs limited (bind) on the topic, and
// write when the topic is locked.
func (s *Service) Reply(ctx context.Context, who core.Subject, topicID int64, n NewPost) (*Post, error) {
	body, src, err := written(n.Body, n.Markdown)
	if err != nil {
		return nil, err
	}
	if body == "" {
		return nil, fmt.Errorf("%w: a reply needs text", core.ErrInvalid)
	}
	t, err := s.Topic(ctx, who, topicID)
	if err != nil {
		return nil, err
	}
	need := acl.PrivBind
	if t.Locked {
		need = acl.PrivWrite
	}
	if err := s.eng.Decide(ctx, who, acl.Target{ContainerID: topicID}, need); err != nil {
		return nil, err
	}
	if who.IsAnonymous() {
		return nil, fmt.Errorf("%w: sign in to write", core.ErrForbidden)
	}
	author := who.AccountID
	return s.insertPost(ctx, t, &Post{TopicID: topicID, InReplyToID: n.InReplyTo, Body: body, Source: src, AuthorID: &author})
}

func (s *Service) insertPost(ctx context.Context, t *Topic, p *Post) (*Post, error) {
	var out *Post
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if p.InReplyToID != nil {
			n, err := tx.NewSelect().Table("forum_posts").Where("id = ? AND topic_id = ?", *p.InReplyToID, t.ContainerID).Count(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("%w: the post answered is not in this topic", core.ErrInvalid)
			}
		}
		now := s.now().UTC()
		if p.CreatedAt.IsZero() {
			p.CreatedAt = now
		}
		if p.UpdatedAt.IsZero() {
			p.UpdatedAt = p.CreatedAt
		}
		if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Table("forum_topics").Set("updated_at = ?", now).Where("container_id = ?", t.ContainerID).Exec(ctx); err != nil {
			return err
		}
		var err error
		if out, err = s.postTx(ctx, tx, p.ID); err != nil {
			return err
		}
		cat, err := s.categoryTx(ctx, tx, t.CategoryID)
		if err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: PostCreated, Category: cat, Topic: t, Post: out})
	})
	return out, err
}

func (s *Service) postTx(ctx context.Context, db bun.IDB, id int64) (*Post, error) {
	var ps []Post
	if err := s.selectPosts(db, &ps).Where("fp.id = ?", id).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("post %d: %w", id, core.ErrNotFound)
	}
	return &ps[0], nil
}

// Post returns one post who may read.
func (s *Service) Post(ctx context.Context, who core.Subject, id int64) (*Post, error) {
	var ps []Post
	q := s.selectPosts(s.db, &ps).Where("fp.id = ?", id)
	if err := acl.WhereReadableItems(q, who, "c", "fp.author_id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("post %d: %w", id, core.ErrNotFound)
	}
	return &ps[0], nil
}

// Posts lists the replies of a topic who may read, oldest first.
func (s *Service) Posts(ctx context.Context, who core.Subject, topicID int64) ([]Post, error) {
	var ps []Post
	q := s.selectPosts(s.db, &ps).Where("fp.topic_id = ?", topicID).Order("fp.id")
	err := acl.WhereReadableItems(q, who, "c", "fp.author_id").Scan(ctx)
	return ps, store.Translate(err)
}

// UpdatePost changes a post's text (HTML): its author or a moderator.
func (s *Service) UpdatePost(ctx context.Context, who core.Subject, id int64, body string) (*Post, error) {
	return s.EditPost(ctx, who, id, NewPost{Body: body})
}

// EditPost changes a post's text (n.Markdown, or n.Body as HTML): its
// author or a moderator.
func (s *Service) EditPost(ctx context.Context, who core.Subject, id int64, n NewPost) (*Post, error) {
	body, src, err := written(n.Body, n.Markdown)
	if err != nil {
		return nil, err
	}
	if body == "" {
		return nil, fmt.Errorf("%w: a reply needs text", core.ErrInvalid)
	}
	p, err := s.Post(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if err := s.eng.Decide(ctx, who, acl.Target{ContainerID: p.TopicID, AuthorID: deref(p.AuthorID), Item: true}, acl.PrivWriteContent); err != nil {
		return nil, err
	}
	return s.updatePost(ctx, id, body, src, time.Time{})
}

func (s *Service) updatePost(ctx context.Context, id int64, body string, src *string, at time.Time) (*Post, error) {
	if at.IsZero() {
		at = s.now()
	}
	var p *Post
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Table("forum_posts").Set("body = ?, source = ?, updated_at = ?", body, src, at.UTC()).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		var err error
		if p, err = s.postTx(ctx, tx, id); err != nil {
			return err
		}
		return s.emitFor(ctx, tx, PostUpdated, p)
	})
	return p, err
}

func (s *Service) emitFor(ctx context.Context, tx bun.IDB, k EventKind, p *Post) error {
	t, err := s.topicTx(ctx, tx, p.TopicID)
	if err != nil {
		return err
	}
	cat, err := s.categoryTx(ctx, tx, t.CategoryID)
	if err != nil {
		return err
	}
	return s.emit(ctx, tx, Event{Kind: k, Category: cat, Topic: t, Post: p})
}

// DeletePost removes a post: its author or a moderator.
func (s *Service) DeletePost(ctx context.Context, who core.Subject, id int64) error {
	p, err := s.Post(ctx, who, id)
	if err != nil {
		return err
	}
	if err := s.eng.Decide(ctx, who, acl.Target{ContainerID: p.TopicID, AuthorID: deref(p.AuthorID), Item: true}, acl.PrivWriteContent); err != nil {
		return err
	}
	return s.RemovePost(ctx, id)
}

// RemovePost deletes a post without an access decision: for adapters that
// have made their own.
func (s *Service) RemovePost(ctx context.Context, id int64) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.postTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.emitFor(ctx, tx, PostDeleted, p); err != nil {
			return err
		}
		if err := s.unrefAttachments(ctx, tx, "post_id = ?", id); err != nil {
			return err
		}
		_, err = tx.NewDelete().Table("forum_posts").Where("id = ?", id).Exec(ctx)
		return err
	})
}
