// Package ics is Plaza's iCalendar logic on top of go-ical and rrule-go:
// validation and indexing of calendar object resources (the codec the
// core calendar store is given), RFC 4791 filters and time ranges on
// recurring components, expansion and free-busy. It lives in dav because
// core imports no protocol library.
package ics

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	_ "time/tzdata" // TZIDs resolve on hosts without a zoneinfo database

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"

	"plaza/core"
	"plaza/core/calendar"
)

// Meta is what the codec extracts to index an object.
type Meta = calendar.Meta

// CodeInvalidData marks malformed data (valid-calendar-data).
const CodeInvalidData = calendar.CodeInvalidData

func violation(code calendar.Code, sentinel error, format string, a ...any) error {
	return &calendar.Violation{Code: code, Err: sentinel, Reason: fmt.Sprintf(format, a...)}
}

// Limits that keep a hostile calendar from costing unbounded work.
const (
	maxOccurrenceSteps = 100000 // recurrence instances walked per component and query
	boundedHorizon     = 5000   // occurrences counted to find the end of a finite rule
)

// ParseICal decodes one calendar object resource: a VCALENDAR holding
// components of one type (VEVENT, VTODO or VJOURNAL) sharing one UID, plus
// VTIMEZONEs. Anything else is ErrInvalid with CodeInvalidData.
func ParseICal(data []byte) (cal *ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, violation(CodeInvalidData, core.ErrInvalid, "malformed iCalendar")
		}
	}()
	cal, err = ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return nil, violation(CodeInvalidData, core.ErrInvalid, "malformed iCalendar: %v", err)
	}
	if cal.Name != ical.CompCalendar {
		return nil, violation(CodeInvalidData, core.ErrInvalid, "not a VCALENDAR")
	}
	return cal, nil
}

// objectComponents returns the non-timezone components of cal, checking
// that they have one type and one UID.
func objectComponents(cal *ical.Calendar) (typ, uid string, comps []*ical.Component, err error) {
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			continue
		}
		switch c.Name {
		case ical.CompEvent, ical.CompToDo, ical.CompJournal:
		default:
			return "", "", nil, violation(CodeInvalidData, core.ErrInvalid, "component %s is not allowed in a calendar object", c.Name)
		}
		if typ != "" && c.Name != typ {
			return "", "", nil, violation(CodeInvalidData, core.ErrInvalid, "a calendar object holds components of one type")
		}
		typ = c.Name
		p := c.Props.Get(ical.PropUID)
		if p == nil || p.Value == "" {
			return "", "", nil, violation(CodeInvalidData, core.ErrInvalid, "%s without UID", c.Name)
		}
		if uid != "" && p.Value != uid {
			return "", "", nil, violation(CodeInvalidData, core.ErrInvalid, "a calendar object holds one UID")
		}
		uid = p.Value
		comps = append(comps, c)
	}
	if typ == "" {
		return "", "", nil, violation(CodeInvalidData, core.ErrInvalid, "no VEVENT, VTODO or VJOURNAL")
	}
	return typ, uid, comps, nil
}

// Codec validates and indexes calendar object resources for the core
// calendar store (calendar.ICal).
type Codec struct{}

// Busy implements calendar.ICal: the busy periods of an event in
// [start, end), for the double-booking check of resource calendars.
func (Codec) Busy(data []byte, start, end time.Time) ([][2]time.Time, error) {
	ps, _, err := BusyPeriods(data, Range{Start: start, End: end})
	return ps, err
}

