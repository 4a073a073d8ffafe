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
	"plaza/core/blob"
	"plaza/core/files"
)

// res is one resource of a multistatus answer.
type res struct {
	href    string         // escaped; for a kid, its folder's (with a slash)
	node    *files.Node    // a file or folder (live or trashed)
	version *files.Version // a version of node
	dir     bool
	display string
	lockP   string // lock path in the tree ("-" when locks do not apply); for a kid, its folder's plus a slash
	kid     bool   // listed with its folder: href and lockP go on with node.Name
	level   acl.Level
	home    bool // a virtual collection (DAV roots, homes)
}

// lockPath is where r is for locks ("-": nowhere).
func (r *res) lockPath() string {
	if r.kid {
		return r.lockP + r.node.Name
	}
	return r.lockP
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
	// hashes holds the content hashes of listed files and digests their
	// SHA-1 and MD5, read when the request asks for checksums (listings
	// leave them out).
	hashes  map[int64]string
	digests map[string]blob.Digests
}

// checksum is the SHA-256 of r's content, "" for a folder.
func (p *pctx) checksum(r *res) string {
	switch {
	case r.version != nil:
		return r.version.BlobHash
	case r.node == nil || r.dir:
		return ""
	case r.node.BlobHash != "":
		return r.node.BlobHash
	}
	return p.hashes[r.node.ID]
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

// liveProp is a property the server computes. get appends its value
// (markup, escaped) to b, and reports whether r has it.
type liveProp struct {
	ns, local string
	all       bool // returned by allprop
	get       func(p *pctx, r *res, b []byte) ([]byte, bool)

	open, close, empty string // its tags, set by liveIndex
}

func esc(s string) string {
	if !strings.ContainsAny(s, "&<>\r") {
		return s
	}
	var b strings.Builder
	xmlEscape(&b, s)
	return b.String()
}

// appendEsc appends s escaped as XML character data.
func appendEsc(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var e string
		switch s[i] {
		case '&':
			e = "&amp;"
		case '<':
			e = "&lt;"
		case '>':
			e = "&gt;"
		case '\r':
			e = "&#xD;"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, e...)
		last = i + 1
	}
	return append(b, s[last:]...)
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
	{ns: nsDAV, local: "resourcetype", all: true, get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if r.dir {
			return append(b, "<D:collection/>"...), true
		}
		return b, true
	}},
	{ns: nsDAV, local: "displayname", all: true, get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if r.kid {
			return appendEsc(b, r.node.Name), true
		}
		return appendEsc(b, r.display), true
	}},
	{ns: nsDAV, local: "getcontentlength", all: true, get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		switch {
		case r.version != nil:
			return strconv.AppendInt(b, r.version.Size, 10), true
		case r.node != nil && !r.dir:
			return strconv.AppendInt(b, r.node.Size, 10), true
		}
		return b, false
	}},
	{ns: nsDAV, local: "getcontenttype", all: true, get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		switch {
		case r.version != nil:
			return appendEsc(b, contentType(&files.Node{Name: r.node.Name, ContentType: r.version.ContentType})), true
		case r.node != nil && !r.dir:
			return appendEsc(b, contentType(r.node)), true
		}
		return b, false
	}},
	{ns: nsDAV, local: "getetag", all: true, get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		switch {
		case r.version != nil:
			return appendEsc(b, r.version.ETag), true
		case r.node != nil:
			return appendEsc(b, r.node.ETag), true
		}
		return b, false
	}},
	{ns: nsDAV, local: "getlastmodified", all: true, get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		switch {
		case r.version != nil:
			return appendHTTPDate(b, r.version.ModifiedAt), true
		case r.node != nil:
			return appendHTTPDate(b, r.node.ModifiedAt), true
		}
		return b, false
	}},
	{ns: nsDAV, local: "creationdate", all: true, get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		switch {
		case r.version != nil:
			return r.version.ModifiedAt.UTC().AppendFormat(b, time.RFC3339), true
		case r.node != nil:
			return r.node.CreatedAt.UTC().AppendFormat(b, time.RFC3339), true
		}
		return b, false
	}},
	{ns: nsDAV, local: "supportedlock", all: true, get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if r.lockP == "-" || r.node == nil {
			return b, r.lockP != "-" && !r.home
		}
		return append(b, "<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>"+
			"<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>"...), true
	}},
	{ns: nsDAV, local: "lockdiscovery", all: true, get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if r.lockP == "-" {
			return b, false
		}
		var sb strings.Builder
		for _, l := range p.locksFor(r.lockPath()) {
			writeActiveLock(&sb, &l, p.t.base)
		}
		return append(b, sb.String()...), true
	}},
	{ns: nsDAV, local: "quota-available-bytes", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if !r.dir || r.node == nil || r.node.TrashedAt != nil {
			return b, false
		}
		used, quota := p.usage()
		if quota == 0 {
			return strconv.AppendInt(b, freeBytes(p.h.files.Blobs().Dir()), 10), true
		}
		return strconv.AppendInt(b, max(quota-used, 0), 10), true
	}},
	{ns: nsDAV, local: "quota-used-bytes", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if !r.dir || r.node == nil || r.node.TrashedAt != nil {
			return b, false
		}
		used, _ := p.usage()
		return strconv.AppendInt(b, used, 10), true
	}},
	{ns: nsDAV, local: "current-user-privilege-set", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		for _, priv := range acl.Privileges(r.level, r.dir) {
			b = append(b, "<D:privilege><D:"...)
			b = append(b, priv...)
			b = append(b, "/></D:privilege>"...)
		}
		return b, true
	}},
	{ns: nsDAV, local: "current-user-principal", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		b = append(b, "<D:href>"...)
		b = appendEsc(b, p.h.principal+escapeSegment(p.who.Login)+"/")
		return append(b, "</D:href>"...), true
	}},
	{ns: nsDAV, local: "owner", get: func(p *pctx, r *res, b []byte) ([]byte, bool) { return b, false }},
	{ns: nsOC, local: "fileid", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if r.node == nil {
			return b, false
		}
		return strconv.AppendInt(b, r.node.ID, 10), true
	}},
	{ns: nsOC, local: "id", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if r.node == nil {
			return b, false
		}
		return strconv.AppendInt(b, r.node.ID, 10), true
	}},
	// oc:checksums as ownCloud writes them, several in one element:
	// SHA-1 and MD5 (all rclone reads), and the SHA-256 that names the
	// content.
	{ns: nsOC, local: "checksums", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		h := p.checksum(r)
		if h == "" {
			return b, false
		}
		b = append(b, "<oc:checksum>"...)
		if d, ok := p.digests[h]; ok {
			b = append(append(append(append(b, "SHA1:"...), d.SHA1...), " MD5:"...), d.MD5...)
			b = append(b, ' ')
		}
		b = append(append(b, "SHA256:"...), h...)
		return append(b, "</oc:checksum>"...), true
	}},
	{ns: nsOC, local: "permissions", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if r.node == nil || r.version != nil {
			return b, false
		}
		return append(b, permissions(r.node)...), true
	}},
	{ns: nsOC, local: "size", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if r.node == nil || r.dir {
			return b, false
		}
		return strconv.AppendInt(b, r.node.Size, 10), true
	}},
	{ns: nsNC, local: "trashbin-filename", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if r.node == nil || r.node.TrashedAt == nil {
			return b, false
		}
		return appendEsc(b, r.node.Name), true
	}},
	{ns: nsNC, local: "trashbin-original-location", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if r.node == nil || r.node.TrashedAt == nil {
			return b, false
		}
		return appendEsc(b, strings.TrimPrefix(r.node.TrashPath, "/")), true
	}},
	{ns: nsNC, local: "trashbin-deletion-time", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if r.node == nil || r.node.TrashedAt == nil {
			return b, false
		}
		return strconv.AppendInt(b, r.node.TrashedAt.Unix(), 10), true
	}},
	{ns: nsNC, local: "version-author", get: func(p *pctx, r *res, b []byte) ([]byte, bool) {
		if r.version == nil || r.version.AuthorID == nil {
			return b, false
		}
		return strconv.AppendInt(b, *r.version.AuthorID, 10), true
	}},
}

