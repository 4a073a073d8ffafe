package files

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/files"
)

// lockedError lists resources whose lock token was not submitted.
type lockedError struct{ hrefs []string }

func (e *lockedError) Error() string { return "locked: " + strings.Join(e.hrefs, ", ") }

// conditions is the evaluated If header of a request.
type conditions struct {
	submitted map[string]bool // lock tokens of lists that held
}

// state of one resource for If evaluation.
type ifState struct {
	etag   string
	tokens map[string]bool
}

// evalIf evaluates the If header against the resources it names (the
// request's by default). It returns errPrecondition when no list holds,
// and the lock tokens submitted by the lists that hold.
func (h *handler) evalIf(ctx context.Context, r *http.Request, who core.Subject, t *target) (*conditions, error) {
	c := &conditions{submitted: map[string]bool{}}
	hdr := r.Header.Get("If")
	if hdr == "" {
		return c, nil
	}
	lists, err := parseIf(hdr)
	if err != nil {
		return nil, err
	}
	cache := map[string]*ifState{}
	state := func(resource string) *ifState {
		tt := t
		if resource != "" {
			p, err := parseDestination(resource)
			if err != nil {
				return &ifState{}
			}
			if tt, err = h.resolve(ctx, who, p); err != nil || tt.kind != kTree {
				return &ifState{}
			}
		}
		key := fmt.Sprint(tt.root.ContainerID) + tt.path.String()
		if s, ok := cache[key]; ok {
			return s
		}
		s := &ifState{tokens: map[string]bool{}}
		if n, err := h.lookup(ctx, who, tt); err == nil {
			s.etag = n.ETag
		}
		if ls, err := h.files.LocksAt(ctx, tt.root.ContainerID, tt.path.String(), false); err == nil {
			for _, l := range ls {
				s.tokens[l.Token] = true
			}
		}
		cache[key] = s
		return s
	}
	held := false
	for _, l := range lists {
		s := state(l.Resource)
		ok := true
		for _, cond := range l.Conds {
			var v bool
			if cond.Token != "" {
				v = s.tokens[cond.Token]
			} else {
				v = s.etag != "" && strings.TrimPrefix(cond.ETag, "W/") == strings.TrimPrefix(s.etag, "W/")
			}
			if v == cond.Not {
				ok = false
				break
			}
		}
		if ok {
			held = true
			for _, cond := range l.Conds {
				if cond.Token != "" && !cond.Not {
					c.submitted[cond.Token] = true
				}
			}
		}
	}
	if !held {
		return nil, fmt.Errorf("%w: If header", errPrecondition)
	}
	return c, nil
}

// writable evaluates the If header for a change of t (412 when false)
// and returns ctx carrying the lock tokens it submitted: core/files checks
// the locks inside the write's transaction, for every surface alike.
func (h *handler) writable(ctx context.Context, r *http.Request, who core.Subject, t *target) (context.Context, error) {
	c, err := h.evalIf(ctx, r, who, t)
	if err != nil {
		return nil, err
	}
	return c.with(ctx), nil
}

// with returns ctx carrying the submitted lock tokens.
func (c *conditions) with(ctx context.Context) context.Context {
	toks := make([]string, 0, len(c.submitted))
	for tok := range c.submitted {
		toks = append(toks, tok)
	}
	return files.WithLockTokens(ctx, toks)
}

// submitted returns ctx carrying every lock token the If header names,
// without evaluating it: the requests on versions and the trash, whose
// If header names resources of the tree they change.
func submitted(ctx context.Context, r *http.Request) context.Context {
	lists, err := parseIf(r.Header.Get("If"))
	if err != nil {
		return ctx
	}
	c := &conditions{submitted: map[string]bool{}}
	for _, l := range lists {
		for _, cond := range l.Conds {
			if cond.Token != "" && !cond.Not {
				c.submitted[cond.Token] = true
			}
		}
	}
	return c.with(ctx)
}