// Parse implements calendar.Codec.
func (Codec) Parse(data []byte) (Meta, error) {
	cal, err := ParseICal(data)
	if err != nil {
		return Meta{}, err
	}
	typ, uid, comps, err := objectComponents(cal)
	if err != nil {
		return Meta{}, err
	}
	if err := bareBreaks(cal.Component); err != nil {
		return Meta{}, err
	}
	m := Meta{UID: uid, Component: typ, Busy: typ == ical.CompEvent}
	if len(uid) > 1000 {
		return Meta{}, violation(CodeInvalidData, core.ErrInvalid, "UID too long")
	}
	for _, c := range comps {
		if v := c.Props.Get(ical.PropTransparency); v != nil && strings.EqualFold(v.Value, "TRANSPARENT") {
			m.Busy = false
		}
		if v := c.Props.Get(ical.PropStatus); v != nil && strings.EqualFold(v.Value, "CANCELLED") && c.Props.Get(ical.PropRecurrenceID) == nil {
			m.Busy = false
		}
		// every date must parse: clients rely on the server's queries
		for _, name := range []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDue, ical.PropRecurrenceID} {
			if p := c.Props.Get(name); p != nil {
				if _, err := dateOf(p); err != nil {
					return Meta{}, violation(CodeInvalidData, core.ErrInvalid, "%s: %v", name, err)
				}
			}
		}
		if err := orderedDates(c); err != nil {
			return Meta{}, err
		}
		if err := alarmsOnly(c); err != nil {
			return Meta{}, err
		}
		if p := c.Props.Get(ical.PropDuration); p != nil {
			if _, err := p.Duration(); err != nil {
				return Meta{}, violation(CodeInvalidData, core.ErrInvalid, "DURATION: %v", err)
			}
		}
		if c.Props.Get(ical.PropRecurrenceRule) != nil {
			if _, err := recurrence(c); err != nil {
				return Meta{}, violation(CodeInvalidData, core.ErrInvalid, "RRULE: %v", err)
			}
		}
		// without DTSTART the rule is not used, but it must still read
		// well: a DTSTART set later (a task given a start date) uses it
		if c.Props.Get(ical.PropDateTimeStart) == nil {
			if rr := c.Props.Get(ical.PropRecurrenceRule); rr != nil {
				if _, err := rrule.StrToROption(rr.Value); err != nil {
					return Meta{}, violation(CodeInvalidData, core.ErrInvalid, "RRULE: %v", err)
				}
			}
			for _, name := range []string{ical.PropRecurrenceDates, ical.PropExceptionDates} {
				if err := dateList(c.Props.Values(name), func(time.Time) {}); err != nil {
					return Meta{}, violation(CodeInvalidData, core.ErrInvalid, "%s: %v", name, err)
				}
			}
		}
	}
	first, last, err := span(comps)
	if err != nil {
		return Meta{}, violation(CodeInvalidData, core.ErrInvalid, "%v", err)
	}
	m.FirstStart, m.LastEnd = first, last
	return m, nil
}

// orderedDates refuses an end before the start: DTEND (RFC 5545
// §3.8.2.2) and DUE (§3.8.2.3) must not come before DTSTART.
func orderedDates(c *ical.Component) error {
	sp := c.Props.Get(ical.PropDateTimeStart)
	if sp == nil {
		return nil
	}
	start, err := dateOf(sp)
	if err != nil {
		return nil // reported with the dates' syntax
	}
	for _, name := range []string{ical.PropDateTimeEnd, ical.PropDue} {
		if p := c.Props.Get(name); p != nil {
			if end, err := dateOf(p); err == nil && end.Before(start) {
				return violation(CodeInvalidData, core.ErrInvalid, "%s %s is before the start (DTSTART %s)", name, p.Value, sp.Value)
			}
		}
	}
	return nil
}

// alarmsOnly refuses components nested where RFC 5545 allows none: an
// event, task or journal holds only VALARMs (and experimental X-
// components), and a VALARM holds nothing.
func alarmsOnly(c *ical.Component) error {
	for _, k := range c.Children {
		switch {
		case k.Name == ical.CompAlarm && c.Name != ical.CompJournal:
			if len(k.Children) > 0 {
				return violation(CodeInvalidData, core.ErrInvalid, "%s inside a VALARM", k.Children[0].Name)
			}
		case strings.HasPrefix(k.Name, "X-"):
		default:
			return violation(CodeInvalidData, core.ErrInvalid, "%s inside a %s", k.Name, c.Name)
		}
	}
	return nil
}

// bareBreaks refuses a CR or LF inside a value: a line break in text is
// escaped (\n), and one let through would change meaning when the object
// is written again.
func bareBreaks(c *ical.Component) error {
	for name, ps := range c.Props {
		for _, p := range ps {
			bad := strings.ContainsAny(p.Value, "\r\n")
			for _, vs := range p.Params {
				for _, v := range vs {
					bad = bad || strings.ContainsAny(v, "\r\n")
				}
			}
			if bad {
				return violation(CodeInvalidData, core.ErrInvalid, "%s: a line break inside a value", name)
			}
		}
	}
	for _, k := range c.Children {
		if err := bareBreaks(k); err != nil {
			return err
		}
	}
	return nil
}

