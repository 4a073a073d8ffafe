package markup

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestRender(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string // substrings of the output
		not       []string
	}{
		{"emphasis", "**bold** and _it_", []string{"<strong>bold</strong>", "<em>it</em>"}, nil},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<th>a</th>", "<td>2</td>"}, nil},
		{"space image", "![plan](/s/team/files/12/raw)", []string{`<img src="/s/team/files/12/raw" alt="plan"`}, nil},
		{"youtube", "Look:\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n",
			[]string{`<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"`, `class="embed"`}, nil},
		{"vimeo short", "https://vimeo.com/76979871", []string{`src="https://player.vimeo.com/video/76979871"`}, nil},
		{"other video host stays a link", "https://evil.example/watch?v=dQw4w9WgXcQ", []string{`<a href="https://evil.example/watch?v=dQw4w9WgXcQ"`}, []string{"<iframe"}},
		{"link in text is not embedded", "see https://youtu.be/dQw4w9WgXcQ now", []string{"<a href="}, []string{"<iframe"}},
		{"links nofollow", "[x](https://example.org)", []string{`rel="nofollow noreferrer"`}, nil},
		{"raw html escaped", "<b onclick=x>hi</b>", nil, []string{"<b", "onclick"}},
		{"raw iframe escaped", `<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"></iframe>`, nil, []string{"<iframe"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Render(c.src)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("Render(%q) = %q, want %q in it", c.src, got, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("Render(%q) = %q, must not hold %q", c.src, got, n)
				}
			}
		})
	}
}

func TestNoEmbedsForMail(t *testing.T) {
	got := RenderWith("https://youtu.be/dQw4w9WgXcQ", Options{NoEmbeds: true})
	if strings.Contains(got, "<iframe") || !strings.Contains(got, `<a href="https://youtu.be/dQw4w9WgXcQ"`) {
		t.Errorf("mail rendering: %s", got)
	}
}

func TestWikiLinks(t *testing.T) {
	pages := map[string]string{"Home page": "/s/team/wiki/abc"}
	o := Options{Links: func(title string) (string, bool) {
		if h, ok := pages[title]; ok {
			return h, true
		}
		return "/s/team/wiki/new?title=" + title, false
	}}
	got := RenderWith("See [[Home page]] and [[Road map|the plan]].", o)
	if !strings.Contains(got, `<a href="/s/team/wiki/abc" rel="nofollow noreferrer">Home page</a>`) {
		t.Errorf("existing link: %s", got)
	}
	if !strings.Contains(got, `<a class="missing" href="/s/team/wiki/new?title=Road%20map"`) || !strings.Contains(got, ">the plan</a>") {
		t.Errorf("missing link: %s", got)
	}
	if strings.Contains(Render("[[Home page]]"), "<a") {
		t.Error("without Links, [[…]] stays text")
	}
}

func TestAbsoluteAndText(t *testing.T) {
	h := Render("![a](/s/t/files/1/raw) [b](/s/t/news/2)")
	a := Absolute(h, "https://plaza.example/")
	if !strings.Contains(a, `src="https://plaza.example/s/t/files/1/raw"`) || !strings.Contains(a, `href="https://plaza.example/s/t/news/2"`) {
		t.Errorf("Absolute: %s", a)
	}
	if got := Text("<p>a &amp; <b>b</b></p>\n<p>c</p>"); got != "a & b c" {
		t.Errorf("Text = %q", got)
	}
}

// attacks are sources that try to get a script to run in the page.
var attacks = []string{
	`<script>alert(1)</script>`,
	`[x](javascript:alert(1))`,
	`[x](JaVaScRiPt:alert(1))`,
	`[x](  javascript:alert(1))`,
	`[x](java&#x09;script:alert(1))`,
	`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`![x](javascript:alert(1))`,
	`![x](x" onerror="alert(1))`,
	`<img src=x onerror=alert(1)>`,
	`<svg onload=alert(1)>`,
	`<a href="javascript:alert(1)">x</a>`,
	"```html\n<script>alert(1)</script>\n```",
	`<iframe src="javascript:alert(1)"></iframe>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`[[<script>alert(1)</script>]]`,
	`[[x|<img src=x onerror=alert(1)>]]`,
	`<p><a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ" onclick="alert(1)">x</a></p>`,
	"https://www.youtube.com/watch?v=dQw4w9WgXcQ\"><script>alert(1)</script>",
	`<object data="x.swf"></object><embed src="x.swf">`,
	`<form action="/logout"><button>x</button></form>`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<base href="javascript:alert(1)//">`,
	`<math><mi xlink:href="javascript:alert(1)">x</mi></math>`,
	"[x](<javascript:alert(1)>)",
	`<style>body{display:none}</style>`,
}

// deniedTags are elements that can run script, load active content,
// submit, or change the page around them.
var deniedTags = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range strings.Fields("script style object embed applet form button select textarea meta base link svg math frame frameset template noscript xmp plaintext noembed") {
		m[t] = true
	}
	return m
}()

// checkHTML parses out and fails on anything that could run script or
// restyle the page: an unknown element, an event handler or style
// attribute, a link or source with a scheme other than http(s)/mailto,
// an iframe not on the player allowlist, an input that is not a
// disabled checkbox (task lists).
func checkHTML(out string) string {
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if deniedTags[tok.Data] {
				return "element " + tok.Data
			}
			for _, a := range tok.Attr {
				k := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(k, "on") || k == "style" || k == "formaction" || k == "srcdoc" || k == "xlink:href":
					return "attribute " + k
				case k == "href" || k == "src":
					v := strings.ToLower(strings.TrimSpace(a.Val))
					if i := strings.Index(v, ":"); i >= 0 && !strings.ContainsAny(v[:i], "/?#") &&
						!strings.HasPrefix(v, "http:") && !strings.HasPrefix(v, "https:") && !strings.HasPrefix(v, "mailto:") {
						return "address " + a.Val
					}
					if tok.Data == "iframe" && !embedSrc.MatchString(a.Val) {
						return "frame " + a.Val
					}
				case tok.Data == "input" && k == "type" && a.Val != "checkbox":
					return "input " + a.Val
				}
			}
		}
	}
}

func checkSafe(t *testing.T, src string) {
	t.Helper()
	wl := Options{Links: func(title string) (string, bool) { return "/s/t/wiki/new?title=" + url.QueryEscape(title), false }}
	for _, got := range []string{Render(src), RenderWith(src, wl), Sanitize(src)} {
		if bad := checkHTML(got); bad != "" {
			t.Fatalf("source %q gave %q: %s", src, got, bad)
		}
	}
}

func TestNoScriptSurvives(t *testing.T) {
	for _, a := range attacks {
		checkSafe(t, a)
	}
}

// FuzzNoScript runs its seeds with every go test; `go test -fuzz
// FuzzNoScript ./core/markup` explores further.
func FuzzNoScript(f *testing.F) {
	for _, a := range attacks {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, src string) { checkSafe(t, src) })
}
