package webui

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The reasons core gives with a 4xx ("a name has 1 to 200 characters")
// are English sentences naming the field at fault. The catalogue
// translates them under "detail." plus the format core wrote, verbs
// included: "detail.%q is not an email address" translates every
// message of that shape. A translation uses the verbs in the order of
// the English format, or names them by position ("%[2]v").

// detailPattern matches one English format with verbs.
type detailPattern struct {
	re    *regexp.Regexp
	trans map[string]string // language → translation
}

// verbRE finds the verbs of a format core uses: %q, %s, %v, %d, %w and
// their explicit-index forms.
var verbRE = regexp.MustCompile(`%(\[\d+\])?[qsvdwT]`)

// compileDetails builds the patterns of the "detail." keys that hold
// verbs; keys without verbs are looked up directly.
func compileDetails(c catalog) []detailPattern {
	var out []detailPattern
	for key := range c[defaultLang] {
		format, ok := strings.CutPrefix(key, "detail.")
		if !ok || !verbRE.MatchString(format) {
			continue
		}
		var re strings.Builder
		re.WriteString("^")
		last := 0
		for _, m := range verbRE.FindAllStringIndex(format, -1) {
			re.WriteString(regexp.QuoteMeta(format[last:m[0]]))
			switch format[m[1]-1] {
			case 'q':
				re.WriteString(`("(?:[^"\\]|\\.)*")`)
			case 'd':
				re.WriteString(`(-?[0-9][0-9,]*)`)
			default:
				re.WriteString(`(.+?)`)
			}
			last = m[1]
		}
		re.WriteString(regexp.QuoteMeta(format[last:]) + "$")
		p := detailPattern{re: regexp.MustCompile(re.String()), trans: map[string]string{}}
		for lang, msgs := range c {
			p.trans[lang] = msgs[key]
		}
		out = append(out, p)
	}
	// The most specific format wins: "%s is a local actor" before "%s".
	slices.SortFunc(out, func(a, b detailPattern) int {
		return cmp.Or(len(b.re.String())-len(a.re.String()), strings.Compare(a.re.String(), b.re.String()))
	})
	return out
}

// translateDetail returns msg in lang when the catalogue knows its
// format, and false otherwise.
func (s *server) translateDetail(lang, msg string) (string, bool) {
	if t, ok := s.catalog[lang]["detail."+msg]; ok {
		return t, true
	}
	for _, p := range s.details {
		m := p.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		args := m[1:]
		n := 0
		return verbRE.ReplaceAllStringFunc(p.trans[lang], func(verb string) string {
			i := n
			n++
			if strings.HasPrefix(verb, "%[") {
				k, _ := strconv.Atoi(verb[2:strings.IndexByte(verb, ']')])
				i = k - 1
			}
			if i < 0 || i >= len(args) {
				return verb
			}
			return args[i]
		}), true
	}
	return "", false
}
