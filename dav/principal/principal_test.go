package principal_test

import (
	"net/http"
	"strings"
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

const xmlCT = "application/xml; charset=utf-8"

// TestDiscoveryFromBareURL replays the discovery requests of DAVx5,
// Thunderbird and iOS (client-flows/*.flow): from the server URL alone
// to the principal, its home sets and the collections in them.
func TestDiscoveryFromBareURL(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)

		// well-known: 301 to /dav/ for GET and PROPFIND, without credentials
		for _, p := range []string{"/.well-known/caldav", "/.well-known/carddav"} {
			for _, m := range []string{"GET", "PROPFIND"} {
				r := e.Do("", m, p, `<propfind xmlns="DAV:"><prop><current-user-principal/></prop></propfind>`, "Depth", "0")
				if r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != "/dav/" {
					t.Fatalf("%s %s: %d %q", m, p, r.Status, r.Header.Get("Location"))
				}
			}
		}

		// DAVx5: the root without credentials is 401 with a Basic challenge
		davx5Root := `<?xml version='1.0' encoding='UTF-8' ?><propfind xmlns="DAV:" xmlns:CARD="urn:ietf:params:xml:ns:carddav"><prop><resourcetype /><displayname /><CARD:addressbook-description /><CARD:addressbook-home-set /><current-user-principal /></prop></propfind>`
		r := e.Do("", "PROPFIND", "/dav/", davx5Root, "Depth", "0", "Content-Type", xmlCT)
		if r.Status != 401 || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
			t.Fatalf("anonymous root: %d %v", r.Status, r.Header)
		}
		r = e.Do("alice", "PROPFIND", "/dav/", davx5Root, "Depth", "0", "Content-Type", xmlCT)
		if r.Status != 207 {
			t.Fatalf("root: %d %s", r.Status, r.Body)
		}
		ms, _ := e.ParseMS(r.Body)
		if got := ms["/dav/"]["current-user-principal"].Inner; !strings.Contains(got, "/dav/principals/alice/") {
			t.Fatalf("current-user-principal: %q", got)
		}
		if got := ms["/dav/"]["addressbook-home-set"].Inner; !strings.Contains(got, "/dav/addressbooks/alice/") {
			t.Fatalf("addressbook-home-set at the root: %q", got)
		}
		if ms["/dav/"]["addressbook-description"].Status != 404 {
			t.Fatalf("unknown property must be 404, not fail the PROPFIND: %+v", ms["/dav/"])
		}

		// Depth 1 lists the root's children
		r = e.Do("alice", "PROPFIND", "/dav/", `<propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>`, "Depth", "1")
		ms, _ = e.ParseMS(r.Body)
		for _, c := range []string{"files/", "spaces/", "calendars/", "addressbooks/", "principals/"} {
			if _, ok := ms["/dav/"+c]; !ok {
				t.Errorf("root Depth 1 lacks %s: %v", c, ms)
			}
		}

		// OPTIONS on the principal, unauthenticated, names both services
		r = e.Do("", "OPTIONS", "/dav/principals/alice/", "")
		if r.Status != 200 || !strings.Contains(r.Header.Get("DAV"), "calendar-access") || !strings.Contains(r.Header.Get("DAV"), "addressbook") {
			t.Fatalf("OPTIONS principal: %d %q", r.Status, r.Header.Get("DAV"))
		}

		// principal properties (DAVx5, Apple Contacts)
		r = e.Do("alice", "PROPFIND", "/dav/principals/alice/", `<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:"><A:prop><B:addressbook-home-set xmlns:B="urn:ietf:params:xml:ns:carddav"/><B:directory-gateway xmlns:B="urn:ietf:params:xml:ns:carddav"/><A:displayname/><C:email-address-set xmlns:C="http://calendarserver.org/ns/"/><A:principal-collection-set/><A:principal-URL/><A:resource-id/><A:supported-report-set/><D:calendar-home-set xmlns:D="urn:ietf:params:xml:ns:caldav"/><D:calendar-user-address-set xmlns:D="urn:ietf:params:xml:ns:caldav"/></A:prop></A:propfind>`,
			"Depth", "0", "Brief", "t", "Prefer", "return=minimal")
		if r.Status != 207 {
			t.Fatalf("principal: %d %s", r.Status, r.Body)
		}
		ms, _ = e.ParseMS(r.Body)
		p := ms["/dav/principals/alice/"]
		for prop, want := range map[string]string{
			"addressbook-home-set":      "/dav/addressbooks/alice/",
			"calendar-home-set":         "/dav/calendars/alice/",
			"calendar-user-address-set": "mailto:alice@example.org",
			"principal-URL":             "/dav/principals/alice/",
			"displayname":               "Alice",
		} {
			if !strings.Contains(p[prop].Inner, want) || p[prop].Status != 200 {
				t.Errorf("%s = %+v, want %q", prop, p[prop], want)
			}
		}
		if _, ok := p["directory-gateway"]; ok {
			t.Errorf("return=minimal must leave 404 properties out: %v", p)
		}
		// another user's principal is not shown
		if r := e.Do("bob", "PROPFIND", "/dav/principals/alice/", "", "Depth", "0"); r.Status != 404 {
			t.Errorf("bob on alice's principal: %d", r.Status)
		}

		// Thunderbird: home Depth 1; only C:calendar resources are offered
		r = e.Do("alice", "PROPFIND", "/dav/calendars/alice/", `<?xml version="1.0" encoding="UTF-8"?>
<D:propfind xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:resourcetype/><D:displayname/><D:current-user-privilege-set/><A:calendar-color/><C:calendar-home-set/></D:prop></D:propfind>`,
			"Depth", "1", "Content-Type", "text/xml; charset=utf-8")
		if r.Status != 207 {
			t.Fatalf("calendar home: %d %s", r.Status, r.Body)
		}
		ms, _ = e.ParseMS(r.Body)
		personal := ms["/dav/calendars/alice/personal/"]
		if !strings.Contains(personal["resourcetype"].Inner, "calendar") || !strings.Contains(personal["current-user-privilege-set"].Inner, "write-content") {
			t.Fatalf("personal calendar: %+v\n%s", personal, r.Body)
		}
		// every space of alice has a shared calendar, listed in her home
		team := ms["/dav/calendars/alice/agenda@team/"]
		if !strings.Contains(team["resourcetype"].Inner, "calendar") || !strings.Contains(team["current-user-privilege-set"].Inner, "write-content") {
			t.Fatalf("space calendar missing from the home: %s", r.Body)
		}
		// carol is in no space: only her personal calendar
		r = e.Do("carol", "PROPFIND", "/dav/calendars/carol/", `<propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>`, "Depth", "1")
		if ms, _ := e.ParseMS(r.Body); len(ms) != 2 {
			t.Fatalf("carol's home: %s", r.Body)
		}

		// DAVx5: address book home Depth 1, then the book Depth 0
		r = e.Do("alice", "PROPFIND", "/dav/addressbooks/alice/", `<?xml version='1.0' encoding='UTF-8' ?><propfind xmlns="DAV:" xmlns:CARD="urn:ietf:params:xml:ns:carddav"><prop><current-user-privilege-set /><displayname /><owner /><resourcetype /><n0:push-transports xmlns:n0="https://bitfire.at/webdav-push" /><n0:topic xmlns:n0="https://bitfire.at/webdav-push" /><CARD:addressbook-description /></prop></propfind>`, "Depth", "1")
		ms, _ = e.ParseMS(r.Body)
		book := ms["/dav/addressbooks/alice/contacts/"]
		if !strings.Contains(book["resourcetype"].Inner, "addressbook") || !strings.Contains(book["owner"].Inner, "/dav/principals/alice/") || book["push-transports"].Status != 404 {
			t.Fatalf("address book: %+v\n%s", book, r.Body)
		}
		r = e.Do("alice", "PROPFIND", "/dav/addressbooks/alice/contacts/", `<?xml version='1.0' encoding='UTF-8' ?><propfind xmlns="DAV:" xmlns:CARD="urn:ietf:params:xml:ns:carddav"><prop><CARD:max-resource-size /><CARD:supported-address-data /><supported-report-set /><n0:getctag xmlns:n0="http://calendarserver.org/ns/" /><sync-token /></prop></propfind>`, "Depth", "0")
		ms, _ = e.ParseMS(r.Body)
		book = ms["/dav/addressbooks/alice/contacts/"]
		if !strings.Contains(book["supported-report-set"].Inner, "sync-collection") || !strings.Contains(book["supported-address-data"].Inner, `version="4.0"`) ||
			book["getctag"].Inner == "" || book["sync-token"].Inner == "" {
			t.Fatalf("book capabilities: %+v", book)
		}
	})
}

