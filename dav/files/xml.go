package files

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Limits on XML request bodies.
const (
	maxXMLBytes    = 1 << 20
	maxXMLDepth    = 32
	maxXMLElements = 20000
)

var errBadXML = errors.New("malformed XML body")

// elem is a parsed XML element: its name, attributes other than namespace
// declarations, and its content in order (*elem or string).
type elem struct {
	Name    xml.Name
	Attr    []xml.Attr
	Content []any
}

// Kids returns the child elements.
func (e *elem) Kids() []*elem {
	var out []*elem
	for _, c := range e.Content {
		if k, ok := c.(*elem); ok {
			out = append(out, k)
		}
	}
	return out
}

// Child returns the first child named DAV:local.
func (e *elem) Child(local string) *elem {
	for _, k := range e.Kids() {
		if k.Name.Space == "DAV:" && k.Name.Local == local {
			return k
		}
	}
	return nil
}

// Text returns the character data directly inside e.
func (e *elem) Text() string {
	var b strings.Builder
	for _, c := range e.Content {
		if s, ok := c.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

func (e *elem) is(local string) bool { return e.Name.Space == "DAV:" && e.Name.Local == local }

// parseXML reads one XML document from r (at most maxXMLBytes, depth and
// element count bounded). An empty body gives (nil, nil).
func parseXML(r io.Reader) (*elem, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxXMLBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxXMLBytes {
		return nil, fmt.Errorf("%w: body larger than %d bytes", errBadXML, maxXMLBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*elem
	var root *elem
	count := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errBadXML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > maxXMLElements || len(stack) >= maxXMLDepth {
				return nil, fmt.Errorf("%w: too deep or too many elements", errBadXML)
			}
			if root != nil && len(stack) == 0 {
				return nil, fmt.Errorf("%w: more than one root element", errBadXML)
			}
			if !xmlName(t.Name.Local) {
				return nil, fmt.Errorf("%w: invalid element name", errBadXML)
			}
			e := &elem{Name: t.Name}
			for _, a := range t.Attr {
				if !xmlName(a.Name.Local) {
					return nil, fmt.Errorf("%w: invalid attribute name", errBadXML)
				}
				if a.Name.Space == "xmlns" {
					if a.Value == "" {
						return nil, fmt.Errorf("%w: empty namespace for prefix %s", errBadXML, a.Name.Local)
					}
					continue
				}
				if a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue
				}
				e.Attr = append(e.Attr, a)
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Content = append(p.Content, e)
			} else {
				root = e
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Content = append(p.Content, string(t))
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("%w: text outside the root element", errBadXML)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%w: no element", errBadXML)
	}
	return root, nil
}

// xmlName reports whether s is an XML name without a colon.
func xmlName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc)):
		default:
			return false
		}
	}
	return true
}

// innerXML serializes the content of e so it keeps its meaning anywhere:
// every element states its namespace.
func innerXML(e *elem) string {
	var b strings.Builder
	for _, c := range e.Content {
		writeNode(&b, c)
	}
	return b.String()
}

func writeNode(b *strings.Builder, c any) {
	switch v := c.(type) {
	case string:
		xmlEscape(b, v)
	case *elem:
		b.WriteString("<")
		b.WriteString(v.Name.Local)
		b.WriteString(` xmlns="`)
		attrEscape(b, v.Name.Space)
		b.WriteString(`"`)
		for i, a := range v.Attr {
			if a.Name.Space != "" {
				fmt.Fprintf(b, ` xmlns:a%d="`, i)
				attrEscape(b, a.Name.Space)
				fmt.Fprintf(b, `" a%d:`, i)
			} else {
				b.WriteString(" ")
			}
			b.WriteString(a.Name.Local)
			b.WriteString(`="`)
			attrEscape(b, a.Value)
			b.WriteString(`"`)
		}
		b.WriteString(">")
		for _, k := range v.Content {
			writeNode(b, k)
		}
		b.WriteString("</")
		b.WriteString(v.Name.Local)
		b.WriteString(">")
	}
}

type stringWriter interface {
	WriteString(string) (int, error)
	WriteByte(byte) error
}

// xmlEscape escapes character data.
func xmlEscape(b stringWriter, s string) { escapeXML(b, s, false) }

// attrEscape escapes an attribute value in double quotes.
func attrEscape(b stringWriter, s string) { escapeXML(b, s, true) }

func escapeXML(b stringWriter, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			if !attr {
				continue
			}
			esc = "&quot;"
		case '\n':
			if !attr {
				continue
			}
			esc = "&#xA;"
		case '\t':
			if !attr {
				continue
			}
			esc = "&#x9;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// Namespaces with a fixed prefix in responses.
const (
	nsDAV    = "DAV:"
	nsOC     = "http://owncloud.org/ns"
	nsNC     = "http://nextcloud.org/ns"
	nsMS     = "urn:schemas-microsoft-com:"
	nsApache = "http://apache.org/dav/props/"
)

var prefixes = map[string]string{nsDAV: "D", nsOC: "oc", nsNC: "nc", nsMS: "Z"}

const multistatusOpen = `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
	`<D:multistatus xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns" xmlns:Z="urn:schemas-microsoft-com:">`

// openTag writes the start of a property element named (ns, local) and
// returns its closing tag.
func openTag(b stringWriter, ns, local string) string {
	if p, ok := prefixes[ns]; ok {
		b.WriteString("<" + p + ":" + local + ">")
		return "</" + p + ":" + local + ">"
	}
	if ns == "" {
		b.WriteString("<" + local + ` xmlns="">`)
		return "</" + local + ">"
	}
	b.WriteString("<X:" + local + ` xmlns:X="`)
	attrEscape(b, ns)
	b.WriteString(`">`)
	return "</X:" + local + ">"
}

func emptyTag(b stringWriter, ns, local string) {
	if p, ok := prefixes[ns]; ok {
		b.WriteString("<" + p + ":" + local + "/>")
		return
	}
	if ns == "" {
		b.WriteString("<" + local + ` xmlns=""/>`)
		return
	}
	b.WriteString("<X:" + local + ` xmlns:X="`)
	attrEscape(b, ns)
	b.WriteString(`"/>`)
}

// validLocal reports whether s can be written as an element's local name.
func validLocal(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n<>&\"'/=:") {
		return false
	}
	return true
}
