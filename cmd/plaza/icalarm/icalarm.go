// Package icalarm reads the alarms (VALARM) of iCalendar events with
// go-ical, for the reminders of core/notify (core parses no iCalendar).
package icalarm

import (
	"bytes"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"plaza/core/notify"
)

// maxOccurrences bounds the occurrences of a recurring event looked at.
const maxOccurrences = 1000

// Alarms returns the alarms of the events in data that fire in (from, to]:
// triggers relative to the start (or, with RELATED=END, the end) of each
// occurrence, or at an absolute time. Recurring events are expanded.
func Alarms(data []byte, from, to time.Time) ([]notify.Alarm, error) {
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return nil, err
	}
	var out []notify.Alarm
	for _, comp := range cal.Children {
		if comp.Name != ical.CompEvent {
			continue
		}
		ev := ical.Event{Component: comp}
		start, err := ev.DateTimeStart(time.UTC)
		if err != nil {
			continue
		}
		end, err := ev.DateTimeEnd(time.UTC)
		if err != nil || end.Before(start) {
			end = start
		}
		summary := "(no title)"
		if p := comp.Props.Get(ical.PropSummary); p != nil {
			if t, err := p.Text(); err == nil && strings.TrimSpace(t) != "" {
				summary = t
			}
		}
		for _, al := range comp.Children {
			if al.Name != ical.CompAlarm {
				continue
			}
			trig := al.Props.Get(ical.PropTrigger)
			if trig == nil {
				continue
			}
			if trig.ValueType() == ical.ValueDateTime || trig.Params.Get(ical.ParamValue) == "DATE-TIME" {
				at, err := trig.DateTime(time.UTC)
				if err == nil && at.After(from) && !at.After(to) {
					out = append(out, notify.Alarm{Summary: summary, Start: start, Fire: at})
				}
				continue
			}
			offset, err := trig.Duration()
			if err != nil {
				continue
			}
			length := time.Duration(0)
			if strings.EqualFold(trig.Params.Get(ical.ParamRelated), "END") {
				length = end.Sub(start)
			}
			// Occurrences whose alarm may fire in (from, to].
			lo, hi := from.Add(-offset-length), to.Add(-offset-length)
			starts := []time.Time{start}
			if comp.Props.Get(ical.PropRecurrenceRule) != nil {
				set, err := comp.RecurrenceSet(time.UTC)
				if err != nil || set == nil {
					continue
				}
				starts = set.Between(lo, hi, true)
				if len(starts) > maxOccurrences {
					starts = starts[:maxOccurrences]
				}
			}
			for _, s := range starts {
				fire := s.Add(length + offset)
				if fire.After(from) && !fire.After(to) {
					out = append(out, notify.Alarm{Summary: summary, Start: s, Fire: fire})
				}
			}
		}
	}
	return out, nil
}
