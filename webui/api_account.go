package webui

import (
	"bytes"
	"context"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"plaza/core"
	"plaza/core/account"
)

// accountRoutes adds self-service: password change and reset, app
// passwords, the second factor (API and profile pages), and a space's
// member list.
func (s *server) accountRoutes(mux *http.ServeMux) {
	mux.HandleFunc("PUT /api/v1/me/password", s.apiPasswordChange)
	mux.HandleFunc("GET /api/v1/me/app-passwords", s.apiAppPasswords)
	mux.HandleFunc("POST /api/v1/me/app-passwords", s.apiAppPasswordCreate)
	mux.HandleFunc("DELETE /api/v1/me/app-passwords/{id}", s.apiAppPasswordRevoke)
	mux.HandleFunc("GET /api/v1/me/totp", s.apiTOTP)
	mux.HandleFunc("POST /api/v1/me/totp", s.apiTOTPBegin)
	mux.HandleFunc("POST /api/v1/me/totp/confirm", s.apiTOTPConfirm)
	mux.HandleFunc("POST /api/v1/me/totp/disable", s.apiTOTPDisable)
	mux.HandleFunc("POST /profile/password", s.profilePassword)
	mux.HandleFunc("POST /profile/app-passwords", s.profileAppPasswordCreate)
	mux.HandleFunc("POST /profile/app-passwords/{id}/revoke", s.profileAppPasswordRevoke)
	mux.HandleFunc("POST /profile/totp", s.profileTOTPBegin)
	mux.HandleFunc("POST /profile/totp/confirm", s.profileTOTPConfirm)
	mux.HandleFunc("POST /profile/totp/disable", s.profileTOTPDisable)
	mux.HandleFunc("POST /login/code", s.loginCodeSubmit)
	if s.Resets != nil {
		mux.HandleFunc("POST /api/v1/password-resets", s.apiResetRequest)
		mux.HandleFunc("POST /api/v1/password-resets/{token}", s.apiResetComplete)
		mux.HandleFunc("GET /password/forgot", s.forgotPage)
		mux.HandleFunc("POST /password/forgot", s.forgotSubmit)
		mux.HandleFunc("GET /password/reset/{token}", s.resetPage)
		mux.HandleFunc("POST /password/reset/{token}", s.resetSubmit)
	}
	s.memberRoutes(mux)
}

// requireOwnCredentials returns the subject of a request that may manage
// credentials: signed in with a session, or with the account's own
// password over Basic. An app password may not (a lost phone's password
// must not mint itself successors); it gets 403.
func (s *server) requireOwnCredentials(w http.ResponseWriter, r *http.Request) (core.Subject, bool) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return who, false
	}
	if _, pw, basic := r.BasicAuth(); basic && account.IsAppPassword(pw) {
		s.fail(w, r, forbidden("app passwords cannot manage passwords or the second factor; sign in with your password"))
		return who, false
	}
	return who, true
}

// ownJSON is the preamble of a credentials request with a JSON body: the
// subject (not over an app password) and the decoded body; false when it
// has answered already.
func ownJSON[T any](s *server, w http.ResponseWriter, r *http.Request) (core.Subject, T, bool) {
	var req T
	who, ok := s.requireOwnCredentials(w, r)
	if !ok {
		return who, req, false
	}
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return who, req, false
	}
	return who, req, true
}

// done answers 204, or err.
func (s *server) done(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func forbidden(reason string) error { return &forbiddenError{reason} }

type forbiddenError struct{ reason string }

func (e *forbiddenError) Error() string        { return "forbidden: " + e.reason }
func (e *forbiddenError) Is(target error) bool { return target == core.ErrForbidden }

type passwordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

func (s *server) apiPasswordChange(w http.ResponseWriter, r *http.Request) {
	who, req, ok := ownJSON[passwordChange](s, w, r)
	if ok {
		s.done(w, r, s.Accounts.ChangePassword(r.Context(), who.AccountID, req.Current, req.New))
	}
}

func (s *server) apiAppPasswords(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	aps, err := s.Accounts.AppPasswords(r.Context(), who.AccountID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if aps == nil {
		aps = []account.AppPassword{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"app_passwords": aps})
}

// newAppPassword is an app password just made: the only answer that
// carries it in clear.
type newAppPassword struct {
	account.AppPassword
	Password string `json:"password"`
}

func (s *server) apiAppPasswordCreate(w http.ResponseWriter, r *http.Request) {
	who, req, ok := ownJSON[struct {
		Label string `json:"label"`
	}](s, w, r)
	if !ok {
		return
	}
	pw, ap, err := s.Accounts.CreateAppPassword(r.Context(), who.AccountID, req.Label)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, newAppPassword{*ap, pw})
}

func (s *server) apiAppPasswordRevoke(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err == nil {
		err = s.Accounts.RevokeAppPassword(r.Context(), who.AccountID, id)
	}
	s.done(w, r, err)
}

func (s *server) apiTOTP(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	st, err := s.Accounts.TOTP(r.Context(), who.AccountID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// issuer names the platform in authenticator apps.
func (s *server) issuer(ctx context.Context) string {
	if s.Admin != nil {
		return s.Admin.PlatformName(ctx)
	}
	return "Plaza"
}

func (s *server) apiTOTPBegin(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireOwnCredentials(w, r)
	if !ok {
		return
	}
	uri, key, err := s.Accounts.BeginTOTP(r.Context(), who.AccountID, s.issuer(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"uri": uri, "secret": key})
}

type codeRequest struct {
	Code string `json:"code"`
}

func (s *server) apiTOTPConfirm(w http.ResponseWriter, r *http.Request) {
	who, req, ok := ownJSON[codeRequest](s, w, r)
	if !ok {
		return
	}
	codes, err := s.Accounts.ConfirmTOTP(r.Context(), who.AccountID, req.Code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
}

func (s *server) apiTOTPDisable(w http.ResponseWriter, r *http.Request) {
	who, req, ok := ownJSON[codeRequest](s, w, r)
	if ok {
		s.done(w, r, s.Accounts.DisableTOTP(r.Context(), who.AccountID, req.Code))
	}
}

func (s *server) apiResetRequest(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Email string `json:"email"`
	}
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.Resets.Request(r.Context(), req.Email, clientIP(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	// The same answer whether the address is known or not.
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "if an account has this address, a link is on its way"})
}

func (s *server) apiResetComplete(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Password string `json:"password"`
	}
	err := readJSON(w, r, &req)
	if err == nil {
		_, err = s.Resets.Complete(r.Context(), r.PathValue("token"), req.Password)
	}
	s.done(w, r, err)
}

// qrDataURI draws an otpauth:// URI as a PNG data: URI for an img (the
// Content-Security-Policy allows data: images).
func qrDataURI(uri string) template.URL {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return ""
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return ""
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return ""
	}
	// A PNG we drew, in base64: nothing a person typed reaches it.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
}

// appPasswordLabel defaults a label from the browser when none is given.
func appPasswordLabel(label string) string {
	if label = strings.TrimSpace(label); label != "" {
		return label
	}
	return "app " + time.Now().UTC().Format("2006-01-02 15:04")
}
