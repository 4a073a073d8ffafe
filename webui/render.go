package webui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/files"
	"plaza/core/space"
)

//go:embed templates/*.html templates/partials/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pageNames lists the pages: every templates/NAME.html but the layout,
// each rendered over layout.html.
func pageNames() []string {
	files, _ := fs.Glob(templateFiles, "templates/*.html")
	var names []string
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name != "layout" {
			names = append(names, name)
		}
	}
	return names
}

// baseFuncs are the template functions; "t" is replaced per request by
// the translator of the request's language.
func baseFuncs() template.FuncMap {
	return template.FuncMap{
		"t":       func(key string, args ...any) string { return key },
		"date":    func(s *string) string { return "" },
		"join":    strings.Join,
		"add":     func(a, b int) int { return a + b },
		"pct":     func(p int) string { return fmt.Sprintf("%d%%", p) },
		"dict":    dict,
		"hasInt":  func(list []int64, v int64) bool { return containsInt(list, v) },
		"label":   func(name string) string { return name },
		"size":    humanSize,
		"safe":    trusted,
		"stamp":   func(t any) string { return "" },
		"preview": previewable,
		"image":   func(ct string) bool { return strings.HasPrefix(ct, "image/") },
		"video":   func(ct string) bool { return strings.HasPrefix(ct, "video/") },
		"avatar":  avatar,
		"icon":    icon,
	}
}

// icon draws a symbol of static/icons.svg (one per module, and a few
// more), decorative: the link or button says what it is.
func icon(name string) template.HTML {
	return template.HTML(`<svg class="icon" aria-hidden="true" focusable="false"><use href="/static/icons.svg#i-` +
		template.HTMLEscapeString(name) + `"></use></svg>`)
}

// avatar is a person's initials in a coloured disc, its colour picked
// from the name so that it stays the same (the page says the name next
// to it, so the disc is hidden from screen readers).
func avatar(name string) template.HTML {
	var initials []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			initials = append(initials, unicode.ToUpper(r))
			break
		}
		if len(initials) == 2 {
			break
		}
	}
	h := fnv.New32a()
	h.Write([]byte(name)) //nolint:errcheck // never fails
	return template.HTML(fmt.Sprintf(`<span class="avatar av%d" aria-hidden="true">%s</span>`,
		h.Sum32()%8, template.HTMLEscapeString(string(initials))))
}

