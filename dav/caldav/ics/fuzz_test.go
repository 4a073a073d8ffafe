package ics_test

import (
	"testing"
	"time"

	"plaza/core/calendar"
	"plaza/dav/caldav/ics"
)

var icalSeeds = []string{
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T100000Z\r\nDTEND:20240101T110000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Europe/Paris:20240101T100000\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20250101T000000Z\r\nEXDATE;TZID=Europe/Paris:20240103T100000\r\nRDATE;VALUE=PERIOD:20240601T100000Z/20240601T110000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:w\r\nRECURRENCE-ID;TZID=Europe/Paris:20240108T100000\r\nDTSTART:20240109T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:t\r\nDUE;VALUE=DATE:20240101\r\nCOMPLETED:20240102T000000Z\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VJOURNAL\r\nUID:j\r\nDTSTART;VALUE=DATE:20240101\r\nEND:VJOURNAL\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20240101T100000Z\r\nRRULE:FREQ=DAILY;INTERVAL=0\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20240101\r\nRRULE:FREQ=YEARLY;COUNT=999999999\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nBEGIN:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"",
}

// FuzzICal: whatever a client sends, parsing, indexing, matching,
// expansion and free-busy end without a panic, and what the codec accepts
// the other paths can handle.
func FuzzICal(f *testing.F) {
	for _, s := range icalSeeds {
		f.Add([]byte(s))
	}
	r := ics.Range{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
	filter := &ics.Filter{Name: "VCALENDAR", Comps: []ics.Filter{{Name: "VEVENT", TimeRange: &r,
		Props: []ics.PropFilter{{Name: "SUMMARY", TextMatch: &ics.TextMatch{Text: "x"}, IsNotDefined: false}}}}}
	todo := &ics.Filter{Name: "VCALENDAR", Comps: []ics.Filter{{Name: "VTODO", TimeRange: &ics.Range{Start: r.Start}}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ics.Codec{}.Parse(data)
		if err != nil {
			if _, ok := calendar.ViolationOf(err); !ok {
				t.Fatalf("a refusal must be a violation (4xx), got %v", err)
			}
			return
		}
		if m.UID == "" || m.Component == "" {
			t.Fatalf("accepted without UID or component: %+v", m)
		}
		start := time.Now()
		ics.MatchObject(data, filter)
		ics.MatchObject(data, todo)
		ics.Expand(data, r)
		ics.LimitRecurrenceSet(data, r)
		ics.BusyPeriods(data, r)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("one object took %s", d)
		}
	})
}
