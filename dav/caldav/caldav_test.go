package caldav_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

func event(uid, start, end, extra string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:" + start + "\r\nDTEND:" + end + "\r\nSUMMARY:Event " + uid + "\r\n" + extra +
		"END:VEVENT\r\nEND:VCALENDAR\r\n"
}

func put(t *testing.T, e *davtest.Env, user, path, body string, hdr ...string) davtest.Reply {
	t.Helper()
	return e.Do(user, "PUT", path, body, append([]string{"Content-Type", "text/calendar; charset=utf-8"}, hdr...)...)
}

func mustStatus(t *testing.T, r davtest.Reply, want int, what string) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.Status, want, r.Body)
	}
}

const cal = "/dav/calendars/alice/personal/"

func TestPutGetPreconditions(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		e.Do("alice", "PROPFIND", "/dav/calendars/alice/", "", "Depth", "1") // creates the personal calendar
		body := event("a1", "20240615T100000Z", "20240615T110000Z", "")
		r := put(t, e, "alice", cal+"a1.ics", body, "If-None-Match", "*")
		mustStatus(t, r, 201, "create")
		etag := r.Header.Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-f]+"$`).MatchString(etag) {
			t.Fatalf("ETag %q", etag)
		}
		mustStatus(t, put(t, e, "alice", cal+"a1.ics", body, "If-None-Match", "*"), 412, "If-None-Match * on an existing resource")
		mustStatus(t, put(t, e, "alice", cal+"a1.ics", body, "If-Match", `"deadbeef"`), 412, "stale If-Match")
		mustStatus(t, put(t, e, "alice", cal+"new.ics", body, "If-Match", etag), 412, "If-Match on a missing resource")
		r = e.Do("alice", "GET", cal+"a1.ics", "")
		mustStatus(t, r, 200, "get")
		if r.Body != body || r.Header.Get("ETag") != etag || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/calendar") {
			t.Fatalf("GET returned %q %v", r.Body, r.Header)
		}
		body2 := event("a1", "20240615T100000Z", "20240615T120000Z", "SEQUENCE:1\r\n")
		r = put(t, e, "alice", cal+"a1.ics", body2, "If-Match", etag)
		mustStatus(t, r, 204, "update with If-Match")
		etag2 := r.Header.Get("ETag")
		if etag2 == etag || etag2 == "" {
			t.Fatalf("etag did not change: %q", etag2)
		}
		mustStatus(t, e.Do("alice", "DELETE", cal+"a1.ics", "", "If-Match", etag), 412, "DELETE with a stale etag")
		mustStatus(t, e.Do("alice", "DELETE", cal+"a1.ics", "", "If-Match", etag2), 204, "DELETE")
		mustStatus(t, e.Do("alice", "GET", cal+"a1.ics", ""), 404, "GET after DELETE")

		// same UID under another name: no-uid-conflict
		mustStatus(t, put(t, e, "alice", cal+"x.ics", body), 201, "put x")
		r = put(t, e, "alice", cal+"y.ics", body)
		mustStatus(t, r, 409, "same UID twice")
		if !strings.Contains(r.Body, "no-uid-conflict") || !strings.Contains(r.Body, cal+"x.ics") {
			t.Fatalf("no-uid-conflict body: %s", r.Body)
		}
		// invalid data: 4xx with valid-calendar-data, never 500
		for _, bad := range []string{"garbage", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
			"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20240101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
			event("z", "notadate", "20240101T000000Z", "")} {
			r := put(t, e, "alice", cal+"bad.ics", bad)
			if r.Status != 403 || !strings.Contains(r.Body, "valid-calendar-data") {
				t.Errorf("bad data %q: %d %s", bad, r.Status, r.Body)
			}
		}
	})
}

