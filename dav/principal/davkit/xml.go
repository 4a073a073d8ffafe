// Package davkit is what Plaza's CalDAV, CardDAV and principal handlers
// share: a bounded XML reader, PROPFIND/PROPPATCH parsing, the multistatus
// writer, privilege sets, preconditions and the one error mapping built on
// davhttp. go-webdav's privilege model (read or read+write) and its lack
// of sync-collection, getctag, MKCALENDAR and PROPPATCH are why Plaza
// speaks these parts of the protocol itself.
package davkit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// Namespaces.
const (
	NSDAV     = "DAV:"
	NSCalDAV  = "urn:ietf:params:xml:ns:caldav"
	NSCardDAV = "urn:ietf:params:xml:ns:carddav"
	NSCS      = "http://calendarserver.org/ns/"
	NSApple   = "http://apple.com/ns/ical/"
)

var prefixes = map[string]string{NSDAV: "D", NSCalDAV: "C", NSCardDAV: "CR", NSCS: "CS", NSApple: "A"}

// Name is a shorthand for xml.Name.
func Name(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }

// DAV returns a DAV: name.
func DAV(local string) xml.Name { return xml.Name{Space: NSDAV, Local: local} }

// Node is an element of a request body.
type Node struct {
	Name  xml.Name
	Attrs []xml.Attr
	Kids  []*Node
	Text  string
}

