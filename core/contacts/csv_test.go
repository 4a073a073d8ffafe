package contacts_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/contacts"
	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/carddav/vcf"
)

func TestCSVImportExport(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := account.New(db, nil).Create(ctx, account.NewAccount{Login: "alice", Password: "password-alice"})
		if err != nil {
			t.Fatal(err)
		}
		who := a.Subject()
		svc := contacts.New(db, acl.New(db), vcf.Codec{}, nil)
		id, err := svc.EnsurePersonal(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		book, err := svc.ByID(ctx, who, id)
		if err != nil {
			t.Fatal(err)
		}
		in := "Full Name,Email,Phone,Organization,Kind,UID,Ignored\n" +
			"Ada Lovelace,ada@example.com,+44 20 1234,,,ada,x\n" + // line 2: ok
			",,,,,nobody,\n" + // line 3: no name
			"Bad Mail,not-an-address,,,,bad,\n" + // line 4: bad email
			",,,Acme Ltd,org,acme,\n" + // line 5: organisation named by ORG
			"Ada Again,,,,,ada,\n" + // line 6: repeats uid of line 2
			"\"Broken \"quote,,,,,,\n" + // line 7: CSV syntax error
			"Grace Hopper,grace@example.com; g@example.org,,,person,,\n" // line 8: ok, generated uid
		rep, err := svc.ImportCSV(ctx, who, book, strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Created != 3 || rep.Updated != 0 {
			t.Fatalf("report %+v", rep)
		}
		lines := map[int]string{}
		for _, r := range rep.Rejected {
			lines[r.Line] = r.Reason
		}
		for _, l := range []int{3, 4, 6, 7} {
			if lines[l] == "" {
				t.Errorf("line %d not rejected: %+v", l, rep.Rejected)
			}
		}
		if len(rep.Rejected) != 4 || !strings.Contains(lines[4], "not-an-address") || !strings.Contains(lines[6], "line 2") {
			t.Fatalf("rejected: %+v", rep.Rejected)
		}
		// importing again updates by uid
		rep, err = svc.ImportCSV(ctx, who, book, strings.NewReader("uid,full_name,title\nada,Ada King,Countess\n"))
		if err != nil || rep.Updated != 1 || rep.Created != 0 {
			t.Fatalf("re-import: %+v %v", rep, err)
		}
		var out bytes.Buffer
		if err := svc.ExportCSV(ctx, book, &out); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		for _, want := range []string{"uid,kind,full_name", "ada,individual,Ada King,,,,Countess", "acme,org,Acme Ltd,,,Acme Ltd", "grace@example.com; g@example.org"} {
			if !strings.Contains(got, want) {
				t.Errorf("export lacks %q:\n%s", want, got)
			}
		}
		// a header without a name column is refused whole
		if _, err := svc.ImportCSV(ctx, who, book, strings.NewReader("email\na@b.c\n")); err == nil {
			t.Fatal("import without a name column accepted")
		}
	})
}
