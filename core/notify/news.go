package notify

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"plaza/core/markup"
	"plaza/core/news"
	"plaza/core/store"
)

// NewsComment implements news.CommentHook: the followers of an article
// hear of a new comment.
func (s *Service) NewsComment(ctx context.Context, tx bun.IDB, a *news.Article, c *news.Comment) error {
	var slug, by string
	err := tx.NewRaw(`SELECT (SELECT slug FROM spaces WHERE id = ?), COALESCE((SELECT name FROM accounts WHERE id = ?), '')`,
		a.SpaceID, *c.AuthorID).Scan(ctx, &slug, &by)
	if err != nil {
		return store.Translate(err)
	}
	_, err = s.Announce(ctx, tx, Target{Kind: KindNews, ID: a.ContainerID}, a.ContainerID, *c.AuthorID, Note{
		Title: fmt.Sprintf("%s: comment (%s)", a.Title, by), Text: markup.Text(markup.Render(c.Body)),
		Path: fmt.Sprintf("/s/%s/news/%d#comment-%d", slug, a.ContainerID, c.ID)})
	return err
}