// dateOf parses a DATE or DATE-TIME property; an unknown TZID is read as
// floating (UTC) rather than refused, as clients send many private ones.
func dateOf(p *ical.Prop) (time.Time, error) {
	t, err := dateOf1(p)
	if err == nil && (t.Year() < 1 || t.Year() > 9999) {
		return time.Time{}, fmt.Errorf("year out of range")
	}
	return t, err
}

func dateOf1(p *ical.Prop) (time.Time, error) {
	t, err := p.DateTime(time.UTC)
	if err == nil {
		return t, nil
	}
	if tz := p.Params.Get(ical.PropTimezoneID); tz != "" {
		q := *p
		q.Params = ical.Params{}
		for k, v := range p.Params {
			if k != ical.PropTimezoneID {
				q.Params[k] = v
			}
		}
		return q.DateTime(time.UTC)
	}
	return t, err
}

func isDate(p *ical.Prop) bool {
	if p.ValueType() == ical.ValueDate {
		return true
	}
	return p.ValueType() == ical.ValueDefault && len(p.Value) == 8
}

// Instance is one occurrence of a component.
type Instance struct {
	Start, End time.Time
	Comp       *ical.Component
	// RecurrenceID is the original start of a recurring instance (zero for
	// a component that does not recur).
	RecurrenceID time.Time
	Recurring    bool
}

// bounds returns the time span of a single (unexpanded) component
// following RFC 4791 §9.9: ok is false when the component has no time
// (always matches for VTODO, never for VJOURNAL).
func bounds(c *ical.Component) (start, end time.Time, ok bool) {
	ds := c.Props.Get(ical.PropDateTimeStart)
	var err error
	if ds != nil {
		if start, err = dateOf(ds); err != nil {
			return start, end, false
		}
	}
	switch c.Name {
	case ical.CompEvent, ical.CompJournal:
		if ds == nil {
			return start, end, false
		}
		if de := c.Props.Get(ical.PropDateTimeEnd); de != nil && c.Name == ical.CompEvent {
			if end, err = dateOf(de); err == nil && !end.Before(start) {
				return start, end, true
			}
		}
		if du := c.Props.Get(ical.PropDuration); du != nil && c.Name == ical.CompEvent {
			if d, err := du.Duration(); err == nil && d >= 0 {
				return start, start.Add(d), true
			}
		}
		if isDate(ds) {
			return start, start.AddDate(0, 0, 1), true
		}
		return start, start, true
	case ical.CompToDo:
		if ds != nil {
			if du := c.Props.Get(ical.PropDuration); du != nil {
				if d, err := du.Duration(); err == nil && d >= 0 {
					return start, start.Add(d), true
				}
			}
			if due := c.Props.Get(ical.PropDue); due != nil {
				if end, err = dateOf(due); err == nil && !end.Before(start) {
					return start, end, true
				}
			}
			return start, start, true
		}
		if due := c.Props.Get(ical.PropDue); due != nil {
			if end, err = dateOf(due); err == nil {
				return end, end, true
			}
		}
		comp, cok := propTime(c, ical.PropCompleted)
		cr, crok := propTime(c, "CREATED")
		switch {
		case cok && crok:
			return minTime(comp, cr), maxTime(comp, cr), true
		case cok:
			return comp, comp, true
		case crok:
			return cr, farFuture, true
		}
	}
	return start, end, false
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
var farPast = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)

