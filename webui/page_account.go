package webui

import (
	"errors"
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/account"
)

// securityData adds the account's app passwords and second-factor status
// to the profile page's data.
func (s *server) securityData(r *http.Request, who core.Subject, data map[string]any) error {
	aps, err := s.Accounts.AppPasswords(r.Context(), who.AccountID)
	if err != nil {
		return err
	}
	st, err := s.Accounts.TOTP(r.Context(), who.AccountID)
	if err != nil {
		return err
	}
	data["AppPasswords"] = aps
	data["TOTP"] = st
	data["MinPassword"] = account.MinPassword
	return nil
}

// errorKey maps the errors a person can fix on a self-service form to a
// catalogue key; "" for the others, which go to the error page.
func errorKey(err error) string {
	switch {
	case errors.Is(err, account.ErrThrottled):
		return "login.throttled"
	case errors.Is(err, account.ErrWrongPassword):
		return "account.password_wrong"
	case errors.Is(err, account.ErrWrongCode):
		return "account.code_wrong"
	case errors.Is(err, errPasswordMismatch):
		return "account.password_mismatch"
	case errors.Is(err, core.ErrInvalid) && strings.Contains(err.Error(), "password must be"):
		return "account.password_rules"
	}
	return ""
}

var errPasswordMismatch = invalid("the two new passwords differ")

func formStatus(err error) int {
	if errors.Is(err, account.ErrThrottled) {
		return http.StatusTooManyRequests
	}
	return http.StatusBadRequest
}

// profileFail shows a fixable error on the profile page, in the section
// it belongs to; other errors get the error page.
func (s *server) profileFail(w http.ResponseWriter, r *http.Request, who core.Subject, section string, err error) {
	key := errorKey(err)
	if key == "" {
		s.pageError(w, r, err)
		return
	}
	s.renderProfile(w, r, who, formStatus(err), map[string]any{"Error": key, "ErrorIn": section})
}

// credentialsForm checks the request may manage credentials (not over an
// app password) and parses its form.
func (s *server) credentialsForm(w http.ResponseWriter, r *http.Request) (core.Subject, bool) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return who, false
	}
	if _, pw, basic := r.BasicAuth(); basic && account.IsAppPassword(pw) {
		s.pageError(w, r, forbidden("app passwords cannot manage credentials"))
		return who, false
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return who, false
	}
	return who, true
}

func (s *server) profilePassword(w http.ResponseWriter, r *http.Request) {
	who, ok := s.credentialsForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	err := errPasswordMismatch
	if f.Get("new") == f.Get("new2") {
		err = s.Accounts.ChangePassword(r.Context(), who.AccountID, f.Get("current"), f.Get("new"))
	}
	if err != nil {
		s.profileFail(w, r, who, "password", err)
		return
	}
	http.Redirect(w, r, "/profile?password=1#password", http.StatusSeeOther)
}

func (s *server) profileAppPasswordCreate(w http.ResponseWriter, r *http.Request) {
	who, ok := s.credentialsForm(w, r)
	if !ok {
		return
	}
	pw, ap, err := s.Accounts.CreateAppPassword(r.Context(), who.AccountID, appPasswordLabel(r.PostForm.Get("label")))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	// Shown on this answer only; a reload does not show it again.
	s.renderProfile(w, r, who, http.StatusCreated, map[string]any{"NewAppPassword": pw, "NewAppPasswordLabel": ap.Label})
}

func (s *server) profileAppPasswordRevoke(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err == nil {
		err = s.Accounts.RevokeAppPassword(r.Context(), who.AccountID, id)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/profile#app-passwords", http.StatusSeeOther)
}

func (s *server) profileTOTPBegin(w http.ResponseWriter, r *http.Request) {
	who, ok := s.credentialsForm(w, r)
	if !ok {
		return
	}
	uri, key, err := s.Accounts.BeginTOTP(r.Context(), who.AccountID, s.issuer(r.Context()))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderProfile(w, r, who, http.StatusOK, map[string]any{"TOTPURI": uri, "TOTPSecret": key, "TOTPQR": qrDataURI(uri)})
}

func (s *server) profileTOTPConfirm(w http.ResponseWriter, r *http.Request) {
	who, ok := s.credentialsForm(w, r)
	if !ok {
		return
	}
	codes, err := s.Accounts.ConfirmTOTP(r.Context(), who.AccountID, r.PostForm.Get("code"))
	if err != nil {
		s.profileFail(w, r, who, "totp", err)
		return
	}
	s.renderProfile(w, r, who, http.StatusOK, map[string]any{"RecoveryCodes": codes})
}

func (s *server) profileTOTPDisable(w http.ResponseWriter, r *http.Request) {
	who, ok := s.credentialsForm(w, r)
	if !ok {
		return
	}
	if err := s.Accounts.DisableTOTP(r.Context(), who.AccountID, r.PostForm.Get("code")); err != nil {
		s.profileFail(w, r, who, "totp", err)
		return
	}
	http.Redirect(w, r, "/profile#totp", http.StatusSeeOther)
}

// loginCodeSubmit is the second step of a sign-in with a second factor:
// the challenge of the first step and a one-time or recovery code.
func (s *server) loginCodeSubmit(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	next, chal := safeNext(f.Get("next")), f.Get("challenge")
	who, err := s.Accounts.Answer(r.Context(), chal, f.Get("code"))
	if err != nil {
		v := s.page(r, "login.title")
		switch key := errorKey(err); {
		case key != "":
			v.Data = map[string]any{"Next": next, "Error": key, "Challenge": chal}
			s.render(w, r, formStatus(err), "login", v)
		case errors.Is(err, core.ErrUnauthenticated):
			// The challenge expired or took too many codes: start again.
			v.Data = map[string]any{"Next": next, "Error": "login.code_expired"}
			s.render(w, r, http.StatusUnauthorized, "login", v)
		default:
			s.pageError(w, r, err)
		}
		return
	}
	if _, err := s.startSession(w, r, who); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
