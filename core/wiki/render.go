package wiki

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/markup"
	"plaza/core/store"
)

var (
	linkRe = regexp.MustCompile(`\[\[([a-z2-7]{16})(?:\|([^\]\n]{1,200}))?\]\]`)
)

// sanitize cleans a page written in HTML with the policy of every text.
func sanitize(s string) string { return markup.Sanitize(s) }

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
// [[Title]] links to the page of that title (titles, lower-cased, to
// its ref, in byTitle), or to create+title, marked missing, when there
// is none.
func Render(body, format, prefix string, titles map[string]string) string {
	return render(body, format, prefix, "", titles, nil)
}

func render(body, format, prefix, create string, titles, byTitle map[string]string) string {
	if format == HTML {
		src := linkRe.ReplaceAllStringFunc(body, func(m string) string {
			sub := linkRe.FindStringSubmatch(m)
			return `<a href="` + html.EscapeString(prefix+sub[1]) + `">` + html.EscapeString(label(sub, titles)) + `</a>`
		})
		return sanitize(src)
	}
	// Labels of links by reference become the target's title, then every
	// [[…]] link goes through the one renderer (core/markup).
	src := linkRe.ReplaceAllStringFunc(body, func(m string) string {
		sub := linkRe.FindStringSubmatch(m)
		return "[[" + sub[1] + "|" + strings.NewReplacer("]", "", "|", "").Replace(label(sub, titles)) + "]]"
	})
	return markup.RenderWith(src, markup.Options{Links: func(t string) (string, bool) {
		if refRe.MatchString(t) {
			return (&url.URL{Path: prefix + t}).String(), true
		}
		if ref, ok := byTitle[strings.ToLower(t)]; ok {
			return (&url.URL{Path: prefix + ref}).String(), true
		}
		if create == "" {
			return "#", false
		}
		return create + url.QueryEscape(t), false
	}})
}

var refRe = regexp.MustCompile(`^[a-z2-7]{16}$`)

func label(sub []string, titles map[string]string) string {
	if sub[2] != "" {
		return sub[2]
	}
	if t, ok := titles[sub[1]]; ok {
		return t
	}
	return sub[1]
}

// titleLinkRe finds [[Title]] and [[Title|label]] links.
var titleLinkRe = regexp.MustCompile(`\[\[([^\[\]|\n]{1,200})(?:\|[^\[\]\n]{1,200})?\]\]`)

// RenderPage renders p for who: link titles are looked up with who's
// rights; a [[Title]] link with no such page in the space points to
// create followed by the title (query-escaped).
func (s *Service) RenderPage(ctx context.Context, who core.Subject, p *Page, prefix, create string) (string, error) {
	titles, err := s.Titles(ctx, who, Refs(p.Body))
	if err != nil {
		return "", err
	}
	var names []string
	for _, m := range titleLinkRe.FindAllStringSubmatch(p.Body, 200) {
		if t := strings.TrimSpace(m[1]); !refRe.MatchString(t) {
			names = append(names, strings.ToLower(t))
		}
	}
	byTitle := map[string]string{}
	if len(names) > 0 && p.SpaceID != nil {
		var ps []Page
		if err := s.selectPages(s.db, who, &ps).Where("p.space_id = ? AND LOWER(p.title) IN (?)", *p.SpaceID, bun.In(names)).
			OrderExpr("p.id").Scan(ctx); err != nil {
			return "", store.Translate(err)
		}
		for _, q := range ps {
			if _, seen := byTitle[strings.ToLower(q.Title)]; !seen {
				byTitle[strings.ToLower(q.Title)] = q.Ref
			}
		}
	}
	return render(p.Body, p.Format, prefix, create, titles, byTitle), nil
}
