package calendar

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"plaza/core"
)

// NewEvent is a simple event made on the agenda page: one occurrence, no
// attendees, no alarm. DAV clients make the rest.
type NewEvent struct {
	Summary     string
	Location    string
	Description string
	// Start and End (after Start). An all-day event starts at midnight of
	// its first day and ends at midnight after its last, in the reader's
	// zone; other times are instants.
	Start, End time.Time
	AllDay     bool
}

// EventWriter writes a NewEvent as calendar data. It is apart from ICal
// so that reading calendars needs no writer; ics.Codec implements both.
type EventWriter interface {
	WriteEvent(uid string, e NewEvent, stamp time.Time) ([]byte, error)
}

// AddEvent stores e as a new event of c on behalf of who (who needs to
// add to c) and returns its resource name.
func (s *Service) AddEvent(ctx context.Context, who core.Subject, c *Collection, e NewEvent) (string, error) {
	w, ok := s.ical.(EventWriter)
	if !ok {
		return "", fmt.Errorf("%w: this server cannot write events", core.ErrForbidden)
	}
	e.Summary, e.Location, e.Description = strings.TrimSpace(e.Summary), strings.TrimSpace(e.Location), strings.TrimSpace(e.Description)
	switch {
	case e.Summary == "" || utf8.RuneCountInString(e.Summary) > 500:
		return "", fmt.Errorf("%w: an event needs a title of at most 500 characters", core.ErrInvalid)
	case utf8.RuneCountInString(e.Location) > 500 || utf8.RuneCountInString(e.Description) > 10000:
		return "", fmt.Errorf("%w: place or description too long", core.ErrInvalid)
	case !e.End.After(e.Start):
		return "", fmt.Errorf("%w: an event ends after it starts", core.ErrInvalid)
	case e.End.Sub(e.Start) > 366*24*time.Hour:
		return "", fmt.Errorf("%w: an event lasts a year at most", core.ErrInvalid)
	case !c.HasComponent("VEVENT"):
		return "", fmt.Errorf("%w: this calendar holds no events", core.ErrForbidden)
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	uid := hex.EncodeToString(b) + "@plaza"
	data, err := w.WriteEvent(uid, e, s.now())
	if err != nil {
		return "", err
	}
	name := NameFor(uid, ".ics")
	if _, _, err := s.Put(ctx, who, c, name, data, Conditions{IfNoneMatch: []string{"*"}}); err != nil {
		return "", err
	}
	return name, nil
}