func TestReadOnlyCalendar(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		ctx := t.Context()
		bobID, err := e.Cals.EnsurePersonal(ctx, e.Users["bob"].Subject())
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, put(t, e, "bob", "/dav/calendars/bob/personal/b.ics", event("b", "20240101T100000Z", "20240101T110000Z", "")), 201, "bob puts")
		if err := acl.SetGrants(ctx, db, bobID, []acl.Grant{{PrincipalKind: acl.PrincipalUser, PrincipalID: e.Users["alice"].ID, Level: acl.Read}}); err != nil {
			t.Fatal(err)
		}
		r := e.Do("alice", "PROPFIND", "/dav/calendars/alice/", `<propfind xmlns="DAV:"><prop><resourcetype/><current-user-privilege-set/><owner/></prop></propfind>`, "Depth", "1")
		ms, _ := e.ParseMS(r.Body)
		shared, ok := ms["/dav/calendars/alice/personal~bob/"]
		if !ok {
			t.Fatalf("bob's calendar not in alice's home: %s", r.Body)
		}
		privs := shared["current-user-privilege-set"].Inner
		if !strings.Contains(privs, "<D:read/>") || strings.Contains(privs, "write") || strings.Contains(privs, "bind") {
			t.Fatalf("read-only privilege set: %s", privs)
		}
		if !strings.Contains(shared["owner"].Inner, "/dav/principals/bob/") {
			t.Fatalf("owner: %q", shared["owner"].Inner)
		}
		r = put(t, e, "alice", "/dav/calendars/alice/personal~bob/new.ics", event("n", "20240101T100000Z", "20240101T110000Z", ""))
		mustStatus(t, r, 403, "PUT into a read-only calendar")
		if !strings.Contains(r.Body, "need-privileges") || !strings.Contains(r.Body, "<D:bind/>") {
			t.Fatalf("403 body: %s", r.Body)
		}
		r = put(t, e, "alice", "/dav/calendars/alice/personal~bob/b.ics", event("b", "20240101T100000Z", "20240101T120000Z", ""))
		mustStatus(t, r, 403, "PUT over an event of a read-only calendar")
		mustStatus(t, e.Do("alice", "DELETE", "/dav/calendars/alice/personal~bob/b.ics", ""), 403, "DELETE in a read-only calendar")
		mustStatus(t, e.Do("alice", "GET", "/dav/calendars/alice/personal~bob/b.ics", ""), 200, "GET in a read-only calendar")
		// carol has no grant: not even visible
		mustStatus(t, e.Do("carol", "GET", "/dav/calendars/carol/personal~bob/b.ics", ""), 404, "carol")
		// the item privilege set is read-only too
		r = e.Do("alice", "PROPFIND", "/dav/calendars/alice/personal~bob/b.ics", `<propfind xmlns="DAV:"><prop><current-user-privilege-set/></prop></propfind>`, "Depth", "0")
		if strings.Contains(r.Body, "write") {
			t.Fatalf("item privileges: %s", r.Body)
		}
	})
}

func TestEventInTwoCalendars(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		ctx := t.Context()
		if _, err := e.Cals.EnsureSpace(ctx, e.Team.ID, "Team"); err != nil {
			t.Fatal(err)
		}
		alice := e.Users["alice"].Subject()
		e.Do("alice", "PROPFIND", "/dav/calendars/alice/", "", "Depth", "1")
		mustStatus(t, put(t, e, "alice", cal+"m.ics", event("m", "20240301T090000Z", "20240301T100000Z", "")), 201, "put")
		team := "/dav/calendars/alice/agenda@team/"
		tok := syncToken(t, e, "alice", team)
		personal, err := e.Cals.Resolve(ctx, alice, "personal")
		if err != nil {
			t.Fatal(err)
		}
		teamC, err := e.Cals.Resolve(ctx, alice, "agenda@team")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Cals.Link(ctx, alice, personal, "m.ics", teamC); err != nil {
			t.Fatal(err)
		}
		// the same over DAV: BIND (RFC 5842) into a third calendar
		mustStatus(t, e.Do("alice", "MKCALENDAR", "/dav/calendars/alice/work/", ""), 201, "MKCALENDAR")
		bind := `<D:bind xmlns:D="DAV:"><D:segment>m.ics</D:segment><D:href>` + cal + `m.ics</D:href></D:bind>`
		mustStatus(t, e.Do("alice", "BIND", "/dav/calendars/alice/work/", bind), 201, "BIND")
		mustStatus(t, e.Do("alice", "BIND", "/dav/calendars/alice/work/", bind), 409, "BIND twice")
		// bob cannot bind into alice's calendar he cannot see, nor bind what he cannot read
		mustStatus(t, e.Do("bob", "BIND", "/dav/calendars/bob/agenda@team/", `<D:bind xmlns:D="DAV:"><D:segment>m.ics</D:segment><D:href>/dav/calendars/bob/work~alice/m.ics</D:href></D:bind>`), 404, "bob binds from alice")
		r := e.Do("bob", "GET", "/dav/calendars/bob/agenda@team/m.ics", "")
		mustStatus(t, r, 200, "bob sees the event in the team calendar")
		// bob has write on the team calendar but not on alice's personal
		// one, which holds the same event: he may not change it (issue 20) …
		edited := event("m", "20240301T090000Z", "20240301T113000Z", "SEQUENCE:2\r\n")
		mustStatus(t, put(t, e, "bob", "/dav/calendars/bob/agenda@team/m.ics", edited, "If-Match", r.Header.Get("ETag")), 403, "bob edits in team")
		// … alice, who may change it everywhere, edits it through the team's
		mustStatus(t, put(t, e, "alice", team+"m.ics", edited, "If-Match", r.Header.Get("ETag")), 204, "edit in team")
		// … and the edit shows in alice's other calendars
		for _, p := range []string{cal + "m.ics", "/dav/calendars/alice/work/m.ics"} {
			if r := e.Do("alice", "GET", p, ""); r.Body != edited {
				t.Fatalf("%s not updated: %q", p, r.Body)
			}
		}
		// both collections log the change
		changed := syncChanges(t, e, "alice", team, tok)
		if len(changed) != 1 || changed[0] != team+"m.ics" {
			t.Fatalf("team sync after the edit: %v", changed)
		}
		// deleting in one calendar leaves the other
		mustStatus(t, e.Do("alice", "DELETE", team+"m.ics", ""), 204, "delete in team")
		mustStatus(t, e.Do("alice", "GET", cal+"m.ics", ""), 200, "still in personal")
	})
}

