package webui

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/account"
)

// home sends people to their spaces, visitors to the login page, and
// the first visitor of an empty platform to the setup page.
func (s *server) home(w http.ResponseWriter, r *http.Request) {
	if core.SubjectFrom(r.Context()).IsAnonymous() && s.needsSetup(r.Context()) {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/spaces", http.StatusSeeOther)
}

func (s *server) loginPage(w http.ResponseWriter, r *http.Request) {
	if s.needsSetup(r.Context()) {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	v := s.page(r, "login.title")
	v.Data = map[string]any{"Next": safeNext(r.URL.Query().Get("next")), "Error": "", "Reset": r.URL.Query().Get("reset") == "1"}
	s.render(w, r, http.StatusOK, "login", v)
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/spaces"
	}
	return next
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// checkCredentials signs in (account.SignIn) with login throttling by
// login name and by client address. For an account with a second factor
// it returns account.ErrCodeRequired and the challenge to answer.
func (s *server) checkCredentials(ctx context.Context, r *http.Request, login, password string) (core.Subject, string, error) {
	keys := []string{"login:" + login, "ip:" + clientIP(r)}
	if err := s.Accounts.CheckThrottle(ctx, keys...); err != nil {
		return core.Subject{}, "", err
	}
	who, chal, err := s.Accounts.SignIn(ctx, login, password)
	if errors.Is(err, account.ErrCodeRequired) {
		return who, chal, err
	}
	if errors.Is(err, core.ErrUnauthenticated) {
		if rerr := s.Accounts.RecordFailure(ctx, keys...); rerr != nil {
			return who, "", rerr
		}
		return who, "", err
	}
	if err != nil {
		return who, "", err
	}
	return who, "", s.Accounts.ClearFailures(ctx, "login:"+login)
}

func (s *server) startSession(w http.ResponseWriter, r *http.Request, who core.Subject) (*account.Session, error) {
	sess, err := s.Accounts.CreateSession(r.Context(), who.AccountID)
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	return sess, nil
}

func (s *server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, invalid("malformed form"))
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	who, chal, err := s.checkCredentials(r.Context(), r, strings.TrimSpace(r.PostForm.Get("login")), r.PostForm.Get("password"))
	if errors.Is(err, account.ErrCodeRequired) {
		// The password was right; the second step asks for the code.
		v := s.page(r, "login.title")
		v.Data = map[string]any{"Next": next, "Error": "", "Challenge": chal}
		s.render(w, r, http.StatusOK, "login", v)
		return
	}
	if err != nil {
		status, key := http.StatusUnauthorized, "login.failed"
		if errors.Is(err, account.ErrThrottled) {
			status, key = http.StatusTooManyRequests, "login.throttled"
		} else if !errors.Is(err, core.ErrUnauthenticated) {
			s.pageError(w, r, err)
			return
		}
		v := s.page(r, "login.title")
		v.Data = map[string]any{"Next": next, "Error": key, "Login": r.PostForm.Get("login")}
		s.render(w, r, status, "login", v)
		return
	}
	if _, err := s.startSession(w, r, who); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *server) logoutSubmit(w http.ResponseWriter, r *http.Request) {
	if sess, ok := r.Context().Value(sessionKey{}).(*account.Session); ok {
		if err := s.Accounts.EndSession(r.Context(), sess.Token); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
