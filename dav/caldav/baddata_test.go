package caldav_test

import (
	"strings"
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

// Data a calendar must not hold is refused with CALDAV:valid-calendar-data
// and not stored; a MKCALENDAR whose body is not its XML creates nothing
// (issue 20, item 10).
func TestBadCalendarDataRefused(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		e.Do("alice", "PROPFIND", "/dav/calendars/alice/", "", "Depth", "1") // creates the personal calendar
		for _, body := range []string{"hello", "hello <C:mkcalendar xmlns:C=\"urn:ietf:params:xml:ns:caldav\"/>",
			`<D:propfind xmlns:D="DAV:"/>`} {
			mustStatus(t, e.Do("alice", "MKCALENDAR", "/dav/calendars/alice/junk/", body, "Content-Type", "text/plain"), 400, "MKCALENDAR "+body)
		}
		mustStatus(t, e.Do("alice", "PROPFIND", "/dav/calendars/alice/junk/", "", "Depth", "0"), 404, "calendar of a refused MKCALENDAR")
		mustStatus(t, e.Do("alice", "MKCALENDAR", "/dav/calendars/alice/ok/", ""), 201, "MKCALENDAR without a body")

		alarm := "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nDESCRIPTION:x\r\n"
		for name, body := range map[string]string{
			"end-before-start": event("e1", "20240615T110000Z", "20240615T100000Z", ""),
			"nested-alarms":    event("e2", "20240615T100000Z", "20240615T110000Z", alarm+alarm+"END:VALARM\r\nEND:VALARM\r\n"),
			"event-in-event": event("e3", "20240615T100000Z", "20240615T110000Z",
				"BEGIN:VEVENT\r\nUID:e3b\r\nDTSTART:20240615T100000Z\r\nEND:VEVENT\r\n"),
		} {
			r := put(t, e, "alice", cal+name+".ics", body)
			mustStatus(t, r, 403, name)
			if !strings.Contains(r.Body, "valid-calendar-data") {
				t.Errorf("%s: no CALDAV:valid-calendar-data in %s", name, r.Body)
			}
			mustStatus(t, e.Do("alice", "GET", cal+name+".ics", ""), 404, name+" stored")
		}
		mustStatus(t, put(t, e, "alice", cal+"fine.ics", event("e4", "20240615T100000Z", "20240615T110000Z", alarm+"END:VALARM\r\n")), 201, "event with one alarm")
	})
}
