package news

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/markup"
	"plaza/core/store"
)

// Comment is a reader's remark on an article, written in Markdown.
type Comment struct {
	bun.BaseModel `bun:"table:news_comments,alias:nc"`

	ID        int64     `bun:",pk,autoincrement" json:"id"`
	ArticleID int64     `json:"article_id"`
	AuthorID  *int64    `json:"author_id"`
	Body      string    `json:"body"` // Markdown
	CreatedAt time.Time `json:"created_at"`

	AuthorName string `bun:",scanonly" json:"author_name"`
}

// HTML is the comment rendered (core/markup).
func (c *Comment) HTML() string { return markup.Render(c.Body) }

// CommentHook is told of a new comment inside its transaction
// (notifications to the article's followers).
type CommentHook interface {
	NewsComment(ctx context.Context, tx bun.IDB, a *Article, c *Comment) error
}

// AddCommentHook registers h. Call it while wiring, before serving.
func (s *Service) AddCommentHook(h CommentHook) { s.commentHooks = append(s.commentHooks, h) }

// AddComment adds who's comment to an article they may read.
func (s *Service) AddComment(ctx context.Context, who core.Subject, id int64, body string) (*Comment, error) {
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > 10_000 || !utf8.ValidString(body) || strings.ContainsRune(body, 0) {
		return nil, fmt.Errorf("%w: a comment has 1 to 10,000 characters", core.ErrInvalid)
	}
	if who.IsAnonymous() {
		return nil, fmt.Errorf("%w: sign in to comment", core.ErrUnauthenticated)
	}
	a, err := s.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	author := who.AccountID
	c := &Comment{ArticleID: id, AuthorID: &author, Body: body, CreatedAt: s.now().UTC()}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return err
		}
		for _, h := range s.commentHooks {
			if err := h.NewsComment(ctx, tx, a, c); err != nil {
				return err
			}
		}
		return nil
	})
	return c, store.Translate(err)
}

// Comments lists an article's comments, oldest first.
func (s *Service) Comments(ctx context.Context, who core.Subject, id int64) ([]Comment, error) {
	if _, err := s.Get(ctx, who, id); err != nil {
		return nil, err
	}
	var cs []Comment
	err := s.db.NewSelect().Model(&cs).ColumnExpr("nc.*").ColumnExpr("COALESCE(au.name, '') AS author_name").
		Join("LEFT JOIN accounts AS au ON au.id = nc.author_id").
		Where("nc.article_id = ?", id).Order("nc.id").Scan(ctx)
	return cs, store.Translate(err)
}

// CanDeleteComment tells whether who may delete c: its author, and
// whoever may change the article (its author, a space administrator).
func (s *Service) CanDeleteComment(ctx context.Context, who core.Subject, a *Article, c *Comment) (bool, error) {
	if who.IsAnonymous() {
		return false, nil
	}
	if c.AuthorID != nil && *c.AuthorID == who.AccountID {
		return true, nil
	}
	err := s.eng.Decide(ctx, who, acl.Target{ContainerID: a.ContainerID, AuthorID: deref(a.AuthorID), Item: true}, acl.PrivWriteContent)
	if errors.Is(err, core.ErrForbidden) || errors.Is(err, core.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// DeleteComment removes a comment of an article (see CanDeleteComment).
func (s *Service) DeleteComment(ctx context.Context, who core.Subject, id, commentID int64) error {
	a, err := s.Get(ctx, who, id)
	if err != nil {
		return err
	}
	c := new(Comment)
	if err := s.db.NewSelect().Model(c).Where("nc.id = ? AND nc.article_id = ?", commentID, id).Scan(ctx); err != nil {
		return fmt.Errorf("comment %d: %w", commentID, store.Translate(err))
	}
	ok, err := s.CanDeleteComment(ctx, who, a, c)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: only its author or the article's may delete a comment", core.ErrForbidden)
	}
	_, err = s.db.NewDelete().Model((*Comment)(nil)).Where("id = ?", commentID).Exec(ctx)
	return store.Translate(err)
}
