package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"plaza/core"
)

// bodyPolicy bounds how request bodies arrive. There is no deadline for
// a whole body (WebDAV uploads of gigabytes must go through); instead
// each window must bring at least minBytes, so a body trickled a byte at
// a time is cut after one window whoever sends it.
type bodyPolicy struct {
	window   time.Duration
	minBytes int64
	// anonMax limits the body of a request with no credentials at all
	// (no Authorization header, no cookie): sign-in, invitations,
	// proposals of visitors, ActivityPub inboxes (whose documents are
	// at most federation.MaxBody too).
	anonMax int64
	// smallMax limits the body of the sign-in routes, which carry a login
	// and a password.
	smallMax int64
}

func defaultBodyPolicy() bodyPolicy {
	return bodyPolicy{window: 30 * time.Second, minBytes: 1 << 10, anonMax: 1 << 20, smallMax: 64 << 10}
}

// smallBodyRoute reports whether r goes to a route whose body is a few
// fields.
func smallBodyRoute(r *http.Request) bool {
	switch r.URL.Path {
	case "/login", "/logout", "/api/v1/session":
		return true
	}
	return strings.HasPrefix(r.URL.Path, "/invite/")
}

// limitBodies applies p to every request body.
func limitBodies(p bodyPolicy, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		limit := int64(-1)
		if r.Header.Get("Authorization") == "" && r.Header.Get("Cookie") == "" {
			limit = p.anonMax
		}
		if smallBodyRoute(r) {
			limit = p.smallMax
		}
		if limit >= 0 {
			if r.ContentLength > limit {
				// Refused before a byte is read: net/http closes the
				// connection rather than read what was announced.
				w.Header().Set("Connection", "close")
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		pb := &pacedBody{body: r.Body, w: w, rc: http.NewResponseController(w), p: p}
		r.Body = pb
		defer pb.finish()
		next.ServeHTTP(w, r)
	})
}

// pacedBody sets the connection's read deadline to the end of the
// current window, and opens a new window whenever the current one has
// brought p.minBytes.
type pacedBody struct {
	body  io.ReadCloser
	w     http.ResponseWriter
	rc    *http.ResponseController
	p     bodyPolicy
	got   int64 // bytes in the current window
	armed bool  // a deadline is set
	done  bool  // the body was read to its end, or failed
}

func (b *pacedBody) Read(buf []byte) (int, error) {
	if b.done {
		return b.body.Read(buf)
	}
	if !b.armed {
		b.extend()
	}
	n, err := b.body.Read(buf)
	b.got += int64(n)
	switch {
	case err == nil:
		if b.got >= b.p.minBytes {
			b.extend()
		}
	case err == io.EOF:
		// The background read net/http starts after the body must not
		// hit a deadline meant for the body (it would cancel the
		// request's context while the handler works).
		b.done = true
		b.rc.SetReadDeadline(time.Time{}) //nolint:errcheck
	default:
		// Whatever is left on the wire is not read (the deadline stays
		// past): the connection closes after the answer.
		b.done = true
		b.w.Header().Set("Connection", "close")
		err = bodyError(err, b.p)
	}
	return n, err
}

func (b *pacedBody) extend() {
	b.got, b.armed = 0, true
	b.rc.SetReadDeadline(time.Now().Add(b.p.window)) //nolint:errcheck // not supported: no pacing
}

// finish runs when the handler returns. net/http then reads what is
// left of a small body to reuse the connection: that read gets a window
// too.
func (b *pacedBody) finish() {
	if !b.done && !b.armed {
		b.extend()
	}
}

func (b *pacedBody) Close() error { return b.body.Close() }

// bodyError makes a body that could not be read whole a core.ErrInvalid
// (a 4xx in every adapter's one mapping), keeping the cause; a body too
// large stays an *http.MaxBytesError (413).
func bodyError(err error, p bodyPolicy) error {
	var mbe *http.MaxBytesError
	var ne interface{ Timeout() bool }
	switch {
	case err == io.EOF, errors.As(err, &mbe):
		return err
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w: request body too slow (at least %d bytes every %s): %w", core.ErrInvalid, p.minBytes, p.window, err)
	}
	return fmt.Errorf("%w: request body cut short: %w", core.ErrInvalid, err)
}
