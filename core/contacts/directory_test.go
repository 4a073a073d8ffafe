package contacts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/contacts"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/dav/carddav/vcf"
)

func vcard(lines ...string) []byte {
	return []byte("BEGIN:VCARD\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCARD\r\n")
}

// TestDirectoryCards: the contacts of a person's book and a space's
// directory, searched by any word, sorted by name; a card the codec
// cannot read is counted and left out.
func TestDirectoryCards(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accts := account.New(db, nil)
		mk := func(login string) core.Subject {
			a, err := accts.Create(ctx, account.NewAccount{Login: login, Password: "password-" + login})
			if err != nil {
				t.Fatal(err)
			}
			return a.Subject()
		}
		alice, carol := mk("alice"), mk("carol")
		sp, _ := space.New(db, nil).Create(ctx, space.NewSpace{Slug: "team", Name: "Team"})
		space.New(db, nil).SetMember(ctx, sp.ID, alice.AccountID, space.RoleMember)
		svc := contacts.New(db, acl.New(db), vcf.Codec{}, nil)
		home, err := svc.Home(ctx, alice)
		if err != nil || len(home) != 2 {
			t.Fatalf("alice's books: %+v %v", home, err)
		}
		mine, dir := &home[0], &home[1]
		put := func(b *calendar.Collection, name string, data []byte) {
			t.Helper()
			if _, _, err := svc.Put(ctx, alice, b, name, data, calendar.Conditions{}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		put(mine, "zoe.vcf", vcard("VERSION:4.0", "UID:zoe", "FN:Zoé Zola", "EMAIL:zoe@example.org"))
		put(dir, "ada.vcf", vcard("VERSION:3.0", "UID:ada", "FN:ada Lovelace", "TEL:+44 20 7946 0000",
			"ADR;TYPE=WORK:;;12 St James's Square;London;;SW1Y 4JH;United Kingdom", "GEO:51.5074;-0.1278"))
		put(dir, "acme.vcf", vcard("VERSION:4.0", "UID:acme", "FN:ACME", "KIND:org", "ADR:;;Champ de Mars;Paris;;75007;France"))
		if err := svc.Link(ctx, alice, dir, "acme.vcf", mine); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := db.NewRaw(`INSERT INTO dav_objects (uid, component, data, etag, busy, created_at, updated_at)
			VALUES ('bad', 'VCARD', 'BEGIN:VCARD', 'x', FALSE, ?, ?) RETURNING id`, time.Now().UTC(), time.Now().UTC()).Scan(ctx, &id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.NewRaw(`INSERT INTO dav_members (collection_id, name, object_id, uid) VALUES (?, 'bad.vcf', ?, 'bad')`,
			dir.ContainerID, id).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		names := func(d contacts.Directory) string {
			var out []string
			for _, c := range d.Cards {
				out = append(out, c.FullName)
			}
			return strings.Join(out, "|")
		}
		d, err := svc.Cards(ctx, home, "")
		if err != nil {
			t.Fatal(err)
		}
		if names(d) != "ACME|ada Lovelace|Zoé Zola" || d.Unreadable != 1 {
			t.Fatalf("all: %q unreadable %d", names(d), d.Unreadable)
		}
		for q, want := range map[string]string{
			"london":         "ada Lovelace",
			"LOVELACE 7946":  "ada Lovelace",
			"paris":          "ACME",
			"example.org":    "Zoé Zola",
			"zoé":            "Zoé Zola",
			"london paris":   "",
			"  ":             "ACME|ada Lovelace|Zoé Zola",
			"st james's sq":  "ada Lovelace",
			"united kingdom": "ada Lovelace",
		} {
			d, err := svc.Cards(ctx, home, q)
			if err != nil || names(d) != want {
				t.Errorf("search %q: %q %v, want %q", q, names(d), err, want)
			}
		}
		ada, err := svc.Card(ctx, dir, "ada.vcf")
		if err != nil || ada.BookID != dir.ContainerID || ada.Name != "ada.vcf" || ada.Located() == nil || len(ada.Addresses) != 1 {
			t.Fatalf("ada: %+v %v", ada, err)
		}
		if _, err := svc.Card(ctx, dir, "bad.vcf"); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("unreadable card: %v", err)
		}
		// carol is no member: the directory is not hers to read
		blind := *dir
		blind.Level = acl.None
		if _, err := svc.Card(ctx, &blind, "ada.vcf"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("card through an unreadable book: %v", err)
		}
		if d, _ := svc.Cards(ctx, []calendar.Collection{blind}, ""); len(d.Cards) != 0 {
			t.Fatal("cards through an unreadable book")
		}
		carolHome, _ := svc.Home(ctx, carol)
		if d, _ := svc.Cards(ctx, carolHome, ""); len(d.Cards) != 0 {
			t.Fatalf("carol sees %q", names(d))
		}
	})
}
