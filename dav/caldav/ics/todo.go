package ics

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"plaza/core"
	"plaza/core/task"
)

// propPlazaStatus names a task list's own status, which STATUS can only
// approximate.
const propPlazaStatus = "X-PLAZA-STATUS"

// DecodeTodo implements task.TodoCodec: what the VTODO of data (its master
// component, not an overridden instance) says that a task maps to.
func (Codec) DecodeTodo(data []byte) (task.Todo, error) {
	cal, err := ParseICal(data)
	if err != nil {
		return task.Todo{}, err
	}
	c, err := master(cal)
	if err != nil {
		return task.Todo{}, err
	}
	td := task.Todo{Percent: -1}
	td.UID, _ = c.Props.Text(ical.PropUID)
	if td.Summary, err = c.Props.Text(ical.PropSummary); err != nil {
		return task.Todo{}, invalidTodo("SUMMARY: %v", err)
	}
	td.Summary = strings.TrimSpace(td.Summary)
	if td.Description, err = c.Props.Text(ical.PropDescription); err != nil {
		return task.Todo{}, invalidTodo("DESCRIPTION: %v", err)
	}
	if p := c.Props.Get(ical.PropStatus); p != nil {
		td.Status = strings.ToUpper(strings.TrimSpace(p.Value))
	}
	if p := c.Props.Get(propPlazaStatus); p != nil {
		td.StatusName, _ = p.Text()
	}
	if td.Start, err = dayOf(c.Props.Get(ical.PropDateTimeStart)); err != nil {
		return task.Todo{}, err
	}
	if td.Due, err = dayOf(c.Props.Get(ical.PropDue)); err != nil {
		return task.Todo{}, err
	}
	if p := c.Props.Get(ical.PropPriority); p != nil {
		n, err := strconv.Atoi(strings.TrimSpace(p.Value))
		if err != nil || n < 0 || n > 9 {
			return task.Todo{}, invalidTodo("PRIORITY is 0 to 9")
		}
		td.Priority = n
	}
	if p := c.Props.Get(ical.PropPercentComplete); p != nil {
		n, err := strconv.Atoi(strings.TrimSpace(p.Value))
		if err != nil || n < 0 || n > 100 {
			return task.Todo{}, invalidTodo("PERCENT-COMPLETE is 0 to 100")
		}
		td.Percent = n
	}
	for _, p := range c.Props.Values(ical.PropCategories) {
		l, err := p.TextList()
		if err != nil {
			return task.Todo{}, invalidTodo("CATEGORIES: %v", err)
		}
		for _, s := range l {
			if s = strings.TrimSpace(s); s != "" && !slices.Contains(td.Categories, s) {
				td.Categories = append(td.Categories, s)
			}
		}
	}
	return td, nil
}

func invalidTodo(format string, a ...any) error {
	return violation(CodeInvalidData, core.ErrInvalid, format, a...)
}

// master returns the VTODO of an object that is not an overridden
// instance.
func master(cal *ical.Calendar) (*ical.Component, error) {
	typ, _, comps, err := objectComponents(cal)
	if err != nil {
		return nil, err
	}
	if typ != ical.CompToDo {
		return nil, violation(CodeInvalidData, core.ErrInvalid, "a task list holds VTODO, not %s", typ)
	}
	for _, c := range comps {
		if c.Props.Get(ical.PropRecurrenceID) == nil {
			return c, nil
		}
	}
	return comps[0], nil
}

var dayPrefix = regexp.MustCompile(`^([0-9]{4})([0-9]{2})([0-9]{2})`)

// dayOf is the date of a DATE or DATE-TIME as written: a task has days,
// and the day a person typed is the one in the value's own zone.
func dayOf(p *ical.Prop) (string, error) {
	if p == nil {
		return "", nil
	}
	if _, err := dateOf(p); err != nil {
		return "", invalidTodo("%s: %v", p.Name, err)
	}
	m := dayPrefix.FindStringSubmatch(p.Value)
	if m == nil {
		return "", invalidTodo("%s: not a date", p.Name)
	}
	return m[1] + "-" + m[2] + "-" + m[3], nil
}

