package ics

import (
	"io"
	"sort"
	"strings"

	"github.com/emersion/go-ical"
)

// Encode writes a component as iCalendar text, folding lines at 75
// octets. Unlike go-ical's encoder it does not refuse components that
// lack properties RFC 5545 wants (stored client data often does), so an
// export never fails on one odd event.
func Encode(w io.Writer, c *ical.Component) error {
	var b strings.Builder
	encodeComponent(&b, c)
	_, err := io.WriteString(w, b.String())
	return err
}

func encodeComponent(b *strings.Builder, c *ical.Component) {
	line(b, "BEGIN:"+c.Name)
	names := make([]string, 0, len(c.Props))
	for n := range c.Props {
		names = append(names, n)
	}
	sort.Strings(names)
	// UID and DTSTART first reads better; order is not significant
	for _, n := range names {
		for _, p := range c.Props[n] {
			var s strings.Builder
			s.WriteString(p.Name)
			pn := make([]string, 0, len(p.Params))
			for k := range p.Params {
				pn = append(pn, k)
			}
			sort.Strings(pn)
			for _, k := range pn {
				s.WriteString(";" + k + "=")
				for i, v := range p.Params[k] {
					if i > 0 {
						s.WriteString(",")
					}
					v = strings.ReplaceAll(v, `"`, "'")
					if strings.ContainsAny(v, ";:,") {
						v = `"` + v + `"`
					}
					s.WriteString(v)
				}
			}
			s.WriteString(":")
			s.WriteString(strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(p.Value))
			line(b, s.String())
		}
	}
	for _, k := range c.Children {
		encodeComponent(b, k)
	}
	line(b, "END:"+c.Name)
}

// line writes one content line folded at 75 octets without splitting a
// UTF-8 sequence.
func line(b *strings.Builder, s string) {
	first := true
	for len(s) > 0 {
		max := 75
		if !first {
			max = 74
			b.WriteString(" ")
		}
		if len(s) <= max {
			b.WriteString(s)
			break
		}
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n")
		s = s[cut:]
		first = false
	}
	b.WriteString("\r\n")
}