// lockedAt turns core's refusal of a write to a locked path into the
// DAV one, naming each locked resource under base (RFC 4918 §16,
// DAV:lock-token-submitted).
func lockedAt(base string, err error) error {
	var le *files.LockedError
	if !errors.As(err, &le) {
		return err
	}
	hrefs := make([]string, len(le.Paths))
	for i, p := range le.Paths {
		hrefs[i] = base + escapePath(files.SplitPath(p))
	}
	return &lockedError{hrefs: hrefs}
}

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b) //nolint:errcheck
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("opaquelocktoken:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (h *handler) lock(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	ctx := r.Context()
	timeout, err := parseTimeout(r.Header.Get("Timeout"))
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	body, err := parseXML(http.MaxBytesReader(w, r.Body, maxXMLBytes))
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	n, err := h.lookup(ctx, who, t)
	if err != nil && !notFound(err) {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	if body == nil {
		// A refresh: the token comes in the If header.
		c, err := h.evalIf(ctx, r, who, t)
		if err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		ls, err := h.files.LocksAt(ctx, t.root.ContainerID, t.path.String(), false)
		if err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		for _, l := range ls {
			if c.submitted[l.Token] {
				nl, err := h.files.RefreshLock(ctx, t.root.ContainerID, l.Token, timeout)
				if err != nil {
					h.fail(w, r, r.URL.Path, err)
					return
				}
				writeLockBody(w, http.StatusOK, nl, t.base)
				return
			}
		}
		http.Error(w, "no lock token of this resource submitted for refresh", http.StatusPreconditionFailed)
		return
	}
	if !body.is("lockinfo") {
		h.fail(w, r, r.URL.Path, errBadXML)
		return
	}
	l := &files.Lock{Token: newToken(), RootID: t.root.ContainerID, Path: t.path.String(), AccountID: &who.AccountID}
	scope, typ := body.Child("lockscope"), body.Child("locktype")
	if scope == nil || typ == nil || typ.Child("write") == nil {
		h.fail(w, r, r.URL.Path, errBadXML)
		return
	}
	switch {
	case scope.Child("exclusive") != nil:
	case scope.Child("shared") != nil:
		l.Shared = true
	default:
		h.fail(w, r, r.URL.Path, errBadXML)
		return
	}
	if o := body.Child("owner"); o != nil {
		l.OwnerXML = innerXML(o)
	}
	depth, err := parseDepth(r.Header.Get("Depth"), depthInfinity)
	if err != nil || depth == depth1 {
		h.fail(w, r, r.URL.Path, errBadHeader)
		return
	}
	l.DepthInfinity = depth == depthInfinity && (n == nil || n.IsDir)
	if n != nil {
		priv := acl.PrivWriteContent
		if n.IsDir {
			priv = acl.PrivBind
		}
		if err := n.Need(priv); err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
	}
	if _, err := h.evalIf(ctx, r, who, t); err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	var create func(ctx context.Context, tx bun.Tx) error
	if n == nil {
		// A lock on an unmapped name makes an empty file (RFC 4918 §7.3).
		create = func(ctx context.Context, tx bun.Tx) error { return h.files.PutEmpty(ctx, tx, who, t.root, t.path) }
	}
	if err := h.files.CreateLock(ctx, l, timeout, create); err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	w.Header().Set("Lock-Token", "<"+l.Token+">")
	status := http.StatusOK
	if n == nil {
		status = http.StatusCreated
	}
	writeLockBody(w, status, l, t.base)
}

func writeLockBody(w http.ResponseWriter, status int, l *files.Lock, base string) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:prop xmlns:D="DAV:"><D:lockdiscovery>`)
	writeActiveLock(&b, l, base)
	b.WriteString("</D:lockdiscovery></D:prop>")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(b.String())) //nolint:errcheck
}

func (h *handler) unlock(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	ctx := r.Context()
	tok := strings.TrimSpace(r.Header.Get("Lock-Token"))
	if len(tok) < 3 || tok[0] != '<' || tok[len(tok)-1] != '>' {
		http.Error(w, "Lock-Token header required", http.StatusBadRequest)
		return
	}
	tok = tok[1 : len(tok)-1]
	if _, err := h.lookup(ctx, who, t); err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	ls, err := h.files.LocksAt(ctx, t.root.ContainerID, t.path.String(), false)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	for _, l := range ls {
		if l.Token != tok {
			continue
		}
		if l.AccountID != nil && *l.AccountID != who.AccountID {
			// Someone else's lock: only who may write the resource breaks it.
			n, err := h.lookup(ctx, who, t)
			if err == nil {
				err = n.Need(acl.PrivUnlock)
			}
			if err != nil {
				h.fail(w, r, r.URL.Path, err)
				return
			}
		}
		if err := h.files.Unlock(ctx, t.root.ContainerID, tok); err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeCondition(w, http.StatusConflict, "lock-token-matches-request-uri", nil)
}
