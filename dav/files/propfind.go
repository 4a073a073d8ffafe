package files

import (
	"bufio"
	"context"
	"encoding/xml"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/files"
)

// res is one resource of a multistatus answer.
type res struct {
	href    string
	node    *files.Node    // a file or folder (live or trashed)
	version *files.Version // a version of node
	dir     bool
	display string
	lockP   string // lock path in the tree; "-" when locks do not apply
	level   acl.Level
	home    bool // a virtual collection (DAV roots, homes)
}

// pctx carries what properties of several resources share, computed once.
type pctx struct {
	h     *handler
	r     *http.Request
	ctx   context.Context
	who   core.Subject
	t     *target
	locks []files.Lock
	lockd bool
	used  int64
	quota int64
	quotd bool
}

func (p *pctx) locksFor(lp string) []files.Lock {
	if p.t.root == nil || lp == "-" {
		return nil
	}
	if !p.lockd {
		p.locks, _ = p.h.files.Locks(p.ctx, p.t.root.ContainerID)
		p.lockd = true
	}
	var out []files.Lock
	for _, l := range p.locks {
		if l.Covers(lp) {
			out = append(out, l)
		}
	}
	return out
}

func (p *pctx) usage() (int64, int64) {
	if !p.quotd && p.t.root != nil {
		p.used, p.quota, _ = p.h.files.Usage(p.ctx, p.t.root)
		p.quotd = true
	}
	return p.used, p.quota
}

type liveProp struct {
	ns, local string
	all       bool // returned by allprop
	get       func(p *pctx, r *res) (string, bool)
}

func esc(s string) string {
	if !strings.ContainsAny(s, "&<>\r") {
		return s
	}
	var b strings.Builder
	xmlEscape(&b, s)
	return b.String()
}