func syncToken(t *testing.T, e *davtest.Env, user, coll string) string {
	t.Helper()
	r := e.Do(user, "PROPFIND", coll, `<propfind xmlns="DAV:"><prop><sync-token/></prop></propfind>`, "Depth", "0")
	ms, _ := e.ParseMS(r.Body)
	return ms[coll]["sync-token"].Inner
}

// syncChanges returns the hrefs a sync-collection from tok reports
// (deleted ones suffixed with " 404").
func syncChanges(t *testing.T, e *davtest.Env, user, coll, tok string) []string {
	t.Helper()
	r := e.Do(user, "REPORT", coll, `<?xml version="1.0" encoding="utf-8"?><sync-collection xmlns="DAV:"><sync-token>`+tok+
		`</sync-token><sync-level>1</sync-level><prop><getetag/></prop></sync-collection>`, "Depth", "1")
	mustStatus(t, r, 207, "sync-collection")
	ms, _ := e.ParseMS(r.Body)
	var out []string
	for h, p := range ms {
		if p["status"].Status == 404 {
			out = append(out, h+" 404")
		} else {
			out = append(out, h)
		}
	}
	return out
}

func TestSyncCollectionAndCTag(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		e.Do("alice", "PROPFIND", "/dav/calendars/alice/", "", "Depth", "1")
		for i := range 5 {
			mustStatus(t, put(t, e, "alice", fmt.Sprintf("%se%d.ics", cal, i), event(fmt.Sprint("e", i), "20240101T100000Z", "20240101T110000Z", "")), 201, "put")
		}
		// initial sync: everything, and a token
		r := e.Do("alice", "REPORT", cal, `<sync-collection xmlns="DAV:"><sync-token/><sync-level>1</sync-level><prop><getetag/><getcontenttype/></prop></sync-collection>`, "Depth", "1")
		ms, tok := e.ParseMS(r.Body)
		if len(ms) != 5 || tok == "" {
			t.Fatalf("initial sync: %d items, token %q", len(ms), tok)
		}
		ctag := func() string {
			r := e.Do("alice", "PROPFIND", cal, `<propfind xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/"><prop><CS:getctag/></prop></propfind>`, "Depth", "0")
			ms, _ := e.ParseMS(r.Body)
			return ms[cal]["getctag"].Inner
		}
		c1 := ctag()
		if got := syncChanges(t, e, "alice", cal, tok); len(got) != 0 {
			t.Fatalf("no change, yet %v", got)
		}
		mustStatus(t, put(t, e, "alice", cal+"e3.ics", event("e3", "20240101T100000Z", "20240101T120000Z", "")), 204, "edit")
		if got := syncChanges(t, e, "alice", cal, tok); len(got) != 1 || got[0] != cal+"e3.ics" {
			t.Fatalf("after one edit: %v", got)
		}
		c2 := ctag()
		if c1 == c2 || c2 == "" {
			t.Fatalf("getctag did not change: %q → %q", c1, c2)
		}
		tok2 := syncToken(t, e, "alice", cal)
		mustStatus(t, e.Do("alice", "DELETE", cal+"e1.ics", ""), 204, "delete")
		if got := syncChanges(t, e, "alice", cal, tok2); len(got) != 1 || got[0] != cal+"e1.ics 404" {
			t.Fatalf("after one delete: %v", got)
		}
		// a token from elsewhere is refused with valid-sync-token
		r = e.Do("alice", "REPORT", cal, `<sync-collection xmlns="DAV:"><sync-token>urn:plaza:sync:999:1</sync-token><sync-level>1</sync-level><prop><getetag/></prop></sync-collection>`)
		if r.Status != 403 || !strings.Contains(r.Body, "valid-sync-token") {
			t.Fatalf("bad token: %d %s", r.Status, r.Body)
		}
	})
}

