package calendar

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// Comment is a comment on an event.
type Comment struct {
	ID         int64     `bun:"id"`
	ObjectID   int64     `bun:"object_id"`
	AuthorID   *int64    `bun:"author_id"`
	AuthorName string    `bun:"author_name"`
	Body       string    `bun:"body"` // Markdown, as written
	CreatedAt  time.Time `bun:"created_at"`
}

// MaxComment is the longest comment, in characters.
const MaxComment = 10000

// Comments lists the comments on the event stored as name in c (which
// was loaded for the reader), oldest first.
func (s *Service) Comments(ctx context.Context, c *Collection, name string) ([]Comment, error) {
	o, err := s.Get(ctx, c, name)
	if err != nil {
		return nil, err
	}
	var out []Comment
	err = s.db.NewRaw(`SELECT e.id, e.object_id, e.author_id, COALESCE(a.name, '') AS author_name, e.body, e.created_at
		FROM event_comments e LEFT JOIN accounts a ON a.id = e.author_id WHERE e.object_id = ? ORDER BY e.id`, o.ID).Scan(ctx, &out)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, store.Translate(err)
	}
	return out, nil
}

// AddComment adds who's comment to the event stored as name in c: whoever
// reads the event may comment on it.
func (s *Service) AddComment(ctx context.Context, who core.Subject, c *Collection, name, body string) error {
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > MaxComment {
		return fmt.Errorf("%w: a comment has 1 to %d characters", core.ErrInvalid, MaxComment)
	}
	if who.IsAnonymous() {
		return fmt.Errorf("%w: sign in to comment", core.ErrForbidden)
	}
	if c.Level < acl.Read {
		return fmt.Errorf("calendar: %w", core.ErrNotFound)
	}
	o, err := s.Get(ctx, c, name)
	if err != nil {
		return err
	}
	_, err = s.db.NewRaw(`INSERT INTO event_comments (object_id, author_id, body, created_at) VALUES (?, ?, ?, ?)`,
		o.ID, who.AccountID, body, s.now().UTC()).Exec(ctx)
	return store.Translate(err)
}

// CanDeleteComment tells whether who may delete comment m of an event
// of c: its author, an administrator of the calendar's space, or the
// owner of a personal calendar (full on it).
func (s *Service) CanDeleteComment(ctx context.Context, who core.Subject, c *Collection, m Comment) (bool, error) {
	if !who.IsAnonymous() && m.AuthorID != nil && *m.AuthorID == who.AccountID {
		return true, nil
	}
	if c.SpaceID != nil {
		return acl.SpaceAdmin(ctx, s.db, who, *c.SpaceID)
	}
	return c.Level >= acl.Full, nil
}

// DeleteComment deletes comment id of the event stored as name in c.
func (s *Service) DeleteComment(ctx context.Context, who core.Subject, c *Collection, name string, id int64) error {
	all, err := s.Comments(ctx, c, name)
	if err != nil {
		return err
	}
	for _, m := range all {
		if m.ID != id {
			continue
		}
		ok, err := s.CanDeleteComment(ctx, who, c, m)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: only its author or a space administrator deletes a comment", core.ErrForbidden)
		}
		_, err = s.db.NewRaw(`DELETE FROM event_comments WHERE id = ?`, id).Exec(ctx)
		return store.Translate(err)
	}
	return fmt.Errorf("comment %d: %w", id, core.ErrNotFound)
}
