package ics

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"plaza/core"
	"plaza/core/calendar"
)

// seriesMaster returns the component of a series that has no RECURRENCE-ID
// (nil when the object holds only overridden instances).
func seriesMaster(comps []*ical.Component) *ical.Component {
	for _, c := range comps {
		if c.Props.Get(ical.PropRecurrenceID) == nil {
			return c
		}
	}
	return nil
}

// recurs reports whether c is the master of a series.
func recurs(c *ical.Component) bool {
	return c != nil && (c.Props.Get(ical.PropRecurrenceRule) != nil || c.Props.Get(ical.PropRecurrenceDates) != nil)
}

// repeatOf is the FREQ of c's rule ("" when it has none).
func repeatOf(c *ical.Component) string {
	if c == nil {
		return ""
	}
	p := c.Props.Get(ical.PropRecurrenceRule)
	if p == nil {
		return ""
	}
	for _, part := range strings.Split(p.Value, ";") {
		if k, v, _ := strings.Cut(part, "="); strings.EqualFold(k, "FREQ") {
			return strings.ToUpper(v)
		}
	}
	return ""
}

// categories returns the CATEGORIES of c, every property and value.
func categories(c *ical.Component) []string {
	var out []string
	for _, p := range c.Props.Values(ical.PropCategories) {
		l, err := p.TextList()
		if err != nil {
			l = strings.Split(p.Value, ",")
		}
		for _, v := range l {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// readTime reads a DATE or DATE-TIME as an instant, floating and all-day
// times as wall-clock times of loc.
func readTime(p *ical.Prop, loc *time.Location) (time.Time, error) {
	t, err := dateOf(p)
	if err != nil {
		return t, err
	}
	if wallClock(p) {
		return inWall(t, loc), nil
	}
	return t.In(loc), nil
}

// writeTime is a DATE (allDay: t's day) or DATE-TIME property of t: in
// the zone of like when like names one this server knows, else in UTC.
func writeTime(name string, t time.Time, allDay bool, like *ical.Prop) ical.Prop {
	p := ical.NewProp(name)
	if allDay {
		p.SetValueType(ical.ValueDate)
		p.Value = t.Format("20060102")
		return *p
	}
	if like != nil && !isDate(like) {
		if tz := like.Params.Get(ical.PropTimezoneID); tz != "" {
			if loc, err := time.LoadLocation(tz); err == nil {
				p.Params.Set(ical.PropTimezoneID, tz)
				p.Value = t.In(loc).Format("20060102T150405")
				return *p
			}
		}
	}
	p.Value = t.UTC().Format("20060102T150405Z")
	return *p
}

// keyProp writes the codec's key of an instance (what dateOf reads from
// a RECURRENCE-ID) in the form of like, the series' DTSTART.
func keyProp(name string, key time.Time, like *ical.Prop) ical.Prop {
	p := ical.NewProp(name)
	key = key.UTC()
	switch {
	case isDate(like):
		p.SetValueType(ical.ValueDate)
		p.Value = key.Format("20060102")
	case wallClock(like):
		if tz := like.Params.Get(ical.PropTimezoneID); tz != "" {
			p.Params.Set(ical.PropTimezoneID, tz)
		}
		p.Value = key.Format("20060102T150405")
	case like.Params.Get(ical.PropTimezoneID) != "":
		tz := like.Params.Get(ical.PropTimezoneID)
		loc, _ := time.LoadLocation(tz) // wallClock said it loads
		p.Params.Set(ical.PropTimezoneID, tz)
		p.Value = key.In(loc).Format("20060102T150405")
	default:
		p.Value = key.Format("20060102T150405Z")
	}
	return *p
}

// clone copies a component deeply.
func clone(c *ical.Component) *ical.Component {
	n := ical.NewComponent(c.Name)
	for k, ps := range c.Props {
		for _, p := range ps {
			q := p
			q.Params = ical.Params{}
			for pk, pv := range p.Params {
				q.Params[pk] = append([]string(nil), pv...)
			}
			n.Props[k] = append(n.Props[k], q)
		}
	}
	for _, k := range c.Children {
		n.Children = append(n.Children, clone(k))
	}
	return n
}

func setText(c *ical.Component, name, v string) {
	if v == "" {
		c.Props.Del(name)
		return
	}
	c.Props.SetText(name, v)
}

// setFields writes what the agenda's form edits onto c; times too unless
// start is zero.
func setFields(c *ical.Component, e calendar.NewEvent, start, end time.Time, stamp time.Time) {
	c.Props.SetText(ical.PropSummary, e.Summary)
	setText(c, ical.PropLocation, e.Location)
	setText(c, ical.PropDescription, e.Description)
	c.Props.Del(ical.PropCategories)
	if len(e.Categories) > 0 {
		p := ical.NewProp(ical.PropCategories)
		p.SetTextList(e.Categories)
		c.Props.Set(p)
	}
	if e.SetAttendees {
		setAttendees(c, e)
	}
	if !start.IsZero() {
		like := c.Props.Get(ical.PropDateTimeStart)
		s := writeTime(ical.PropDateTimeStart, start, e.AllDay, like)
		en := writeTime(ical.PropDateTimeEnd, end, e.AllDay, like)
		c.Props.Set(&s)
		c.Props.Set(&en)
		c.Props.Del(ical.PropDuration)
	}
	touch(c, stamp)
}

// touch marks c as changed: DTSTAMP, LAST-MODIFIED and SEQUENCE.
func touch(c *ical.Component, stamp time.Time) {
	c.Props.SetDateTime(ical.PropDateTimeStamp, stamp.UTC())
	c.Props.SetDateTime(ical.PropLastModified, stamp.UTC())
	seq := 0
	if p := c.Props.Get(ical.PropSequence); p != nil {
		seq, _ = strconv.Atoi(strings.TrimSpace(p.Value))
	}
	p := ical.NewProp(ical.PropSequence)
	p.Value = strconv.Itoa(seq + 1)
	c.Props.Set(p)
}

func setRepeat(c *ical.Component, freq string) {
	c.Props.Del(ical.PropRecurrenceRule)
	c.Props.Del(ical.PropRecurrenceDates)
	c.Props.Del(ical.PropExceptionDates)
	if freq != "" {
		p := ical.NewProp(ical.PropRecurrenceRule)
		p.Value = "FREQ=" + freq
		c.Props.Set(p)
	}
}

// decodeEvent parses an event object for an edit: the calendar, its
// events and the master of the series.
func decodeEvent(data []byte) (*ical.Calendar, []*ical.Component, *ical.Component, error) {
	cal, err := ParseICal(data)
	if err != nil {
		return nil, nil, nil, err
	}
	typ, _, comps, err := objectComponents(cal)
	if err != nil {
		return nil, nil, nil, err
	}
	if typ != ical.CompEvent {
		return nil, nil, nil, violation(CodeInvalidData, core.ErrInvalid, "not an event")
	}
	return cal, comps, seriesMaster(comps), nil
}

func encode(c *ical.Component) ([]byte, error) {
	var b bytes.Buffer
	if err := Encode(&b, c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// override returns the component overriding the instance of key rid.
func override(comps []*ical.Component, rid int64) *ical.Component {
	for _, c := range comps {
		if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
			if t, err := dateOf(p); err == nil && t.Unix() == rid {
				return c
			}
		}
	}
	return nil
}

// removeChildren drops from cal the components drop says so.
func removeChildren(cal *ical.Calendar, drop func(*ical.Component) bool) {
	kept := cal.Children[:0]
	for _, c := range cal.Children {
		if !drop(c) {
			kept = append(kept, c)
		}
	}
	cal.Children = kept
}

// firstKey is the key of the first instance of a series.
func firstKey(m *ical.Component) int64 {
	t, err := dateOf(m.Props.Get(ical.PropDateTimeStart))
	if err != nil {
		return 0
	}
	return t.Unix()
}

// cut ends the series of m before the instance of key rid: its rule
// gets an UNTIL, later RDATEs and overrides go.
func cut(cal *ical.Calendar, m *ical.Component, rid int64) {
	ds := m.Props.Get(ical.PropDateTimeStart)
	key := time.Unix(rid, 0).UTC()
	if rr := m.Props.Get(ical.PropRecurrenceRule); rr != nil {
		var parts []string
		for _, part := range strings.Split(rr.Value, ";") {
			k, _, _ := strings.Cut(part, "=")
			if !strings.EqualFold(k, "UNTIL") && !strings.EqualFold(k, "COUNT") {
				parts = append(parts, part)
			}
		}
		var until string
		switch {
		case isDate(ds):
			until = key.AddDate(0, 0, -1).Format("20060102")
		case wallClock(ds):
			until = key.Add(-time.Second).Format("20060102T150405")
		default:
			until = key.Add(-time.Second).Format("20060102T150405Z")
		}
		rr.Value = strings.Join(append(parts, "UNTIL="+until), ";")
		m.Props.Set(rr)
	}
	var rdates []ical.Prop
	for _, p := range m.Props.Values(ical.PropRecurrenceDates) {
		var keep []string
		for _, v := range strings.Split(p.Value, ",") {
			q := p
			q.Value, _, _ = strings.Cut(v, "/")
			if t, err := dateOf(&q); err == nil && t.Unix() < rid {
				keep = append(keep, v)
			}
		}
		if len(keep) > 0 {
			p.Value = strings.Join(keep, ",")
			rdates = append(rdates, p)
		}
	}
	m.Props.Del(ical.PropRecurrenceDates)
	for i := range rdates {
		m.Props.Add(&rdates[i])
	}
	removeChildren(cal, func(c *ical.Component) bool {
		p := c.Props.Get(ical.PropRecurrenceID)
		if c.Name != ical.CompEvent || p == nil {
			return false
		}
		t, err := dateOf(p)
		return err == nil && t.Unix() >= rid
	})
}

// EditEvent implements calendar.EventWriter.
func (Codec) EditEvent(data []byte, ch calendar.EventChange, newUID string, stamp time.Time) (out, split []byte, err error) {
	cal, comps, m, err := decodeEvent(data)
	if err != nil {
		return nil, nil, err
	}
	loc := ch.Start.Location()
	if !recurs(m) || ch.RecurrenceID == 0 {
		target := m
		if target == nil {
			target = comps[0]
		}
		setFields(target, ch.NewEvent, ch.Start, ch.End, stamp)
		if target == m && ch.Repeat != "" {
			setRepeat(m, ch.Repeat)
		}
		out, err = encode(cal.Component)
		return out, nil, err
	}
	scope := ch.Scope
	if scope == calendar.ScopeFollowing && ch.RecurrenceID <= firstKey(m) {
		scope = calendar.ScopeAll
	}
	switch scope {
	case calendar.ScopeThis:
		ov := override(comps, ch.RecurrenceID)
		if ov == nil {
			ov = clone(m)
			for _, n := range []string{ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates} {
				ov.Props.Del(n)
			}
			rid := keyProp(ical.PropRecurrenceID, time.Unix(ch.RecurrenceID, 0), m.Props.Get(ical.PropDateTimeStart))
			ov.Props.Set(&rid)
			cal.Children = append(cal.Children, ov)
		}
		setFields(ov, ch.NewEvent, ch.Start, ch.End, stamp)
	case calendar.ScopeFollowing:
		n := clone(m)
		n.Props.SetText(ical.PropUID, newUID)
		n.Props.Del(ical.PropSequence)
		if rr := n.Props.Get(ical.PropRecurrenceRule); rr != nil && ch.Repeat == repeatOf(m) {
			var parts []string
			for _, part := range strings.Split(rr.Value, ";") {
				if k, _, _ := strings.Cut(part, "="); !strings.EqualFold(k, "COUNT") {
					parts = append(parts, part)
				}
			}
			rr.Value = strings.Join(parts, ";")
			n.Props.Set(rr)
			n.Props.Del(ical.PropExceptionDates)
			n.Props.Del(ical.PropRecurrenceDates)
		} else {
			setRepeat(n, ch.Repeat)
		}
		setFields(n, ch.NewEvent, ch.Start, ch.End, stamp)
		cut(cal, m, ch.RecurrenceID)
		touch(m, stamp)
		sc := ical.NewCalendar()
		sc.Props.SetText(ical.PropVersion, "2.0")
		sc.Props.SetText(ical.PropProductID, "-//Plaza//Agenda//EN")
		for _, c := range cal.Children {
			if c.Name == ical.CompTimezone {
				sc.Children = append(sc.Children, c)
			}
		}
		sc.Children = append(sc.Children, n)
		if split, err = encode(sc.Component); err != nil {
			return nil, nil, err
		}
	default:
		if err := editSeries(cal, comps, m, ch, loc, stamp); err != nil {
			return nil, nil, err
		}
	}
	out, err = encode(cal.Component)
	return out, split, err
}

// editSeries applies ch to a whole series: the master moves by as much
// as the occurrence edited did, and its exceptions with it.
func editSeries(cal *ical.Calendar, comps []*ical.Component, m *ical.Component, ch calendar.EventChange, loc *time.Location, stamp time.Time) error {
	ds := m.Props.Get(ical.PropDateTimeStart)
	ms, err := readTime(ds, loc)
	if err != nil {
		return violation(CodeInvalidData, core.ErrInvalid, "%v", err)
	}
	shift := func(t time.Time) time.Time {
		if ch.AllDay {
			o, n := ch.OrigStart, ch.Start
			days := int(time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC).Sub(
				time.Date(o.Year(), o.Month(), o.Day(), 0, 0, 0, 0, time.UTC)).Hours() / 24)
			return time.Date(t.Year(), t.Month(), t.Day()+days, 0, 0, 0, 0, loc)
		}
		return t.Add(ch.Start.Sub(ch.OrigStart))
	}
	start := shift(ms)
	end := start.Add(ch.End.Sub(ch.Start))
	if ch.AllDay {
		s, e := ch.Start, ch.End
		days := int(time.Date(e.Year(), e.Month(), e.Day(), 0, 0, 0, 0, time.UTC).Sub(
			time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, time.UTC)).Hours() / 24)
		end = time.Date(start.Year(), start.Month(), start.Day()+days, 0, 0, 0, 0, loc)
	}
	keep := ch.Repeat == repeatOf(m)
	old := *ds
	setFields(m, ch.NewEvent, start, end, stamp)
	nds := m.Props.Get(ical.PropDateTimeStart)
	if !keep {
		setRepeat(m, ch.Repeat)
		removeChildren(cal, func(c *ical.Component) bool {
			return c.Name == ical.CompEvent && c.Props.Get(ical.PropRecurrenceID) != nil
		})
		return nil
	}
	// the exceptions follow the series, written as its new DTSTART is
	moved := func(p ical.Prop) (ical.Prop, bool) {
		t, err := dateOf(&p)
		if err != nil {
			return p, false
		}
		if wallClock(&old) {
			t = inWall(t, loc)
		}
		key := shift(t.In(loc))
		w := writeTime(p.Name, key, ch.AllDay, nds)
		return w, true
	}
	var exdates []ical.Prop
	for _, p := range m.Props.Values(ical.PropExceptionDates) {
		for _, v := range strings.Split(p.Value, ",") {
			q := p
			q.Value = v
			if w, ok := moved(q); ok {
				exdates = append(exdates, w)
			}
		}
	}
	m.Props.Del(ical.PropExceptionDates)
	for i := range exdates {
		m.Props.Add(&exdates[i])
	}
	for _, c := range comps {
		p := c.Props.Get(ical.PropRecurrenceID)
		if c == m || p == nil {
			continue
		}
		if w, ok := moved(*p); ok {
			c.Props.Set(&w)
		}
		var s, e time.Time
		if sp := c.Props.Get(ical.PropDateTimeStart); sp != nil {
			if st, err := readTime(sp, loc); err == nil {
				s = shift(st)
				e = s.Add(end.Sub(start))
				if ep := c.Props.Get(ical.PropDateTimeEnd); ep != nil {
					if et, err := readTime(ep, loc); err == nil {
						e = s.Add(et.Sub(st))
					}
				}
			}
		}
		setFields(c, ch.NewEvent, s, e, stamp)
	}
	return nil
}

// DropOccurrences implements calendar.EventWriter.
func (Codec) DropOccurrences(data []byte, scope calendar.Scope, rid int64, stamp time.Time) (out []byte, gone bool, err error) {
	cal, comps, m, err := decodeEvent(data)
	if err != nil {
		return nil, false, err
	}
	if !recurs(m) || scope == calendar.ScopeAll {
		return nil, true, nil
	}
	switch scope {
	case calendar.ScopeThis:
		ex := keyProp(ical.PropExceptionDates, time.Unix(rid, 0), m.Props.Get(ical.PropDateTimeStart))
		m.Props.Add(&ex)
		ov := override(comps, rid)
		removeChildren(cal, func(c *ical.Component) bool { return c == ov })
	case calendar.ScopeFollowing:
		if rid <= firstKey(m) {
			return nil, true, nil
		}
		cut(cal, m, rid)
	}
	touch(m, stamp)
	out, err = encode(cal.Component)
	return out, false, err
}

// commentParam carries an attendee's comment with their answer, as
// several servers and clients write it.
const commentParam = "X-RESPONSE-COMMENT"

// mailOf is the email of a cal-address ("mailto:a@b" → "a@b").
func mailOf(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 7 && strings.EqualFold(v[:7], "mailto:") {
		return v[7:]
	}
	return ""
}

// attendees reads the ATTENDEE properties of c.
func attendees(c *ical.Component) []calendar.Attendee {
	var out []calendar.Attendee
	for _, p := range c.Props.Values(ical.PropAttendee) {
		a := calendar.Attendee{Email: mailOf(p.Value), Name: p.Params.Get(ical.ParamCommonName),
			Status: strings.ToUpper(p.Params.Get(ical.ParamParticipationStatus)), Comment: p.Params.Get(commentParam)}
		if a.Email == "" {
			continue
		}
		if a.Status == "" {
			a.Status = calendar.Pending
		}
		out = append(out, a)
	}
	return out
}

func attendeeProp(name string, a calendar.Attendee) *ical.Prop {
	p := ical.NewProp(name)
	p.Value = "mailto:" + a.Email
	if a.Name != "" {
		p.Params.Set(ical.ParamCommonName, a.Name)
	}
	if name == ical.PropAttendee {
		st := a.Status
		if st == "" {
			st = calendar.Pending
		}
		p.Params.Set(ical.ParamParticipationStatus, st)
		if a.Comment != "" {
			p.Params.Set(commentParam, a.Comment)
		}
	}
	return p
}

// setAttendees makes the ATTENDEE list of c the people of e: those
// already invited keep their answer and whatever their property says.
func setAttendees(c *ical.Component, e calendar.NewEvent) {
	old := map[string]ical.Prop{}
	for _, p := range c.Props.Values(ical.PropAttendee) {
		old[strings.ToLower(mailOf(p.Value))] = p
	}
	c.Props.Del(ical.PropAttendee)
	for _, a := range e.Attendees {
		if p, ok := old[strings.ToLower(a.Email)]; ok {
			c.Props.Add(&p)
			continue
		}
		c.Props.Add(attendeeProp(ical.PropAttendee, a))
	}
	if len(e.Attendees) > 0 && c.Props.Get(ical.PropOrganizer) == nil && e.Organizer.Email != "" {
		c.Props.Set(attendeeProp(ical.PropOrganizer, e.Organizer))
	}
}

// Answer implements calendar.EventWriter.
func (Codec) Answer(data []byte, email string, a calendar.Attendee, stamp time.Time) ([]byte, error) {
	cal, comps, _, err := decodeEvent(data)
	if err != nil {
		return nil, err
	}
	found := false
	for _, c := range comps {
		ps := c.Props.Values(ical.PropAttendee)
		for i := range ps {
			if !strings.EqualFold(mailOf(ps[i].Value), email) {
				continue
			}
			found = true
			ps[i].Params.Set(ical.ParamParticipationStatus, a.Status)
			ps[i].Params.Del("RSVP")
			if a.Comment != "" {
				ps[i].Params.Set(commentParam, a.Comment)
			} else {
				ps[i].Params.Del(commentParam)
			}
		}
		c.Props[ical.PropAttendee] = ps
		c.Props.SetDateTime(ical.PropDateTimeStamp, stamp.UTC())
	}
	if !found {
		return nil, fmt.Errorf("%s is not invited to this event: %w", email, core.ErrNotFound)
	}
	return encode(cal.Component)
}
