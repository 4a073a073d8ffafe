package ics_test

import (
	"strings"
	"testing"
	"time"

	"plaza/core/calendar"
	"plaza/dav/caldav/ics"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// vcal wraps components (lines joined by |) in a VCALENDAR.
func vcal(comps ...string) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\n")
	for _, c := range comps {
		b.WriteString("BEGIN:VEVENT\r\nUID:e\r\nDTSTAMP:20260101T000000Z\r\n")
		b.WriteString(strings.ReplaceAll(c, "|", "\r\n"))
		b.WriteString("\r\nEND:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

func occurrences(t *testing.T, data []byte, from, to time.Time, loc *time.Location) []calendar.Occurrence {
	t.Helper()
	if _, err := (ics.Codec{}).Parse(data); err != nil {
		t.Fatalf("the codec refuses the test data: %v", err)
	}
	occ, err := ics.Codec{}.Occurrences(data, from, to, loc)
	if err != nil {
		t.Fatal(err)
	}
	calendar.SortOccurrences(occ)
	return occ
}

// TestOccurrencesWeeklyWithExceptions: a weekly meeting in Paris time
// keeps 10:00 across the change to summer time, loses its EXDATE and
// shows its overridden instance at the new time with the new summary.
func TestOccurrencesWeeklyWithExceptions(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	data := vcal(
		"DTSTART;TZID=Europe/Paris:20260302T100000|DURATION:PT1H|SUMMARY:Weekly|LOCATION:Room 1|RRULE:FREQ=WEEKLY;COUNT=6|EXDATE;TZID=Europe/Paris:20260316T100000",
		"RECURRENCE-ID;TZID=Europe/Paris:20260309T100000|DTSTART;TZID=Europe/Paris:20260310T140000|DTEND;TZID=Europe/Paris:20260310T153000|SUMMARY:Moved",
	)
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, paris), time.Date(2026, 4, 1, 0, 0, 0, 0, paris)
	occ := occurrences(t, data, from, to, paris)
	want := []struct {
		start   string
		summary string
		minutes int
	}{
		{"2026-03-02 10:00", "Weekly", 60},
		{"2026-03-10 14:00", "Moved", 90},
		{"2026-03-23 10:00", "Weekly", 60},
		{"2026-03-30 10:00", "Weekly", 60}, // summer time since the 29th
	}
	if len(occ) != len(want) {
		t.Fatalf("got %d occurrences, want %d: %+v", len(occ), len(want), occ)
	}
	for i, w := range want {
		o := occ[i]
		if got := o.Start.Format("2006-01-02 15:04"); got != w.start || o.Summary != w.summary ||
			o.End.Sub(o.Start) != time.Duration(w.minutes)*time.Minute || !o.Recurring || o.UID != "e" {
			t.Errorf("occurrence %d: %s %q %s recurring=%v, want %s %q %dm", i, got, o.Summary, o.End.Sub(o.Start), o.Recurring, w.start, w.summary, w.minutes)
		}
		if o.Start.Location() != paris {
			t.Errorf("occurrence %d is in %s, not the reader's zone", i, o.Start.Location())
		}
	}
	if occ[0].Location != "Room 1" {
		t.Errorf("location: %q", occ[0].Location)
	}
	if utc := occ[3].Start.UTC().Hour(); utc != 8 {
		t.Errorf("10:00 in Paris summer time is 08:00 UTC, got %d", utc)
	}
}

// TestOccurrencesAllDay: DATE values are days of the reader's calendar,
// whatever the reader's offset from UTC.
func TestOccurrencesAllDay(t *testing.T) {
	la := zone(t, "America/Los_Angeles")
	data := vcal("DTSTART;VALUE=DATE:20260310|DTEND;VALUE=DATE:20260312|SUMMARY:Offsite")
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, la) }
	occ := occurrences(t, data, day(1), day(31), la)
	if len(occ) != 1 {
		t.Fatalf("%+v", occ)
	}
	o := occ[0]
	if !o.AllDay || !o.Start.Equal(day(10)) || !o.End.Equal(day(12)) {
		t.Fatalf("all-day event: %s – %s all-day=%v", o.Start, o.End, o.AllDay)
	}
	for _, c := range []struct {
		day  int
		want bool
	}{{9, false}, {10, true}, {11, true}, {12, false}} {
		// read as UTC, the 10th would leak into the evening of the 9th
		got := len(occurrences(t, data, day(c.day), day(c.day+1), la)) == 1
		if got != c.want {
			t.Errorf("on the %dth: %v, want %v", c.day, got, c.want)
		}
	}
	// one day without DTEND; a yearly birthday
	bd := vcal("DTSTART;VALUE=DATE:20000229|RRULE:FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1|SUMMARY:Birthday")
	occ = occurrences(t, bd, day(1), day(2), la)
	if len(occ) != 1 || !occ[0].AllDay || !occ[0].Recurring || occ[0].End.Sub(occ[0].Start) != 24*time.Hour {
		t.Fatalf("birthday: %+v", occ)
	}
}

