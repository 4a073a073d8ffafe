package wiki

import (
	"context"

	"github.com/uptrace/bun"
)

// EventKind says what happened to a page.
type EventKind string

const (
	PageChanged   EventKind = "page.changed"   // a new version was saved (or restored)
	PageCommented EventKind = "page.commented" // a comment was added
)

// Event is one change, given to hooks inside its transaction.
type Event struct {
	Kind    EventKind
	Page    *Page // after the change
	By      int64 // who made it
	Note    string
	Comment *Comment // PageCommented
}

// Hook is told of each change inside its transaction; an error cancels
// the change. Notifications to a page's followers are one (core/notify).
type Hook interface {
	WikiEvent(ctx context.Context, tx bun.IDB, e Event) error
}

// AddHook registers h. Call it while wiring the program, before serving.
func (s *Service) AddHook(h Hook) { s.hooks = append(s.hooks, h) }

func (s *Service) emit(ctx context.Context, tx bun.IDB, e Event) error {
	for _, h := range s.hooks {
		if err := h.WikiEvent(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}
