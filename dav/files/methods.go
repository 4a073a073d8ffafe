package files

import (
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/files"
)

func (h *handler) get(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	ctx := r.Context()
	n, err := h.lookup(ctx, who, t)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	if _, err := h.evalIf(ctx, r, who, t); err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	w.Header().Set("ETag", n.ETag)
	w.Header().Set("OC-FileId", strconv.FormatInt(n.ID, 10))
	if n.IsDir {
		kids, err := h.files.Children(ctx, who, n)
		if err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		userContentHeaders(w.Header())
		var b strings.Builder
		b.WriteString("<!doctype html><title>" + html.EscapeString(n.Name) + "</title><ul>")
		for _, k := range kids {
			// "./" keeps a name such as "javascript:x" a relative path.
			href := "./" + escapeSegment(k.Name)
			if k.IsDir {
				href += "/"
			}
			b.WriteString(`<li><a href="` + html.EscapeString(href) + `">` + html.EscapeString(k.Name) + "</a></li>")
		}
		b.WriteString("</ul>\n")
		http.ServeContent(w, r, "", n.ModifiedAt, strings.NewReader(b.String()))
		return
	}
	f, err := h.files.Open(n)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	defer f.Close()
	ct := contentType(n)
	w.Header().Set("Content-Type", ct)
	userContentHeaders(w.Header())
	if activeContent(ct) {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": n.Name}))
	}
	http.ServeContent(w, r, "", n.ModifiedAt, f)
}

// userContentCSP is the policy of everything a user stored: a sandbox
// (no script, a unique origin, so nothing runs with the web UI's
// cookies) that may show its own images and media, nothing else.
const userContentCSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"

// userContentHeaders keeps browsers from running or sniffing stored
// content (issue 20: uploaded HTML and SVG ran in the web UI's origin).
func userContentHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", userContentCSP)
}

// activeContent reports whether a browser may run script or markup of
// ctype: such files are sent as downloads (as Nextcloud and GitLab do).
func activeContent(ctype string) bool {
	mt, _, err := mime.ParseMediaType(ctype)
	if err != nil {
		return true
	}
	switch mt {
	case "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml", "text/xsl",
		"text/javascript", "application/javascript", "application/x-javascript", "application/ecmascript",
		"text/ecmascript", "application/pdf", "application/x-shockwave-flash", "text/vtt", "multipart/x-mixed-replace":
		return true
	}
	return strings.HasSuffix(mt, "+xml")
}

// preconditions checks If-Match and If-None-Match against n (nil: none).
func preconditions(r *http.Request, n *files.Node) error {
	etag := ""
	if n != nil {
		etag = n.ETag
	}
	if im := r.Header.Get("If-Match"); im != "" && !etagMatches(im, etag) {
		return fmt.Errorf("%w: If-Match", errPrecondition)
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, etag) {
		return fmt.Errorf("%w: If-None-Match", errPrecondition)
	}
	return nil
}

