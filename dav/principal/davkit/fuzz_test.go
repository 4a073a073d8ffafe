package davkit

import (
	"strings"
	"testing"
)

func depth(n *Node) int {
	d := 0
	for _, k := range n.Kids {
		d = max(d, depth(k))
	}
	return d + 1
}

// FuzzParseXML reads arbitrary bodies of the CalDAV and CardDAV methods
// (PROPFIND, PROPPATCH, REPORT, MKCALENDAR, extended MKCOL): a body is
// refused or gives one root within the depth limit, never a panic.
func FuzzParseXML(f *testing.F) {
	for _, s := range []string{
		`<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></C:mkcalendar>`,
		`<D:mkcol xmlns:D="DAV:"><D:set><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop></D:set></D:mkcol>`,
		`<D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><D:displayname/></D:prop></D:remove></D:propertyupdate>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:prop><D:getetag/></D:prop></D:sync-collection>`,
		"hello", "hello<a/>", "<a/>tail", "<a><b></a>", "", " \n", `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>`,
		strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		root, err := ParseXML(strings.NewReader(s))
		if err != nil || root == nil {
			return
		}
		if d := depth(root); d > maxXMLDepth {
			t.Fatalf("depth %d from %q", d, s)
		}
		if root.Name.Local == "" {
			t.Fatalf("root without a name from %q", s)
		}
	})
}
