package files

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// Limits of comments and tags.
const (
	MaxCommentLength = 5000 // characters
	MaxTagLength     = 50   // characters
	MaxTags          = 20   // per file or folder
)

// Comment is a remark on a file or a folder.
type Comment struct {
	bun.BaseModel `bun:"table:file_comments,alias:fc"`

	ID        int64 `bun:",pk,autoincrement"`
	NodeID    int64
	AuthorID  *int64 `bun:",nullzero"`
	Body      string
	CreatedAt time.Time
}

// AddComment adds a comment to n: whoever may read it and has an account
// may comment (DocSpace's commenter is a reader who comments).
func (s *Service) AddComment(ctx context.Context, who core.Subject, n *Node, body string) (*Comment, error) {
	if who.IsAnonymous() {
		return nil, fmt.Errorf("%w: sign in to comment", core.ErrUnauthenticated)
	}
	if err := n.Need(acl.PrivRead); err != nil {
		return nil, err
	}
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > MaxCommentLength {
		return nil, fmt.Errorf("%w: a comment has 1 to %d characters", core.ErrInvalid, MaxCommentLength)
	}
	c := &Comment{NodeID: n.ID, AuthorID: author(who), Body: body, CreatedAt: s.now().UTC()}
	if _, err := s.db.NewInsert().Model(c).Exec(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return c, nil
}

// Comments lists the comments on n, oldest first (n as looked up by the
// reader, who may read it).
func (s *Service) Comments(ctx context.Context, n *Node) ([]Comment, error) {
	if err := n.Need(acl.PrivRead); err != nil {
		return nil, err
	}
	var cs []Comment
	err := s.db.NewSelect().Model(&cs).Where("node_id = ?", n.ID).Order("id").Scan(ctx)
	if err = store.Translate(err); err != nil && !errors.Is(err, core.ErrNotFound) {
		return nil, err
	}
	return cs, nil
}

// CanDeleteComment reports whether who may delete c on n: its author,
// whoever has full on n, and the administrators of n's space.
func (s *Service) CanDeleteComment(ctx context.Context, who core.Subject, n *Node, c *Comment) (bool, error) {
	if who.IsAnonymous() {
		return false, nil
	}
	if (c.AuthorID != nil && *c.AuthorID == who.AccountID) || n.Level >= acl.Full {
		return true, nil
	}
	var spaceID *int64
	if err := s.db.NewRaw(`SELECT space_id FROM file_roots WHERE container_id = ?`, n.RootID).Scan(ctx, &spaceID); err != nil {
		return false, store.Translate(err)
	}
	if spaceID == nil {
		return false, nil
	}
	return acl.SpaceAdmin(ctx, s.db, who, *spaceID)
}

// DeleteComment deletes comment id on n, when who may (CanDeleteComment).
func (s *Service) DeleteComment(ctx context.Context, who core.Subject, n *Node, id int64) error {
	c := new(Comment)
	if err := s.db.NewSelect().Model(c).Where("id = ? AND node_id = ?", id, n.ID).Scan(ctx); err != nil {
		return fmt.Errorf("comment %d: %w", id, store.Translate(err))
	}
	ok, err := s.CanDeleteComment(ctx, who, n, c)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: only its author and the space's administrators delete a comment", core.ErrForbidden)
	}
	_, err = s.db.NewDelete().Model(c).WherePK().Exec(ctx)
	return store.Translate(err)
}

// Tags returns the tags of nodes, by node id, sorted.
func (s *Service) Tags(ctx context.Context, ids ...int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		NodeID int64
		Tag    string
	}
	err := s.db.NewRaw(`SELECT node_id, tag FROM file_tags WHERE node_id IN (?) ORDER BY tag`, bun.In(ids)).Scan(ctx, &rows)
	if err = store.Translate(err); err != nil && !errors.Is(err, core.ErrNotFound) {
		return nil, err
	}
	for _, r := range rows {
		out[r.NodeID] = append(out[r.NodeID], r.Tag)
	}
	return out, nil
}

// ParseTags splits a comma-separated list into clean tags: trimmed,
// lower-case, without duplicates.
func ParseTags(s string) ([]string, error) {
	var tags []string
	for _, t := range strings.Split(s, ",") {
		t = strings.ToLower(strings.Join(strings.Fields(t), " "))
		if t == "" || slices.Contains(tags, t) {
			continue
		}
		if utf8.RuneCountInString(t) > MaxTagLength {
			return nil, fmt.Errorf("%w: a tag has at most %d characters", core.ErrInvalid, MaxTagLength)
		}
		tags = append(tags, t)
	}
	if len(tags) > MaxTags {
		return nil, fmt.Errorf("%w: at most %d tags", core.ErrInvalid, MaxTags)
	}
	return tags, nil
}

// SetTags replaces the tags of n; who needs to change its properties.
func (s *Service) SetTags(ctx context.Context, who core.Subject, n *Node, tags []string) error {
	if err := n.Need(acl.PrivWriteProperties); err != nil {
		return err
	}
	if len(tags) > MaxTags {
		return fmt.Errorf("%w: at most %d tags", core.ErrInvalid, MaxTags)
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkNodeLocks(ctx, tx, n, false); err != nil {
			return err
		}
		if _, err := tx.NewRaw(`DELETE FROM file_tags WHERE node_id = ?`, n.ID).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		for _, t := range tags {
			if t == "" || utf8.RuneCountInString(t) > MaxTagLength {
				return fmt.Errorf("%w: a tag has 1 to %d characters", core.ErrInvalid, MaxTagLength)
			}
			if _, err := tx.NewRaw(`INSERT INTO file_tags (node_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING`, n.ID, t).Exec(ctx); err != nil {
				return store.Translate(err)
			}
		}
		return nil
	})
}
