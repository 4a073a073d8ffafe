package carddav_test

import (
	"strings"
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

const book = "/dav/addressbooks/alice/contacts/"

const v3 = "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 12.1.4//EN\r\nN:Lovelace;Ada;;;\r\nFN:Ada Lovelace\r\n" +
	"EMAIL;type=INTERNET;type=HOME;type=pref:ada@example.com\r\nitem1.ADR;type=HOME;type=pref:;;12 St James's Square;London;;SW1Y 4JH;United Kingdom\r\n" +
	"item1.X-ABADR:gb\r\nUID:ada\r\nEND:VCARD\r\n"

const v4 = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Grace Hopper\r\nN:Hopper;Grace;;;\r\nEMAIL;PREF=1:grace@example.com\r\nKIND:individual\r\nUID:grace\r\nEND:VCARD\r\n"

func TestVCardVersions(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		e.Do("alice", "PROPFIND", "/dav/addressbooks/alice/", "", "Depth", "1")
		for name, body := range map[string]string{"ada.vcf": v3, "grace.vcf": v4} {
			r := e.Do("alice", "PUT", book+name, body, "Content-Type", "text/vcard", "If-None-Match", "*")
			if r.Status != 201 || r.Header.Get("ETag") == "" {
				t.Fatalf("PUT %s: %d %s", name, r.Status, r.Body)
			}
		}
		// stored verbatim
		if r := e.Do("alice", "GET", book+"ada.vcf", ""); r.Body != v3 {
			t.Fatalf("3.0 not returned as stored: %q", r.Body)
		}
		// GET with Accept version=4.0 converts
		r := e.Do("alice", "GET", book+"ada.vcf", "", "Accept", "text/vcard; version=4.0")
		if !strings.Contains(r.Body, "VERSION:4.0") || !strings.Contains(r.Body, "PREF=1") || !strings.Contains(r.Header.Get("Content-Type"), "version=4.0") {
			t.Fatalf("as 4.0: %s %v", r.Body, r.Header)
		}
		// multiget asking for 3.0 (Apple) and 4.0 (DAVx5)
		multiget := func(version string) map[string]davtest.Prop {
			attr := ""
			if version != "" {
				attr = ` content-type="text/vcard" version="` + version + `"`
			}
			r := e.Do("alice", "REPORT", book, `<?xml version="1.0" encoding="UTF-8"?><B:addressbook-multiget xmlns:B="urn:ietf:params:xml:ns:carddav"><A:prop xmlns:A="DAV:"><A:getetag/><B:address-data`+attr+`/></A:prop><A:href xmlns:A="DAV:">`+book+`ada.vcf</A:href><A:href xmlns:A="DAV:">`+book+`grace.vcf</A:href><A:href xmlns:A="DAV:">`+book+`missing.vcf</A:href></B:addressbook-multiget>`)
			if r.Status != 207 {
				t.Fatalf("multiget: %d %s", r.Status, r.Body)
			}
			if !strings.Contains(r.Body, "<D:status>HTTP/1.1 200 OK</D:status>") {
				t.Fatalf("Thunderbird compares the status line: %s", r.Body)
			}
			ms, _ := e.ParseMS(r.Body)
			if ms[book+"missing.vcf"]["status"].Status != 404 {
				t.Fatalf("unknown href: %+v", ms)
			}
			return map[string]davtest.Prop{"ada": ms[book+"ada.vcf"]["address-data"], "grace": ms[book+"grace.vcf"]["address-data"]}
		}
		got := multiget("3.0")
		if !strings.Contains(got["grace"].Inner, "VERSION:3.0") || strings.Contains(got["grace"].Inner, "PREF=1") || !strings.Contains(got["ada"].Inner, "X-ABADR") {
			t.Fatalf("as 3.0: %+v", got)
		}
		got = multiget("4.0")
		if !strings.Contains(got["ada"].Inner, "VERSION:4.0") || !strings.Contains(got["grace"].Inner, "VERSION:4.0") {
			t.Fatalf("as 4.0: %+v", got)
		}
		got = multiget("")
		if !strings.Contains(got["ada"].Inner, "VERSION:3.0") || !strings.Contains(got["grace"].Inner, "VERSION:4.0") {
			t.Fatalf("as stored: %+v", got)
		}
		// addressbook-query: case-insensitive contains on FN; starts-with on EMAIL
		q := func(filter string) int {
			r := e.Do("alice", "REPORT", book, `<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop><C:filter>`+filter+`</C:filter></C:addressbook-query>`, "Depth", "1")
			ms, _ := e.ParseMS(r.Body)
			return len(ms)
		}
		if n := q(`<C:prop-filter name="FN"><C:text-match collation="i;unicode-casemap" match-type="contains">LOVE</C:text-match></C:prop-filter>`); n != 1 {
			t.Errorf("FN contains LOVE: %d", n)
		}
		if n := q(`<C:prop-filter name="EMAIL"><C:text-match match-type="starts-with">grace@</C:text-match></C:prop-filter>`); n != 1 {
			t.Errorf("EMAIL starts-with: %d", n)
		}
		if n := q(`<C:prop-filter name="KIND"><C:is-not-defined/></C:prop-filter>`); n != 1 {
			t.Errorf("KIND not defined: %d", n)
		}
		if n := q(``); n != 2 {
			t.Errorf("no filter: %d", n)
		}
		// invalid vCards: 4xx with valid-address-data
		for _, bad := range []string{"nonsense", "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:x\r\nEND:VCARD\r\n",
			"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:x\r\nUID:x\r\nEND:VCARD\r\n",
			"BEGIN:VCARD\nVERSION:3.0\n\x00.FN:\nUID:ada\nEND:VCARD", // found by FuzzPutCard: NUL broke the SQL
			"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\xff\xfe\r\nUID:u\r\nEND:VCARD\r\n"} {
			r := e.Do("alice", "PUT", book+"bad.vcf", bad)
			if r.Status < 400 || r.Status >= 500 || !strings.Contains(r.Body, "address-data") {
				t.Errorf("bad vCard %q: %d %s", bad, r.Status, r.Body)
			}
		}
		// sync-collection with address-data inline (Thunderbird)
		r = e.Do("alice", "REPORT", book, `<sync-collection xmlns="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><sync-token/><sync-level>1</sync-level><prop><getetag/><card:address-data/></prop></sync-collection>`, "Depth", "1")
		ms, tok := e.ParseMS(r.Body)
		if len(ms) != 2 || tok == "" || !strings.Contains(ms[book+"grace.vcf"]["address-data"].Inner, "Grace") {
			t.Fatalf("sync: %s", r.Body)
		}
	})
}