func dict(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func containsInt(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// parsePages parses every page with the layout, once at start-up: a
// template error stops the server from starting rather than showing up on
// a page later.
func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range pageNames() {
		t, err := template.New("layout.html").Funcs(baseFuncs()).
			ParseFS(templateFiles, "templates/layout.html", "templates/partials/*.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// view is what every page template gets.
type view struct {
	Lang    string
	Title   string
	User    *account.Account
	CSRF    string
	Spaces  []space.Space
	Space   *space.Space
	Modules []core.Module
	Nav     []navLink
	// Role is the reader's role in Space ("admin", "member" or "").
	Role string
	// Unread counts the reader's unread notifications (the header badge).
	Unread int
	Notice string
	Data   any
	// frameSrc is an origin the page may frame (a map), added to its
	// Content-Security-Policy.
	frameSrc string
}

// SpaceAdmin tells whether the reader administers Space (as a space
// administrator or a platform one): pages show management forms then.
func (v *view) SpaceAdmin() bool {
	if v.User != nil && v.User.Type.PlatformAdmin() {
		return true
	}
	return v.Role == string(space.RoleAdmin)
}

// page prepares the common part of a view for the request.
func (s *server) page(r *http.Request, title string) *view {
	v := &view{Title: title}
	ctx := r.Context()
	who := core.SubjectFrom(ctx)
	if !who.IsAnonymous() {
		if a, err := s.Accounts.Get(ctx, who.AccountID); err == nil {
			v.User = a
		}
	}
	if sess, ok := ctx.Value(sessionKey{}).(*account.Session); ok {
		v.CSRF = sess.CSRFToken
	}
	lang := ""
	if v.User != nil {
		lang = v.User.Language
	}
	v.Lang = pickLang(lang, r.Header.Get("Accept-Language"))
	if spaces, err := s.Spaces.Visible(ctx, who); err == nil {
		v.Spaces = spaces
	}
	if s.Notify != nil && v.User != nil {
		v.Unread, _ = s.Notify.Unread(ctx, who) // a badge is not worth failing a page for
	}
	return v
}

// render writes a page; a failure to render is logged and answered 500
// without a half-written page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	t, err := s.pages[name].Clone()
	if err != nil {
		s.Logger.Error("clone template", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	lang := v.Lang
	layout := dateLayout(v.User)
	loc := time.UTC
	if v.User != nil {
		if l, err := time.LoadLocation(v.User.Timezone); err == nil {
			loc = l
		}
	}
	t.Funcs(template.FuncMap{
		// stamp shows a moment in the reader's zone and date format.
		"stamp": func(ts any) string {
			var tm time.Time
			switch x := ts.(type) {
			case time.Time:
				tm = x
			case *time.Time:
				if x == nil {
					return ""
				}
				tm = *x
			default:
				return ""
			}
			return tm.In(loc).Format(layout + " 15:04")
		},
		"t": func(key string, args ...any) string { return s.catalog.translate(lang, key, args...) },
		// label shows a status name: default statuses are message keys,
		// names people chose are shown as written.
		"label": func(name string) string {
			if strings.HasPrefix(name, "status.") {
				return s.catalog.translate(lang, name)
			}
			return name
		},
		"date": func(d *string) string {
			if d == nil {
				return ""
			}
			day, err := time.Parse(time.DateOnly, *d)
			if err != nil {
				return *d
			}
			return day.Format(layout)
		},
	})
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		s.Logger.Error("render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	csp := "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
	if v.frameSrc != "" {
		csp += "; frame-src 'self' " + v.frameSrc
	}
	w.Header().Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck
}

func dateLayout(a *account.Account) string {
	if a != nil {
		if l, ok := account.DateFormats()[a.DateFormat]; ok {
			return l
		}
	}
	return time.DateOnly
}

func isErr(err, target error) bool { return errors.Is(err, target) }

// pageError renders an error page with the status of err.
func (s *server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	status, key := http.StatusInternalServerError, "error.internal"
	switch {
	case isErr(err, core.ErrUnauthenticated):
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	case isErr(err, errSetupRefused):
		status, key = http.StatusForbidden, "setup.refused"
	case isErr(err, core.ErrNotFound):
		status, key = http.StatusNotFound, "error.not_found"
	case isErr(err, core.ErrForbidden):
		status, key = http.StatusForbidden, "error.forbidden"
	case isErr(err, core.ErrInvalid):
		status, key = http.StatusBadRequest, "error.invalid"
	case isErr(err, files.ErrLocked):
		status, key = http.StatusLocked, "files.locked"
	case isErr(err, files.ErrQuota):
		status, key = http.StatusInsufficientStorage, "files.quota"
	case isErr(err, core.ErrConflict):
		status, key = http.StatusConflict, "error.conflict"
	case isErr(err, core.ErrInsufficientStorage):
		status, key = http.StatusInsufficientStorage, "error.storage_full"
		s.Logger.Warn("page failed: storage full", "method", r.Method, "path", r.URL.Path, "err", err)
	default:
		s.Logger.Error("page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	v := s.page(r, "error.title")
	d := ""
	if status != http.StatusNotFound && !isErr(err, errSetupRefused) {
		d = s.errorText(v.Lang, err)
	}
	v.Data = map[string]any{"Key": key, "Detail": d}
	s.render(w, r, status, "error", v)
}

// errorText is the reason of a 4xx error in lang, as a sentence: the
// core message, which names the field at fault, through the catalogue
// (see details.go); a message the catalogue lacks shows as written in
// English and not at all in another language, whose page still says
// what kind of error it was.
func (s *server) errorText(lang string, err error) string {
	msg := detail(err, http.StatusBadRequest)
	if t, ok := s.translateDetail(lang, msg); ok {
		return sentence(t)
	}
	if lang == defaultLang {
		return sentence(msg)
	}
	return ""
}

// sentence capitalises a reason and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.ContainsAny(s[len(s)-1:], ".?!") {
		s += "."
	}
	return s
}

// detail is the reason shown with a 4xx (the core message, which names
// the field at fault); 5xx show none.
func detail(err error, status int) string {
	if status >= 500 {
		return ""
	}
	msg := err.Error()
	for _, p := range []string{"invalid: ", "forbidden: ", "conflict: ", "not found: "} {
		if i := strings.Index(msg, p); i >= 0 {
			msg = msg[i+len(p):]
		}
	}
	return msg
}

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}

// humanSize shows a byte count with a binary unit.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
