package caldav_test

import (
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

// FuzzPutAndReport sends arbitrary calendar objects and arbitrary REPORT
// and PROPFIND bodies through the real handler: the answer is never a
// 5xx (and the server never panics).
func FuzzPutAndReport(f *testing.F) {
	for _, s := range icalSeedsHTTP {
		f.Add(s, `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data><C:expand start="20240101T000000Z" end="20240201T000000Z"/></C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240101T000000Z" end="20240201T000000Z"/><C:prop-filter name="SUMMARY"><C:text-match negate-condition="yes">x</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`)
	}
	f.Add("", `<sync-collection xmlns="DAV:"><sync-token>urn:plaza:sync:1:99999999999999999999</sync-token><sync-level>1</sync-level><prop><getetag/></prop></sync-collection>`)
	f.Add("", `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20240101T000000Z" end="20230101T000000Z"/></C:free-busy-query>`)
	f.Add("", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`)
	db := coretest.OpenDB(f, store.SQLite)
	e := davtest.Start(f, db)
	e.Do("alice", "PROPFIND", "/dav/calendars/alice/", "", "Depth", "1")
	f.Fuzz(func(t *testing.T, ics, report string) {
		e.T = t
		if r := e.Do("alice", "PUT", cal+"fuzz.ics", ics, "Content-Type", "text/calendar"); r.Status >= 500 {
			t.Fatalf("PUT: %d %s", r.Status, r.Body)
		}
		if r := e.Do("alice", "REPORT", cal, report, "Depth", "1"); r.Status >= 500 {
			t.Fatalf("REPORT: %d %s", r.Status, r.Body)
		}
		if r := e.Do("alice", "PROPFIND", cal, report, "Depth", "1"); r.Status >= 500 {
			t.Fatalf("PROPFIND: %d %s", r.Status, r.Body)
		}
		if r := e.Do("alice", "PROPPATCH", cal, report); r.Status >= 500 {
			t.Fatalf("PROPPATCH: %d %s", r.Status, r.Body)
		}
	})
}

var icalSeedsHTTP = []string{
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:fuzz\r\nDTSTART:20240101T100000Z\r\nDTEND:20240101T110000Z\r\nSUMMARY:y\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:fuzz\r\nDTSTART;TZID=Europe/Paris:20240101T100000\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:fuzz\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
}
