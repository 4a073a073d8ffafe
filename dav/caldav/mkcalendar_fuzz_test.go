package caldav_test

import (
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

// FuzzMkcalendar sends arbitrary MKCALENDAR and extended MKCOL bodies
// through the real handler: never a 5xx; what is created can be deleted.
func FuzzMkcalendar(f *testing.F) {
	for _, s := range []string{
		"",
		"hello",
		`<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>Work</D:displayname><C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`,
		`<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype></D:prop></D:set></D:mkcol>`,
		`<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><x:calendar-color xmlns:x="http://apple.com/ns/ical/">red</x:calendar-color></D:prop></D:set></C:mkcalendar>`,
	} {
		f.Add("MKCALENDAR", s)
		f.Add("MKCOL", s)
	}
	db := coretest.OpenDB(f, store.SQLite)
	e := davtest.Start(f, db)
	e.Do("alice", "PROPFIND", "/dav/calendars/alice/", "", "Depth", "1")
	const coll = "/dav/calendars/alice/fuzz/"
	f.Fuzz(func(t *testing.T, method, body string) {
		e.T = t
		if method != "MKCOL" {
			method = "MKCALENDAR"
		}
		r := e.Do("alice", method, coll, body, "Content-Type", "application/xml")
		if r.Status >= 500 {
			t.Fatalf("%s: %d %s", method, r.Status, r.Body)
		}
		if r.Status == 201 {
			if r := e.Do("alice", "DELETE", coll, ""); r.Status >= 300 {
				t.Fatalf("DELETE of what %s made: %d %s", method, r.Status, r.Body)
			}
		}
	})
}
