package caldav_test

import (
	"strings"
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

// TestThunderbirdFlow replays thunderbird.flow's calendar requests.
func TestThunderbirdFlow(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		e.Do("alice", "PROPFIND", "/dav/calendars/alice/", "", "Depth", "1")
		tb := []string{"Content-Type", "text/xml; charset=utf-8", "User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.0"}
		r := e.Do("alice", "PROPFIND", cal, `<?xml version="1.0" encoding="UTF-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:resourcetype/><D:owner/><D:current-user-principal/><D:current-user-privilege-set/><D:supported-report-set/><C:supported-calendar-component-set/><CS:getctag/></D:prop></D:propfind>`, append([]string{"Depth", "0"}, tb...)...)
		mustStatus(t, r, 207, "calendar Depth 0")
		ms, _ := e.ParseMS(r.Body)
		p := ms[cal]
		if !strings.Contains(p["resourcetype"].Inner, "<C:calendar/>") || !strings.Contains(p["supported-report-set"].Inner, "sync-collection") ||
			!strings.Contains(p["supported-report-set"].Inner, "calendar-multiget") || !strings.Contains(p["supported-calendar-component-set"].Inner, `name="VTODO"`) ||
			p["getctag"].Inner == "" || !strings.Contains(p["current-user-principal"].Inner, "/dav/principals/alice/") ||
			!strings.Contains(p["current-user-privilege-set"].Inner, "<D:write/>") {
			t.Fatalf("Thunderbird's first PROPFIND: %+v", p)
		}
		r = e.Do("", "OPTIONS", cal, "")
		if r.Status != 200 || !strings.Contains(r.Header.Get("DAV"), "calendar-access") || strings.Contains(r.Header.Get("DAV"), "calendar-auto-schedule") {
			t.Fatalf("OPTIONS: %d %v", r.Status, r.Header)
		}
		uid := "tb-1@example.org"
		body := "BEGIN:VCALENDAR\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nCREATED:20170213T193354Z\r\nLAST-MODIFIED:20170213T193354Z\r\nDTSTAMP:20170213T193354Z\r\nUID:" + uid +
			"\r\nSUMMARY:New Event\r\nDTSTART;TZID=America/New_York:20170217T140000\r\nDTEND;TZID=America/New_York:20170217T150000\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		href := cal + "tb-1@example.org.ics"
		r = e.Do("alice", "PUT", href, body, "Content-Type", "text/calendar; charset=utf-8", "If-None-Match", "*")
		mustStatus(t, r, 201, "PUT")
		etag := r.Header.Get("ETag")
		r = e.Do("alice", "REPORT", cal, `<?xml version="1.0" encoding="UTF-8"?>
<sync-collection xmlns="DAV:"><sync-token/><sync-level>1</sync-level><prop><getcontenttype/><getetag/></prop></sync-collection>`, append([]string{"Depth", "1"}, tb...)...)
		ms, tok := e.ParseMS(r.Body)
		if ms[href]["getetag"].Inner != etag || !strings.HasPrefix(ms[href]["getcontenttype"].Inner, "text/calendar") || tok == "" {
			t.Fatalf("sync: %s", r.Body)
		}
		r = e.Do("alice", "PROPFIND", cal, `<?xml version="1.0" encoding="UTF-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:getcontenttype/><D:resourcetype/><D:getetag/></D:prop></D:propfind>`, append([]string{"Depth", "1"}, tb...)...)
		ms, _ = e.ParseMS(r.Body)
		if len(ms) != 2 || ms[href]["getetag"].Inner != etag || ms[href]["resourcetype"].Status != 200 {
			t.Fatalf("Depth 1 listing: %s", r.Body)
		}
		// multiget, pretty-printed, no Depth header
		r = e.Do("alice", "REPORT", cal, "<?xml version=\"1.0\"?>\n<C:calendar-multiget xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n  <prop>\n    <getetag />\n    <C:calendar-data />\n  </prop>\n  <href>"+href+"</href>\n</C:calendar-multiget>", tb...)
		ms, _ = e.ParseMS(r.Body)
		if !strings.Contains(ms[href]["calendar-data"].Text, "UID:"+uid+"\r\n") {
			t.Fatalf("multiget must keep CRLF: %q", ms[href]["calendar-data"].Text)
		}
		mod := strings.Replace(body, "SUMMARY:New Event", "SUMMARY:Moved\r\nX-MOZ-GENERATION:1\r\nSEQUENCE:1", 1)
		r = e.Do("alice", "PUT", href, mod, "Content-Type", "text/calendar; charset=utf-8", "If-Match", etag)
		mustStatus(t, r, 204, "modify")
		mustStatus(t, e.Do("alice", "PUT", href, mod, "Content-Type", "text/calendar; charset=utf-8", "If-Match", etag), 412, "conflict")
		if got := syncChanges(t, e, "alice", cal, tok); len(got) != 1 {
			t.Fatalf("webdav-sync after one change: %v", got)
		}
		mustStatus(t, e.Do("alice", "DELETE", href, "", "If-Match", r.Header.Get("ETag")), 204, "DELETE")
	})
}