func propTime(c *ical.Component, name string) (time.Time, bool) {
	p := c.Props.Get(name)
	if p == nil {
		return time.Time{}, false
	}
	t, err := dateOf(p)
	return t, err == nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// recurrence builds the recurrence set of a master component (RRULE,
// RDATE, EXDATE), or nil when it does not recur.
func recurrence(c *ical.Component) (*rrule.Set, error) {
	rr := c.Props.Get(ical.PropRecurrenceRule)
	rdates := c.Props.Values(ical.PropRecurrenceDates)
	if rr == nil && len(rdates) == 0 {
		return nil, nil
	}
	ds := c.Props.Get(ical.PropDateTimeStart)
	if ds == nil {
		return nil, fmt.Errorf("a recurring component needs DTSTART")
	}
	start, err := dateOf(ds)
	if err != nil {
		return nil, err
	}
	set := &rrule.Set{}
	set.DTStart(start)
	if rr != nil {
		opt, err := rrule.StrToROptionInLocation(rr.Value, start.Location())
		if err != nil {
			return nil, err
		}
		if opt.Freq == rrule.SECONDLY || opt.Freq == rrule.MINUTELY {
			return nil, fmt.Errorf("SECONDLY and MINUTELY rules are not supported")
		}
		opt.Dtstart = start
		if opt.Until.IsZero() == false && opt.Until.Before(start) {
			opt.Until = start
		}
		r, err := newRRule(*opt)
		if err != nil {
			return nil, err
		}
		set.RRule(r)
	}
	if err := dateList(rdates, set.RDate); err != nil {
		return nil, err
	}
	if err := dateList(c.Props.Values(ical.PropExceptionDates), set.ExDate); err != nil {
		return nil, err
	}
	if rr == nil {
		set.RDate(start)
	}
	return set, nil
}

// dateList calls f with each date of RDATE or EXDATE properties (a
// PERIOD counts by its start).
func dateList(props []ical.Prop, f func(time.Time)) error {
	for _, p := range props {
		for _, v := range strings.Split(p.Value, ",") {
			q := p
			q.Value = v
			if q.Params.Get(ical.ParamValue) == "PERIOD" || strings.Contains(v, "/") {
				v, _, _ = strings.Cut(v, "/")
				q.Value = v
				q.Params = ical.Params{}
			}
			t, err := dateOf(&q)
			if err != nil {
				return err
			}
			f(t)
		}
	}
	return nil
}

// iterate returns the recurrence iterator of set, turning a panic of the
// rule library (it has some on odd rules) into the end of the set.
func iterate(set *rrule.Set) (next func() (time.Time, bool)) {
	defer func() {
		if recover() != nil {
			next = func() (time.Time, bool) { return time.Time{}, false }
		}
	}()
	it := set.Iterator()
	done := false
	return func() (t time.Time, ok bool) {
		if done {
			return time.Time{}, false
		}
		defer func() {
			if recover() != nil {
				done = true
				t, ok = time.Time{}, false
			}
		}()
		return it()
	}
}

func newRRule(opt rrule.ROption) (r *rrule.RRule, err error) {
	defer func() {
		if recover() != nil {
			r, err = nil, fmt.Errorf("unusable recurrence rule")
		}
	}()
	return rrule.NewRRule(opt)
}

// Instances calls f for the occurrences of comps (one resource's
// components) that may meet [from, to), in order of their masters, until f
// returns false. Overridden instances (RECURRENCE-ID) replace the master's.
func Instances(comps []*ical.Component, from, to time.Time, f func(Instance) bool) error {
	overrides := map[int64]bool{}
	for _, c := range comps {
		if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
			if t, err := dateOf(p); err == nil {
				overrides[t.Unix()] = true
			}
		}
	}
	for _, c := range comps {
		set, err := recurrence(c)
		if err != nil {
			return err
		}
		if set == nil || c.Props.Get(ical.PropRecurrenceID) != nil {
			s, e, ok := bounds(c)
			if !ok {
				if !f(Instance{Comp: c}) {
					return nil
				}
				continue
			}
			in := Instance{Start: s, End: e, Comp: c}
			if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
				in.RecurrenceID, _ = dateOf(p)
				in.Recurring = true
			}
			if !f(in) {
				return nil
			}
			continue
		}
		s, e, _ := bounds(c)
		dur := e.Sub(s)
		next := iterate(set)
		for i := 0; i < maxOccurrenceSteps; i++ {
			t, ok := next()
			if !ok || !t.Before(to) {
				break
			}
			if overrides[t.Unix()] {
				continue
			}
			end := t.Add(dur)
			if end.Before(from) {
				continue
			}
			if !f(Instance{Start: t, End: end, Comp: c, RecurrenceID: t, Recurring: true}) {
				return nil
			}
		}
	}
	return nil
}

