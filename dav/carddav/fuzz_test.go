package carddav_test

import (
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

// FuzzPutCard sends arbitrary vCards and addressbook REPORT bodies
// through the real handler: never a 5xx, never a panic.
func FuzzPutCard(f *testing.F) {
	f.Add(v3, `<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data version="4.0"/></D:prop><D:href>/dav/addressbooks/alice/contacts/fuzz.vcf</D:href></C:addressbook-multiget>`)
	f.Add(v4, `<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><C:address-data version="3.0"/></D:prop><C:filter test="allof"><C:prop-filter name="EMAIL" test="allof"><C:text-match match-type="ends-with">.com</C:text-match><C:param-filter name="TYPE"><C:text-match>home</C:text-match></C:param-filter></C:prop-filter></C:filter><C:limit><C:nresults>-1</C:nresults></C:limit></C:addressbook-query>`)
	db := coretest.OpenDB(f, store.SQLite)
	e := davtest.Start(f, db)
	e.Do("alice", "PROPFIND", "/dav/addressbooks/alice/", "", "Depth", "1")
	f.Fuzz(func(t *testing.T, card, report string) {
		e.T = t
		if r := e.Do("alice", "PUT", book+"fuzz.vcf", card, "Content-Type", "text/vcard"); r.Status >= 500 {
			t.Fatalf("PUT: %d %s", r.Status, r.Body)
		}
		if r := e.Do("alice", "REPORT", book, report, "Depth", "1"); r.Status >= 500 {
			t.Fatalf("REPORT: %d %s", r.Status, r.Body)
		}
		for _, a := range []string{"text/vcard; version=3.0", "text/vcard; version=4.0"} {
			if r := e.Do("alice", "GET", book+"fuzz.vcf", "", "Accept", a); r.Status >= 500 {
				t.Fatalf("GET: %d %s", r.Status, r.Body)
			}
		}
	})
}
