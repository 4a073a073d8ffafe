package carddav_test

import (
	"encoding/json"
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

// FuzzImportCSV posts arbitrary CSV files to an address book: an import
// is refused with a 4xx or answers its JSON report, never a 5xx.
func FuzzImportCSV(f *testing.F) {
	for _, s := range []string{
		"full_name,email,kind\nAda,ada@example.com,\nBad,nope,\nAcme,,org\n",
		"uid,full_name\nu1,A\nu1,B\n",
		"\ufeffFull Name;Email\n\"x\ny\",z\n",
		"full_name\n\"unterminated\n",
		"organization,phone,address,note\nACME,+33 1,\"1 rue\nParis\",\x00\n",
		"email\nx@y.z\n",
		"",
	} {
		f.Add(s)
	}
	db := coretest.OpenDB(f, store.SQLite)
	e := davtest.Start(f, db)
	e.Do("alice", "PROPFIND", "/dav/addressbooks/alice/", "", "Depth", "1")
	f.Fuzz(func(t *testing.T, csv string) {
		e.T = t
		r := e.Do("alice", "POST", book, csv, "Content-Type", "text/csv")
		if r.Status >= 500 {
			t.Fatalf("import: %d %s", r.Status, r.Body)
		}
		if r.Status == 200 {
			var rep struct{ Created, Updated int }
			if err := json.Unmarshal([]byte(r.Body), &rep); err != nil {
				t.Fatalf("import report %q: %v", r.Body, err)
			}
		}
	})
}
