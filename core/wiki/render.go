package wiki

import (
	"bytes"
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"plaza/core"
)

var (
	policy = sync.OnceValue(func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.AllowURLSchemes("http", "https", "mailto")
		p.AllowRelativeURLs(true)
		p.RequireNoFollowOnLinks(true)
		p.RequireNoReferrerOnLinks(true)
		return p
	})
	// Markdown without raw HTML (goldmark escapes it by default); the
	// result goes through bluemonday all the same.
	md = sync.OnceValue(func() goldmark.Markdown {
		return goldmark.New(goldmark.WithExtensions(extension.GFM))
	})
	linkRe = regexp.MustCompile(`\[\[([a-z2-7]{16})(?:\|([^\]\n]{1,200}))?\]\]`)
)

func sanitize(s string) string { return strings.TrimSpace(policy().Sanitize(s)) }

// Refs returns the page references a body links to.
func Refs(body string) []string {
	var out []string
	for _, m := range linkRe.FindAllStringSubmatch(body, 100) {
		out = append(out, m[1])
	}
	return out
}

// Render turns a page body into safe HTML. Links between pages,
// [[ref]] or [[ref|label]], point to prefix+ref and show the label, or
// the target's title when who may read it (titles is from Titles).
func Render(body, format, prefix string, titles map[string]string) string {
	var src string
	if format == HTML {
		src = linkRe.ReplaceAllStringFunc(body, func(m string) string {
			sub := linkRe.FindStringSubmatch(m)
			return `<a href="` + html.EscapeString(prefix+sub[1]) + `">` + html.EscapeString(label(sub, titles)) + `</a>`
		})
		return sanitize(src)
	}
	src = linkRe.ReplaceAllStringFunc(body, func(m string) string {
		sub := linkRe.FindStringSubmatch(m)
		l := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, `*`, `\*`, `_`, `\_`, "`", "\\`", "<", "&lt;").Replace(label(sub, titles))
		return "[" + l + "](" + (&url.URL{Path: prefix + sub[1]}).String() + ")"
	})
	var buf bytes.Buffer
	if err := md().Convert([]byte(src), &buf); err != nil {
		return "<p>" + html.EscapeString(body) + "</p>"
	}
	return sanitize(buf.String())
}

func label(sub []string, titles map[string]string) string {
	if sub[2] != "" {
		return sub[2]
	}
	if t, ok := titles[sub[1]]; ok {
		return t
	}
	return sub[1]
}

// RenderPage renders p for who: link titles are looked up with who's rights.
func (s *Service) RenderPage(ctx context.Context, who core.Subject, p *Page, prefix string) (string, error) {
	titles, err := s.Titles(ctx, who, Refs(p.Body))
	if err != nil {
		return "", err
	}
	return Render(p.Body, p.Format, prefix, titles), nil
}
