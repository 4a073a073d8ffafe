package notify

import (
	"context"
	"fmt"
	"net/url"

	"github.com/uptrace/bun"

	"plaza/core/calendar"
	"plaza/core/store"
)

// CalendarChange implements calendar.Hook: the followers of a space's
// calendar hear of an event added, changed or removed there, whoever
// made the change (the web or a CalDAV client).
func (s *Service) CalendarChange(ctx context.Context, tx bun.IDB, c calendar.Change) error {
	col := c.Collection
	if col.Kind != calendar.KindCalendar || col.SpaceID == nil || col.SpaceSlug == "" {
		return nil
	}
	var by string
	if err := tx.NewRaw(`SELECT COALESCE((SELECT name FROM accounts WHERE id = ?), '')`, c.By).Scan(ctx, &by); err != nil {
		return store.Translate(err)
	}
	what := map[calendar.ChangeKind]string{calendar.EventAdded: "new event", calendar.EventChanged: "event changed",
		calendar.EventRemoved: "event removed"}[c.Kind]
	n := Note{Title: fmt.Sprintf("%s: %s — %s (%s)", col.Name, what, c.Summary, by),
		Path: fmt.Sprintf("/s/%s/agenda/%d/%s", col.SpaceSlug, col.ContainerID, url.PathEscape(c.Name))}
	if c.Kind == calendar.EventRemoved {
		n.Path = fmt.Sprintf("/s/%s/agenda", col.SpaceSlug)
	}
	_, err := s.Announce(ctx, tx, Target{Kind: KindCalendar, ID: col.ContainerID}, col.ContainerID, c.By, n)
	return err
}
