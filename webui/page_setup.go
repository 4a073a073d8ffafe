package webui

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/secret"
	"plaza/core/space"
)

// First run: on an empty database the first visit is sent to /setup,
// which creates the owner and the first space, once. It answers only a
// request from this machine (loopback, not forwarded by a proxy) or one
// carrying the setup token the server logged at start.

// announceSetup makes the setup token and, on an empty database, logs
// where to open the setup page.
func (s *server) announceSetup() {
	s.setupToken = secret.Token(24)
	if n, err := s.Accounts.Count(context.Background()); err == nil && n == 0 {
		s.Logger.Warn("no account yet: open the setup page from this machine, or from anywhere with its token",
			"setup", strings.TrimRight(s.BaseURL, "/")+"/setup", "with_token", strings.TrimRight(s.BaseURL, "/")+"/setup?token="+s.setupToken)
	}
}

// needsSetup tells whether the platform has no account yet.
func (s *server) needsSetup(ctx context.Context) bool {
	n, err := s.Accounts.Count(ctx)
	return err == nil && n == 0
}

// setupAllowed: from loopback without proxy headers, or with the token.
func (s *server) setupAllowed(r *http.Request, token string) bool {
	if token != "" {
		return subtle.ConstantTimeCompare([]byte(token), []byte(s.setupToken)) == 1
	}
	ip := net.ParseIP(clientIP(r))
	return ip != nil && ip.IsLoopback() && r.Header.Get("X-Forwarded-For") == "" && r.Header.Get("Forwarded") == ""
}

type setupForm struct {
	Token, Login, Name, Email, SpaceName, SpaceSlug string
	Error, Detail                                   string
	err                                             error
}

func (s *server) setupPage(w http.ResponseWriter, r *http.Request) {
	if !s.needsSetup(r.Context()) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	f := setupForm{Token: r.URL.Query().Get("token")}
	if !s.setupAllowed(r, f.Token) {
		s.pageError(w, r, errSetupRefused)
		return
	}
	s.renderSetup(w, r, http.StatusOK, f)
}

var errSetupRefused = errors.New("setup refused")

func (s *server) renderSetup(w http.ResponseWriter, r *http.Request, status int, f setupForm) {
	v := s.page(r, "setup.title")
	if f.err != nil {
		f.Detail = s.errorText(v.Lang, f.err)
	}
	v.Data = f
	s.render(w, r, status, "setup", v)
}

func (s *server) setupSubmit(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	p := r.PostForm
	f := setupForm{Token: p.Get("token"), Login: strings.TrimSpace(p.Get("login")), Name: strings.TrimSpace(p.Get("name")),
		Email: strings.TrimSpace(p.Get("email")), SpaceName: strings.TrimSpace(p.Get("space_name")),
		SpaceSlug: strings.TrimSpace(p.Get("space_slug"))}
	if !s.needsSetup(r.Context()) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if !s.setupAllowed(r, f.Token) {
		s.pageError(w, r, errSetupRefused)
		return
	}
	if p.Get("password") != p.Get("password2") {
		f.Error = "setup.password_mismatch"
		s.renderSetup(w, r, http.StatusBadRequest, f)
		return
	}
	// Owner explicitly: a concurrent setup that lost the race gets a
	// conflict instead of becoming a plain user.
	a, err := s.Accounts.Create(r.Context(), account.NewAccount{Login: f.Login, Name: f.Name, Email: f.Email,
		Password: p.Get("password"), Type: core.Owner})
	if err != nil {
		if !isErr(err, core.ErrInvalid) && !isErr(err, core.ErrConflict) {
			s.pageError(w, r, err)
			return
		}
		f.Error, f.err = "setup.failed", err
		s.renderSetup(w, r, http.StatusBadRequest, f)
		return
	}
	who := a.Subject()
	sess, err := s.startSession(w, r, who)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	sp, err := s.Spaces.Create(r.Context(), space.NewSpace{Slug: f.SpaceSlug, Name: f.SpaceName})
	if err == nil {
		err = s.Spaces.SetMember(r.Context(), sp.ID, a.ID, space.RoleAdmin)
	}
	if err != nil {
		// The owner exists and is signed in: show the empty spaces page,
		// whose form creates a space, with the reason.
		ctx := context.WithValue(core.WithSubject(r.Context(), who), sessionKey{}, sess)
		r = r.WithContext(ctx)
		v := s.page(r, "spaces.title")
		v.Data = map[string]any{"Error": s.errorText(v.Lang, err), "Slug": f.SpaceSlug, "Name": f.SpaceName}
		s.render(w, r, http.StatusBadRequest, "spaces", v)
		return
	}
	http.Redirect(w, r, "/s/"+sp.Slug, http.StatusSeeOther)
}

// favicon answers /favicon.ico, which browsers ask for whatever the page
// says, with the SVG icon.
func favicon(w http.ResponseWriter, r *http.Request) {
	b, err := staticFiles.ReadFile("static/icon.svg")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(b) //nolint:errcheck // the client went away
}
