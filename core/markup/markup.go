// Package markup is Plaza's one rich-text format: Markdown (CommonMark
// with GitHub's tables, strike-through, task lists and autolinks) turned
// into HTML and sanitized once, on the server, by a single policy. Forum,
// news, wiki, comments, newsletters and descriptions all render through
// it, so a text looks the same on every page and in mail.
//
// What the policy lets through: the usual text markup, tables, images
// whose address is on this server (a space's files: CSP keeps others out
// anyway), links (nofollow, noreferrer), and video embeds from an
// allowlist (Render turns a paragraph holding only a YouTube or Vimeo
// link into a privacy-friendly player). No script, style, event handler,
// form or javascript:/data: link ever survives.
package markup

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// MaxSource is the longest text Render accepts; longer input is cut
// (callers check their own limits first and answer ErrInvalid).
const MaxSource = 1 << 20

// FrameOrigins are the origins video embeds load from: a page that shows
// rendered text lists them in its Content-Security-Policy frame-src.
var FrameOrigins = []string{"https://www.youtube-nocookie.com", "https://player.vimeo.com"}

// Link resolves a [[Title]] or [[Title|label]] link: the address to
// point to, and whether the target exists (a missing one is shown with
// class "missing", pointing to where it can be created).
type Link func(title string) (href string, exists bool)

// Options change how Render treats a text; the zero value is fine.
type Options struct {
	// Links resolves [[Title]] links (the wiki); nil leaves them as text.
	Links Link
	// NoEmbeds leaves video addresses as links (mail: no player there).
	NoEmbeds bool
}

var (
	md = sync.OnceValue(func() goldmark.Markdown {
		// Raw HTML in the source is escaped (goldmark's default, no
		// WithUnsafe): Markdown is the only way to write markup.
		return goldmark.New(goldmark.WithExtensions(extension.GFM))
	})
	policy = sync.OnceValue(func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.AllowURLSchemes("http", "https", "mailto")
		p.AllowRelativeURLs(true)
		p.RequireNoFollowOnLinks(true)
		p.RequireNoReferrerOnLinks(true)
		p.AllowAttrs("class").Matching(regexp.MustCompile(`^missing$`)).OnElements("a")
		p.AllowAttrs("class").Matching(regexp.MustCompile(`^embed$`)).OnElements("div")
		p.AllowAttrs("src").Matching(embedSrc).OnElements("iframe")
		p.AllowAttrs("title").OnElements("iframe")
		p.AllowAttrs("allowfullscreen").Matching(regexp.MustCompile(`^$`)).OnElements("iframe")
		p.AllowAttrs("sandbox").Matching(regexp.MustCompile(`^allow-scripts allow-same-origin allow-presentation$`)).OnElements("iframe")
		p.AllowAttrs("loading").Matching(regexp.MustCompile(`^lazy$`)).OnElements("iframe", "img")
		p.AllowElements("iframe")
		return p
	})
	embedSrc = regexp.MustCompile(`^https://(www\.youtube-nocookie\.com/embed/[A-Za-z0-9_-]{6,20}|player\.vimeo\.com/video/[0-9]{1,12})$`)
	// A paragraph holding a single autolinked video address.
	videoPara = regexp.MustCompile(`<p><a href="([^"]+)">[^<]*</a></p>`)
	youtube   = regexp.MustCompile(`^https://(?:www\.|m\.)?(?:youtube\.com/watch\?v=|youtu\.be/)([A-Za-z0-9_-]{6,20})(?:[&?#].*)?$`)
	vimeo     = regexp.MustCompile(`^https://(?:www\.)?vimeo\.com/([0-9]{1,12})(?:[?#].*)?$`)
	wikiLink  = regexp.MustCompile(`\[\[([^\[\]|\n]{1,200})(?:\|([^\[\]\n]{1,200}))?\]\]`)
	missingRe = regexp.MustCompile(`<a href="plaza-missing:`)
)

// Render turns Markdown into sanitized HTML.
func Render(src string) string { return RenderWith(src, Options{}) }

// RenderWith is Render with options.
func RenderWith(src string, o Options) string {
	if len(src) > MaxSource {
		src = src[:MaxSource]
	}
	src = strings.ReplaceAll(src, "\x00", "")
	if o.Links != nil {
		src = wikiLink.ReplaceAllStringFunc(src, func(m string) string {
			sub := wikiLink.FindStringSubmatch(m)
			title := strings.TrimSpace(sub[1])
			label := title
			if sub[2] != "" {
				label = strings.TrimSpace(sub[2])
			}
			href, ok := o.Links(title)
			if !ok {
				href = "plaza-missing:" + href
			}
			return "[" + escapeLabel(label) + "](<" + strings.NewReplacer("<", "%3C", ">", "%3E", "\n", "").Replace(href) + ">)"
		})
	}
	var buf bytes.Buffer
	if err := md().Convert([]byte(src), &buf); err != nil {
		return "<p>" + html.EscapeString(src) + "</p>"
	}
	out := missingRe.ReplaceAllString(buf.String(), `<a class="missing" href="`)
	if o.NoEmbeds {
		return Sanitize(out)
	}
	out = videoPara.ReplaceAllStringFunc(out, func(m string) string {
		u := html.UnescapeString(videoPara.FindStringSubmatch(m)[1])
		if e := embedURL(u); e != "" {
			return `<div class="embed"><iframe src="` + e + `" title="video" loading="lazy" allowfullscreen sandbox="allow-scripts allow-same-origin allow-presentation"></iframe></div>`
		}
		return m
	})
	return Sanitize(out)
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, `*`, `\*`, `_`, `\_`, "`", "\\`", "<", "&lt;").Replace(s)
}

// embedURL is the player address for an allowlisted video page, or "".
func embedURL(u string) string {
	if m := youtube.FindStringSubmatch(u); m != nil {
		return "https://www.youtube-nocookie.com/embed/" + m[1]
	}
	if m := vimeo.FindStringSubmatch(u); m != nil {
		return "https://player.vimeo.com/video/" + m[1]
	}
	return ""
}

// Sanitize passes HTML through the policy Render uses: for rich text that
// arrives as HTML (federation, older rows).
func Sanitize(h string) string {
	return strings.TrimSpace(policy().Sanitize(strings.ReplaceAll(h, "\x00", "")))
}

// Text is the plain text of sanitized HTML, for the text part of mails
// and for summaries: tags dropped, entities decoded, blank runs folded.
func Text(h string) string {
	var b strings.Builder
	in := false
	for _, r := range h {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

var relAttr = regexp.MustCompile(`(href|src)="/`)

// Absolute makes the relative links and images of rendered HTML point to
// base (the server's public address), for HTML mail.
func Absolute(h, base string) string {
	base = strings.TrimRight(base, "/")
	return relAttr.ReplaceAllString(h, `$1="`+strings.ReplaceAll(base, "$", "$$")+`/`)
}
