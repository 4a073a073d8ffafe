package ics

import (
	"bytes"
	"time"

	"github.com/emersion/go-ical"

	"plaza/core/calendar"
)

var _ calendar.EventWriter = Codec{}

// WriteEvent implements calendar.EventWriter: the calendar object of a
// simple event made on the agenda page. Timed events are written in UTC
// (an instant needs no VTIMEZONE), all-day ones as DATE values.
func (Codec) WriteEvent(uid string, e calendar.NewEvent, stamp time.Time) ([]byte, error) {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//Plaza//Agenda//EN")
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, uid)
	ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp.UTC())
	if e.AllDay {
		ev.Props.SetDate(ical.PropDateTimeStart, e.Start)
		ev.Props.SetDate(ical.PropDateTimeEnd, e.End)
	} else {
		ev.Props.SetDateTime(ical.PropDateTimeStart, e.Start.UTC())
		ev.Props.SetDateTime(ical.PropDateTimeEnd, e.End.UTC())
	}
	ev.Props.SetText(ical.PropSummary, e.Summary)
	if e.Location != "" {
		ev.Props.SetText(ical.PropLocation, e.Location)
	}
	if e.Description != "" {
		ev.Props.SetText(ical.PropDescription, e.Description)
	}
	if len(e.Categories) > 0 {
		p := ical.NewProp(ical.PropCategories)
		p.SetTextList(e.Categories)
		ev.Props.Set(p)
	}
	if e.Repeat != "" {
		setRepeat(ev.Component, e.Repeat)
	}
	if e.SetAttendees {
		setAttendees(ev.Component, e)
	}
	cal.Children = append(cal.Children, ev.Component)
	var b bytes.Buffer
	if err := Encode(&b, cal.Component); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