func TestRecurringTimeRange(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		e.Do("alice", "PROPFIND", "/dav/calendars/alice/", "", "Depth", "1")
		// weekly on Mondays from 2024-01-01, 10:00-11:00 Europe/Paris; one
		// moved instance, one cancelled
		weekly := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20240101T000000Z\r\n" +
			"DTSTART;TZID=Europe/Paris:20240101T100000\r\nDTEND;TZID=Europe/Paris:20240101T110000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\n" +
			"EXDATE;TZID=Europe/Paris:20240318T100000\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n" +
			"BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20240101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Paris:20240325T100000\r\n" +
			"DTSTART;TZID=Europe/Paris:20240327T150000\r\nDTEND;TZID=Europe/Paris:20240327T160000\r\nSUMMARY:Moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		mustStatus(t, put(t, e, "alice", cal+"weekly.ics", weekly), 201, "put weekly")
		mustStatus(t, put(t, e, "alice", cal+"once.ics", event("once", "20240102T100000Z", "20240102T110000Z", "")), 201, "put once")
		query := func(start, end, extra string) map[string]map[string]davtest.Prop {
			r := e.Do("alice", "REPORT", cal, `<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data>`+extra+`</C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="`+start+`" end="`+end+`"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`, "Depth", "1")
			mustStatus(t, r, 207, "calendar-query")
			ms, _ := e.ParseMS(r.Body)
			return ms
		}
		cases := []struct {
			name, start, end string
			want             bool
		}{
			{"a Monday in March", "20240311T000000Z", "20240312T000000Z", true},
			{"the Tuesday after", "20240312T000000Z", "20240313T000000Z", false},
			{"half an hour inside the instance", "20240311T091500Z", "20240311T094500Z", true},
			{"the excluded Monday", "20240318T000000Z", "20240319T000000Z", false},
			{"the moved instance's old day", "20240325T000000Z", "20240326T000000Z", false},
			{"the moved instance's new day", "20240327T000000Z", "20240328T000000Z", true},
			{"summer time: 10:00 Paris is 08:00Z", "20240701T080000Z", "20240701T083000Z", true},
			{"winter time: 10:00 Paris is 09:00Z", "20241202T080000Z", "20241202T083000Z", false},
			{"years later", "20300107T000000Z", "20300108T000000Z", true},
		}
		for _, c := range cases {
			ms := query(c.start, c.end, "")
			_, got := ms[cal+"weekly.ics"]
			if got != c.want {
				t.Errorf("%s: found=%v, want %v", c.name, got, c.want)
			}
			if _, once := ms[cal+"once.ics"]; once {
				t.Errorf("%s: the single event of 2 January must not match", c.name)
			}
		}
		// expand returns instances with RECURRENCE-ID and no RRULE
		ms := query("20240301T000000Z", "20240401T000000Z", `<C:expand start="20240301T000000Z" end="20240401T000000Z"/>`)
		data := ms[cal+"weekly.ics"]["calendar-data"].Inner
		if strings.Count(data, "BEGIN:VEVENT") != 3 || strings.Contains(data, "RRULE") || !strings.Contains(data, "RECURRENCE-ID:20240304T090000Z") {
			t.Fatalf("expanded March (4, 11, 27 moved; 18 excluded → want 3 instances):\n%s", data)
		}
		// limit-recurrence-set keeps the master and only overrides in range
		ms = query("20240301T000000Z", "20240320T000000Z", `<C:limit-recurrence-set start="20240301T000000Z" end="20240320T000000Z"/>`)
		data = ms[cal+"weekly.ics"]["calendar-data"].Text
		if !strings.Contains(data, "RRULE:FREQ=WEEKLY") || strings.Contains(data, "Moved") {
			t.Fatalf("limit-recurrence-set to early March:\n%s", data)
		}
		ms = query("20240320T000000Z", "20240401T000000Z", `<C:limit-recurrence-set start="20240320T000000Z" end="20240401T000000Z"/>`)
		if data := ms[cal+"weekly.ics"]["calendar-data"].Text; !strings.Contains(data, "Moved") {
			t.Fatalf("limit-recurrence-set to late March:\n%s", data)
		}
		// DAVx5's open-ended range
		r := e.Do("alice", "REPORT", cal, `<CAL:calendar-query xmlns="DAV:" xmlns:CAL="urn:ietf:params:xml:ns:caldav"><prop><getetag /></prop><CAL:filter><CAL:comp-filter name="VCALENDAR"><CAL:comp-filter name="VEVENT"><CAL:time-range start="20250101T000000Z" /></CAL:comp-filter></CAL:comp-filter></CAL:filter></CAL:calendar-query>`, "Depth", "1")
		ms, _ = e.ParseMS(r.Body)
		if _, ok := ms[cal+"weekly.ics"]; !ok || len(ms) != 1 {
			t.Fatalf("open-ended range: %v", ms)
		}
		// free-busy over one week
		r = e.Do("alice", "REPORT", cal, `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20240101T000000Z" end="20240108T000000Z"/></C:free-busy-query>`, "Depth", "1")
		if r.Status != 200 || !strings.Contains(r.Body, "FREEBUSY:20240101T090000Z/20240101T100000Z") || !strings.Contains(r.Body, "20240102T100000Z/20240102T110000Z") {
			t.Fatalf("free-busy: %d %s", r.Status, r.Body)
		}
	})
}

