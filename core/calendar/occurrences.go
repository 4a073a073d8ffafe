package calendar

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/acl"
)

// Occurrence is one instance of an event as an agenda page shows it. The
// codec fills what the data says; the service adds where it lives.
type Occurrence struct {
	UID         string
	Summary     string
	Location    string
	Description string
	// Start and End are in the reader's zone. An all-day event starts at
	// midnight of its first day and ends at midnight after its last day;
	// a floating time (no zone) is read in the reader's zone.
	Start, End time.Time
	AllDay     bool
	Recurring  bool
	Tentative  bool // STATUS:TENTATIVE
	Free       bool // TRANSP:TRANSPARENT: shown, but not busy time
	// RecurrenceID names the occurrence of a recurring event for an edit
	// of it alone (the codec's key of its original start); 0 when the
	// event does not recur.
	RecurrenceID int64
	Categories   []string
	// Repeat is the frequency of the series' rule ("" when none).
	Repeat string
	// Organizer is the organiser's email ("" when none); Attendees who
	// is invited and what they answered (ATTENDEE, PARTSTAT).
	Organizer string
	Attendees []Attendee

	// Where the event lives (set by Service.Occurrences).
	CalendarID int64  // container id of the calendar it was found in
	Color      string // that calendar's colour, as stored ("" when none)
	ObjectID   int64  // the stored object: one per event, whatever its calendars
	Name       string // its resource name in that calendar
}

// Overlaps reports whether o meets [from, to); an event without duration
// meets a range that holds its start.
func (o Occurrence) Overlaps(from, to time.Time) bool {
	if o.End.Equal(o.Start) {
		return !o.Start.Before(from) && o.Start.Before(to)
	}
	return o.Start.Before(to) && o.End.After(from)
}

// Agenda is what Service.Occurrences found.
type Agenda struct {
	Occurrences []Occurrence
	// Unreadable counts stored objects that could not be expanded (data a
	// client wrote that this codec cannot read); they are left out.
	Unreadable int
}

// maxAgendaSpan bounds one query: a year and a few weeks covers any
// month, week or day view with room to spare.
const maxAgendaSpan = 400 * 24 * time.Hour

// zoneSlack widens the index query: floating and all-day times are
// indexed as if they were UTC, so their real instant differs from the
// indexed one by the reader's offset (at most 14 hours).
const zoneSlack = 26 * time.Hour

// Occurrences expands the events of cals (collections loaded for the
// reader, so read access is already decided) in [from, to) into
// occurrences in loc, ordered by start. An object shared by several of
// cals shows once, in the first of them. Objects the codec cannot read
// are counted, not fatal: one bad event must not hide a whole agenda.
func (s *Service) Occurrences(ctx context.Context, cals []Collection, from, to time.Time, loc *time.Location) (Agenda, error) {
	if loc == nil {
		loc = time.UTC
	}
	if !from.Before(to) || to.Sub(from) > maxAgendaSpan {
		return Agenda{}, fmt.Errorf("%w: an agenda range is 1 second to 400 days", core.ErrInvalid)
	}
	var out Agenda
	seen := map[int64]bool{}
	for i := range cals {
		c := &cals[i]
		if c.Kind != KindCalendar || c.Level < acl.Read || !c.HasComponent("VEVENT") {
			continue
		}
		start, end := from.Add(-zoneSlack).Unix(), to.Add(zoneSlack).Unix()
		objs, err := s.Candidates(ctx, c, "VEVENT", &start, &end)
		if err != nil {
			return Agenda{}, err
		}
		for _, o := range objs {
			if seen[o.ID] {
				continue
			}
			seen[o.ID] = true
			occ, err := s.ical.Occurrences([]byte(o.Data), from, to, loc)
			if err != nil {
				out.Unreadable++
				continue
			}
			for _, x := range occ {
				x.CalendarID, x.Color, x.ObjectID, x.Name = c.ContainerID, c.Color, o.ID, o.Name
				out.Occurrences = append(out.Occurrences, x)
			}
		}
	}
	SortOccurrences(out.Occurrences)
	return out, nil
}

// EventOccurrences expands the one event stored as name in c over
// [from, to), for a page about that event.
func (s *Service) EventOccurrences(ctx context.Context, c *Collection, name string, from, to time.Time, loc *time.Location) ([]Occurrence, error) {
	if loc == nil {
		loc = time.UTC
	}
	if !from.Before(to) {
		return nil, fmt.Errorf("%w: empty range", core.ErrInvalid)
	}
	if c.Kind != KindCalendar || c.Level < acl.Read {
		return nil, fmt.Errorf("calendar: %w", core.ErrNotFound)
	}
	o, err := s.Get(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if o.Component != "VEVENT" {
		return nil, fmt.Errorf("%q is not an event: %w", name, core.ErrNotFound)
	}
	occ, err := s.ical.Occurrences([]byte(o.Data), from, to, loc)
	if err != nil {
		return nil, err
	}
	for i := range occ {
		occ[i].CalendarID, occ[i].Color, occ[i].ObjectID, occ[i].Name = c.ContainerID, c.Color, o.ID, o.Name
	}
	SortOccurrences(occ)
	return occ, nil
}

// SortOccurrences orders occurrences by start, all-day ones first on
// their day, then by summary.
func SortOccurrences(occ []Occurrence) {
	sort.SliceStable(occ, func(i, j int) bool {
		a, b := occ[i], occ[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.AllDay != b.AllDay {
			return a.AllDay
		}
		if !a.End.Equal(b.End) {
			return a.End.After(b.End)
		}
		return strings.ToLower(a.Summary) < strings.ToLower(b.Summary)
	})
}