// EncodeTodo implements task.TodoCodec. prev is the stored object (nil
// for a new one); only the properties whose decoded value differs from
// t are rewritten, so a client's alarms, times of day, overridden
// instances and unknown properties stay as they were.
func (cd Codec) EncodeTodo(prev []byte, t task.Todo) ([]byte, error) {
	var cal *ical.Calendar
	var c *ical.Component
	old := task.Todo{Percent: -1}
	if prev != nil {
		var err error
		if cal, err = ParseICal(prev); err != nil {
			return nil, err
		}
		if c, err = master(cal); err != nil {
			return nil, err
		}
		if old, err = cd.DecodeTodo(prev); err != nil {
			return nil, err
		}
	} else {
		cal = ical.NewCalendar()
		cal.Props.SetText(ical.PropVersion, "2.0")
		cal.Props.SetText(ical.PropProductID, "-//Plaza//Tasks//EN")
		c = ical.NewComponent(ical.CompToDo)
		c.Props.SetText(ical.PropUID, t.UID)
		c.Props.SetDateTime(ical.PropCreated, t.Modified.UTC())
		cal.Children = append(cal.Children, c)
	}
	changed := prev == nil
	setText := func(name, now, was string) {
		if now == was && (prev != nil || now == "") {
			return
		}
		changed = true
		if now == "" {
			c.Props.Del(name)
			return
		}
		p := ical.NewProp(name)
		p.SetText(now)
		p.Params.Del(ical.ParamValue)
		c.Props.Set(p)
	}
	setText(ical.PropSummary, t.Summary, old.Summary)
	setText(ical.PropDescription, t.Description, old.Description)
	setText(propPlazaStatus, t.StatusName, old.StatusName)
	if t.Status != old.Status {
		changed = true
		if t.Status == "" {
			c.Props.Del(ical.PropStatus)
		} else {
			c.Props.Set(&ical.Prop{Name: ical.PropStatus, Params: ical.Params{}, Value: t.Status})
		}
		if t.Status == "COMPLETED" {
			c.Props.SetDateTime(ical.PropCompleted, t.Modified.UTC())
		} else {
			c.Props.Del(ical.PropCompleted)
		}
	}
	if setDay(c, ical.PropDateTimeStart, ical.PropDue, t.Start, old.Start) {
		changed = true
	}
	if setDay(c, ical.PropDue, ical.PropDateTimeStart, t.Due, old.Due) {
		changed = true
		c.Props.Del(ical.PropDuration) // DUE and DURATION exclude each other
	}
	if t.Priority != old.Priority {
		changed = true
		if t.Priority == 0 {
			c.Props.Del(ical.PropPriority)
		} else {
			c.Props.Set(&ical.Prop{Name: ical.PropPriority, Params: ical.Params{}, Value: strconv.Itoa(t.Priority)})
		}
	}
	if t.Percent != old.Percent {
		changed = true
		if t.Percent < 0 {
			c.Props.Del(ical.PropPercentComplete)
		} else {
			c.Props.Set(&ical.Prop{Name: ical.PropPercentComplete, Params: ical.Params{}, Value: strconv.Itoa(t.Percent)})
		}
	}
	if !slices.Equal(t.Categories, old.Categories) {
		changed = true
		c.Props.Del(ical.PropCategories)
		if len(t.Categories) > 0 {
			p := ical.NewProp(ical.PropCategories)
			p.SetTextList(t.Categories)
			c.Props.Set(p)
		}
	}
	if changed {
		c.Props.SetDateTime(ical.PropDateTimeStamp, t.Modified.UTC())
		c.Props.SetDateTime(ical.PropLastModified, t.Modified.UTC())
		if prev != nil {
			seq := 0
			if p := c.Props.Get(ical.PropSequence); p != nil {
				seq, _ = strconv.Atoi(strings.TrimSpace(p.Value))
			}
			c.Props.Set(&ical.Prop{Name: ical.PropSequence, Params: ical.Params{}, Value: strconv.Itoa(seq + 1)})
		}
	}
	var b bytes.Buffer
	if err := Encode(&b, cal.Component); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// setDay sets property name of c to day (YYYY-MM-DD; "" removes it) when
// it differs from was. A VTODO's DTSTART and DUE have one value type, so
// when other is a DATE-TIME the day takes its time of day and zone.
func setDay(c *ical.Component, name, other, day, was string) bool {
	if day == was {
		return false
	}
	if day == "" {
		c.Props.Del(name)
		return true
	}
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return false
	}
	p := ical.NewProp(name)
	if o := c.Props.Get(other); o != nil && !isDate(o) && len(o.Value) > 8 {
		p.Value = d.Format("20060102") + o.Value[8:]
		if tz := o.Params.Get(ical.PropTimezoneID); tz != "" {
			p.Params.Set(ical.PropTimezoneID, tz)
		}
	} else {
		p.SetDate(d)
	}
	c.Props.Set(p)
	return true
}
