package notify

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"plaza/core/markup"
	"plaza/core/store"
	"plaza/core/wiki"
)

// WikiEvent implements wiki.Hook: the followers of a page hear of a new
// version and of a new comment.
func (s *Service) WikiEvent(ctx context.Context, tx bun.IDB, e wiki.Event) error {
	if e.Page.SpaceID == nil {
		return nil
	}
	var slug, by string
	err := tx.NewRaw(`SELECT (SELECT slug FROM spaces WHERE id = ?), COALESCE((SELECT name FROM accounts WHERE id = ?), '')`,
		*e.Page.SpaceID, e.By).Scan(ctx, &slug, &by)
	if err != nil {
		return store.Translate(err)
	}
	n := Note{Path: fmt.Sprintf("/s/%s/wiki/page/%d", slug, e.Page.ID)}
	switch e.Kind {
	case wiki.PageChanged:
		n.Title = fmt.Sprintf("%s (v%d, %s)", e.Page.Title, e.Page.Version, by)
		n.Text = e.Note
	case wiki.PageCommented:
		n.Title = fmt.Sprintf("%s: comment (%s)", e.Page.Title, by)
		n.Text = markup.Text(markup.Render(e.Comment.Body))
		n.Path += fmt.Sprintf("#comment-%d", e.Comment.ID)
	default:
		return nil
	}
	_, err = s.Announce(ctx, tx, Target{Kind: KindWikiPage, ID: e.Page.ID}, e.Page.ContainerID, e.By, n)
	return err
}