var liveIndex = func() map[xml.Name]*liveProp {
	m := map[xml.Name]*liveProp{}
	for i := range liveProps {
		lp := &liveProps[i]
		lp.open, lp.close, lp.empty = tags(lp.ns, lp.local)
		m[xml.Name{Space: lp.ns, Local: lp.local}] = lp
	}
	return m
}()

// tags returns the start, end and empty-element tags of a property.
func tags(ns, local string) (open, close, empty string) {
	var o, e strings.Builder
	close = openTag(&o, ns, local)
	emptyTag(&e, ns, local)
	return o.String(), close, e.String()
}

// appendHTTPDate appends t in the format of HTTP dates (http.TimeFormat).
func appendHTTPDate(b []byte, t time.Time) []byte {
	const days, months = "SunMonTueWedThuFriSat", "JanFebMarAprMayJunJulAugSepOctNovDec"
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, http.TimeFormat)
	}
	wd := int(t.Weekday()) * 3
	two := func(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }
	b = append(b, days[wd:wd+3]...)
	b = append(b, ", "...)
	b = two(b, d)
	b = append(b, ' ')
	b = append(b, months[(int(mo)-1)*3:int(mo)*3]...)
	b = append(b, ' ')
	b = two(two(b, y/100), y%100)
	b = append(b, ' ')
	b = two(b, h)
	b = append(b, ':')
	b = two(b, mi)
	b = append(b, ':')
	b = two(b, s)
	return append(b, " GMT"...)
}

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

