package ics_test

import (
	"strings"
	"testing"
	"time"

	"plaza/core/calendar"
	"plaza/dav/caldav/ics"
)

// TestWriteEvent: an event made on the agenda page reads back as the
// same occurrence, text with commas, semicolons and line breaks intact.
func TestWriteEvent(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	stamp := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, e := range []calendar.NewEvent{
		{Summary: "Review; round 2, final", Location: "Room 1", Description: "Line one\nLine two",
			Start: time.Date(2026, 3, 10, 22, 0, 0, 0, paris), End: time.Date(2026, 3, 11, 1, 30, 0, 0, paris)},
		{Summary: "Holiday", AllDay: true, Start: time.Date(2026, 3, 10, 0, 0, 0, 0, paris), End: time.Date(2026, 3, 13, 0, 0, 0, 0, paris)},
	} {
		data, err := ics.Codec{}.WriteEvent("u1@plaza", e, stamp)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "DTSTAMP:20260301T080000Z") {
			t.Errorf("no DTSTAMP:\n%s", data)
		}
		occ := occurrences(t, data, e.Start.AddDate(0, 0, -1), e.End.AddDate(0, 0, 1), paris)
		if len(occ) != 1 {
			t.Fatalf("%s:\n%s\n%+v", e.Summary, data, occ)
		}
		o := occ[0]
		if o.UID != "u1@plaza" || o.Summary != e.Summary || o.Location != e.Location || o.Description != e.Description ||
			!o.Start.Equal(e.Start) || !o.End.Equal(e.End) || o.AllDay != e.AllDay {
			t.Errorf("read back %+v\nwrote %+v\n%s", o, e, data)
		}
	}
}
