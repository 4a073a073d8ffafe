package calendar

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
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
	// Categories are the event's tags (CATEGORIES).
	Categories []string
	// Repeat is the frequency of a simple rule: "", "DAILY", "WEEKLY",
	// "MONTHLY" or "YEARLY". An edit that keeps the frequency keeps the
	// rule as a client wrote it (BYDAY, UNTIL...).
	Repeat string
	// Attendees are who is invited, when SetAttendees: an edit keeps the
	// answers of those still invited. Organizer is who invites them.
	Attendees    []Attendee
	SetAttendees bool
	Organizer    Attendee
}

// Attendee is a person invited to an event and their answer.
type Attendee struct {
	Email   string
	Name    string
	Status  string // PARTSTAT: NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE
	Comment string // what they said with their answer
}

// Answers are the attendance answers the agenda offers: present, absent.
const (
	Present = "ACCEPTED"
	Absent  = "DECLINED"
	Pending = "NEEDS-ACTION"
)

// Repeats are the frequencies the agenda's form offers.
var Repeats = []string{"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}

// Scope is the part of a recurring event a change applies to.
type Scope int

const (
	ScopeAll       Scope = iota // the whole series
	ScopeThis                   // one occurrence
	ScopeFollowing              // this occurrence and the ones after it
)

// ParseScope reads "all", "this" or "following".
func ParseScope(s string) (Scope, bool) {
	switch s {
	case "", "all":
		return ScopeAll, true
	case "this":
		return ScopeThis, true
	case "following":
		return ScopeFollowing, true
	}
	return 0, false
}

// EventChange is an edit of an event made on the agenda page.
type EventChange struct {
	NewEvent // the new values, times of the occurrence edited
	Scope    Scope
	// RecurrenceID is Occurrence.RecurrenceID of the occurrence edited
	// (0 for an event that does not recur).
	RecurrenceID int64
	// OrigStart is the start the occurrence had: an edit of a whole
	// series moves it by the same amount.
	OrigStart time.Time
}

// EventWriter writes a NewEvent as calendar data. It is apart from ICal
// so that reading calendars needs no writer; ics.Codec implements both.
type EventWriter interface {
	WriteEvent(uid string, e NewEvent, stamp time.Time) ([]byte, error)
	// EditEvent applies ch to the stored event data. For ScopeFollowing
	// it also returns split, a new event (of UID newUID) holding the
	// occurrences from the one edited on; nil otherwise.
	EditEvent(data []byte, ch EventChange, newUID string, stamp time.Time) (out, split []byte, err error)
	// Answer sets the answer of the attendee of that email on every
	// instance of the event; ErrNotFound when they are not invited.
	Answer(data []byte, email string, a Attendee, stamp time.Time) ([]byte, error)
	// DropOccurrences removes one occurrence (ScopeThis) or it and the
	// following ones (ScopeFollowing) from a recurring event; gone tells
	// that nothing is left, and the event is to be deleted.
	DropOccurrences(data []byte, scope Scope, recurrenceID int64, stamp time.Time) (out []byte, gone bool, err error)
}

func (s *Service) writer() (EventWriter, error) {
	w, ok := s.ical.(EventWriter)
	if !ok {
		return nil, fmt.Errorf("%w: this server cannot write events", core.ErrForbidden)
	}
	return w, nil
}

// checkEvent trims and checks what the agenda's form sends.
func checkEvent(e *NewEvent) error {
	e.Summary, e.Location, e.Description = strings.TrimSpace(e.Summary), strings.TrimSpace(e.Location), strings.TrimSpace(e.Description)
	var cats []string
	seen := map[string]bool{}
	for _, c := range e.Categories {
		c = strings.TrimSpace(c)
		if c == "" || seen[strings.ToLower(c)] {
			continue
		}
		if utf8.RuneCountInString(c) > 100 || strings.ContainsAny(c, "\r\n") {
			return fmt.Errorf("%w: a category has at most 100 characters on one line", core.ErrInvalid)
		}
		seen[strings.ToLower(c)] = true
		cats = append(cats, c)
	}
	if len(cats) > 20 {
		return fmt.Errorf("%w: 20 categories at most", core.ErrInvalid)
	}
	e.Categories = cats
	if e.Repeat != "" && !slices.Contains(Repeats, e.Repeat) {
		return fmt.Errorf("%w: repeat is daily, weekly, monthly or yearly", core.ErrInvalid)
	}
	switch {
	case e.Summary == "" || utf8.RuneCountInString(e.Summary) > 500:
		return fmt.Errorf("%w: an event needs a title of at most 500 characters", core.ErrInvalid)
	case utf8.RuneCountInString(e.Location) > 500 || utf8.RuneCountInString(e.Description) > 10000:
		return fmt.Errorf("%w: place or description too long", core.ErrInvalid)
	case !e.End.After(e.Start):
		return fmt.Errorf("%w: an event ends after it starts", core.ErrInvalid)
	case e.End.Sub(e.Start) > 366*24*time.Hour:
		return fmt.Errorf("%w: an event lasts a year at most", core.ErrInvalid)
	}
	return nil
}

// AddEvent stores e as a new event of c on behalf of who (who needs to
// add to c) and returns its resource name.
func (s *Service) AddEvent(ctx context.Context, who core.Subject, c *Collection, e NewEvent) (string, error) {
	w, err := s.writer()
	if err != nil {
		return "", err
	}
	if err := checkEvent(&e); err != nil {
		return "", err
	}
	if !c.HasComponent("VEVENT") {
		return "", fmt.Errorf("%w: this calendar holds no events", core.ErrForbidden)
	}
	uid, err := newUID()
	if err != nil {
		return "", err
	}
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

func newUID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b) + "@plaza", nil
}

