package files

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/sharelink"
	"plaza/dav/davhttp"
)

// Public links over WebDAV: /dav/public/TOKEN/ is the linked file or
// folder, without an account. A password-guarded link takes it as the
// password of HTTP Basic (any user name). A read link answers OPTIONS,
// GET, HEAD and PROPFIND under it; an upload link answers PUT of a new
// file directly in the folder and PROPFIND Depth 0 of the folder itself
// (what clients ask before uploading), and nothing that shows content.
// Every operation runs as the link's maker, so the ACL core still decides
// (core/sharelink).

func (h *handler) servePublic(w http.ResponseWriter, r *http.Request, rest string) {
	tok, sub, _ := strings.Cut(rest, "/")
	_, password, _ := r.BasicAuth()
	a, err := h.links.Open(r.Context(), tok, password)
	if err != nil {
		if isPassword(err) {
			davhttp.Challenge(w)
			return
		}
		h.fail(w, r, r.URL.Path, err)
		return
	}
	rel, err := splitEscaped(sub)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	t := &target{kind: kTree, root: a.Root, base: h.prefix + "/public/" + escapeSegment(tok),
		path: a.Within(rel), name: a.Node.Name, strip: len(a.Path)}
	if !a.Node.IsDir && len(rel) > 0 {
		h.fail(w, r, r.URL.Path, fmt.Errorf("%w: a file has nothing under it", core.ErrNotFound))
		return
	}
	ctx := core.WithSubject(r.Context(), a.As)
	r = r.WithContext(ctx)
	op := sharelink.OpRead
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case "PROPFIND":
		if d := r.Header.Get("Depth"); d == "0" && len(rel) == 0 {
			op = sharelink.OpProbe
		}
	case http.MethodPut:
		op = sharelink.OpUpload
	default:
		http.Error(w, "a public link only reads or receives files", http.StatusMethodNotAllowed)
		return
	}
	if !a.Link.Mode.Allows(op) {
		h.fail(w, r, r.URL.Path, fmt.Errorf("%w: this link does not allow %s", core.ErrForbidden, r.Method))
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.get(w, r, a.As, t)
	case "PROPFIND":
		h.propfind(w, r, a.As, t)
	case http.MethodPut:
		if len(rel) != 1 || !a.Node.IsDir {
			h.fail(w, r, r.URL.Path, fmt.Errorf("%w: files go directly into the shared folder", core.ErrForbidden))
			return
		}
		if h.maxUpload > 0 {
			r.Body = http.MaxBytesReader(w, r.Body, h.maxUpload)
		}
		if _, err := h.links.Upload(ctx, a, rel[0], r.Header.Get("Content-Type"), r.ContentLength, r.Body); err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}
}

func isPassword(err error) bool { return errors.Is(err, sharelink.ErrPassword) }
