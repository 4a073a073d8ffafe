package ics

import (
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"plaza/core"
	"plaza/core/calendar"
)

// Occurrences implements calendar.ICal: the instances of an event in
// [from, to) as the agenda shows them, in loc. Unlike BusyPeriods it keeps
// transparent and tentative events; only cancelled instances go. The
// expansion is Instances' (RRULE, RDATE, EXDATE, RECURRENCE-ID
// overrides); what this adds is reading floating and all-day times as
// wall-clock times of loc. Data that is not an event gives no
// occurrence.
func (Codec) Occurrences(data []byte, from, to time.Time, loc *time.Location) ([]calendar.Occurrence, error) {
	if loc == nil {
		loc = time.UTC
	}
	cal, err := ParseICal(data)
	if err != nil {
		return nil, err
	}
	typ, uid, comps, err := objectComponents(cal)
	if err != nil {
		return nil, err
	}
	if typ != ical.CompEvent {
		return nil, nil
	}
	// dateOf reads wall-clock times as UTC, so Instances walks them in
	// UTC: widen its window by the largest zone offset, move each
	// instance to loc, then test the real window.
	var out []calendar.Occurrence
	err = Instances(comps, from.Add(-wallSlack), to.Add(wallSlack), func(in Instance) bool {
		c := in.Comp
		ds := c.Props.Get(ical.PropDateTimeStart)
		if ds == nil || (in.Start.IsZero() && in.End.IsZero()) {
			return true // no time: nothing to place on an agenda
		}
		if p := c.Props.Get(ical.PropStatus); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "CANCELLED") {
			return true
		}
		o := calendar.Occurrence{UID: uid, Start: in.Start, End: in.End, AllDay: isDate(ds), Recurring: in.Recurring}
		if in.Recurring {
			o.RecurrenceID = in.RecurrenceID.Unix()
			o.Repeat = repeatOf(seriesMaster(comps))
		}
		if wallClock(ds) {
			o.Start = inWall(o.Start, loc)
			end := c.Props.Get(ical.PropDateTimeEnd)
			if end == nil || wallClock(end) {
				o.End = inWall(o.End, loc)
			} else {
				o.End = o.End.In(loc)
			}
		} else {
			o.Start, o.End = o.Start.In(loc), o.End.In(loc)
		}
		if o.End.Before(o.Start) {
			o.End = o.Start
		}
		if !o.Overlaps(from, to) {
			return true
		}
		o.Summary = text(c, ical.PropSummary)
		o.Location = text(c, ical.PropLocation)
		o.Description = text(c, ical.PropDescription)
		o.Categories = categories(c)
		o.Attendees = attendees(c)
		if p := c.Props.Get(ical.PropOrganizer); p != nil {
			o.Organizer = mailOf(p.Value)
		}
		if p := c.Props.Get(ical.PropStatus); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TENTATIVE") {
			o.Tentative = true
		}
		if p := c.Props.Get(ical.PropTransparency); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TRANSPARENT") {
			o.Free = true
		}
		out = append(out, o)
		return len(out) < maxOccurrenceSteps
	})
	if err != nil {
		return nil, violation(CodeInvalidData, core.ErrInvalid, "%v", err)
	}
	return out, nil
}

// wallSlack is more than any zone's offset from UTC.
const wallSlack = 26 * time.Hour

// wallClock reports whether p is a time of no zone: a DATE, a floating
// DATE-TIME, or one whose TZID is unknown (dateOf reads those as
// floating too).
func wallClock(p *ical.Prop) bool {
	if isDate(p) {
		return true
	}
	if strings.HasSuffix(strings.TrimSpace(p.Value), "Z") {
		return false
	}
	tz := p.Params.Get(ical.PropTimezoneID)
	if tz == "" {
		return true
	}
	_, err := time.LoadLocation(tz)
	return err != nil
}

// inWall returns the wall-clock time of t (read as UTC) in loc.
func inWall(t time.Time, loc *time.Location) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

// text returns a text property unescaped, or its raw value when it does
// not unescape.
func text(c *ical.Component, name string) string {
	p := c.Props.Get(name)
	if p == nil {
		return ""
	}
	if s, err := p.Text(); err == nil {
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(p.Value)
}