func contentType(n *files.Node) string {
	if n.ContentType != "" {
		return n.ContentType
	}
	if t := mime.TypeByExtension(path.Ext(n.Name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

var liveProps = []liveProp{
	{nsDAV, "resourcetype", true, func(p *pctx, r *res) (string, bool) {
		if r.dir {
			return "<D:collection/>", true
		}
		return "", true
	}},
	{nsDAV, "displayname", true, func(p *pctx, r *res) (string, bool) { return esc(r.display), true }},
	{nsDAV, "getcontentlength", true, func(p *pctx, r *res) (string, bool) {
		switch {
		case r.version != nil:
			return strconv.FormatInt(r.version.Size, 10), true
		case r.node != nil && !r.dir:
			return strconv.FormatInt(r.node.Size, 10), true
		}
		return "", false
	}},
	{nsDAV, "getcontenttype", true, func(p *pctx, r *res) (string, bool) {
		switch {
		case r.version != nil:
			return esc(contentType(&files.Node{Name: r.node.Name, ContentType: r.version.ContentType})), true
		case r.node != nil && !r.dir:
			return esc(contentType(r.node)), true
		}
		return "", false
	}},
	{nsDAV, "getetag", true, func(p *pctx, r *res) (string, bool) {
		switch {
		case r.version != nil:
			return esc(r.version.ETag), true
		case r.node != nil:
			return esc(r.node.ETag), true
		}
		return "", false
	}},
	{nsDAV, "getlastmodified", true, func(p *pctx, r *res) (string, bool) {
		switch {
		case r.version != nil:
			return r.version.ModifiedAt.UTC().Format(http.TimeFormat), true
		case r.node != nil:
			return r.node.ModifiedAt.UTC().Format(http.TimeFormat), true
		}
		return "", false
	}},
	{nsDAV, "creationdate", true, func(p *pctx, r *res) (string, bool) {
		switch {
		case r.version != nil:
			return r.version.ModifiedAt.UTC().Format(time.RFC3339), true
		case r.node != nil:
			return r.node.CreatedAt.UTC().Format(time.RFC3339), true
		}
		return "", false
	}},
	{nsDAV, "supportedlock", true, func(p *pctx, r *res) (string, bool) {
		if r.lockP == "-" || r.node == nil {
			return "", r.lockP != "-" && !r.home
		}
		return "<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>" +
			"<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>", true
	}},
	{nsDAV, "lockdiscovery", true, func(p *pctx, r *res) (string, bool) {
		if r.lockP == "-" {
			return "", false
		}
		var b strings.Builder
		for _, l := range p.locksFor(r.lockP) {
			writeActiveLock(&b, &l, p.t.base)
		}
		return b.String(), true
	}},
	{nsDAV, "quota-available-bytes", false, func(p *pctx, r *res) (string, bool) {
		if !r.dir || r.node == nil || r.node.TrashedAt != nil {
			return "", false
		}
		used, quota := p.usage()
		if quota == 0 {
			return strconv.FormatInt(freeBytes(p.h.files.Blobs().Dir()), 10), true
		}
		return strconv.FormatInt(max(quota-used, 0), 10), true
	}},
	{nsDAV, "quota-used-bytes", false, func(p *pctx, r *res) (string, bool) {
		if !r.dir || r.node == nil || r.node.TrashedAt != nil {
			return "", false
		}
		used, _ := p.usage()
		return strconv.FormatInt(used, 10), true
	}},
	{nsDAV, "current-user-privilege-set", false, func(p *pctx, r *res) (string, bool) {
		var b strings.Builder
		for _, priv := range acl.Privileges(r.level, r.dir) {
			b.WriteString("<D:privilege><D:" + string(priv) + "/></D:privilege>")
		}
		return b.String(), true
	}},
	{nsDAV, "current-user-principal", false, func(p *pctx, r *res) (string, bool) {
		return "<D:href>" + esc(p.h.principal+escapeSegment(p.who.Login)+"/") + "</D:href>", true
	}},
	{nsDAV, "owner", false, func(p *pctx, r *res) (string, bool) { return "", false }},
	{nsOC, "fileid", false, func(p *pctx, r *res) (string, bool) {
		if r.node == nil {
			return "", false
		}
		return strconv.FormatInt(r.node.ID, 10), true
	}},
	{nsOC, "id", false, func(p *pctx, r *res) (string, bool) {
		if r.node == nil {
			return "", false
		}
		return strconv.FormatInt(r.node.ID, 10), true
	}},
	{nsOC, "permissions", false, func(p *pctx, r *res) (string, bool) {
		if r.node == nil || r.version != nil {
			return "", false
		}
		return permissions(r.node), true
	}},
	{nsOC, "size", false, func(p *pctx, r *res) (string, bool) {
		if r.node == nil || r.dir {
			return "", false
		}
		return strconv.FormatInt(r.node.Size, 10), true
	}},
	{nsNC, "trashbin-filename", false, func(p *pctx, r *res) (string, bool) {
		if r.node == nil || r.node.TrashedAt == nil {
			return "", false
		}
		return esc(r.node.Name), true
	}},
	{nsNC, "trashbin-original-location", false, func(p *pctx, r *res) (string, bool) {
		if r.node == nil || r.node.TrashedAt == nil {
			return "", false
		}
		return esc(strings.TrimPrefix(r.node.TrashPath, "/")), true
	}},
	{nsNC, "trashbin-deletion-time", false, func(p *pctx, r *res) (string, bool) {
		if r.node == nil || r.node.TrashedAt == nil {
			return "", false
		}
		return strconv.FormatInt(r.node.TrashedAt.Unix(), 10), true
	}},
	{nsNC, "version-author", false, func(p *pctx, r *res) (string, bool) {
		if r.version == nil || r.version.AuthorID == nil {
			return "", false
		}
		return strconv.FormatInt(*r.version.AuthorID, 10), true
	}},
}

var liveIndex = func() map[xml.Name]*liveProp {
	m := map[xml.Name]*liveProp{}
	for i := range liveProps {
		m[xml.Name{Space: liveProps[i].ns, Local: liveProps[i].local}] = &liveProps[i]
	}
	return m
}()

func writeActiveLock(b *strings.Builder, l *files.Lock, base string) {
	scope := "exclusive"
	if l.Shared {
		scope = "shared"
	}
	depth := "0"
	if l.DepthInfinity {
		depth = "infinity"
	}
	b.WriteString("<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:" + scope + "/></D:lockscope>")
	b.WriteString("<D:depth>" + depth + "</D:depth>")
	if l.OwnerXML != "" {
		b.WriteString("<D:owner>" + l.OwnerXML + "</D:owner>")
	}
	remaining := int64(time.Until(l.ExpiresAt) / time.Second)
	b.WriteString("<D:timeout>Second-" + strconv.FormatInt(max(remaining, 0), 10) + "</D:timeout>")
	b.WriteString("<D:locktoken><D:href>" + esc(l.Token) + "</D:href></D:locktoken>")
	b.WriteString("<D:lockroot><D:href>" + esc(base+escapePath(files.SplitPath(l.Path))) + "</D:href></D:lockroot>")
	b.WriteString("</D:activelock>")
}

// propfindReq is a parsed PROPFIND body.
type propfindReq struct {
	mode    string // "allprop", "propname" or "prop"
	names   []xml.Name
	include []xml.Name
	minimal bool // Prefer: return=minimal or Brief: t: no 404 propstats
}

func parsePropfind(r *http.Request, w http.ResponseWriter) (*propfindReq, error) {
	root, err := parseXML(http.MaxBytesReader(w, r.Body, maxXMLBytes))
	if err != nil {
		return nil, err
	}
	minimal := strings.EqualFold(strings.TrimSpace(r.Header.Get("Brief")), "t")
	for _, v := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "return=minimal") {
				minimal = true
			}
		}
	}
	if root == nil {
		return &propfindReq{mode: "allprop", minimal: minimal}, nil
	}
	if !root.is("propfind") {
		return nil, errBadXML
	}
	q := &propfindReq{minimal: minimal}
	for _, k := range root.Kids() {
		switch {
		case k.is("allprop"):
			q.mode = "allprop"
		case k.is("propname"):
			q.mode = "propname"
		case k.is("prop"):
			q.mode = "prop"
			for _, p := range k.Kids() {
				q.names = append(q.names, p.Name)
			}
		case k.is("include"):
			for _, p := range k.Kids() {
				q.include = append(q.include, p.Name)
			}
		}
	}
	if q.mode == "" {
		return nil, errBadXML
	}
	return q, nil
}