// EditEvent changes the event stored as name in c (who needs to change
// it there, and wherever else it is held). etag, when not empty, is the
// version the reader edited: a change made meanwhile refuses the edit.
// Editing a series from one of its occurrences on splits it in two
// events, both in c; it returns the name of the one edited.
func (s *Service) EditEvent(ctx context.Context, who core.Subject, c *Collection, name, etag string, ch EventChange) (string, error) {
	w, err := s.writer()
	if err != nil {
		return "", err
	}
	if err := checkEvent(&ch.NewEvent); err != nil {
		return "", err
	}
	o, err := s.Get(ctx, c, name)
	if err != nil {
		return "", err
	}
	uid, err := newUID()
	if err != nil {
		return "", err
	}
	out, split, err := w.EditEvent([]byte(o.Data), ch, uid, s.now())
	if err != nil {
		return "", err
	}
	cond := Conditions{IfMatch: []string{o.ETag}}
	if etag != "" {
		cond.IfMatch = []string{etag}
	}
	if _, _, err := s.Put(ctx, who, c, name, out, cond); err != nil {
		if errors.Is(err, ErrPrecondition) {
			return "", fmt.Errorf("%w: the event changed since it was opened; open it again", core.ErrConflict)
		}
		return "", err
	}
	if split == nil {
		return name, nil
	}
	name = NameFor(uid, ".ics")
	if _, _, err := s.Put(ctx, who, c, name, split, Conditions{IfNoneMatch: []string{"*"}}); err != nil {
		return "", err
	}
	return name, nil
}

// DeleteEvent deletes the event stored as name in c, or, for a
// recurring event and a scope other than ScopeAll, one occurrence or an
// occurrence and those after it.
func (s *Service) DeleteEvent(ctx context.Context, who core.Subject, c *Collection, name string, scope Scope, recurrenceID int64) error {
	if scope == ScopeAll || recurrenceID == 0 {
		return s.Delete(ctx, who, c, name, Conditions{})
	}
	w, err := s.writer()
	if err != nil {
		return err
	}
	o, err := s.Get(ctx, c, name)
	if err != nil {
		return err
	}
	out, gone, err := w.DropOccurrences([]byte(o.Data), scope, recurrenceID, s.now())
	if err != nil {
		return err
	}
	if gone {
		return s.Delete(ctx, who, c, name, Conditions{IfMatch: []string{o.ETag}})
	}
	_, _, err = s.Put(ctx, who, c, name, out, Conditions{IfMatch: []string{o.ETag}})
	return err
}

// Answer records who's attendance (Present or Absent, with a comment)
// on the event stored as name in c. Being invited (an ATTENDEE with
// who's email) and reading the calendar is enough: the change touches
// who's own answer only, as an iTIP reply would.
func (s *Service) Answer(ctx context.Context, who core.Subject, email string, c *Collection, name, status, comment string) error {
	w, err := s.writer()
	if err != nil {
		return err
	}
	if status != Present && status != Absent {
		return fmt.Errorf("%w: an answer is present or absent", core.ErrInvalid)
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > 500 {
		return fmt.Errorf("%w: a comment has at most 500 characters", core.ErrInvalid)
	}
	if who.IsAnonymous() || email == "" {
		return fmt.Errorf("%w: sign in with an email address to answer", core.ErrForbidden)
	}
	o, err := s.Get(ctx, c, name)
	if err != nil {
		return err
	}
	out, err := w.Answer([]byte(o.Data), email, Attendee{Status: status, Comment: comment}, s.now())
	if err != nil {
		return err
	}
	_, _, err = s.put(ctx, who, c, name, out, Conditions{IfMatch: []string{o.ETag}}, true)
	if errors.Is(err, ErrPrecondition) {
		return fmt.Errorf("%w: the event changed meanwhile; answer again", core.ErrConflict)
	}
	return err
}
