package ics_test

import (
	"strings"
	"testing"
	"time"

	"plaza/dav/caldav/ics"
)

func obj(comp, props string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:" + comp + "\r\nUID:u\r\nDTSTAMP:20240101T000000Z\r\n" +
		strings.ReplaceAll(props, "|", "\r\n") + "\r\nEND:" + comp + "\r\nEND:VCALENDAR\r\n")
}

func at(s string) time.Time {
	t, err := time.Parse("20060102T150405Z", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestTimeRangeRules checks RFC 4791 §9.9 case by case.
func TestTimeRangeRules(t *testing.T) {
	cases := []struct {
		name       string
		comp       string
		props      string
		start, end string
		want       bool
	}{
		{"event inside", "VEVENT", "DTSTART:20240110T100000Z|DTEND:20240110T110000Z", "20240110T000000Z", "20240111T000000Z", true},
		{"range inside event (go-webdav misses it)", "VEVENT", "DTSTART:20240110T100000Z|DTEND:20240110T110000Z", "20240110T101000Z", "20240110T103000Z", true},
		{"event ends at range start", "VEVENT", "DTSTART:20240110T100000Z|DTEND:20240110T110000Z", "20240110T110000Z", "20240110T120000Z", false},
		{"event starts at range end", "VEVENT", "DTSTART:20240110T100000Z|DTEND:20240110T110000Z", "20240110T090000Z", "20240110T100000Z", false},
		{"zero-length event at range start", "VEVENT", "DTSTART:20240110T100000Z", "20240110T100000Z", "20240110T110000Z", true},
		{"all-day event, next day", "VEVENT", "DTSTART;VALUE=DATE:20240110", "20240111T000000Z", "20240112T000000Z", false},
		{"all-day event, its day", "VEVENT", "DTSTART;VALUE=DATE:20240110", "20240110T120000Z", "20240110T130000Z", true},
		{"duration", "VEVENT", "DTSTART:20240110T100000Z|DURATION:PT2H", "20240110T113000Z", "20240110T120000Z", true},
		{"daily until, after until", "VEVENT", "DTSTART:20240110T100000Z|DTEND:20240110T110000Z|RRULE:FREQ=DAILY;UNTIL=20240112T100000Z", "20240113T000000Z", "20240114T000000Z", false},
		{"daily until, last day", "VEVENT", "DTSTART:20240110T100000Z|DTEND:20240110T110000Z|RRULE:FREQ=DAILY;UNTIL=20240112T100000Z", "20240112T000000Z", "20240113T000000Z", true},
		{"rdate", "VEVENT", "DTSTART:20240110T100000Z|DTEND:20240110T110000Z|RDATE:20240301T100000Z", "20240301T000000Z", "20240302T000000Z", true},
		{"task without dates matches any range", "VTODO", "SUMMARY:x", "20240101T000000Z", "20240102T000000Z", true},
		{"task due in range", "VTODO", "DUE:20240110T100000Z", "20240110T000000Z", "20240111T000000Z", true},
		{"task due before range", "VTODO", "DUE:20240110T100000Z", "20240111T000000Z", "20240112T000000Z", false},
		{"task start+due spanning range", "VTODO", "DTSTART:20240101T000000Z|DUE:20240201T000000Z", "20240110T000000Z", "20240111T000000Z", true},
		{"task completed in range", "VTODO", "COMPLETED:20240110T100000Z", "20240110T000000Z", "20240111T000000Z", true},
		{"task created before range, no end", "VTODO", "CREATED:20240101T100000Z", "20240110T000000Z", "20240111T000000Z", true},
		{"task created after range", "VTODO", "CREATED:20240201T100000Z", "20240110T000000Z", "20240111T000000Z", false},
		{"journal without date never matches", "VJOURNAL", "SUMMARY:x", "20240101T000000Z", "20240102T000000Z", false},
		{"journal on its day", "VJOURNAL", "DTSTART;VALUE=DATE:20240110", "20240110T000000Z", "20240111T000000Z", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ics.Range{Start: at(c.start), End: at(c.end)}
			f := &ics.Filter{Name: "VCALENDAR", Comps: []ics.Filter{{Name: c.comp, TimeRange: &r}}}
			data := obj(c.comp, c.props)
			if _, err := (ics.Codec{}).Parse(data); err != nil {
				t.Fatalf("parse: %v", err)
			}
			got, err := ics.MatchObject(data, f)
			if err != nil || got != c.want {
				t.Fatalf("match = %v (%v), want %v", got, err, c.want)
			}
		})
	}
}

func TestTextMatchAndIsNotDefined(t *testing.T) {
	data := obj("VEVENT", "DTSTART:20240110T100000Z|SUMMARY:Team Meeting|ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b.c")
	for _, c := range []struct {
		name string
		f    ics.Filter
		want bool
	}{
		{"case-insensitive by default", ics.Filter{Name: "VEVENT", Props: []ics.PropFilter{{Name: "SUMMARY", TextMatch: &ics.TextMatch{Text: "team meeting"}}}}, true},
		{"i;octet is case-sensitive", ics.Filter{Name: "VEVENT", Props: []ics.PropFilter{{Name: "SUMMARY", TextMatch: &ics.TextMatch{Text: "team", Collation: "i;octet"}}}}, false},
		{"negate", ics.Filter{Name: "VEVENT", Props: []ics.PropFilter{{Name: "SUMMARY", TextMatch: &ics.TextMatch{Text: "lunch", Negate: true}}}}, true},
		{"is-not-defined", ics.Filter{Name: "VEVENT", Props: []ics.PropFilter{{Name: "LOCATION", IsNotDefined: true}}}, true},
		{"param filter", ics.Filter{Name: "VEVENT", Props: []ics.PropFilter{{Name: "ATTENDEE", Params: []ics.ParamFilter{{Name: "PARTSTAT", TextMatch: &ics.TextMatch{Text: "ACCEPTED"}}}}}}, true},
		{"VTODO filter on an event", ics.Filter{Name: "VTODO"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ics.MatchObject(data, &ics.Filter{Name: "VCALENDAR", Comps: []ics.Filter{c.f}})
			if err != nil || got != c.want {
				t.Fatalf("got %v (%v), want %v", got, err, c.want)
			}
		})
	}
}

func TestIndexSpan(t *testing.T) {
	m, err := ics.Codec{}.Parse(obj("VEVENT", "DTSTART:20240110T100000Z|DTEND:20240110T110000Z|RRULE:FREQ=WEEKLY;COUNT=3"))
	if err != nil {
		t.Fatal(err)
	}
	if m.FirstStart == nil || m.LastEnd == nil || *m.LastEnd != at("20240124T110000Z").Unix() {
		t.Fatalf("bounded rule: %+v", m)
	}
	m, _ = ics.Codec{}.Parse(obj("VEVENT", "DTSTART:20240110T100000Z|RRULE:FREQ=WEEKLY"))
	if m.LastEnd != nil {
		t.Fatalf("an endless rule has no last end: %+v", *m.LastEnd)
	}
	if _, err := (ics.Codec{}).Parse(obj("VEVENT", "DTSTART:20240110T100000Z|RRULE:FREQ=SECONDLY")); err == nil {
		t.Fatal("SECONDLY accepted")
	}
}