func TestMkcalendarProppatch(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		body := `<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop><D:displayname>Work</D:displayname><C:calendar-description>Office</C:calendar-description><A:calendar-color>#FF8800</A:calendar-color><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`
		mustStatus(t, e.Do("alice", "MKCALENDAR", "/dav/calendars/alice/work/", body), 201, "MKCALENDAR")
		mustStatus(t, e.Do("alice", "MKCALENDAR", "/dav/calendars/alice/work/", body), 405, "MKCALENDAR over an existing calendar")
		w := "/dav/calendars/alice/work/"
		props := `<propfind xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/"><prop><displayname/><A:calendar-color/><C:calendar-description/><C:supported-calendar-component-set/><resourcetype/></prop></propfind>`
		r := e.Do("alice", "PROPFIND", w, props, "Depth", "0")
		ms, _ := e.ParseMS(r.Body)
		p := ms[w]
		if p["displayname"].Inner != "Work" || p["calendar-color"].Inner != "#FF8800" || p["calendar-description"].Inner != "Office" ||
			!strings.Contains(p["supported-calendar-component-set"].Inner, "VEVENT") || strings.Contains(p["supported-calendar-component-set"].Inner, "VTODO") {
			t.Fatalf("after MKCALENDAR: %+v", p)
		}
		// a VTODO is refused by a VEVENT-only calendar
		todo := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20240101T000000Z\r\nSUMMARY:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
		r = put(t, e, "alice", w+"t1.ics", todo)
		if r.Status != 403 || !strings.Contains(r.Body, "supported-calendar-component") {
			t.Fatalf("VTODO in VEVENT calendar: %d %s", r.Status, r.Body)
		}
		// PROPPATCH of name, colour and an Apple dead property: 207, 200 each
		r = e.Do("alice", "PROPPATCH", w, `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop><D:displayname>Büro</D:displayname><A:calendar-color>#00FF00FF</A:calendar-color><A:calendar-order>3</A:calendar-order></D:prop></D:set></D:propertyupdate>`)
		mustStatus(t, r, 207, "PROPPATCH")
		ms, _ = e.ParseMS(r.Body)
		for k, v := range ms[w] {
			if v.Status != 200 {
				t.Errorf("PROPPATCH %s: %d", k, v.Status)
			}
		}
		r = e.Do("alice", "PROPFIND", w, props, "Depth", "0")
		ms, _ = e.ParseMS(r.Body)
		if ms[w]["displayname"].Inner != "Büro" || ms[w]["calendar-color"].Inner != "#00FF00FF" {
			t.Fatalf("after PROPPATCH: %+v", ms[w])
		}
		// a bad colour fails, the name beside it is not applied (424)
		r = e.Do("alice", "PROPPATCH", w, `<D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop><D:displayname>Nope</D:displayname><A:calendar-color>red</A:calendar-color><D:getetag>x</D:getetag></D:prop></D:set></D:propertyupdate>`)
		ms, _ = e.ParseMS(r.Body)
		if ms[w]["displayname"].Status != 424 || ms[w]["calendar-color"].Status != 409 || ms[w]["getetag"].Status != 403 {
			t.Fatalf("atomic PROPPATCH: %+v", ms[w])
		}
		// bob may not rename alice's calendar (he cannot even see it)
		mustStatus(t, e.Do("bob", "PROPPATCH", "/dav/calendars/bob/work~alice/", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>`), 404, "bob")
		// read-only sharee gets 403 per property
		c, err := e.Cals.Resolve(t.Context(), e.Users["alice"].Subject(), "work")
		if err != nil {
			t.Fatal(err)
		}
		acl.SetGrants(t.Context(), db, c.ContainerID, []acl.Grant{{PrincipalKind: acl.PrincipalUser, PrincipalID: e.Users["bob"].ID, Level: acl.Read}})
		r = e.Do("bob", "PROPPATCH", "/dav/calendars/bob/work~alice/", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>`)
		ms, _ = e.ParseMS(r.Body)
		if ms["/dav/calendars/bob/work~alice/"]["displayname"].Status != 403 {
			t.Fatalf("read-only PROPPATCH: %s", r.Body)
		}
		// … but may colour it in his client (Apple's UI breaks on a 403); not stored
		r = e.Do("bob", "PROPPATCH", "/dav/calendars/bob/work~alice/", `<D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop><A:calendar-color>#123456</A:calendar-color><A:calendar-order>9</A:calendar-order></D:prop></D:set></D:propertyupdate>`)
		ms, _ = e.ParseMS(r.Body)
		if ms["/dav/calendars/bob/work~alice/"]["calendar-color"].Status != 200 {
			t.Fatalf("sharee colour: %s", r.Body)
		}
		r = e.Do("alice", "PROPFIND", w, props, "Depth", "0")
		if ms, _ := e.ParseMS(r.Body); ms[w]["calendar-color"].Inner != "#00FF00FF" {
			t.Fatalf("a sharee's colour must not change the owner's: %+v", ms[w])
		}
		// DELETE of a calendar
		mustStatus(t, e.Do("alice", "DELETE", w, ""), 204, "DELETE calendar")
		mustStatus(t, e.Do("alice", "PROPFIND", w, "", "Depth", "0"), 404, "deleted calendar")
	})
}

