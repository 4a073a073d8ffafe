package webui

import (
	"errors"
	"net/http"

	"plaza/core"
)

// Password reset by mail: a form asks for the address; the mailed link
// opens a form for the new password. Neither page tells whether an
// address belongs to an account.

func (s *server) forgotPage(w http.ResponseWriter, r *http.Request) {
	v := s.page(r, "reset.title")
	v.Data = map[string]any{}
	s.render(w, r, http.StatusOK, "password_forgot", v)
}

func (s *server) forgotSubmit(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.page(r, "reset.title")
	if _, err := s.Resets.Request(r.Context(), r.PostForm.Get("email"), clientIP(r)); err != nil {
		if key := errorKey(err); key != "" {
			v.Data = map[string]any{"Error": key}
			s.render(w, r, formStatus(err), "password_forgot", v)
			return
		}
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"Sent": true}
	s.render(w, r, http.StatusOK, "password_forgot", v)
}

func (s *server) resetPage(w http.ResponseWriter, r *http.Request) {
	a, err := s.Resets.Lookup(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.page(r, "reset.title")
	v.Data = map[string]any{"Login": a.Login, "Token": r.PathValue("token")}
	s.render(w, r, http.StatusOK, "password_reset", v)
}

func (s *server) resetSubmit(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	token, f := r.PathValue("token"), r.PostForm
	err := errPasswordMismatch
	if f.Get("password") == f.Get("password2") {
		_, err = s.Resets.Complete(r.Context(), token, f.Get("password"))
	}
	if err != nil {
		key := errorKey(err)
		if key == "" || errors.Is(err, core.ErrNotFound) {
			s.pageError(w, r, err)
			return
		}
		a, lerr := s.Resets.Lookup(r.Context(), token)
		if lerr != nil {
			s.pageError(w, r, lerr)
			return
		}
		v := s.page(r, "reset.title")
		v.Data = map[string]any{"Login": a.Login, "Token": token, "Error": key}
		s.render(w, r, formStatus(err), "password_reset", v)
		return
	}
	// Every session of the account ended; sign in with the new password.
	http.Redirect(w, r, "/login?reset=1", http.StatusSeeOther)
}
