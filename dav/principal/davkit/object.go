package davkit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

func (s *Server) serveObject(w http.ResponseWriter, r *http.Request, t *Target, name string) {
	ctx := r.Context()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		o, err := s.F.Store.Get(ctx, t.Coll, name)
		if err != nil {
			s.fail(w, r, t, err)
			return
		}
		body, ct, err := s.F.GetData(r, o)
		if err != nil {
			s.fail(w, r, t, err)
			return
		}
		h := w.Header()
		h.Set("ETag", ETag(o.ETag))
		h.Set("Last-Modified", o.UpdatedAt.UTC().Format(http.TimeFormat))
		h.Set("Content-Type", ct)
		for _, m := range Conditions(r).IfNoneMatch {
			if m == o.ETag || m == "*" {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(body) //nolint:errcheck
	case http.MethodPut:
		if strings.Contains(r.Header.Get("Content-Range"), "bytes") {
			http.Error(w, "partial PUT is not supported", http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.F.MaxResource))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				w.Header().Set("Content-Type", "application/xml; charset=utf-8")
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				pre := Name(NSCalDAV, "max-resource-size")
				if !s.F.Calendar {
					pre = Name(NSCardDAV, "max-resource-size")
				}
				w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:error xmlns:D="DAV:" xmlns:C="` + NSCalDAV + //nolint:errcheck
					`" xmlns:CR="` + NSCardDAV + `">` + Elem(pre, "") + `</D:error>`))
				return
			}
			http.Error(w, "could not read the body", http.StatusBadRequest)
			return
		}
		etag, created, err := s.F.Store.Put(ctx, t.Who, t.Coll, name, body, Conditions(r))
		if err != nil {
			s.fail(w, r, t, err)
			return
		}
		w.Header().Set("ETag", ETag(etag))
		if created {
			w.Header().Set("Location", t.Base+PathEscape(name))
			w.WriteHeader(http.StatusCreated)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		if err := s.F.Store.Delete(ctx, t.Who, t.Coll, name, Conditions(r)); err != nil {
			s.fail(w, r, t, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "PROPFIND":
		pf, _, err := propfindOf(r)
		if err != nil {
			s.fail(w, r, t, err)
			return
		}
		o, err := s.F.Store.Get(ctx, t.Coll, name)
		if err != nil {
			s.fail(w, r, t, err)
			return
		}
		ms := &Multistatus{Minimal: Minimal(r)}
		ms.Responses = append(ms.Responses, Response{Href: t.Base + PathEscape(name), Props: s.objectProps(r, t, o, pf, nil)})
		ms.Write(w)
	case "PROPPATCH":
		if _, err := s.F.Store.Get(ctx, t.Coll, name); err != nil {
			s.fail(w, r, t, err)
			return
		}
		root, err := ParseXML(http.MaxBytesReader(w, r.Body, MaxXMLBytes))
		if err != nil || root == nil {
			s.fail(w, r, t, fmt.Errorf("%w: expected DAV:propertyupdate", ErrBadXML))
			return
		}
		var props []Prop
		for _, op := range root.Kids {
			for _, p := range op.Child(DAV("prop")).kids() {
				props = append(props, Prop{Name: p.Name, Status: http.StatusForbidden})
			}
		}
		(&Multistatus{Responses: []Response{{Href: t.Base + PathEscape(name), Props: props}}}).Write(w)
	case s.F.MkMethod, "MKCOL":
		http.Error(w, "collections do not nest", http.StatusMethodNotAllowed)
	default:
		w.Header().Set("Allow", s.allow(2))
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