// TestServerRootDiscovery: a client given only http://HOST/ (python-caldav,
// vdirsyncer) finds the principal and the home sets at /; well-known
// paths with a trailing slash redirect too; a PROPFIND on a path that is
// not there is 404, not an empty folder; shared collections name their
// owner (the space's principal, which answers), every calendar has a
// colour, and a minimal answer says it varies with Brief and Prefer.
func TestServerRootDiscovery(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		body := `<propfind xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav"><prop><current-user-principal/><principal-URL/><C:calendar-home-set/><CR:addressbook-home-set/><resourcetype/></prop></propfind>`
		for _, depth := range []string{"0", "1", "infinity"} {
			r := e.Do("", "PROPFIND", "/", body, "Depth", depth)
			if r.Status != 401 || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
				t.Fatalf("anonymous PROPFIND / Depth %s: %d %v", depth, r.Status, r.Header)
			}
			r = e.Do("alice", "PROPFIND", "/", body, "Depth", depth)
			if r.Status != 207 {
				t.Fatalf("PROPFIND / Depth %s: %d %s", depth, r.Status, r.Body)
			}
			ms, _ := e.ParseMS(r.Body)
			root := ms["/"]
			for prop, want := range map[string]string{
				"current-user-principal": "/dav/principals/alice/", "principal-URL": "/dav/principals/alice/",
				"calendar-home-set": "/dav/calendars/alice/", "addressbook-home-set": "/dav/addressbooks/alice/",
			} {
				if !strings.Contains(root[prop].Inner, want) {
					t.Errorf("PROPFIND / Depth %s: %s = %+v, want %s", depth, prop, root[prop], want)
				}
			}
		}
		for _, p := range []string{"/.well-known/caldav/", "/.well-known/carddav/"} {
			r := e.Do("", "PROPFIND", p, body, "Depth", "0")
			if r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != "/dav/" {
				t.Errorf("PROPFIND %s: %d %q", p, r.Status, r.Header.Get("Location"))
			}
		}
		for _, p := range []string{"/foo/bar/", "/nothing", "/.well-known/caldav/x"} {
			for _, who := range []string{"", "alice"} {
				if r := e.Do(who, "PROPFIND", p, body, "Depth", "1"); r.Status != 404 {
					t.Errorf("PROPFIND %s as %q: %d %s", p, who, r.Status, r.Body)
				}
			}
		}

		// owner: a space's collections are owned by the space's principal
		r := e.Do("bob", "PROPFIND", "/dav/addressbooks/bob/", `<propfind xmlns="DAV:"><prop><owner/><displayname/></prop></propfind>`, "Depth", "1")
		ms, _ := e.ParseMS(r.Body)
		if got := ms["/dav/addressbooks/bob/directory@team/"]["owner"]; got.Status != 200 || !strings.Contains(got.Inner, "/dav/principals/spaces/team/") {
			t.Fatalf("owner of the space's directory: %+v\n%s", got, r.Body)
		}
		r = e.Do("bob", "PROPFIND", "/dav/calendars/bob/", `<propfind xmlns="DAV:" xmlns:A="http://apple.com/ns/ical/"><prop><owner/><A:calendar-color/></prop></propfind>`,
			"Depth", "1", "Prefer", "return=minimal")
		ms, _ = e.ParseMS(r.Body)
		if got := ms["/dav/calendars/bob/agenda@team/"]["owner"]; !strings.Contains(got.Inner, "/dav/principals/spaces/team/") {
			t.Fatalf("owner of the space's calendar: %+v\n%s", got, r.Body)
		}
		if got := ms["/dav/calendars/bob/personal/"]["owner"]; !strings.Contains(got.Inner, "/dav/principals/bob/") {
			t.Fatalf("owner of bob's calendar: %+v", got)
		}
		colors := map[string]bool{}
		for href, p := range ms {
			if href == "/dav/calendars/bob/" {
				continue
			}
			c := p["calendar-color"]
			if c.Status != 200 || len(c.Text) != 7 || c.Text[0] != '#' {
				t.Fatalf("calendar-color of %s: %+v", href, c)
			}
			colors[href] = true
		}
		if len(colors) < 2 {
			t.Fatalf("calendars: %s", r.Body)
		}
		if !strings.Contains(r.Header.Get("Vary"), "Prefer") || !strings.Contains(r.Header.Get("Vary"), "Brief") {
			t.Errorf("minimal answer without Vary: %v", r.Header)
		}
		// the colour is stable
		r2 := e.Do("bob", "PROPFIND", "/dav/calendars/bob/", `<propfind xmlns="DAV:" xmlns:A="http://apple.com/ns/ical/"><prop><A:calendar-color/></prop></propfind>`, "Depth", "1")
		ms2, _ := e.ParseMS(r2.Body)
		for href := range colors {
			if ms2[href]["calendar-color"].Text != ms[href]["calendar-color"].Text {
				t.Errorf("colour of %s changed: %q, then %q", href, ms[href]["calendar-color"].Text, ms2[href]["calendar-color"].Text)
			}
		}

		// the space's principal answers its members, and only them
		r = e.Do("bob", "PROPFIND", "/dav/principals/spaces/team/", `<propfind xmlns="DAV:"><prop><displayname/><resourcetype/></prop></propfind>`, "Depth", "0")
		ms, _ = e.ParseMS(r.Body)
		if p := ms["/dav/principals/spaces/team/"]; r.Status != 207 || p["displayname"].Text != "Team" || !strings.Contains(p["resourcetype"].Inner, "principal") {
			t.Fatalf("space principal: %d %s", r.Status, r.Body)
		}
		if r := e.Do("carol", "PROPFIND", "/dav/principals/spaces/team/", "", "Depth", "0"); r.Status != 404 {
			t.Errorf("carol on team's principal: %d", r.Status)
		}
		if r := e.Do("bob", "PROPFIND", "/dav/principals/spaces/nope/", "", "Depth", "0"); r.Status != 404 {
			t.Errorf("unknown space principal: %d", r.Status)
		}
	})
}
