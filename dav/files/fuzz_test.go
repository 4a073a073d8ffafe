package files

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseIf(t *testing.T) {
	cases := []struct {
		in    string
		lists int
		ok    bool
	}{
		{"(<opaquelocktoken:a>)", 1, true},
		{`(<opaquelocktoken:a> ["etag"]) (Not <DAV:no-lock> ["etag"])`, 2, true},
		{`<http://h/a/b> (<opaquelocktoken:a>) <http://h/c> (["x"])`, 2, true},
		{`(not <DAV:no-lock>)`, 1, true},
		{"", 0, false},
		{"(", 0, false},
		{"()", 0, false},
		{"(<a>", 0, false},
		{"<http://h/a>", 0, false},
		{`(<a>) <http://h/a> (<b>)`, 0, false}, // untagged then tagged
		{`(Not)`, 0, false},
		{`([])`, 0, false},
		{`(<a> junk)`, 0, false},
	}
	for _, c := range cases {
		ls, err := parseIf(c.in)
		if (err == nil) != c.ok || len(ls) != c.lists {
			t.Errorf("parseIf(%q) = %d lists, %v", c.in, len(ls), err)
		}
	}
	ls, _ := parseIf(`<http://h/x> (Not <DAV:no-lock> [W/"1"])`)
	if ls[0].Resource != "http://h/x" || !ls[0].Conds[0].Not || ls[0].Conds[1].ETag != `W/"1"` {
		t.Errorf("parsed %+v", ls)
	}
}

func FuzzParseIf(f *testing.F) {
	for _, s := range []string{"(<opaquelocktoken:a>)", `<http://h/a> (<t> ["e"]) (Not <DAV:no-lock>)`, "(", "<", "(Not", "([)", "(<>)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ls, err := parseIf(s)
		if err == nil {
			for _, l := range ls {
				if len(l.Conds) == 0 {
					t.Fatalf("empty list from %q", s)
				}
				for _, c := range l.Conds {
					if (c.Token == "") == (c.ETag == "") {
						t.Fatalf("condition with neither or both from %q: %+v", s, c)
					}
				}
			}
		}
	})
}

func FuzzHeaders(f *testing.F) {
	for _, s := range []string{"0", "1", "infinity", "Infinite, Second-4100000000", "Second-600", "http://h/dav/files/a/b%20c", "/x", "::", "T", "F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseDepth(s, depth1); err == nil && d != depth0 && d != depth1 && d != depthInfinity {
			t.Fatalf("depth %d from %q", d, s)
		}
		if d, err := parseTimeout(s); err == nil && d < 0 {
			t.Fatalf("negative timeout from %q", s)
		}
		if p, err := parseDestination(s); err == nil && !strings.HasPrefix(p, "/") {
			t.Fatalf("destination %q from %q", p, s)
		}
		parseOverwrite(s) //nolint:errcheck
		etagMatches(s, `"x"`)
		if segs, err := splitEscaped(s); err == nil {
			for _, seg := range segs {
				if seg == "" || strings.Contains(seg, "/") || !utf8.ValidString(seg) {
					t.Fatalf("segment %q from %q", seg, s)
				}
			}
		}
	})
}

// FuzzXML checks that any body either is refused or round-trips its
// property values into well-formed XML.
func FuzzXML(f *testing.F) {
	for _, s := range []string{
		`<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`,
		`<D:propertyupdate xmlns:D="DAV:" xmlns:a="urn:a"><D:set><D:prop><a:p x="1"><b xmlns="">t&amp;</b></a:p></D:prop></D:set></D:propertyupdate>`,
		`<a xmlns:b=""/>`, `<a>`, ``, `<?xml version="1.0"?><x/><y/>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseXML(strings.NewReader(s))
		if err != nil || e == nil {
			return
		}
		out := "<r>" + innerXML(e) + "</r>"
		d := xml.NewDecoder(strings.NewReader(out))
		for {
			_, err := d.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("innerXML of %q is not well-formed: %v\n%s", s, err, out)
				}
				return
			}
		}
	})
}