// span returns the first start and last end of a resource for the index;
// nil means unbounded (an endless rule, a task without dates).
func span(comps []*ical.Component) (*int64, *int64, error) {
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	unboundedStart, unboundedEnd := false, false
	for _, c := range comps {
		s, e, ok := bounds(c)
		if !ok {
			unboundedStart, unboundedEnd = true, true
			continue
		}
		if s.Equal(farPast) || s.IsZero() {
			unboundedStart = true
		}
		first = min(first, s.Unix())
		last = max(last, e.Unix())
		set, err := recurrence(c)
		if err != nil {
			return nil, nil, err
		}
		if set == nil || c.Props.Get(ical.PropRecurrenceID) != nil {
			continue
		}
		r := set.GetRRule()
		if r != nil && r.OrigOptions.Count == 0 && r.OrigOptions.Until.IsZero() {
			unboundedEnd = true
			continue
		}
		dur := e.Sub(s)
		next := iterate(set)
		n := 0
		for ; n < boundedHorizon; n++ {
			t, ok := next()
			if !ok {
				break
			}
			first = min(first, t.Unix())
			last = max(last, t.Add(dur).Unix())
		}
		if n == boundedHorizon {
			unboundedEnd = true
		}
	}
	var fp, lp *int64
	if !unboundedStart && first != math.MaxInt64 {
		fp = &first
	}
	if !unboundedEnd && last != math.MinInt64 {
		lp = &last
	}
	return fp, lp, nil
}

// overlaps applies the RFC 4791 §9.9 time-range test to one instance.
func overlaps(in Instance, from, to time.Time) bool {
	c := in.Comp
	if in.Start.IsZero() && in.End.IsZero() {
		// no time: tasks always match, events and journals never
		return c.Name == ical.CompToDo
	}
	if c.Name == ical.CompToDo && c.Props.Get(ical.PropDateTimeStart) == nil && c.Props.Get(ical.PropDue) == nil {
		return in.Start.Before(to) && !in.End.Before(from) || (in.Start.Equal(in.End) && !in.Start.Before(from) && in.Start.Before(to))
	}
	if in.Start.Equal(in.End) {
		return !from.After(in.Start) && to.After(in.Start)
	}
	return from.Before(in.End) && to.After(in.Start)
}

// Range is a time range of a query; a zero bound is open.
type Range struct {
	Start, End time.Time
}

func (r Range) from() time.Time {
	if r.Start.IsZero() {
		return farPast
	}
	return r.Start
}

func (r Range) to() time.Time {
	if r.End.IsZero() {
		return farFuture
	}
	return r.End
}

// Filter is a calendar-query filter (RFC 4791 §9.7), rooted at VCALENDAR.
type Filter struct {
	Name         string
	IsNotDefined bool
	TimeRange    *Range
	Props        []PropFilter
	Comps        []Filter
}

// PropFilter tests a property of a component.
type PropFilter struct {
	Name         string
	IsNotDefined bool
	TimeRange    *Range
	TextMatch    *TextMatch
	Params       []ParamFilter
}

// ParamFilter tests a parameter of a property.
type ParamFilter struct {
	Name         string
	IsNotDefined bool
	TextMatch    *TextMatch
}

// TextMatch is a substring test; Collation "i;octet" is case-sensitive,
// anything else (i;ascii-casemap, the default) is not.
type TextMatch struct {
	Text      string
	Collation string
	Negate    bool
	// MatchType for CardDAV: equals, contains (default), starts-with, ends-with
	MatchType string
}

// Match reports whether s matches the test.
func (t *TextMatch) Match(s string) bool {
	a, b := s, t.Text
	if t.Collation != "i;octet" {
		a, b = strings.ToLower(a), strings.ToLower(b)
	}
	var ok bool
	switch t.MatchType {
	case "equals":
		ok = a == b
	case "starts-with":
		ok = strings.HasPrefix(a, b)
	case "ends-with":
		ok = strings.HasSuffix(a, b)
	default:
		ok = strings.Contains(a, b)
	}
	return ok != t.Negate
}

// Outer returns the widest time range the filter asks for, for the index,
// and the component type it selects ("" for any).
func (f *Filter) Outer() (comp string, r *Range) {
	for _, c := range f.Comps {
		if c.IsNotDefined {
			continue
		}
		comp = c.Name
		if c.TimeRange != nil {
			rr := *c.TimeRange
			r = &rr
		}
		return comp, r
	}
	return "", nil
}

// MatchObject evaluates a filter against one calendar object's data.
func MatchObject(data []byte, f *Filter) (bool, error) {
	cal, err := ParseICal(data)
	if err != nil {
		return false, err
	}
	if f == nil || f.Name == "" {
		return true, nil
	}
	if !strings.EqualFold(f.Name, ical.CompCalendar) {
		return f.IsNotDefined, nil
	}
	if f.IsNotDefined {
		return false, nil
	}
	return matchComp(cal.Component, []*ical.Component{cal.Component}, f), nil
}

