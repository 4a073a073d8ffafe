// Package davhttp holds what every DAV handler of Plaza shares: HTTP Basic
// authentication into a core.Subject, and the one mapping of core errors
// to DAV responses.
package davhttp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
)

// Realm is the Basic authentication realm DAV clients are shown.
const Realm = "Plaza"

// RequireBasic authenticates every request with HTTP Basic (password or
// app password) and puts the subject in the request context. OPTIONS is
// answered without credentials: Windows' WebDAV redirector gives up on a
// 401 there.
func RequireBasic(accounts *account.Service, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		login, password, ok := r.BasicAuth()
		if !ok {
			Challenge(w)
			return
		}
		who, err := accounts.Authenticate(r.Context(), login, password)
		if err != nil {
			if !errors.Is(err, core.ErrUnauthenticated) {
				log.Error("authenticate", "err", err)
			}
			Challenge(w)
			return
		}
		next.ServeHTTP(w, r.WithContext(core.WithSubject(r.Context(), who)))
	})
}

// Challenge answers 401 with a Basic challenge, never a redirect.
func Challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="`+Realm+`", charset="UTF-8"`)
	http.Error(w, "authentication required", http.StatusUnauthorized)
}

// Status maps a core error to an HTTP status.
func Status(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, core.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, core.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, core.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, core.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, core.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, core.ErrInsufficientStorage):
		return http.StatusInsufficientStorage
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.Canceled):
		// The request body was cut short, or the client went away: the
		// request is incomplete, never acknowledged (nobody may read the
		// answer, but logs and metrics must not record a success).
		return http.StatusBadRequest
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// WriteError answers err in the DAV way: 403 for a refused privilege
// carries DAV:need-privileges (RFC 3744 §7.1.1) naming href; 5xx are
// logged and their detail is not shown.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, href string, err error) {
	status := Status(err)
	if status == http.StatusUnauthorized {
		Challenge(w)
		return
	}
	if status == http.StatusInsufficientStorage {
		log.Warn("dav request failed: storage full", "method", r.Method, "path", r.URL.Path, "err", err)
		http.Error(w, "insufficient storage on the server", status)
		return
	}
	if status >= 500 {
		log.Error("dav request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", status)
		return
	}
	if status == http.StatusNotFound {
		// One text for every 404, so it cannot tell a private space, a
		// login or a folder someone may not see from a missing one.
		http.NotFound(w, r)
		return
	}
	if p, ok := acl.IsDenied(err); ok {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+
			`<D:error xmlns:D="DAV:"><D:need-privileges><D:resource><D:href>%s</D:href><D:privilege><D:%s/></D:privilege></D:resource></D:need-privileges></D:error>`,
			escape(href), p)
		return
	}
	http.Error(w, err.Error(), status)
}

func escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) //nolint:errcheck // a Builder never fails
	return b.String()
}