func TestResourceDoubleBooking(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		if _, err := e.Cals.CreateInSpace(t.Context(), e.Team.ID, calendar.NewCollection{Slug: "room-a", Name: "Room A", Resource: true}, acl.Limited); err != nil {
			t.Fatal(err)
		}
		room := "/dav/calendars/bob/room-a@team/"
		mustStatus(t, put(t, e, "bob", room+"b1.ics", event("b1", "20240610T090000Z", "20240610T100000Z", "")), 201, "first booking")
		r := put(t, e, "alice", "/dav/calendars/alice/room-a@team/a1.ics", event("a1", "20240610T093000Z", "20240610T103000Z", ""))
		if r.Status != 409 || !strings.Contains(r.Body, "no-double-booking") || !strings.Contains(r.Body, "already booked") {
			t.Fatalf("double booking: %d %s", r.Status, r.Body)
		}
		mustStatus(t, put(t, e, "alice", "/dav/calendars/alice/room-a@team/a1.ics", event("a1", "20240610T100000Z", "20240610T110000Z", "")), 201, "back-to-back booking")
		// a weekly booking that hits an existing one three weeks later
		mustStatus(t, put(t, e, "bob", room+"b2.ics", event("b2", "20240701T140000Z", "20240701T150000Z", "")), 201, "b2")
		r = put(t, e, "alice", "/dav/calendars/alice/room-a@team/w.ics", event("w", "20240610T140000Z", "20240610T150000Z", "RRULE:FREQ=WEEKLY;COUNT=10\r\n"))
		mustStatus(t, r, 409, "recurring double booking")
		mustStatus(t, put(t, e, "alice", "/dav/calendars/alice/room-a@team/w.ics", event("w", "20240610T140000Z", "20240610T150000Z", "RRULE:FREQ=WEEKLY;COUNT=3\r\n")), 201, "recurring booking that fits")
		// a transparent event does not book the room
		mustStatus(t, put(t, e, "alice", "/dav/calendars/alice/room-a@team/f.ics", event("f", "20240610T090000Z", "20240610T100000Z", "TRANSP:TRANSPARENT\r\n")), 201, "transparent")
		// bob (limited) may not change alice's booking
		mustStatus(t, put(t, e, "bob", room+"a1.ics", event("a1", "20240610T120000Z", "20240610T130000Z", "")), 403, "bob edits alice's booking")
	})
}