// matchComp evaluates filter f on component c; siblings are the components
// of the same type and UID (overrides), used for recurrence expansion.
func matchComp(c *ical.Component, siblings []*ical.Component, f *Filter) bool {
	for _, pf := range f.Props {
		if !matchProp(c, &pf) {
			return false
		}
	}
	if f.TimeRange != nil && c.Name != ical.CompCalendar {
		hit := c.Name == ical.CompAlarm // alarms are not expanded; accept
		if !hit {
			from, to := f.TimeRange.from(), f.TimeRange.to()
			// the instances of c, less those its siblings override
			_ = Instances(siblings, from, to, func(in Instance) bool {
				if in.Comp == c && overlaps(in, from, to) {
					hit = true
					return false
				}
				return true
			})
		}
		if !hit {
			return false
		}
	}
	for _, cf := range f.Comps {
		var kids []*ical.Component
		for _, k := range c.Children {
			if strings.EqualFold(k.Name, cf.Name) {
				kids = append(kids, k)
			}
		}
		if cf.IsNotDefined {
			if len(kids) > 0 {
				return false
			}
			continue
		}
		any := false
		for _, k := range kids {
			if matchComp(k, kids, &cf) {
				any = true
				break
			}
		}
		if !any {
			return false
		}
	}
	return true
}

func matchProp(c *ical.Component, pf *PropFilter) bool {
	props := c.Props.Values(strings.ToUpper(pf.Name))
	if pf.IsNotDefined {
		return len(props) == 0
	}
	if len(props) == 0 {
		return false
	}
	for _, p := range props {
		if pf.TimeRange != nil {
			t, err := dateOf(&p)
			if err != nil || t.Before(pf.TimeRange.from()) || !t.Before(pf.TimeRange.to()) {
				continue
			}
		}
		if pf.TextMatch != nil && !pf.TextMatch.Match(p.Value) {
			continue
		}
		ok := true
		for _, pm := range pf.Params {
			vals := p.Params.Values(strings.ToUpper(pm.Name))
			if pm.IsNotDefined {
				ok = ok && len(vals) == 0
				continue
			}
			hit := false
			for _, v := range vals {
				if pm.TextMatch == nil || pm.TextMatch.Match(v) {
					hit = true
				}
			}
			ok = ok && hit
		}
		if ok {
			return true
		}
	}
	return false
}

// Expand rewrites a calendar object for calendar-data's expand (RFC 4791
// §9.6.5): every instance in [r.Start, r.End) becomes a component of its
// own with a UTC RECURRENCE-ID and no recurrence rule; times are in UTC.
func Expand(data []byte, r Range) ([]byte, error) {
	cal, err := ParseICal(data)
	if err != nil {
		return nil, err
	}
	_, _, comps, err := objectComponents(cal)
	if err != nil {
		return nil, err
	}
	out := ical.NewCalendar()
	for k, v := range cal.Props {
		out.Props[k] = v
	}
	from, to := r.from(), r.to()
	count := 0
	err = Instances(comps, from, to, func(in Instance) bool {
		if !overlaps(in, from, to) {
			return true
		}
		count++
		if count > maxOccurrenceSteps {
			return false
		}
		c := ical.NewComponent(in.Comp.Name)
		for k, v := range in.Comp.Props {
			switch k {
			case ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates, ical.PropRecurrenceID,
				ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDuration:
				continue
			}
			c.Props[k] = v
		}
		c.Children = in.Comp.Children
		if !in.Start.IsZero() {
			setUTC(c, ical.PropDateTimeStart, in.Start, in.Comp.Props.Get(ical.PropDateTimeStart))
		}
		if in.Comp.Name == ical.CompEvent && !in.End.Equal(in.Start) {
			setUTC(c, ical.PropDateTimeEnd, in.End, in.Comp.Props.Get(ical.PropDateTimeStart))
		}
		if in.Recurring {
			setUTC(c, ical.PropRecurrenceID, in.RecurrenceID, in.Comp.Props.Get(ical.PropDateTimeStart))
		}
		out.Children = append(out.Children, c)
		return true
	})
	if err != nil {
		return nil, violation(CodeInvalidData, core.ErrInvalid, "%v", err)
	}
	if len(out.Children) == 0 {
		return nil, nil
	}
	var b bytes.Buffer
	Encode(&b, out.Component) //nolint:errcheck // a Buffer never fails
	return b.Bytes(), nil
}