// multistatus writes the answer to a PROPFIND, resources after
// resources: a folder's listing streams out as it is read.
type multistatus struct {
	h       *handler
	w       http.ResponseWriter
	p       *pctx
	q       *propfindReq
	props   []*liveProp // allprop and propname: what each resource may show
	asked   []askedProp // prop: what was asked, in order
	b       *bufio.Writer
	val     []byte // a value being formatted
	missing []xml.Name
	ids     []int64
	started bool
	// checksums: the request asks for oc:checksums
	checksums bool
}

// askedProp is a property a prop request names.
type askedProp struct {
	name               xml.Name
	live               *liveProp // nil: a dead property (or none)
	open, close, empty string
}

func (h *handler) newMultistatus(w http.ResponseWriter, p *pctx, q *propfindReq) *multistatus {
	m := &multistatus{h: h, w: w, p: p, q: q,
		checksums: q.mode == "prop" && containsName(q.names, nsOC, "checksums") || q.mode == "allprop" && containsName(q.include, nsOC, "checksums")}
	switch q.mode {
	case "propname":
		for i := range liveProps {
			m.props = append(m.props, &liveProps[i])
		}
	case "allprop":
		for i := range liveProps {
			if lp := &liveProps[i]; lp.all || containsName(q.include, lp.ns, lp.local) {
				m.props = append(m.props, lp)
			}
		}
	default:
		for _, n := range q.names {
			a := askedProp{name: n, live: liveIndex[n]}
			if a.live != nil {
				a.open, a.close, a.empty = a.live.open, a.live.close, a.live.empty
			} else {
				a.open, a.close, a.empty = tags(n.Space, n.Local)
			}
			m.asked = append(m.asked, a)
		}
	}
	return m
}

// write answers for rs. An error (reading dead properties, or the client
// gone) before anything is written leaves the answer to the caller.
func (m *multistatus) write(rs []res) error {
	var dead map[int64][]files.Prop
	if m.q.needDead() {
		m.ids = m.ids[:0]
		for _, r := range rs {
			if r.node != nil && r.version == nil {
				m.ids = append(m.ids, r.node.ID)
			}
		}
		var err error
		if dead, err = m.h.files.Props(m.p.ctx, m.ids...); err != nil {
			return err
		}
	}
	if m.checksums {
		m.ids = m.ids[:0]
		for _, r := range rs {
			if r.node != nil && r.version == nil && !r.dir && r.node.BlobHash == "" {
				m.ids = append(m.ids, r.node.ID)
			}
		}
		var err error
		if m.p.hashes, err = m.h.files.BlobHashes(m.p.ctx, m.ids...); err != nil {
			return err
		}
		var sums []string
		for i := range rs {
			if h := m.p.checksum(&rs[i]); h != "" {
				sums = append(sums, h)
			}
		}
		if m.p.digests, err = m.h.files.Blobs().Digests(m.p.ctx, sums...); err != nil {
			return err
		}
	}
	m.start()
	b := m.b
	for i := range rs {
		r := &rs[i]
		b.WriteString("<D:response><D:href>")
		if r.kid {
			b.WriteString(r.href)
			m.val = appendHrefSegment(m.val[:0], r.node.Name)
			if r.dir {
				m.val = append(m.val, '/')
			}
			b.Write(m.val)
		} else {
			xmlEscape(b, r.href)
		}
		b.WriteString("</D:href>")
		var deadProps []files.Prop
		if r.node != nil && r.version == nil {
			deadProps = dead[r.node.ID]
		}
		switch m.q.mode {
		case "propname":
			b.WriteString("<D:propstat><D:prop>")
			for _, lp := range m.props {
				if _, ok := lp.get(m.p, r, m.val[:0]); ok {
					b.WriteString(lp.empty)
				}
			}
			for _, d := range deadProps {
				emptyTag(b, d.Namespace, d.Name)
			}
			b.WriteString("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>")
		case "allprop":
			b.WriteString("<D:propstat><D:prop>")
			for _, lp := range m.props {
				var ok bool
				if m.val, ok = lp.get(m.p, r, m.val[:0]); ok {
					m.writeValue(lp.open, lp.close, lp.empty, m.val)
				}
			}
			for _, d := range deadProps {
				writeProp(b, d.Namespace, d.Name, d.Value)
			}
			b.WriteString("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>")
		default:
			m.missing = m.missing[:0]
			b.WriteString("<D:propstat><D:prop>")
			for i := range m.asked {
				a := &m.asked[i]
				if a.live != nil {
					var ok bool
					if m.val, ok = a.live.get(m.p, r, m.val[:0]); ok {
						m.writeValue(a.open, a.close, a.empty, m.val)
						continue
					}
				} else if d := findProp(deadProps, a.name); d != nil {
					writeProp(b, d.Namespace, d.Name, d.Value)
					continue
				}
				m.missing = append(m.missing, a.name)
			}
			b.WriteString("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>")
			if len(m.missing) > 0 && !m.q.minimal {
				b.WriteString("<D:propstat><D:prop>")
				for _, n := range m.missing {
					if validLocal(n.Local) {
						emptyTag(b, n.Space, n.Local)
					}
				}
				b.WriteString("</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>")
			}
		}
		b.WriteString("</D:response>")
	}
	_, err := b.Write(nil) // the first write error, if any
	return err
}

