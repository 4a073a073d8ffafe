package webui

import (
	"errors"
	"net/http"
	"time"

	"plaza/core/account"
)

type loginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
	// Code is the one-time (or recovery) code of an account with a
	// second factor.
	Code string `json:"code,omitempty"`
}

type sessionResponse struct {
	Login     string    `json:"login"`
	Type      string    `json:"type"`
	CSRFToken string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// login checks credentials and sets the session cookie.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	who, chal, err := s.checkCredentials(r.Context(), r, req.Login, req.Password)
	if errors.Is(err, account.ErrCodeRequired) {
		if req.Code == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="Plaza", charset="UTF-8"`)
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "a one-time code is required", "code_required": true})
			return
		}
		who, err = s.Accounts.Answer(r.Context(), chal, req.Code)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sess, err := s.Accounts.CreateSession(r.Context(), who.AccountID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	writeJSON(w, http.StatusOK, sessionResponse{Login: who.Login, Type: string(who.Type),
		CSRFToken: sess.CSRFToken, ExpiresAt: sess.ExpiresAt})
}

// logout ends the session of the cookie.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	sess, _ := r.Context().Value(sessionKey{}).(*account.Session)
	if sess == nil {
		s.fail(w, r, errNoSession)
		return
	}
	if err := s.Accounts.EndSession(r.Context(), sess.Token); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
}

var errNoSession = invalid("no session to end")

// me describes the authenticated account.
func (s *server) me(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	a, err := s.Accounts.Get(r.Context(), who.AccountID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}
