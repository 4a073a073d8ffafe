package vcf_test

import (
	"reflect"
	"strings"
	"testing"

	"plaza/core/calendar"
	"plaza/core/contacts"
	"plaza/dav/carddav/vcf"
)

func card(lines ...string) []byte {
	return []byte("BEGIN:VCARD\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCARD\r\n")
}

// TestCardFields: what the directory page shows, from a 3.0 card as
// Apple writes it and a 4.0 card with GEO URIs.
func TestCardFields(t *testing.T) {
	v3 := card("VERSION:3.0", "UID:ada", "FN:Ada Lovelace", "N:Lovelace;Ada;;;", "ORG:Analytical Engines;Research",
		"TITLE:Countess", "EMAIL;TYPE=INTERNET,pref:ada@example.org", "TEL;TYPE=CELL:+44 20 7946 0000",
		"ADR;TYPE=WORK:;Floor 2;12 St James's Square;London;;SW1Y 4JH;United Kingdom",
		"ADR;TYPE=HOME:;;;;;;", "GEO:51.5074;-0.1278", "BDAY:1815-12-10", "NOTE:Wrote the first program\\, in 1843")
	c, err := vcf.Codec{}.Card(v3)
	if err != nil {
		t.Fatal(err)
	}
	if c.FullName != "Ada Lovelace" || c.Organization != "Analytical Engines, Research" || c.Title != "Countess" ||
		c.Kind != "individual" || c.Birthday != "1815-12-10" || c.Note != "Wrote the first program, in 1843" {
		t.Errorf("fields: %+v", c)
	}
	if !reflect.DeepEqual(c.Emails, []string{"ada@example.org"}) || !reflect.DeepEqual(c.Phones, []string{"+44 20 7946 0000"}) {
		t.Errorf("emails %v phones %v", c.Emails, c.Phones)
	}
	if len(c.Addresses) != 1 {
		t.Fatalf("an empty ADR is no address: %+v", c.Addresses)
	}
	a := c.Addresses[0]
	if a.Type != "work" || a.OneLine() != "12 St James's Square Floor 2, SW1Y 4JH London, United Kingdom" &&
		a.OneLine() != "12 St James's Square, Floor 2, SW1Y 4JH London, United Kingdom" {
		t.Errorf("address: %q (%s)", a.OneLine(), a.Type)
	}
	if !reflect.DeepEqual(a.Lines(), []string{"12 St James's Square", "Floor 2", "SW1Y 4JH London", "United Kingdom"}) {
		t.Errorf("lines: %q", a.Lines())
	}
	if c.Geo == nil || c.Geo.Lat != 51.5074 || c.Geo.Lon != -0.1278 || c.Located() != c.Geo {
		t.Errorf("3.0 GEO: %+v", c.Geo)
	}

	v4 := card("VERSION:4.0", "UID:acme", "FN:ACME", "KIND:org", "TEL;VALUE=uri:tel:+33-1-23-45-67-89",
		"EMAIL:mailto:hello@acme.example", `ADR;GEO="geo:48.8584,2.2945;u=10":;;Champ de Mars;Paris;;75007;France`,
		"GEO:geo:999,2", "URL:https://acme.example")
	c, err = vcf.Codec{}.Card(v4)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != "org" || !reflect.DeepEqual(c.Phones, []string{"+33-1-23-45-67-89"}) || !reflect.DeepEqual(c.Emails, []string{"hello@acme.example"}) ||
		!reflect.DeepEqual(c.URLs, []string{"https://acme.example"}) {
		t.Errorf("4.0 fields: %+v", c)
	}
	if c.Geo != nil {
		t.Errorf("a latitude of 999 is no position: %+v", c.Geo)
	}
	if len(c.Addresses) != 1 || c.Addresses[0].Geo == nil || *c.Addresses[0].Geo != (contacts.Geo{Lat: 48.8584, Lon: 2.2945}) ||
		c.Located() != c.Addresses[0].Geo {
		t.Errorf("ADR GEO parameter: %+v", c.Addresses)
	}
	if c.Addresses[0].OneLine() != "Champ de Mars, 75007 Paris, France" {
		t.Errorf("address: %q", c.Addresses[0].OneLine())
	}

	if _, err := (vcf.Codec{}).Card([]byte("BEGIN:VCARD\r\nVERSION:4.0\r\nEND:VCARD\r\n")); err == nil {
		t.Error("a card without FN read")
	}
}

// FuzzCard: reading any card for the directory page never panics, and a
// failure is a violation.
func FuzzCard(f *testing.F) {
	f.Add(card("VERSION:3.0", "UID:a", "FN:A", "GEO:1;2", "ADR:;;a;b;c;d;e"))
	f.Add(card("VERSION:4.0", "UID:b", "FN:B", "GEO:geo:1,2,3;crs=wgs84", `ADR;GEO="geo:x,y":;;;;;;`, "ORG:;;;"))
	f.Add(card("VERSION:4.0", "UID:c", "FN:C", "GEO:geo:", "TEL:tel:", "EMAIL:"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := vcf.Codec{}.Card(data)
		if err != nil {
			if _, ok := calendar.ViolationOf(err); !ok {
				t.Fatalf("a failure must be a violation, got %v", err)
			}
			return
		}
		if g := c.Located(); g != nil && !g.Valid() {
			t.Fatalf("invalid position %+v", g)
		}
	})
}
