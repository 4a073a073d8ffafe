package calendar

import (
	"context"
	"strings"

	"github.com/uptrace/bun"
)

// ChangeKind says what happened to an event.
type ChangeKind string

const (
	EventAdded   ChangeKind = "event.added"
	EventChanged ChangeKind = "event.changed"
	EventRemoved ChangeKind = "event.removed"
)

// Change is one change of a calendar's content, given to hooks inside
// its transaction, whatever made it (the web, a CalDAV client).
type Change struct {
	Kind       ChangeKind
	Collection *Collection // the calendar changed
	Name       string      // the resource name there
	Summary    string      // the event's title, when known
	By         int64       // who made it (0: a visitor)
}

// Hook is told of each change inside its transaction; an error cancels
// the change. Notifications to a calendar's followers are one
// (core/notify).
type Hook interface {
	CalendarChange(ctx context.Context, tx bun.IDB, c Change) error
}

// AddHook registers h. Call it while wiring the program, before serving.
func (s *Store) AddHook(h Hook) { s.hooks = append(s.hooks, h) }

func (s *Store) emit(ctx context.Context, tx bun.IDB, c Change) error {
	for _, h := range s.hooks {
		if err := h.CalendarChange(ctx, tx, c); err != nil {
			return err
		}
	}
	return nil
}

// summaryOf is the first SUMMARY of iCalendar data, unescaped enough for
// a notification's title.
func summaryOf(data string) string {
	for _, l := range strings.Split(data, "\n") {
		l = strings.TrimRight(l, "\r")
		if name, v, ok := strings.Cut(l, ":"); ok && (name == "SUMMARY" || strings.HasPrefix(name, "SUMMARY;")) {
			return strings.NewReplacer(`\,`, ",", `\;`, ";", `\n`, " ", `\\`, `\`).Replace(v)
		}
	}
	return ""
}