func (h *handler) put(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	ctx := r.Context()
	if len(t.path) == 0 {
		http.Error(w, "the root is a folder", http.StatusMethodNotAllowed)
		return
	}
	if r.Header.Get("Content-Range") != "" {
		http.Error(w, "partial PUT is not supported", http.StatusBadRequest)
		return
	}
	ctx, err := h.writable(ctx, r, who, t)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	if h.maxUpload > 0 {
		if r.ContentLength > h.maxUpload {
			h.fail(w, r, r.URL.Path, &http.MaxBytesError{Limit: h.maxUpload})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, h.maxUpload)
	}
	o := files.PutOptions{ContentType: mediaType(r.Header.Get("Content-Type")), Size: r.ContentLength, Check: func(n *files.Node) error {
		if n != nil && n.IsDir {
			return errIsDir
		}
		return preconditions(r, n)
	}}
	if m := r.Header.Get("X-OC-Mtime"); m != "" {
		if sec, err := strconv.ParseInt(m, 10, 64); err == nil && sec > 0 && sec < 1<<40 {
			o.ModTime = time.Unix(sec, 0)
			w.Header().Set("X-OC-MTime", "accepted")
		}
	}
	// The blob store receives, hashes and writes large bodies in
	// parallel (core/blob).
	n, created, err := h.files.Put(ctx, who, t.root, t.path, r.Body, o)
	if errors.Is(err, errIsDir) || (errors.Is(err, files.ErrExists) && !created) {
		http.Error(w, "a folder has that name", http.StatusMethodNotAllowed)
		return
	}
	if err != nil {
		h.fail(w, r, r.URL.Path, lockedAt(t.base, err))
		return
	}
	w.Header().Set("ETag", n.ETag)
	w.Header().Set("OC-ETag", n.ETag)
	w.Header().Set("OC-FileId", strconv.FormatInt(n.ID, 10))
	w.Header().Set("Last-Modified", n.ModifiedAt.UTC().Format(http.TimeFormat))
	if created {
		w.Header().Set("Location", t.href(t.path, false))
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
}

var errIsDir = errors.New("is a folder")

// mediaType keeps a client's Content-Type when it is a plain media type.
func mediaType(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 || strings.ContainsAny(s, "\r\n<>&\"") {
		return ""
	}
	return s
}

func (h *handler) delete(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	ctx := r.Context()
	if r.URL.Fragment != "" || strings.Contains(r.RequestURI, "#") {
		http.Error(w, "fragment in request URI", http.StatusBadRequest)
		return
	}
	depth, err := parseDepth(r.Header.Get("Depth"), depthInfinity)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	n, err := h.lookup(ctx, who, t)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	if n.IsDir && depth != depthInfinity {
		http.Error(w, "DELETE of a collection needs Depth: infinity", http.StatusBadRequest)
		return
	}
	if err := preconditions(r, n); err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	ctx, err = h.writable(ctx, r, who, t)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	if err := h.files.Delete(ctx, who, n); err != nil {
		h.fail(w, r, r.URL.Path, lockedAt(t.base, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) mkcol(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	ctx := r.Context()
	if r.ContentLength > 0 || len(r.TransferEncoding) > 0 {
		// No MKCOL body format is supported (extended MKCOL is CalDAV's).
		var one [1]byte
		if k, _ := io.ReadFull(r.Body, one[:]); k > 0 {
			http.Error(w, "MKCOL with a body is not supported", http.StatusUnsupportedMediaType)
			return
		}
	}
	if len(t.path) == 0 {
		http.Error(w, "the root exists", http.StatusMethodNotAllowed)
		return
	}
	if _, err := h.lookup(ctx, who, t); err == nil {
		http.Error(w, "already exists", http.StatusMethodNotAllowed)
		return
	}
	ctx, err := h.writable(ctx, r, who, t)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	_, err = h.files.Mkdir(ctx, who, t.root, t.path)
	if errors.Is(err, files.ErrExists) {
		http.Error(w, "already exists", http.StatusMethodNotAllowed)
		return
	}
	if err != nil {
		h.fail(w, r, r.URL.Path, lockedAt(t.base, err))
		return
	}
	w.Header().Set("Location", t.href(t.path, true))
	w.WriteHeader(http.StatusCreated)
}

func (h *handler) copyMove(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	ctx := r.Context()
	move := r.Method == "MOVE"
	dp, err := destination(r)
	if errors.Is(err, errBadHeader) {
		http.Error(w, "bad or missing Destination header", http.StatusBadRequest)
		return
	}
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	overwrite, err := parseOverwrite(r.Header.Get("Overwrite"))
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	depth, err := parseDepth(r.Header.Get("Depth"), depthInfinity)
	if err != nil || depth == depth1 || (move && depth != depthInfinity) {
		http.Error(w, "bad Depth for "+r.Method, http.StatusBadRequest)
		return
	}
	n, err := h.lookup(ctx, who, t)
	if err == nil {
		err = preconditions(r, n)
	}
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	dt, err := h.resolve(ctx, who, dp)
	if err != nil {
		if errors.Is(err, core.ErrNotFound) {
			http.Error(w, "destination outside this server's file trees", http.StatusBadGateway)
			return
		}
		h.fail(w, r, dp, err)
		return
	}
	if dt.kind != kTree {
		http.Error(w, "destination is not in a file tree", http.StatusBadGateway)
		return
	}
	if dt.root.ContainerID != t.root.ContainerID {
		h.fail(w, r, dp, files.ErrOtherTree)
		return
	}
	if len(dt.path) == 0 {
		http.Error(w, "cannot replace the root", http.StatusForbidden)
		return
	}
	if ctx, err = h.writable(ctx, r, who, t); err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	var created bool
	if move {
		created, err = h.files.Move(ctx, who, n, dt.root, dt.path, overwrite)
	} else {
		created, err = h.files.Copy(ctx, who, n, dt.root, dt.path, overwrite, depth == depthInfinity)
	}
	switch {
	case errors.Is(err, files.ErrExists):
		http.Error(w, "destination exists", http.StatusPreconditionFailed)
	case errors.Is(err, files.ErrNoParent):
		http.Error(w, "destination folder missing", http.StatusConflict)
	case errors.Is(err, core.ErrForbidden) && strings.Contains(err.Error(), "overlap"):
		http.Error(w, "source and destination overlap", http.StatusForbidden)
	case err != nil:
		h.fail(w, r, r.URL.Path, lockedAt(t.base, err))
	case created:
		w.Header().Set("Location", dt.href(dt.path, n.IsDir))
		w.WriteHeader(http.StatusCreated)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
