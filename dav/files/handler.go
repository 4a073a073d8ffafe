// Package files serves Plaza's file trees over WebDAV (RFC 4918 class 1,
// 2 and 3): each user's files at /dav/files/LOGIN/, each space's files
// module at /dav/spaces/SLUG/, versions at /dav/versions/FILEID/ and the
// trash at /dav/trash/files/LOGIN/ and /dav/trash/spaces/SLUG/. See
// README.md for the URL design and what clients get.
//
// The protocol is implemented here rather than through go-webdav's file
// server, which lacks locks, dead properties, conditional requests and
// privileges (see README.md); core/files holds the tree.
package files

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/files"
	"plaza/core/sharelink"
	"plaza/core/space"
	"plaza/dav/davhttp"
)

// Options configure the handler.
type Options struct {
	Files    *files.Service
	Accounts *account.Service
	Spaces   *space.Service
	Logger   *slog.Logger
	// Prefix is where the DAV tree is mounted (default "/dav"); the
	// handler serves Prefix+"/files/", "/spaces/", "/versions/", "/trash/".
	Prefix string
	// MaxUpload limits one PUT body in bytes (0: no limit but the quota).
	MaxUpload int64
	// PrincipalPrefix is where principals live, for current-user-principal
	// (default Prefix+"/principals/").
	PrincipalPrefix string
	// Links answers the public links at Prefix+"/public/TOKEN/" (nil: none).
	Links *sharelink.Service
}

type handler struct {
	files     *files.Service
	accounts  *account.Service
	spaces    *space.Service
	log       *slog.Logger
	prefix    string
	principal string
	maxUpload int64
	links     *sharelink.Service
}