// Attr returns the value of an attribute (without namespace).
func (n *Node) Attr(local string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// Child returns the first child named name, or nil.
func (n *Node) Child(name xml.Name) *Node {
	if n == nil {
		return nil
	}
	for _, k := range n.Kids {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// All returns the children named name.
func (n *Node) All(name xml.Name) []*Node {
	var out []*Node
	if n == nil {
		return nil
	}
	for _, k := range n.Kids {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

// Limits of a request body.
const (
	MaxXMLBytes    = 4 << 20
	maxXMLDepth    = 32
	maxXMLElements = 100000
)

// ErrBadXML is a body that is not well-formed or too deep.
var ErrBadXML = errors.New("malformed XML")

// ParseXML reads one XML document into a tree. An empty body gives nil.
func ParseXML(r io.Reader) (*Node, error) {
	d := xml.NewDecoder(io.LimitReader(r, MaxXMLBytes+1))
	d.Strict = true
	var stack []*Node
	var root *Node
	count := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadXML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if len(stack) >= maxXMLDepth || count > maxXMLElements {
				return nil, fmt.Errorf("%w: too deep or too large", ErrBadXML)
			}
			n := &Node{Name: t.Name, Attrs: t.Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("%w: more than one root element", ErrBadXML)
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, fmt.Errorf("%w: text outside the root element", ErrBadXML)
				}
				continue
			}
			n := stack[len(stack)-1]
			if len(n.Text) < 1<<20 {
				n.Text += string(t)
			}
		}
	}
	if len(stack) != 0 {
		return nil, fmt.Errorf("%w: unexpected end", ErrBadXML)
	}
	return root, nil
}

// Escape escapes text for XML content (not attributes). Line feeds stay as
// they are; carriage returns become &#13; so iCalendar's CRLF survives
// XML parsing; characters XML cannot carry become U+FFFD.
func Escape(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '&' || c == '<' || c == '>' || c == '\r' || (c < 0x20 && c != '\n' && c != '\t') || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\r':
			b.WriteString("&#13;")
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Elem renders an element with inner XML (empty inner: self-closing).
func Elem(name xml.Name, inner string) string {
	p, ok := prefixes[name.Space]
	var open, tag string
	if ok {
		tag = p + ":" + name.Local
		open = tag
	} else if name.Space == "" {
		tag = name.Local
		open = tag + ` xmlns=""`
	} else {
		tag = "x:" + name.Local
		open = tag + ` xmlns:x="` + Escape(name.Space) + `"`
	}
	if inner == "" {
		return "<" + open + "/>"
	}
	return "<" + open + ">" + inner + "</" + tag + ">"
}

// Href renders a DAV:href.
func Href(path string) string { return "<D:href>" + Escape(path) + "</D:href>" }

// StatusLine is the status text of a multistatus; Thunderbird compares it
// as a string.
func StatusLine(code int) string { return fmt.Sprintf("HTTP/1.1 %d %s", code, http.StatusText(code)) }

// Prop is one property in a response: Value is its inner XML.
type Prop struct {
	Name   xml.Name
	Value  string
	Status int // 0 is 200
}

// Response is one resource of a multistatus: props, or a bare status.
type Response struct {
	Href   string
	Props  []Prop
	Status int // used when Props is empty
	Error  string
}

// Multistatus collects responses.
type Multistatus struct {
	Responses []Response
	SyncToken string
	Minimal   bool // Prefer: return=minimal / Brief: t: leave 404 props out
}

// Write sends the multistatus with status 207.
func (m *Multistatus) Write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	if m.Minimal {
		// a cache must not serve this answer to a request without them
		w.Header().Set("Preference-Applied", "return=minimal")
		w.Header().Add("Vary", "Brief, Prefer")
	}
	w.WriteHeader(http.StatusMultiStatus)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:multistatus`)
	ns := make([]string, 0, len(prefixes))
	for n := range prefixes {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	for _, n := range ns {
		fmt.Fprintf(&b, ` xmlns:%s="%s"`, prefixes[n], n)
	}
	b.WriteString(">")
	for _, r := range m.Responses {
		b.WriteString("<D:response>")
		b.WriteString(Href(r.Href))
		if len(r.Props) == 0 {
			st := r.Status
			if st == 0 {
				st = http.StatusOK
			}
			b.WriteString("<D:status>" + StatusLine(st) + "</D:status>")
		} else {
			byStatus := map[int][]Prop{}
			var order []int
			for _, p := range r.Props {
				st := p.Status
				if st == 0 {
					st = http.StatusOK
				}
				if m.Minimal && st == http.StatusNotFound {
					continue
				}
				if _, ok := byStatus[st]; !ok {
					order = append(order, st)
				}
				byStatus[st] = append(byStatus[st], p)
			}
			if len(order) == 0 {
				// every property was left out: still a well-formed propstat
				b.WriteString("<D:propstat><D:prop/><D:status>" + StatusLine(http.StatusOK) + "</D:status></D:propstat>")
			}
			sort.Ints(order)
			for _, st := range order {
				b.WriteString("<D:propstat><D:prop>")
				for _, p := range byStatus[st] {
					if st == http.StatusOK {
						b.WriteString(Elem(p.Name, p.Value))
					} else {
						b.WriteString(Elem(p.Name, ""))
					}
				}
				b.WriteString("</D:prop><D:status>" + StatusLine(st) + "</D:status></D:propstat>")
			}
		}
		if r.Error != "" {
			b.WriteString("<D:error>" + r.Error + "</D:error>")
		}
		b.WriteString("</D:response>")
		if b.Len() > 64<<10 {
			io.WriteString(w, b.String()) //nolint:errcheck // the client went away
			b.Reset()
		}
	}
	if m.SyncToken != "" {
		b.WriteString("<D:sync-token>" + Escape(m.SyncToken) + "</D:sync-token>")
	}
	b.WriteString("</D:multistatus>\n")
	io.WriteString(w, b.String()) //nolint:errcheck
}

// PropFind is a parsed PROPFIND body.
type PropFind struct {
	AllProp  bool
	PropName bool
	Props    []xml.Name
	Include  []xml.Name
}

// ParsePropFind reads a PROPFIND body; an empty body is allprop.
func ParsePropFind(r io.Reader) (*PropFind, error) {
	root, err := ParseXML(r)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return &PropFind{AllProp: true}, nil
	}
	if root.Name != DAV("propfind") {
		return nil, fmt.Errorf("%w: expected DAV:propfind", ErrBadXML)
	}
	pf := &PropFind{}
	switch {
	case root.Child(DAV("allprop")) != nil:
		pf.AllProp = true
		for _, k := range root.Child(DAV("include")).kids() {
			pf.Include = append(pf.Include, k.Name)
		}
	case root.Child(DAV("propname")) != nil:
		pf.PropName = true
	case root.Child(DAV("prop")) != nil:
		for _, k := range root.Child(DAV("prop")).Kids {
			pf.Props = append(pf.Props, k.Name)
		}
	default:
		return nil, fmt.Errorf("%w: propfind needs prop, allprop or propname", ErrBadXML)
	}
	return pf, nil
}

func (n *Node) kids() []*Node {
	if n == nil {
		return nil
	}
	return n.Kids
}

// PropNames returns the child element names of a prop element.
func PropNames(prop *Node) []xml.Name {
	var out []xml.Name
	for _, k := range prop.kids() {
		out = append(out, k.Name)
	}
	return out
}

// Minimal reports whether the client asked for a minimal answer.
func Minimal(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Prefer"), "return=minimal") || strings.EqualFold(r.Header.Get("Brief"), "t")
}

// Depth returns the Depth header: 0, 1, or -1 for infinity (the default
// when absent, RFC 4918).
func Depth(r *http.Request, def int) (int, error) {
	switch strings.TrimSpace(strings.ToLower(r.Header.Get("Depth"))) {
	case "":
		return def, nil
	case "0":
		return 0, nil
	case "1":
		return 1, nil
	case "infinity":
		return -1, nil
	}
	return 0, fmt.Errorf("%w: Depth must be 0, 1 or infinity", ErrBadXML)
}
