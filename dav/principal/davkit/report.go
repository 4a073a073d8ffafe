package davkit

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"plaza/core/calendar"
)

func (s *Server) report(w http.ResponseWriter, r *http.Request, t *Target) {
	root, err := ParseXML(http.MaxBytesReader(w, r.Body, MaxXMLBytes))
	if err != nil || root == nil {
		s.fail(w, r, t, fmt.Errorf("%w: empty REPORT", ErrBadXML))
		return
	}
	switch {
	case root.Name == DAV("sync-collection"):
		err = s.syncCollection(w, r, t, root)
	case root.Name == s.F.MultigetName:
		err = s.multiget(w, r, t, root)
	case s.F.Reports[root.Name] != nil:
		err = s.F.Reports[root.Name](w, r, t, root)
	default:
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:error xmlns:D="DAV:"><D:supported-report/></D:error>`)) //nolint:errcheck
		return
	}
	if err != nil {
		s.fail(w, r, t, err)
	}
}

// PropSpec returns the requested props of a REPORT and its data element.
func (s *Server) PropSpec(root *Node) (*PropFind, *Node) {
	pf := &PropFind{}
	switch {
	case root.Child(DAV("allprop")) != nil:
		pf.AllProp = true
	case root.Child(DAV("prop")) != nil:
		pf.Props = PropNames(root.Child(DAV("prop")))
	default:
		pf.Props = []xml.Name{DAV("getetag")}
	}
	return pf, root.Child(DAV("prop")).Child(s.F.DataProp)
}

// Respond writes objects as a multistatus answer of a REPORT.
func (s *Server) Respond(w http.ResponseWriter, r *http.Request, t *Target, objs []calendar.Object, pf *PropFind, spec *Node) {
	ms := &Multistatus{Minimal: Minimal(r)}
	for i := range objs {
		ms.Responses = append(ms.Responses, Response{Href: t.Base + PathEscape(objs[i].Name), Props: s.objectProps(r, t, &objs[i], pf, spec)})
	}
	ms.Write(w)
}

func (s *Server) syncCollection(w http.ResponseWriter, r *http.Request, t *Target, root *Node) error {
	tokNode := root.Child(DAV("sync-token"))
	tok := ""
	if tokNode != nil {
		tok = tokNode.Text
	}
	since, err := parseSyncToken(t.Coll, tok)
	if err != nil {
		return err
	}
	if lvl := root.Child(DAV("sync-level")); lvl != nil {
		if v := strings.TrimSpace(lvl.Text); v != "1" && v != "infinite" {
			return fmt.Errorf("%w: sync-level must be 1 or infinite", ErrBadXML)
		}
	}
	changed, deleted, seq, err := s.F.Store.Changes(r.Context(), t.Coll, since)
	if err != nil {
		return err
	}
	pf, spec := s.PropSpec(root)
	if s.wantsData(pf) && len(changed) > 0 {
		names := make([]string, len(changed))
		for i, o := range changed {
			names[i] = o.Name
		}
		if changed, err = s.F.Store.GetMany(r.Context(), t.Coll, names); err != nil {
			return err
		}
	}
	ms := &Multistatus{Minimal: Minimal(r), SyncToken: SyncToken(t.Coll, seq)}
	for i := range changed {
		ms.Responses = append(ms.Responses, Response{Href: t.Base + PathEscape(changed[i].Name), Props: s.objectProps(r, t, &changed[i], pf, spec)})
	}
	for _, n := range deleted {
		ms.Responses = append(ms.Responses, Response{Href: t.Base + PathEscape(n), Status: http.StatusNotFound})
	}
	ms.Write(w)
	return nil
}

// HrefName returns the object name an href names inside base, or "".
func HrefName(base, href string) string {
	u, err := url.Parse(strings.TrimSpace(href))
	if err != nil {
		return ""
	}
	baseU, _ := url.Parse(base)
	rest, ok := strings.CutPrefix(u.Path, baseU.Path)
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return ""
	}
	return rest
}

func (s *Server) multiget(w http.ResponseWriter, r *http.Request, t *Target, root *Node) error {
	pf, spec := s.PropSpec(root)
	hrefs := root.All(DAV("href"))
	var names []string
	for _, h := range hrefs {
		if n := HrefName(t.Base, h.Text); n != "" {
			names = append(names, n)
		}
	}
	objs, err := s.F.Store.GetMany(r.Context(), t.Coll, names)
	if err != nil {
		return err
	}
	byName := make(map[string]*calendar.Object, len(objs))
	for i := range objs {
		byName[objs[i].Name] = &objs[i]
	}
	ms := &Multistatus{Minimal: Minimal(r)}
	for _, h := range hrefs {
		n := HrefName(t.Base, h.Text)
		o := byName[n]
		if o == nil {
			ms.Responses = append(ms.Responses, Response{Href: strings.TrimSpace(h.Text), Status: http.StatusNotFound})
			continue
		}
		ms.Responses = append(ms.Responses, Response{Href: t.Base + PathEscape(n), Props: s.objectProps(r, t, o, pf, spec)})
	}
	ms.Write(w)
	return nil
}
