package files

import (
	"bufio"
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/files"
)

// proppatch stores dead properties, all or none (RFC 4918 §9.2). Live
// properties are protected (403 in the answer), except Windows'
// Win32LastModifiedTime, which also sets the modification time.
func (h *handler) proppatch(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	ctx := r.Context()
	body, err := parseXML(http.MaxBytesReader(w, r.Body, maxXMLBytes))
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	if body == nil || !body.is("propertyupdate") {
		h.fail(w, r, r.URL.Path, errBadXML)
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
	if ctx, err = h.writable(ctx, r, who, t); err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	if err := n.Need("write-properties"); err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	var ops []files.PropOp
	var names []xml.Name
	var protected, bad []xml.Name
	var modTime time.Time
	for _, k := range body.Kids() {
		remove := k.is("remove")
		if !remove && !k.is("set") {
			continue
		}
		prop := k.Child("prop")
		if prop == nil {
			h.fail(w, r, r.URL.Path, errBadXML)
			return
		}
		for _, p := range prop.Kids() {
			if !validLocal(p.Name.Local) {
				h.fail(w, r, r.URL.Path, errBadXML)
				return
			}
			names = append(names, p.Name)
			if _, live := liveIndex[p.Name]; live {
				protected = append(protected, p.Name)
				continue
			}
			if p.Name.Space == nsMS && p.Name.Local == "Win32LastModifiedTime" && !remove {
				tm, err := http.ParseTime(strings.TrimSpace(p.Text()))
				if err != nil || tm.Year() < 1601 || tm.Year() > 9999 {
					// Not a date Windows could have sent: refused
					// (409, RFC 4918 §9.2), with the rest of the update.
					bad = append(bad, p.Name)
					continue
				}
				modTime = tm
			}
			op := files.PropOp{Namespace: p.Name.Space, Name: p.Name.Local, Remove: remove}
			if !remove {
				op.Value = innerXML(p)
			}
			ops = append(ops, op)
		}
	}
	if len(names) == 0 {
		h.fail(w, r, r.URL.Path, errBadXML)
		return
	}
	status := map[xml.Name]string{}
	if len(protected)+len(bad) > 0 {
		for _, n := range names {
			status[n] = "424 Failed Dependency"
		}
		for _, n := range protected {
			status[n] = "403 Forbidden"
		}
		for _, n := range bad {
			status[n] = "409 Conflict"
		}
	} else {
		if err := h.files.PatchProps(ctx, who, n, ops, nil); err != nil {
			h.fail(w, r, r.URL.Path, lockedAt(t.base, err))
			return
		}
		if !modTime.IsZero() {
			if err := h.files.SetModTime(ctx, who, n, modTime); err != nil {
				h.fail(w, r, r.URL.Path, lockedAt(t.base, err))
				return
			}
		}
		for _, n := range names {
			status[n] = "200 OK"
		}
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	b := bufio.NewWriter(w)
	defer b.Flush()
	b.WriteString(multistatusOpen + "<D:response><D:href>")
	xmlEscape(b, t.href(t.path, n.IsDir))
	b.WriteString("</D:href>")
	for _, st := range []string{"200 OK", "403 Forbidden", "409 Conflict", "424 Failed Dependency"} {
		first := true
		seen := map[xml.Name]bool{}
		for _, n := range names {
			if status[n] != st || seen[n] {
				continue
			}
			seen[n] = true
			if first {
				b.WriteString("<D:propstat><D:prop>")
				first = false
			}
			emptyTag(b, n.Space, n.Local)
		}
		if !first {
			b.WriteString("</D:prop><D:status>HTTP/1.1 " + st + "</D:status></D:propstat>")
		}
	}
	b.WriteString("</D:response></D:multistatus>")
}