// TestOccurrencesZones: a TZID time is an instant shown in the reader's
// zone; a floating time (or one of an unknown zone) is a wall-clock time
// of the reader's zone.
func TestOccurrencesZones(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	from, to := time.Date(2026, 3, 10, 0, 0, 0, 0, paris), time.Date(2026, 3, 11, 0, 0, 0, 0, paris)
	for _, c := range []struct {
		name, props string
		start       string // in Paris
	}{
		{"TZID", "DTSTART;TZID=America/New_York:20260310T090000|DTEND;TZID=America/New_York:20260310T100000", "14:00"},
		{"UTC", "DTSTART:20260310T090000Z|DTEND:20260310T100000Z", "10:00"},
		{"floating", "DTSTART:20260310T090000|DTEND:20260310T100000", "09:00"},
		{"unknown zone reads as floating", "DTSTART;TZID=Mars/Olympus:20260310T090000|DTEND;TZID=Mars/Olympus:20260310T100000", "09:00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			occ := occurrences(t, vcal(c.props+"|SUMMARY:x"), from, to, paris)
			if len(occ) != 1 || occ[0].Start.Format("15:04") != c.start || occ[0].End.Sub(occ[0].Start) != time.Hour || occ[0].AllDay {
				t.Fatalf("%+v, want one hour at %s", occ, c.start)
			}
		})
	}
}

// TestOccurrencesAcrossMidnight: an event over midnight shows on both
// days; a range that ends when an event starts, or starts when it ends,
// does not hold it.
func TestOccurrencesAcrossMidnight(t *testing.T) {
	data := vcal("DTSTART:20260310T220000Z|DTEND:20260311T020000Z|SUMMARY:Night shift")
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		name     string
		from, to time.Time
		want     bool
	}{
		{"first day", day(10, 0), day(11, 0), true},
		{"second day", day(11, 0), day(12, 0), true},
		{"day after", day(12, 0), day(13, 0), false},
		{"range ends at its start", day(10, 12), day(10, 22), false},
		{"range starts at its end", day(11, 2), day(11, 8), false},
		{"range inside it", day(10, 23), day(11, 1), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			occ := occurrences(t, data, c.from, c.to, time.UTC)
			if got := len(occ) == 1; got != c.want {
				t.Fatalf("%+v, want present=%v", occ, c.want)
			}
			if c.want && (!occ[0].Start.Equal(day(10, 22)) || !occ[0].End.Equal(day(11, 2))) {
				t.Fatalf("clipped: %+v", occ[0])
			}
		})
	}
	// A recurring instance that began before the range still shows.
	daily := vcal("DTSTART:20260301T230000Z|DURATION:PT2H|RRULE:FREQ=DAILY|SUMMARY:Late")
	occ := occurrences(t, daily, day(10, 0), day(10, 12), time.UTC)
	if len(occ) != 1 || !occ[0].Start.Equal(day(9, 23)) {
		t.Fatalf("instance running at the range's start: %+v", occ)
	}
}

// TestOccurrencesStatus: the agenda shows free and tentative events and
// drops what is cancelled, a whole event or one instance.
func TestOccurrencesStatus(t *testing.T) {
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)
	occ := occurrences(t, vcal("DTSTART:20260302T100000Z|DURATION:PT1H|TRANSP:TRANSPARENT|STATUS:TENTATIVE"), from, to, time.UTC)
	if len(occ) != 1 || !occ[0].Free || !occ[0].Tentative {
		t.Fatalf("free tentative event: %+v", occ)
	}
	if occ := occurrences(t, vcal("DTSTART:20260302T100000Z|DURATION:PT1H|STATUS:CANCELLED"), from, to, time.UTC); len(occ) != 0 {
		t.Fatalf("cancelled event shown: %+v", occ)
	}
	data := vcal("DTSTART:20260302T100000Z|DURATION:PT1H|RRULE:FREQ=DAILY;COUNT=3|SUMMARY:Standup",
		"RECURRENCE-ID:20260303T100000Z|DTSTART:20260303T100000Z|DURATION:PT1H|STATUS:CANCELLED|SUMMARY:Standup")
	occ = occurrences(t, data, from, to, time.UTC)
	if len(occ) != 2 || occ[0].Start.Day() != 2 || occ[1].Start.Day() != 4 {
		t.Fatalf("one cancelled instance: %+v", occ)
	}
}

// TestOccurrencesOther: a task has no occurrence; bad data is an error,
// not a panic.
func TestOccurrencesOther(t *testing.T) {
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)
	todo := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:t\r\nDUE:20260302T100000Z\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
	if occ, err := (ics.Codec{}).Occurrences(todo, from, to, nil); err != nil || len(occ) != 0 {
		t.Fatalf("task: %+v %v", occ, err)
	}
	if _, err := (ics.Codec{}).Occurrences([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT"), from, to, nil); err == nil {
		t.Fatal("truncated data accepted")
	}
}

// FuzzOccurrences: whatever is stored, expansion ends without a panic,
// in bounded time, with occurrences inside the range and never ending
// before they start.
func FuzzOccurrences(f *testing.F) {
	for _, s := range icalSeeds {
		f.Add([]byte(s))
	}
	f.Add(vcal("DTSTART;VALUE=DATE:20240101|RRULE:FREQ=DAILY|EXDATE;VALUE=DATE:20240102"))
	f.Add(vcal("DTSTART;TZID=Nowhere/Land:20240101T100000|DTEND:20240101T090000Z"))
	from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		occ, err := ics.Codec{}.Occurrences(data, from, to, paris)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("one object took %s", d)
		}
		if err != nil {
			if _, ok := calendar.ViolationOf(err); !ok {
				t.Fatalf("a failure must be a violation, got %v", err)
			}
			return
		}
		for _, o := range occ {
			if o.End.Before(o.Start) || !o.Overlaps(from, to) {
				t.Fatalf("occurrence %s – %s outside [%s, %s)", o.Start, o.End, from, to)
			}
		}
	})
}