// needDead reports whether answering q needs the dead properties.
func (q *propfindReq) needDead() bool {
	if q.mode != "prop" {
		return true
	}
	for _, n := range q.names {
		if _, ok := liveIndex[n]; !ok {
			return true
		}
	}
	return false
}

// writeMultistatus streams the answer to q for rs.
func (h *handler) writeMultistatus(w http.ResponseWriter, p *pctx, q *propfindReq, rs []res) {
	dead := map[int64][]files.Prop{}
	if q.needDead() {
		var ids []int64
		for _, r := range rs {
			if r.node != nil && r.version == nil {
				ids = append(ids, r.node.ID)
			}
		}
		var err error
		if dead, err = h.files.Props(p.ctx, ids...); err != nil {
			h.fail(w, p.r, p.r.URL.Path, err)
			return
		}
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	if q.minimal {
		w.Header().Set("Preference-Applied", "return=minimal")
	}
	w.WriteHeader(http.StatusMultiStatus)
	b := bufio.NewWriterSize(w, 64<<10)
	defer b.Flush()
	b.WriteString(multistatusOpen)
	for i := range rs {
		r := &rs[i]
		b.WriteString("<D:response><D:href>")
		xmlEscape(b, r.href)
		b.WriteString("</D:href>")
		var deadProps []files.Prop
		if r.node != nil && r.version == nil {
			deadProps = dead[r.node.ID]
		}
		switch q.mode {
		case "propname":
			b.WriteString("<D:propstat><D:prop>")
			for _, lp := range liveProps {
				if _, ok := lp.get(p, r); ok {
					emptyTag(b, lp.ns, lp.local)
				}
			}
			for _, d := range deadProps {
				emptyTag(b, d.Namespace, d.Name)
			}
			b.WriteString("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>")
		case "allprop":
			b.WriteString("<D:propstat><D:prop>")
			for _, lp := range liveProps {
				if lp.all || containsName(q.include, lp.ns, lp.local) {
					if v, ok := lp.get(p, r); ok {
						writeProp(b, lp.ns, lp.local, v)
					}
				}
			}
			for _, d := range deadProps {
				writeProp(b, d.Namespace, d.Name, d.Value)
			}
			b.WriteString("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>")
		default:
			var missing []xml.Name
			b.WriteString("<D:propstat><D:prop>")
			for _, n := range q.names {
				if lp, ok := liveIndex[n]; ok {
					if v, ok := lp.get(p, r); ok {
						writeProp(b, n.Space, n.Local, v)
						continue
					}
				} else if d := findProp(deadProps, n); d != nil {
					writeProp(b, d.Namespace, d.Name, d.Value)
					continue
				}
				missing = append(missing, n)
			}
			b.WriteString("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>")
			if len(missing) > 0 && !q.minimal {
				b.WriteString("<D:propstat><D:prop>")
				for _, n := range missing {
					if validLocal(n.Local) {
						emptyTag(b, n.Space, n.Local)
					}
				}
				b.WriteString("</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>")
			}
		}
		b.WriteString("</D:response>")
	}
	b.WriteString("</D:multistatus>")
}

func containsName(ns []xml.Name, space, local string) bool {
	for _, n := range ns {
		if n.Space == space && n.Local == local {
			return true
		}
	}
	return false
}

func findProp(ps []files.Prop, n xml.Name) *files.Prop {
	for i := range ps {
		if ps[i].Namespace == n.Space && ps[i].Name == n.Local {
			return &ps[i]
		}
	}
	return nil
}

func writeProp(b *bufio.Writer, ns, local, inner string) {
	if inner == "" {
		emptyTag(b, ns, local)
		return
	}
	end := openTag(b, ns, local)
	b.WriteString(inner)
	b.WriteString(end)
}

// nodeRes describes node n of t's tree at p.
func (t *target) nodeRes(n *files.Node, p files.Path) res {
	display := n.Name
	if n.ParentID == nil {
		display = t.name
	}
	return res{href: t.href(p, n.IsDir), node: n, dir: n.IsDir, display: display, lockP: p.String(), level: n.Level}
}

func (h *handler) propfindDepth(w http.ResponseWriter, r *http.Request) (int, bool) {
	depth, err := parseDepth(r.Header.Get("Depth"), depth1)
	if err != nil {
		http.Error(w, "bad Depth header", http.StatusBadRequest)
		return 0, false
	}
	if depth == depthInfinity {
		writeCondition(w, http.StatusForbidden, "propfind-finite-depth", nil)
		return 0, false
	}
	return depth, true
}

func (h *handler) propfind(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	depth, ok := h.propfindDepth(w, r)
	if !ok {
		return
	}
	q, err := parsePropfind(r, w)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	n, err := h.lookup(r.Context(), who, t)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	rs := []res{t.nodeRes(n, t.path)}
	if depth == depth1 && n.IsDir {
		kids, err := h.files.Children(r.Context(), who, n)
		if err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		// Children's hrefs and lock paths extend the folder's, computed once.
		hrefBase, lockBase := t.href(t.path, true), t.path.String()+"/"
		for i := range kids {
			k := &kids[i]
			href := hrefBase + escapeSegment(k.Name)
			if k.IsDir {
				href += "/"
			}
			rs = append(rs, res{href: href, node: k, dir: k.IsDir, display: k.Name, lockP: lockBase + k.Name, level: k.Level})
		}
	}
	h.writeMultistatus(w, &pctx{h: h, r: r, ctx: r.Context(), who: who, t: t}, q, rs)
}

// serveHome answers the virtual collections /dav/files/ and /dav/spaces/.
func (h *handler) serveHome(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	if r.Method != "PROPFIND" {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("Plaza WebDAV: mount " + t.base + "/<name>/\n")) //nolint:errcheck
			return
		}
		http.Error(w, "method not allowed here", http.StatusMethodNotAllowed)
		return
	}
	depth, ok := h.propfindDepth(w, r)
	if !ok {
		return
	}
	q, err := parsePropfind(r, w)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	rs := []res{{href: t.base + "/", dir: true, display: t.home, lockP: "-", level: acl.Read, home: true}}
	if depth == depth1 {
		if t.home == "files" {
			rs = append(rs, res{href: t.base + "/" + escapeSegment(who.Login) + "/", dir: true, display: who.Login,
				lockP: "-", level: acl.Full, home: true})
		} else {
			sps, err := h.spaces.Visible(r.Context(), who)
			if err != nil {
				h.fail(w, r, r.URL.Path, err)
				return
			}
			for _, sp := range sps {
				rs = append(rs, res{href: t.base + "/" + escapeSegment(sp.Slug) + "/", dir: true, display: sp.Name,
					lockP: "-", level: acl.Read, home: true})
			}
		}
	}
	h.writeMultistatus(w, &pctx{h: h, r: r, ctx: r.Context(), who: who, t: t}, q, rs)
}
