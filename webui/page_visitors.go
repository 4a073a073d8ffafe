package webui

import (
	"net/http"
	"net/url"
	"slices"

	"plaza/core"
	"plaza/core/space"
)

// Visitors of public spaces: without an account, a public space's home,
// news, files and forum open read-only (the ACL core shows what
// carries a grant to anonymous visitors, nothing else). A space with a
// visitor password asks for it once; the browser keeps a pass for the
// session (cookie plaza_visit), never the password.

// visitCookie keeps the visitor passes of the browser session.
const visitCookie = "plaza_visit"

// visitorModules are the modules a visitor may read. The agenda is not
// among them yet: its page starts from the reader's calendar home, which
// a visitor has not (the proposal form is their way into it).
var visitorModules = []core.Module{core.ModFiles, core.ModForum, core.ModNews}

func (s *server) visitorRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /s/{slug}/visit", s.visitSubmit)
}

// withPasses adds the spaces unlocked by the request's visitor passes to
// its subject.
func (s *server) withPasses(r *http.Request) *http.Request {
	c, err := r.Cookie(visitCookie)
	if err != nil || c.Value == "" {
		return r
	}
	who := s.Spaces.WithPasses(r.Context(), core.SubjectFrom(r.Context()), space.ParsePasses(c.Value))
	return r.WithContext(core.WithSubject(r.Context(), who))
}

// visitorView opens the space of the path for a visitor without an
// account: a public space (else the login page, as before: the space may
// be private), behind its password. m "" is the space's home.
func (s *server) visitorView(w http.ResponseWriter, r *http.Request, m core.Module, title string) (*view, bool) {
	who := core.SubjectFrom(r.Context())
	v := s.page(r, title)
	err := s.spaceView(r, v)
	if isErr(err, core.ErrNotFound) {
		s.pageError(w, r, core.ErrUnauthenticated)
		return nil, false
	}
	if err == nil && m != "" {
		err = s.moduleOn(v, m)
	}
	if err != nil {
		s.pageError(w, r, err)
		return nil, false
	}
	if v.Space.HasPassword() && !slices.Contains(who.UnlockedSpaces, v.Space.ID) {
		v.Title = "visit.title"
		v.Data = map[string]any{"Next": r.URL.RequestURI(), "Wrong": r.URL.Query().Get("wrong") == "1"}
		s.render(w, r, http.StatusUnauthorized, "visit", v)
		return nil, false
	}
	v.Data = nil
	nav := v.Nav[:0:0]
	for _, l := range v.Nav {
		if slices.Contains(visitorModules, l.Module) {
			nav = append(nav, l)
		}
	}
	v.Nav = nav
	return v, true
}

// visitorReads reports whether the request is a visitor reading module m
// ("" the space's home).
func visitorReads(r *http.Request, m core.Module) bool {
	if !core.SubjectFrom(r.Context()).IsAnonymous() || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	return m == "" || slices.Contains(visitorModules, m)
}

// visitSubmit checks a space's visitor password and keeps its pass.
func (s *server) visitSubmit(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	slug := r.PathValue("slug")
	next := safeBack(r.PostForm.Get("next"))
	if next == "" {
		next = "/s/" + slug
	}
	who, err := s.Spaces.Unlock(r.Context(), core.SubjectFrom(r.Context()), slug, r.PostForm.Get("password"))
	if isErr(err, core.ErrForbidden) {
		u, _ := url.Parse(next)
		q := u.Query()
		q.Set("wrong", "1")
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	sp, err := s.Spaces.BySlug(r.Context(), slug)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	passes := map[int64]string{}
	if c, err := r.Cookie(visitCookie); err == nil {
		passes = space.ParsePasses(c.Value)
	}
	if sp.HasPassword() && slices.Contains(who.UnlockedSpaces, sp.ID) {
		passes[sp.ID] = sp.VisitorPass()
	}
	http.SetCookie(w, &http.Cookie{Name: visitCookie, Value: space.PassesCookie(passes), Path: "/", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, next, http.StatusSeeOther)
}