func (m *multistatus) writeValue(open, close, empty string, v []byte) {
	if len(v) == 0 {
		m.b.WriteString(empty)
		return
	}
	m.b.WriteString(open)
	m.b.Write(v)
	m.b.WriteString(close)
}

// start sends the status and the opening of the document, once.
func (m *multistatus) start() {
	if m.started {
		return
	}
	m.started = true
	m.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	if m.q.minimal {
		m.w.Header().Set("Preference-Applied", "return=minimal")
		m.w.Header().Add("Vary", "Brief, Prefer")
	}
	m.w.WriteHeader(http.StatusMultiStatus)
	m.b = bufio.NewWriterSize(m.w, 64<<10)
	m.b.WriteString(multistatusOpen)
}

// end closes the document.
func (m *multistatus) end() {
	m.start()
	m.b.WriteString("</D:multistatus>")
	m.b.Flush()
}

// writeMultistatus answers q for rs.
func (h *handler) writeMultistatus(w http.ResponseWriter, p *pctx, q *propfindReq, rs []res) {
	m := h.newMultistatus(w, p, q)
	if err := m.write(rs); err != nil {
		if !m.started {
			h.fail(w, p.r, p.r.URL.Path, err)
		}
		return
	}
	m.end()
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

// appendHrefSegment appends name as one segment of an escaped URL path,
// escaped again for XML: what xmlEscape(escapeSegment(name)) writes.
func appendHrefSegment(b []byte, name string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
			b = append(b, c)
		case c == '-' || c == '_' || c == '.' || c == '~' || c == '$' || c == ':' || c == '=' || c == '@':
			b = append(b, c)
		case c == '&':
			b = append(b, "&amp;"...)
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
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
	p := &pctx{h: h, r: r, ctx: r.Context(), who: who, t: t}
	m := h.newMultistatus(w, p, q)
	self := []res{t.nodeRes(n, t.path)}
	if depth == depth1 && n.IsDir {
		// Children's hrefs and lock paths extend the folder's.
		hrefBase, lockBase := esc(t.href(t.path, true)), t.path.String()+"/"
		rs := make([]res, 0, 512)
		err := h.files.ListChildren(r.Context(), who, n, func(kids []files.Node) error {
			if self != nil {
				if err := m.write(self); err != nil {
					return err
				}
				self = nil
			}
			rs = rs[:0]
			for i := range kids {
				k := &kids[i]
				rs = append(rs, res{href: hrefBase, node: k, dir: k.IsDir, lockP: lockBase, kid: true, level: k.Level})
			}
			return m.write(rs)
		})
		if err != nil {
			if !m.started {
				h.fail(w, r, r.URL.Path, err)
				return
			}
			// Half an answer is out: cut the connection rather than let
			// the client take it for all of it.
			panic(http.ErrAbortHandler)
		}
	}
	if self != nil {
		if err := m.write(self); err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
	}
	m.end()
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
