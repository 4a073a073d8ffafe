package ics_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"plaza/core/calendar"
	"plaza/dav/caldav/ics"
)

// summaries lists "MM-DD HH:MM summary" of the occurrences of data in
// March 2026, in Paris.
func summaries(t *testing.T, data []byte) []string {
	t.Helper()
	paris := zone(t, "Europe/Paris")
	var out []string
	for _, o := range occurrences(t, data, time.Date(2026, 3, 1, 0, 0, 0, 0, paris), time.Date(2026, 4, 1, 0, 0, 0, 0, paris), paris) {
		out = append(out, o.Start.Format("01-02 15:04")+" "+o.Summary+fmt.Sprint(o.Categories))
	}
	return out
}

// TestEditRecurring: editing one occurrence, the following ones or the
// whole series of a weekly event, and deleting one or the following
// ones, as the agenda's form does.
func TestEditRecurring(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	stamp := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	weekly := vcal("DTSTART;TZID=Europe/Paris:20260302T090000|DURATION:PT30M|SUMMARY:Standup|RRULE:FREQ=WEEKLY;COUNT=5")
	occ := occurrences(t, weekly, time.Date(2026, 3, 9, 0, 0, 0, 0, paris), time.Date(2026, 3, 10, 0, 0, 0, 0, paris), paris)
	if len(occ) != 1 || occ[0].RecurrenceID == 0 || occ[0].Repeat != "WEEKLY" {
		t.Fatalf("the 9 March occurrence: %+v", occ)
	}
	second := occ[0]
	change := func(scope calendar.Scope, summary string, start time.Time, cats ...string) calendar.EventChange {
		return calendar.EventChange{NewEvent: calendar.NewEvent{Summary: summary, Start: start, End: start.Add(time.Hour), Repeat: "WEEKLY", Categories: cats},
			Scope: scope, RecurrenceID: second.RecurrenceID, OrigStart: second.Start}
	}
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, paris) }
	for _, tc := range []struct {
		name  string
		ch    calendar.EventChange
		want  []string
		split []string
	}{
		{"this", change(calendar.ScopeThis, "Moved", at(10, 14), "team"),
			[]string{"03-02 09:00 Standup[]", "03-10 14:00 Moved[team]", "03-16 09:00 Standup[]", "03-23 09:00 Standup[]", "03-30 09:00 Standup[]"}, nil},
		{"following", change(calendar.ScopeFollowing, "Later", at(9, 11)),
			[]string{"03-02 09:00 Standup[]"},
			[]string{"03-09 11:00 Later[]", "03-16 11:00 Later[]", "03-23 11:00 Later[]", "03-30 11:00 Later[]"}},
		{"all", change(calendar.ScopeAll, "Daily sync", at(9, 10), "a", "b"),
			[]string{"03-02 10:00 Daily sync[a b]", "03-09 10:00 Daily sync[a b]", "03-16 10:00 Daily sync[a b]", "03-23 10:00 Daily sync[a b]", "03-30 10:00 Daily sync[a b]"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, split, err := ics.Codec{}.EditEvent(weekly, tc.ch, "new@plaza", stamp)
			if err != nil {
				t.Fatal(err)
			}
			if got := summaries(t, out); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("edited:\n%s\ngot  %q\nwant %q", out, got, tc.want)
			}
			if (split == nil) != (tc.split == nil) {
				t.Fatalf("split: %s", split)
			}
			if split != nil {
				if got := summaries(t, split); strings.Join(got, "|") != strings.Join(tc.split, "|") {
					t.Errorf("split:\n%s\ngot  %q\nwant %q", split, got, tc.split)
				}
			}
		})
	}
	// an edited occurrence edited again keeps one override
	once, _, err := ics.Codec{}.EditEvent(weekly, change(calendar.ScopeThis, "Moved", at(10, 14)), "", stamp)
	if err != nil {
		t.Fatal(err)
	}
	twice, _, err := ics.Codec{}.EditEvent(once, change(calendar.ScopeThis, "Moved again", at(11, 14)), "", stamp)
	if err != nil {
		t.Fatal(err)
	}
	if got := summaries(t, twice); len(got) != 5 || got[1] != "03-11 14:00 Moved again[]" {
		t.Errorf("edited twice: %q\n%s", got, twice)
	}
	for _, tc := range []struct {
		name  string
		scope calendar.Scope
		want  int
		gone  bool
	}{{"this", calendar.ScopeThis, 4, false}, {"following", calendar.ScopeFollowing, 1, false}} {
		out, gone, err := ics.Codec{}.DropOccurrences(twice, tc.scope, second.RecurrenceID, stamp)
		if err != nil || gone != tc.gone {
			t.Fatalf("drop %s: %v %v", tc.name, gone, err)
		}
		if got := summaries(t, out); len(got) != tc.want || strings.Contains(strings.Join(got, ""), "Moved") {
			t.Errorf("drop %s: %q\n%s", tc.name, got, out)
		}
	}
	// dropping from the first occurrence on drops the event
	first := occurrences(t, weekly, at(2, 0), at(3, 0), paris)[0]
	if _, gone, err := (ics.Codec{}).DropOccurrences(weekly, calendar.ScopeFollowing, first.RecurrenceID, stamp); err != nil || !gone {
		t.Errorf("drop following from the first: %v %v", gone, err)
	}
}
