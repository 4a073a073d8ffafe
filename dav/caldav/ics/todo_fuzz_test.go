package ics_test

import (
	"reflect"
	"testing"
	"time"

	"plaza/core/calendar"
	"plaza/core/task"
	"plaza/dav/caldav/ics"
)

var todoSeeds = []string{
	"BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:t\r\nSUMMARY:a\\, b\r\nDTSTART;TZID=Europe/Paris:20261201T090000\r\nDUE;TZID=Europe/Paris:20261203T170000\r\n" +
		"STATUS:IN-PROCESS\r\nPRIORITY:2\r\nPERCENT-COMPLETE:10\r\nCATEGORIES:x,y\\,z\r\nCATEGORIES:w\r\nX-PLAZA-STATUS:status.todo\r\n" +
		"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:r\r\nSUMMARY:weekly\r\nDTSTART;VALUE=DATE:20261201\r\nRRULE:FREQ=WEEKLY\r\nEND:VTODO\r\n" +
		"BEGIN:VTODO\r\nUID:r\r\nRECURRENCE-ID;VALUE=DATE:20261208\r\nSUMMARY:moved\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:d\r\nSUMMARY:due\r\nDTSTART:20261201T100000Z\r\nDURATION:P1D\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
}

// FuzzTodo: whatever a client stores in a task list, decoding ends
// without a panic in a value or a 4xx violation; and writing the decoded
// task back (changed) into an object the store accepts gives an object
// it still accepts, which decodes to what was written.
func FuzzTodo(f *testing.F) {
	for _, s := range append(todoSeeds, icalSeeds...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := ics.Codec{}
		td, err := c.DecodeTodo(data)
		if err != nil {
			if _, ok := calendar.ViolationOf(err); !ok {
				t.Fatalf("a refusal must be a violation (4xx), got %v", err)
			}
			return
		}
		if _, err := c.Parse(data); err != nil {
			return // the store refuses it before a task sees it
		}
		want := td
		want.Summary = "changed on the page"
		want.Status, want.StatusName = "COMPLETED", "status.done"
		want.Start, want.Due = "2026-01-02", "2026-02-03"
		want.Priority, want.Percent = 9, 100
		want.Categories = []string{"one", "t,w;o"}
		want.Modified = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		out, err := c.EncodeTodo(data, want)
		if err != nil {
			t.Fatalf("re-encoding an accepted VTODO: %v", err)
		}
		if _, err := c.Parse(out); err != nil {
			t.Fatalf("the re-encoded object is refused: %v\n%s", err, out)
		}
		got, err := c.DecodeTodo(out)
		if err != nil {
			t.Fatalf("decoding the re-encoded object: %v\n%s", err, out)
		}
		got.Modified = want.Modified
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v\n%s", got, want, out)
		}
	})
}

// TestNewTodo: a task written afresh is a valid VTODO saying what the
// task says.
func TestNewTodo(t *testing.T) {
	c := ics.Codec{}
	want := task.Todo{UID: "u-1@plaza", Summary: "Plan; then act", Description: "line one\nline two", Status: "NEEDS-ACTION",
		StatusName: "status.todo", Due: "2026-12-24", Priority: 1, Percent: -1, Categories: []string{"a"},
		Modified: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	out, err := c.EncodeTodo(nil, want)
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Parse(out)
	if err != nil || m.Component != "VTODO" || m.UID != "u-1@plaza" {
		t.Fatalf("parse: %+v %v\n%s", m, err, out)
	}
	got, err := c.DecodeTodo(out)
	if err != nil {
		t.Fatal(err)
	}
	got.Modified = want.Modified
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v\n%s", got, want, out)
	}
}