func TestDirectoryInSpace(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		if _, err := e.Contacts.EnsureSpace(t.Context(), e.Team.ID, "Team directory"); err != nil {
			t.Fatal(err)
		}
		dir := "/dav/addressbooks/bob/directory@team/"
		r := e.Do("bob", "PUT", dir+"org.vcf", "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:org\r\nFN:Acme\r\nORG:Acme\r\nUID:org\r\nEND:VCARD\r\n")
		if r.Status != 201 {
			t.Fatalf("bob PUT in the directory: %d %s", r.Status, r.Body)
		}
		if r := e.Do("alice", "GET", "/dav/addressbooks/alice/directory@team/org.vcf", ""); r.Status != 200 {
			t.Fatalf("alice GET: %d", r.Status)
		}
		if r := e.Do("carol", "GET", "/dav/addressbooks/carol/directory@team/org.vcf", ""); r.Status != 404 {
			t.Fatalf("carol (not a member) GET: %d", r.Status)
		}
		// as 3.0 an organisation is marked for Apple Contacts
		r = e.Do("alice", "GET", "/dav/addressbooks/alice/directory@team/org.vcf", "", "Accept", "text/vcard;version=3.0")
		if !strings.Contains(r.Body, "X-ABSHOWAS:COMPANY") || strings.Contains(r.Body, "KIND") {
			t.Fatalf("org as 3.0: %s", r.Body)
		}
		// extended MKCOL of an address book
		r = e.Do("alice", "MKCOL", "/dav/addressbooks/alice/friends/", `<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype><D:displayname>Friends</D:displayname></D:prop></D:set></D:mkcol>`)
		if r.Status != 201 {
			t.Fatalf("MKCOL: %d %s", r.Status, r.Body)
		}
		r = e.Do("alice", "PROPFIND", "/dav/addressbooks/alice/", `<propfind xmlns="DAV:"><prop><displayname/></prop></propfind>`, "Depth", "1")
		ms, _ := e.ParseMS(r.Body)
		if ms["/dav/addressbooks/alice/friends/"]["displayname"].Inner != "Friends" || ms["/dav/addressbooks/alice/directory@team/"]["displayname"].Inner != "Team directory" {
			t.Fatalf("home: %s", r.Body)
		}
		// Apple Contacts syncs the first book only: the personal one leads
		if i, j := strings.Index(r.Body, "/contacts/"), strings.Index(r.Body, "/friends/"); i < 0 || i > j {
			t.Fatalf("personal book must come first: %s", r.Body)
		}
	})
}

func TestCSVOverHTTP(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		e.Do("alice", "PROPFIND", "/dav/addressbooks/alice/", "", "Depth", "1")
		dir := "/dav/addressbooks/alice/directory@team/"
		r := e.Do("alice", "POST", dir, "full_name,email,kind\nAda,ada@example.com,\nBad,nope,\nAcme,,org\n", "Content-Type", "text/csv")
		if r.Status != 200 || !strings.Contains(r.Body, `"created":2`) || !strings.Contains(r.Body, `"line":3`) {
			t.Fatalf("import: %d %s", r.Status, r.Body)
		}
		r = e.Do("bob", "GET", "/dav/addressbooks/bob/directory@team/", "", "Accept", "text/csv")
		if r.Status != 200 || !strings.HasPrefix(r.Body, "uid,kind,full_name") || !strings.Contains(r.Body, "ada@example.com") || !strings.Contains(r.Body, ",org,Acme") {
			t.Fatalf("export: %d %s", r.Status, r.Body)
		}
		if r := e.Do("alice", "POST", dir, "email\nx@y.z\n", "Content-Type", "text/csv"); r.Status != 400 {
			t.Fatalf("headerless import: %d %s", r.Status, r.Body)
		}
		// carol, outside the space, cannot import into it
		if r := e.Do("carol", "POST", "/dav/addressbooks/carol/directory@team/", "full_name\nX\n", "Content-Type", "text/csv"); r.Status != 404 {
			t.Fatalf("carol import: %d", r.Status)
		}
	})
}