func TestFeedAndExport(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		e.Do("alice", "PROPFIND", "/dav/calendars/alice/", "", "Depth", "1")
		mustStatus(t, put(t, e, "alice", cal+"f.ics", event("feed-event", "20240610T090000Z", "20240610T100000Z", "")), 201, "put")
		r := e.Do("alice", "GET", cal, "")
		if r.Status != 200 || !strings.Contains(r.Body, "UID:feed-event") || !strings.HasPrefix(r.Body, "BEGIN:VCALENDAR") {
			t.Fatalf("export: %d %s", r.Status, r.Body)
		}
		alice := e.Users["alice"].Subject()
		c, err := e.Cals.Resolve(t.Context(), alice, "personal")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := e.Cals.CreateFeed(t.Context(), alice, c)
		if err != nil {
			t.Fatal(err)
		}
		r = e.Do("", "GET", "/dav/ical/"+tok+".ics", "")
		if r.Status != 200 || !strings.Contains(r.Body, "UID:feed-event") {
			t.Fatalf("feed: %d %s", r.Status, r.Body)
		}
		mustStatus(t, e.Do("", "GET", "/dav/ical/"+tok+"x.ics", ""), 404, "wrong token")
		if err := e.Cals.RevokeFeed(t.Context(), alice, tok); err != nil {
			t.Fatal(err)
		}
		mustStatus(t, e.Do("", "GET", "/dav/ical/"+tok+".ics", ""), 404, "revoked token")
	})
}

func TestPersonalCalendarOff(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		if err := e.Cals.SetDisabled(t.Context(), e.Users["alice"].Subject(), true); err != nil {
			t.Fatal(err)
		}
		r := e.Do("alice", "PROPFIND", "/dav/calendars/alice/", "", "Depth", "1")
		if strings.Contains(r.Body, "/personal/") {
			t.Fatalf("a turned-off calendar is listed: %s", r.Body)
		}
		mustStatus(t, put(t, e, "alice", cal+"x.ics", event("x", "20240101T100000Z", "20240101T110000Z", "")), 404, "PUT into a turned-off calendar")
		e.Cals.SetDisabled(t.Context(), e.Users["alice"].Subject(), false)
		mustStatus(t, put(t, e, "alice", cal+"x.ics", event("x", "20240101T100000Z", "20240101T110000Z", "")), 201, "after turning it on")
	})
}

// A space that turns its calendar module off hides its calendars.
func TestModuleOff(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		e.Do("bob", "PROPFIND", "/dav/calendars/bob/", "", "Depth", "1")
		team := "/dav/calendars/bob/agenda@team/"
		mustStatus(t, put(t, e, "bob", team+"x.ics", event("x", "20240101T100000Z", "20240101T110000Z", "")), 201, "put in team")
		if err := e.Spaces.SetModule(t.Context(), e.Team.ID, "calendar", false); err != nil {
			t.Fatal(err)
		}
		r := e.Do("bob", "PROPFIND", "/dav/calendars/bob/", "", "Depth", "1")
		if strings.Contains(r.Body, "agenda@team") {
			t.Fatalf("calendar of a space with the module off is listed: %s", r.Body)
		}
		mustStatus(t, e.Do("bob", "GET", team+"x.ics", ""), 404, "GET with the module off")
		mustStatus(t, e.Do("alice", "GET", "/dav/calendars/alice/agenda@team/x.ics", ""), 404, "even for the space administrator")
	})
}