// TestAppleAndDAVx5Flows: iOS's home query with its long property list,
// Apple's dead-property PROPPATCH, DAVx5 tasks through calendar-query.
func TestAppleAndDAVx5Flows(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		r := e.Do("alice", "PROPFIND", "/dav/calendars/alice/", `<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:"><A:prop><A:add-member/><C:allowed-sharing-modes xmlns:C="http://calendarserver.org/ns/"/><D:autoprovisioned xmlns:D="http://apple.com/ns/ical/"/><E:bulk-requests xmlns:E="http://me.com/_namespace/"/><D:calendar-color xmlns:D="http://apple.com/ns/ical/"/><B:calendar-description xmlns:B="urn:ietf:params:xml:ns:caldav"/><B:calendar-free-busy-set xmlns:B="urn:ietf:params:xml:ns:caldav"/><D:calendar-order xmlns:D="http://apple.com/ns/ical/"/><B:calendar-timezone xmlns:B="urn:ietf:params:xml:ns:caldav"/><A:current-user-privilege-set/><B:default-alarm-vevent-date xmlns:B="urn:ietf:params:xml:ns:caldav"/><A:displayname/><C:getctag xmlns:C="http://calendarserver.org/ns/"/><A:owner/><A:quota-available-bytes/><A:quota-used-bytes/><A:resource-id/><A:resourcetype/><B:schedule-calendar-transp xmlns:B="urn:ietf:params:xml:ns:caldav"/><B:supported-calendar-component-set xmlns:B="urn:ietf:params:xml:ns:caldav"/><A:supported-report-set/><A:sync-token/></A:prop></A:propfind>`,
			"Depth", "1", "Brief", "t", "Prefer", "return=minimal", "Content-Type", "text/xml")
		mustStatus(t, r, 207, "iOS home")
		if strings.Contains(r.Body, "404 Not Found") || r.Header.Get("Preference-Applied") != "return=minimal" {
			t.Fatalf("return=minimal must drop 404 properties: %s", r.Body)
		}
		ms, _ := e.ParseMS(r.Body)
		if p := ms[cal]; p["sync-token"].Inner == "" || p["getctag"].Inner == "" || p["calendar-order"].Status != 200 {
			t.Fatalf("iOS calendar props: %+v", p)
		}
		// Apple's PROPPATCH of colour, order and a property plaza does not keep
		r = e.Do("alice", "PROPPATCH", cal, `<?xml version="1.0" encoding="UTF-8"?><A:propertyupdate xmlns:A="DAV:"><A:set><A:prop><B:calendar-color xmlns:B="http://apple.com/ns/ical/" symbolic-color="custom">#1BADF8FF</B:calendar-color><B:calendar-order xmlns:B="http://apple.com/ns/ical/">2</B:calendar-order><C:default-alarm-vevent-datetime xmlns:C="urn:ietf:params:xml:ns:caldav">BEGIN:VALARM</C:default-alarm-vevent-datetime></A:prop></A:set></A:propertyupdate>`)
		ms, _ = e.ParseMS(r.Body)
		for k, v := range ms[cal] {
			if v.Status != 200 {
				t.Fatalf("Apple PROPPATCH %s: %d", k, v.Status)
			}
		}
		// DAVx5 tasks
		todo := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:+//IDN bitfire.at//ical4android (org.dmfs.tasks)\r\nBEGIN:VTODO\r\nDTSTAMP:20240601T120000Z\r\nUID:milk\r\nSUMMARY:Buy milk\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
		mustStatus(t, put(t, e, "alice", cal+"milk.ics", todo, "If-None-Match", "*"), 201, "task")
		mustStatus(t, put(t, e, "alice", cal+"ev.ics", event("ev", "20240601T100000Z", "20240601T110000Z", "")), 201, "event")
		for _, f := range []string{`<CAL:comp-filter name="VTODO" />`, `<CAL:comp-filter name="VTODO"><CAL:time-range start="20240101T000000Z"/></CAL:comp-filter>`} {
			r = e.Do("alice", "REPORT", cal, `<?xml version='1.0' encoding='UTF-8' ?><CAL:calendar-query xmlns="DAV:" xmlns:CAL="urn:ietf:params:xml:ns:caldav"><prop><getetag /></prop><CAL:filter><CAL:comp-filter name="VCALENDAR">`+f+`</CAL:comp-filter></CAL:filter></CAL:calendar-query>`, "Depth", "1")
			ms, _ = e.ParseMS(r.Body)
			if _, ok := ms[cal+"milk.ics"]; !ok || len(ms) != 1 {
				t.Fatalf("tasks query %s: %s", f, r.Body)
			}
		}
		// a REPORT the server does not know
		r = e.Do("alice", "REPORT", cal, `<D:expand-property xmlns:D="DAV:"/>`)
		if r.Status != 403 || !strings.Contains(r.Body, "supported-report") {
			t.Fatalf("unknown report: %d %s", r.Status, r.Body)
		}
		// malformed XML is 400, not 500
		mustStatus(t, e.Do("alice", "REPORT", cal, `<unclosed`), 400, "malformed REPORT")
		mustStatus(t, e.Do("alice", "PROPFIND", cal, `<D:propfind xmlns:D="DAV:"><D:prop>`, "Depth", "0"), 400, "malformed PROPFIND")
	})
}