// New returns the WebDAV handler for full request paths under
// o.Prefix. Wrap it in davhttp.RequireBasic: it expects the subject in
// the request context and answers OPTIONS without one.
func New(o Options) http.Handler {
	h := &handler{files: o.Files, accounts: o.Accounts, spaces: o.Spaces, log: o.Logger,
		prefix: strings.TrimSuffix(o.Prefix, "/"), principal: o.PrincipalPrefix, maxUpload: o.MaxUpload, links: o.Links}
	if h.prefix == "" {
		h.prefix = "/dav"
	}
	if h.principal == "" {
		h.principal = h.prefix + "/principals/"
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// Methods the tree answers.
const allow = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK"

func setDAVHeaders(w http.ResponseWriter) {
	w.Header().Set("DAV", "1, 2, 3")
	w.Header().Set("MS-Author-Via", "DAV")
	w.Header().Set("Allow", allow)
	w.Header().Set("Accept-Ranges", "bytes")
}

// kind of a resolved URL.
type kind int

const (
	kTree     kind = iota // a file or folder of a tree
	kHome                 // /dav/files/ or /dav/spaces/
	kVersions             // /dav/versions/FILEID/[VERSION]
	kTrash                // /dav/trash/{files/LOGIN|spaces/SLUG}/[ID]
)

// target is what a URL names.
type target struct {
	kind kind
	root *files.Root
	base string     // escaped href of the tree's (or trash's) root, no trailing slash
	path files.Path // in the tree
	name string     // display name of the root
	home string     // "files" or "spaces" for kHome
	// versions and trash
	fileID, itemID int64
	restore        bool
	// strip: names of path not shown in hrefs (a public link's tree
	// starts at the linked folder).
	strip int
}

// splitEscaped splits an escaped URL path into decoded segments.
func splitEscaped(p string) ([]string, error) {
	var out []string
	for _, seg := range strings.Split(p, "/") {
		if seg == "" {
			continue
		}
		s, err := url.PathUnescape(seg)
		if err != nil {
			return nil, fmt.Errorf("%w: bad escape in path", core.ErrInvalid)
		}
		if s == "." || s == ".." {
			return nil, fmt.Errorf("%w: dot segment in path", core.ErrInvalid)
		}
		if err := files.ValidName(s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// escapePath renders names as an escaped URL path, each prefixed by '/'.
func escapePath(p files.Path) string {
	var b strings.Builder
	for _, s := range p {
		b.WriteByte('/')
		b.WriteString(escapeSegment(s))
	}
	return b.String()
}

func escapeSegment(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), "+", "%2B")
}

// resolve maps an escaped request path to a target.
func (h *handler) resolve(ctx context.Context, who core.Subject, escaped string) (*target, error) {
	rest, ok := strings.CutPrefix(escaped, h.prefix+"/")
	if !ok {
		return nil, fmt.Errorf("%w: outside the DAV tree", core.ErrNotFound)
	}
	segs, err := splitEscaped(rest)
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("%w", core.ErrNotFound)
	}
	switch segs[0] {
	case "files", "spaces":
		if len(segs) == 1 {
			return &target{kind: kHome, home: segs[0], base: h.prefix + "/" + segs[0]}, nil
		}
		t, err := h.tree(ctx, who, segs[0], segs[1])
		if err != nil {
			return nil, err
		}
		t.path = segs[2:]
		return t, nil
	case "trash":
		if len(segs) < 3 || (segs[1] != "files" && segs[1] != "spaces") {
			return nil, fmt.Errorf("%w", core.ErrNotFound)
		}
		t, err := h.tree(ctx, who, segs[1], segs[2])
		if err != nil {
			return nil, err
		}
		t.kind, t.base = kTrash, h.prefix+"/trash/"+segs[1]+"/"+escapeSegment(segs[2])
		if len(segs) > 4 {
			return nil, fmt.Errorf("%w", core.ErrNotFound)
		}
		if len(segs) == 4 {
			if segs[3] == "restore" {
				t.restore = true
			} else if t.itemID, err = strconv.ParseInt(segs[3], 10, 64); err != nil || t.itemID <= 0 {
				return nil, fmt.Errorf("%w: no such trash item", core.ErrNotFound)
			}
		}
		return t, nil
	case "versions":
		if len(segs) < 2 || len(segs) > 3 {
			return nil, fmt.Errorf("%w", core.ErrNotFound)
		}
		t := &target{kind: kVersions}
		if t.fileID, err = strconv.ParseInt(segs[1], 10, 64); err != nil || t.fileID <= 0 {
			return nil, fmt.Errorf("%w: no such file", core.ErrNotFound)
		}
		t.base = h.prefix + "/versions/" + segs[1]
		if len(segs) == 3 {
			if segs[2] == "restore" {
				t.restore = true
			} else if t.itemID, err = strconv.ParseInt(segs[2], 10, 64); err != nil || t.itemID <= 0 {
				return nil, fmt.Errorf("%w: no such version", core.ErrNotFound)
			}
		}
		return t, nil
	}
	return nil, fmt.Errorf("%w", core.ErrNotFound)
}

// tree finds the root of /files/LOGIN or /spaces/SLUG.
func (h *handler) tree(ctx context.Context, who core.Subject, home, name string) (*target, error) {
	t := &target{kind: kTree, base: h.prefix + "/" + home + "/" + escapeSegment(name), name: name}
	if home == "files" {
		id := who.AccountID
		if name != who.Login || who.IsAnonymous() {
			// Someone else's tree (their own was just authenticated).
			acc, err := h.accounts.ByLogin(ctx, name)
			if err != nil {
				return nil, err
			}
			id = acc.ID
		}
		var err error
		if t.root, err = h.files.PersonalRoot(ctx, id); err != nil {
			return nil, err
		}
		return t, nil
	}
	sp, err := h.spaces.BySlug(ctx, name)
	if err != nil {
		return nil, err
	}
	t.name = sp.Name
	if t.root, err = h.files.SpaceRoot(ctx, sp.ID); err != nil {
		return nil, err
	}
	return t, nil
}

// href of a node of t's tree at p.
func (t *target) href(p files.Path, dir bool) string {
	s := t.base + escapePath(p[min(t.strip, len(p)):])
	if dir {
		s += "/"
	}
	return s
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.Error("dav files panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	setDAVHeaders(w)
	if r.Method == http.MethodOptions {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.EscapedPath(), h.prefix+"/public/"); ok && h.links != nil {
		h.servePublic(w, r, rest)
		return
	}
	who := core.SubjectFrom(r.Context())
	if who.IsAnonymous() {
		davhttp.Challenge(w)
		return
	}
	t, err := h.resolve(r.Context(), who, r.URL.EscapedPath())
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	switch t.kind {
	case kHome:
		h.serveHome(w, r, who, t)
	case kVersions:
		h.serveVersions(w, r, who, t)
	case kTrash:
		h.serveTrash(w, r, who, t)
	default:
		h.serveTree(w, r, who, t)
	}
}

func (h *handler) serveTree(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.get(w, r, who, t)
	case http.MethodPut:
		h.put(w, r, who, t)
	case http.MethodDelete:
		h.delete(w, r, who, t)
	case "MKCOL":
		h.mkcol(w, r, who, t)
	case "COPY", "MOVE":
		h.copyMove(w, r, who, t)
	case "PROPFIND":
		h.propfind(w, r, who, t)
	case "PROPPATCH":
		h.proppatch(w, r, who, t)
	case "LOCK":
		h.lock(w, r, who, t)
	case "UNLOCK":
		h.unlock(w, r, who, t)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// fail answers err: the DAV-specific cases here, the rest through the
// one core-error mapping.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, href string, err error) {
	var mbe *http.MaxBytesError
	var le *lockedError
	switch {
	case errors.As(err, &le):
		writeCondition(w, http.StatusLocked, "lock-token-submitted", le.hrefs)
	case errors.Is(err, errPrecondition):
		http.Error(w, err.Error(), http.StatusPreconditionFailed)
	case errors.Is(err, errBadHeader), errors.Is(err, errBadXML):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.As(err, &mbe):
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
	case errors.Is(err, files.ErrQuota):
		writeCondition(w, http.StatusInsufficientStorage, "quota-not-exceeded", nil)
	case errors.Is(err, files.ErrLocked):
		writeCondition(w, http.StatusLocked, "no-conflicting-lock", nil)
	case errors.Is(err, files.ErrOtherTree), errors.Is(err, errOtherServer):
		http.Error(w, err.Error(), http.StatusBadGateway)
	default:
		davhttp.WriteError(w, r, h.log, href, err)
	}
}

var errPrecondition = errors.New("precondition failed")

// writeCondition answers status with a DAV:error naming a condition.
func writeCondition(w http.ResponseWriter, status int, cond string, hrefs []string) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:error xmlns:D="DAV:"><D:` + cond)
	if len(hrefs) == 0 {
		b.WriteString("/>")
	} else {
		b.WriteString(">")
		for _, href := range hrefs {
			b.WriteString("<D:href>")
			xmlEscape(&b, href)
			b.WriteString("</D:href>")
		}
		b.WriteString("</D:" + cond + ">")
	}
	b.WriteString("</D:error>")
	w.Write([]byte(b.String())) //nolint:errcheck
}

// lookup finds the node at t, keeping ErrNotFound for a missing one.
func (h *handler) lookup(ctx context.Context, who core.Subject, t *target) (*files.Node, error) {
	return h.files.Lookup(ctx, who, t.root, t.path)
}

func notFound(err error) bool { return errors.Is(err, core.ErrNotFound) }

// Probe answers the probes clients send to the server root ("/") and to
// the DAV root before they mount a tree: OPTIONS with the DAV headers and
// no authentication, PROPFIND Depth 0 with a bare collection. Mount it on
// "/" for OPTIONS and PROPFIND (other methods: next, which may be nil).
func Probe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodOptions:
			setDAVHeaders(w)
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusOK)
		case "PROPFIND":
			setDAVHeaders(w)
			if _, err := parseXML(http.MaxBytesReader(w, r.Body, maxXMLBytes)); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
			w.WriteHeader(http.StatusMultiStatus)
			var b strings.Builder
			b.WriteString(multistatusOpen + "<D:response><D:href>")
			xmlEscape(&b, (&url.URL{Path: r.URL.Path}).EscapedPath())
			b.WriteString("</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop>" +
				"<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>")
			w.Write([]byte(b.String())) //nolint:errcheck
		default:
			if next == nil {
				http.NotFound(w, r)
				return
			}
			next.ServeHTTP(w, r)
		}
	})
}

// level names for oc:permissions.
func permissions(n *files.Node) string {
	var b strings.Builder
	if n.Allows(acl.PrivRead) {
		b.WriteString("G")
	}
	if n.Allows(acl.PrivUnbind) && n.ParentID != nil {
		b.WriteString("DNV")
	}
	if n.IsDir {
		if n.Allows(acl.PrivBind) {
			b.WriteString("CK")
		}
	} else if n.Allows(acl.PrivWriteContent) {
		b.WriteString("W")
	}
	if n.Level >= acl.Full {
		b.WriteString("R")
	}
	return b.String()
}
