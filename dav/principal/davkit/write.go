package davkit

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/dav/davhttp"
)

// bind adds to this collection a resource that already is in another
// collection of the same home (RFC 5842 BIND): the same object, so an
// event edited in one calendar changes in all. The segment must be the
// source's name (one object keeps one name).
func (s *Server) bind(w http.ResponseWriter, r *http.Request, t *Target) {
	root, err := ParseXML(http.MaxBytesReader(w, r.Body, MaxXMLBytes))
	if err != nil || root == nil || root.Name != DAV("bind") || root.Child(DAV("href")) == nil || root.Child(DAV("segment")) == nil {
		s.fail(w, r, t, fmt.Errorf("%w: expected DAV:bind with segment and href", ErrBadXML))
		return
	}
	u, err := url.Parse(strings.TrimSpace(root.Child(DAV("href")).Text))
	if err != nil {
		s.fail(w, r, t, fmt.Errorf("%w: bad href", ErrBadXML))
		return
	}
	home := s.F.Prefix + PathEscape(t.Who.Login) + "/"
	rest, ok := strings.CutPrefix(u.Path, strings.TrimSuffix(home, "/")+"/")
	seg, name, ok2 := strings.Cut(rest, "/")
	segment := strings.TrimSpace(root.Child(DAV("segment")).Text)
	if !ok || !ok2 || name == "" || strings.Contains(name, "/") {
		s.fail(w, r, t, fmt.Errorf("%w: the href must name a resource of this home", core.ErrConflict))
		return
	}
	if segment != name {
		s.fail(w, r, t, fmt.Errorf("%w: a bound resource keeps its name (segment %q, source %q)", core.ErrConflict, segment, name))
		return
	}
	from, err := s.F.Store.Resolve(r.Context(), t.Who, seg)
	if err != nil {
		s.fail(w, r, t, err)
		return
	}
	if err := s.F.Store.Link(r.Context(), t.Who, from, name, t.Coll); err != nil {
		s.fail(w, r, t, err)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// mkcol creates a collection: MKCALENDAR (RFC 4791 §5.3.1) or extended
// MKCOL (RFC 5689) whose resourcetype names the flavour's collection.
func (s *Server) mkcol(w http.ResponseWriter, r *http.Request, who core.Subject, seg string) {
	root, err := ParseXML(http.MaxBytesReader(w, r.Body, MaxXMLBytes))
	want := DAV("mkcol")
	if r.Method != "MKCOL" {
		want = Name(NSCalDAV, strings.ToLower(r.Method)) // mkcalendar
	}
	if err == nil && root != nil && root.Name != want {
		err = fmt.Errorf("%w: the body of %s is a %s:%s element", ErrBadXML, r.Method, want.Space, want.Local)
	}
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	n := calendar.NewCollection{Slug: seg}
	var p calendar.Props
	if r.Method == "MKCOL" {
		rt := root.Child(DAV("set")).Child(DAV("prop")).Child(DAV("resourcetype"))
		if rt == nil || rt.Child(s.F.CollectionType) == nil {
			http.Error(w, "MKCOL here makes only "+s.F.CollectionType.Local+" collections (extended MKCOL with its resourcetype)", http.StatusForbidden)
			return
		}
	}
	var bad []Prop
	for _, set := range root.All(DAV("set")) {
		for _, prop := range set.Child(DAV("prop")).kids() {
			if prop.Name == DAV("resourcetype") {
				continue
			}
			ok, err := s.F.ParseSet(prop, &n, &p)
			if err != nil || !ok {
				bad = append(bad, Prop{Name: prop.Name, Status: http.StatusForbidden})
			}
		}
	}
	if len(bad) > 0 && r.Method == "MKCOL" {
		ms := &Multistatus{Responses: []Response{{Href: r.URL.Path, Props: bad}}}
		ms.Write(w)
		return
	}
	if p.Name != nil {
		n.Name = *p.Name
	}
	if p.Description != nil {
		n.Description = *p.Description
	}
	if p.Color != nil {
		n.Color = *p.Color
	}
	if _, err := s.F.Store.Create(r.Context(), who, n); err != nil {
		s.fail(w, r, nil, err)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusCreated)
}

var protected = map[xml.Name]bool{
	DAV("resourcetype"): true, DAV("getetag"): true, DAV("sync-token"): true, Name(NSCS, "getctag"): true,
	DAV("current-user-privilege-set"): true, DAV("owner"): true, DAV("supported-report-set"): true,
	DAV("getcontenttype"): true, DAV("getlastmodified"): true, DAV("current-user-principal"): true,
}

// proppatch changes collection properties atomically (RFC 4918 §9.2):
// displayname, the description and the flavour's own; properties the
// server does not keep (clients' dead properties) are accepted with 200
// but not stored; protected ones fail with 403 and the rest with 424.
func (s *Server) proppatch(w http.ResponseWriter, r *http.Request, t *Target) {
	root, err := ParseXML(http.MaxBytesReader(w, r.Body, MaxXMLBytes))
	if err != nil || root == nil || root.Name != DAV("propertyupdate") {
		s.fail(w, r, t, fmt.Errorf("%w: expected DAV:propertyupdate", ErrBadXML))
		return
	}
	var props []Prop
	var p calendar.Props
	var n calendar.NewCollection
	failed := false
	for _, op := range root.Kids {
		remove := op.Name == DAV("remove")
		if !remove && op.Name != DAV("set") {
			continue
		}
		for _, prop := range op.Child(DAV("prop")).kids() {
			pr := Prop{Name: prop.Name}
			switch {
			case protected[prop.Name]:
				pr.Status = http.StatusForbidden
				failed = true
			case remove:
				empty := ""
				switch prop.Name {
				case s.F.DescriptionProp:
					p.Description = &empty
				case Name(NSApple, "calendar-color"):
					p.Color = &empty
				}
			default:
				ok, err := s.F.ParseSet(prop, &n, &p)
				if err != nil {
					pr.Status = http.StatusConflict
					failed = true
				}
				_ = ok // dead properties: accepted, not kept
			}
			props = append(props, pr)
		}
	}
	if !failed && !acl.Allows(t.Coll.Level, true, acl.PrivWriteProperties) && p.Name == nil && p.Description == nil {
		// A sharee without write-properties may still colour and order a
		// calendar in its client (Apple Calendar's UI breaks on a 403):
		// accepted, kept by the client only.
		p.Color, p.SortOrder = nil, nil
	}
	if !failed && (p.Name != nil || p.Description != nil || p.Color != nil || p.SortOrder != nil) {
		if err := s.F.Store.SetProps(r.Context(), t.Who, t.Coll, p); err != nil {
			st := davhttp.Status(err)
			if st >= 500 {
				s.fail(w, r, t, err)
				return
			}
			for i := range props {
				props[i].Status = st
			}
		}
	} else if failed {
		for i := range props {
			if props[i].Status == 0 {
				props[i].Status = http.StatusFailedDependency
			}
		}
	}
	ms := &Multistatus{Responses: []Response{{Href: t.Base, Props: props}}}
	ms.Write(w)
}