func setUTC(c *ical.Component, name string, t time.Time, like *ical.Prop) {
	p := ical.NewProp(name)
	if like != nil && isDate(like) {
		p.SetDate(t)
	} else {
		p.SetDateTime(t.UTC())
	}
	c.Props.Set(p)
}

// BusyPeriods returns the busy time of a calendar object within r, for
// free-busy-query: opaque, not cancelled event instances.
func BusyPeriods(data []byte, r Range) ([][2]time.Time, string, error) {
	cal, err := ParseICal(data)
	if err != nil {
		return nil, "", err
	}
	typ, _, comps, err := objectComponents(cal)
	if err != nil || typ != ical.CompEvent {
		return nil, "", err
	}
	from, to := r.from(), r.to()
	var out [][2]time.Time
	kind := "BUSY"
	err = Instances(comps, from, to, func(in Instance) bool {
		c := in.Comp
		if p := c.Props.Get(ical.PropTransparency); p != nil && strings.EqualFold(p.Value, "TRANSPARENT") {
			return true
		}
		if p := c.Props.Get(ical.PropStatus); p != nil && strings.EqualFold(p.Value, "CANCELLED") {
			return true
		}
		if p := c.Props.Get(ical.PropStatus); p != nil && strings.EqualFold(p.Value, "TENTATIVE") {
			kind = "BUSY-TENTATIVE"
		}
		if in.Start.IsZero() || !overlaps(in, from, to) || in.End.Equal(in.Start) {
			return true
		}
		out = append(out, [2]time.Time{maxTime(in.Start, from), minTime(in.End, to)})
		return len(out) < maxOccurrenceSteps
	})
	return out, kind, err
}

// Export writes objects (calendar object resources) as one iCalendar
// stream named name: every component, each time zone once.
func Export(w io.Writer, name string, objs []calendar.Object) error {
	out := ical.NewCalendar()
	out.Props.SetText(ical.PropVersion, "2.0")
	out.Props.SetText(ical.PropProductID, "-//Plaza//Calendar//EN")
	out.Props.SetText("X-WR-CALNAME", name)
	seenTZ := map[string]bool{}
	for _, o := range objs {
		cal, err := ParseICal([]byte(o.Data))
		if err != nil {
			continue
		}
		for _, k := range cal.Children {
			if k.Name == ical.CompTimezone {
				id := ""
				if p := k.Props.Get(ical.PropTimezoneID); p != nil {
					id = p.Value
				}
				if seenTZ[id] {
					continue
				}
				seenTZ[id] = true
			}
			out.Children = append(out.Children, k)
		}
	}
	return Encode(w, out.Component)
}

// Filtered keeps the objects whose data match f (calendar-query).
func Filtered(objs []calendar.Object, f *Filter) []calendar.Object {
	out := objs[:0]
	for _, o := range objs {
		if ok, err := MatchObject([]byte(o.Data), f); err == nil && ok {
			out = append(out, o)
		}
	}
	return out
}

// LimitRecurrenceSet keeps the masters of a calendar object and the
// overridden instances that affect r (RFC 4791 §9.6.6): an override is
// kept when its original or its new time falls in r.
func LimitRecurrenceSet(data []byte, r Range) ([]byte, error) {
	cal, err := ParseICal(data)
	if err != nil {
		return nil, err
	}
	from, to := r.from(), r.to()
	kids := cal.Children[:0:0]
	dropped := false
	for _, c := range cal.Children {
		rid := c.Props.Get(ical.PropRecurrenceID)
		if rid == nil || c.Name == ical.CompTimezone {
			kids = append(kids, c)
			continue
		}
		orig, err := dateOf(rid)
		s, e, ok := bounds(c)
		keep := err == nil && !orig.Before(from) && orig.Before(to)
		if ok && overlaps(Instance{Start: s, End: e, Comp: c}, from, to) {
			keep = true
		}
		if keep {
			kids = append(kids, c)
		} else {
			dropped = true
		}
	}
	if !dropped {
		return data, nil
	}
	cal.Children = kids
	var b bytes.Buffer
	Encode(&b, cal.Component) //nolint:errcheck // a Buffer never fails
	return b.Bytes(), nil
}
