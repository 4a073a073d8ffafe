package davkit

import (
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/dav/davhttp"
)

// Paths of the DAV tree.
const (
	Root         = "/dav/"
	Principals   = "/dav/principals/"
	Calendars    = "/dav/calendars/"
	AddressBooks = "/dav/addressbooks/"
	// SpacePrincipals holds the principals of spaces, the owners of their
	// calendars and address books: two segments, so no login takes them.
	SpacePrincipals = Principals + "spaces/"
)

// PrincipalHref is the principal URL of a login.
func PrincipalHref(login string) string { return Principals + PathEscape(login) + "/" }

// SpacePrincipalHref is the principal URL of a space.
func SpacePrincipalHref(slug string) string { return SpacePrincipals + PathEscape(slug) + "/" }

// OwnerHref is the principal that owns c: its space, or the person.
func OwnerHref(c *calendar.Collection) (string, bool) {
	switch {
	case c.SpaceID != nil && c.SpaceSlug != "":
		return SpacePrincipalHref(c.SpaceSlug), true
	case c.OwnerLogin != "":
		return PrincipalHref(c.OwnerLogin), true
	}
	return "", false
}

// Target is what a request addresses inside a flavour's tree.
type Target struct {
	Who  core.Subject
	Coll *calendar.Collection
	Base string // href of the collection, with a trailing slash
}

// ReportFunc answers one flavour-specific REPORT on a collection.
type ReportFunc func(w http.ResponseWriter, r *http.Request, t *Target, root *Node) error

// Flavour is what differs between CalDAV and CardDAV.
type Flavour struct {
	Prefix          string // Calendars or AddressBooks
	Store           *calendar.Store
	Log             *slog.Logger
	ContentType     string   // of objects
	DAVHeader       string   // DAV: response header
	CollectionType  xml.Name // C:calendar or CR:addressbook
	DataProp        xml.Name // C:calendar-data or CR:address-data
	DescriptionProp xml.Name
	MultigetName    xml.Name
	MkMethod        string // MKCALENDAR, or "" (extended MKCOL only)
	Calendar        bool   // calendar-access privileges
	Pre             Preconditions
	MaxResource     int64
	// CollectionProp answers flavour properties of a collection.
	CollectionProp func(r *http.Request, c *calendar.Collection, name xml.Name) (string, bool)
	// CollectionAllProp lists flavour properties included in allprop.
	CollectionAllProp []xml.Name
	// Reports answers flavour reports (calendar-query, addressbook-query…).
	Reports map[xml.Name]ReportFunc
	// Data renders the data property of an object for a REPORT or PROPFIND,
	// following the request's data element (expand, version).
	Data func(r *http.Request, spec *Node, o *calendar.Object) (string, error)
	// GetData returns the body and content type of a GET.
	GetData func(r *http.Request, o *calendar.Object) ([]byte, string, error)
	// Export answers GET on a collection.
	Export func(w http.ResponseWriter, r *http.Request, t *Target) error
	// Post answers POST on a collection (nil: 405).
	Post func(w http.ResponseWriter, r *http.Request, t *Target) error
	// ParseSet reads one property of MKCALENDAR/MKCOL/PROPPATCH into n or
	// p; ok false means the property is not one the flavour keeps.
	ParseSet func(prop *Node, n *calendar.NewCollection, p *calendar.Props) (ok bool, err error)
}

// Server serves a flavour's tree: PREFIX/LOGIN/ (home), PREFIX/LOGIN/SEG/
// (collection), PREFIX/LOGIN/SEG/NAME (object).
type Server struct {
	F Flavour
}

// SyncToken renders the sync token of a collection at seq.
func SyncToken(c *calendar.Collection, seq int64) string {
	return fmt.Sprintf("urn:plaza:sync:%d:%d", c.ContainerID, seq)
}

func parseSyncToken(c *calendar.Collection, tok string) (int64, error) {
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return 0, nil
	}
	bad := &calendar.Violation{Code: calendar.CodeSyncToken, Err: core.ErrForbidden, Reason: "unknown sync token"}
	rest, ok := strings.CutPrefix(tok, "urn:plaza:sync:")
	if !ok {
		return 0, bad
	}
	cid, seq, ok := strings.Cut(rest, ":")
	id, err1 := strconv.ParseInt(cid, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil || id != c.ContainerID || n < 0 {
		return 0, bad
	}
	return n, nil
}

func (s *Server) allow(kind int) string {
	switch kind {
	case 0:
		return "OPTIONS, PROPFIND, REPORT"
	case 1:
		return "OPTIONS, GET, HEAD, POST, PROPFIND, PROPPATCH, REPORT, DELETE, BIND, MKCOL" + mk(s.F.MkMethod)
	}
	return "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT"
}

func mk(m string) string {
	if m == "" {
		return ""
	}
	return ", " + m
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, s.F.Prefix)
	if !ok {
		if r.URL.Path+"/" == s.F.Prefix {
			rest, ok = "", true
		} else {
			http.NotFound(w, r)
			return
		}
	}
	if !utf8.ValidString(rest) || strings.ContainsRune(rest, 0) {
		http.NotFound(w, r)
		return
	}
	parts := strings.Split(rest, "/")
	trailing := strings.HasSuffix(rest, "/")
	if trailing {
		parts = parts[:len(parts)-1]
	}
	if rest == "" {
		parts = nil
	}
	if len(parts) > 3 || (len(parts) == 3 && trailing) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("DAV", s.F.DAVHeader)
	if r.Method == http.MethodOptions {
		kind := len(parts) - 1
		if kind < 0 {
			kind = 0
		}
		w.Header().Set("Allow", s.allow(kind))
		w.WriteHeader(http.StatusOK)
		return
	}
	who := core.SubjectFrom(r.Context())
	if who.IsAnonymous() {
		davhttp.Challenge(w)
		return
	}
	if len(parts) == 0 {
		s.serveTop(w, r, who)
		return
	}
	if parts[0] != who.Login {
		davhttp.WriteError(w, r, s.F.Log, r.URL.Path, fmt.Errorf("%w: not your home", core.ErrNotFound))
		return
	}
	home := s.F.Prefix + PathEscape(who.Login) + "/"
	if len(parts) == 1 {
		s.serveHome(w, r, who, home)
		return
	}
	seg := parts[1]
	c, err := s.F.Store.Resolve(r.Context(), who, seg)
	if errors.Is(err, core.ErrNotFound) && len(parts) == 2 && (r.Method == s.F.MkMethod || r.Method == "MKCOL") {
		s.mkcol(w, r, who, seg)
		return
	}
	if err != nil {
		davhttp.WriteError(w, r, s.F.Log, r.URL.Path, err)
		return
	}
	t := &Target{Who: who, Coll: c, Base: home + PathEscape(seg) + "/"}
	if len(parts) == 2 {
		s.serveCollection(w, r, t)
		return
	}
	s.serveObject(w, r, t, parts[2])
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, t *Target, err error) {
	base := ""
	if t != nil {
		base = t.Base
	}
	WriteError(w, r, s.F.Log, r.URL.Path, base, s.F.Pre, err)
}

// serveTop answers the flavour root (/dav/calendars/): a plain collection
// whose only member is the subject's home.
func (s *Server) serveTop(w http.ResponseWriter, r *http.Request, who core.Subject) {
	if r.Method != "PROPFIND" {
		w.Header().Set("Allow", s.allow(0))
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	pf, depth, err := propfindOf(r)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	ms := &Multistatus{Minimal: Minimal(r)}
	ms.Responses = append(ms.Responses, Response{Href: s.F.Prefix, Props: s.plainProps(who, pf, "")})
	if depth != 0 {
		home := s.F.Prefix + PathEscape(who.Login) + "/"
		ms.Responses = append(ms.Responses, Response{Href: home, Props: s.homeProps(r, who, pf)})
	}
	ms.Write(w)
}

func propfindOf(r *http.Request) (*PropFind, int, error) {
	depth, err := Depth(r, -1)
	if err != nil {
		return nil, 0, err
	}
	pf, err := ParsePropFind(http.MaxBytesReader(nil, r.Body, MaxXMLBytes))
	return pf, depth, err
}

// Common answers the properties every resource of the tree has.
func Common(who core.Subject, name xml.Name) (string, bool) {
	switch name {
	case DAV("current-user-principal"):
		return Href(PrincipalHref(who.Login)), true
	case DAV("principal-collection-set"):
		return Href(Principals), true
	}
	return "", false
}

func answer(pf *PropFind, all []xml.Name, get func(xml.Name) (string, bool)) []Prop {
	names := pf.Props
	if pf.AllProp {
		names = append(append([]xml.Name{}, all...), pf.Include...)
	}
	var out []Prop
	for _, n := range names {
		if pf.PropName {
			break
		}
		v, ok := get(n)
		if ok {
			out = append(out, Prop{Name: n, Value: v})
		} else if !pf.AllProp || containsName(pf.Include, n) {
			out = append(out, Prop{Name: n, Status: http.StatusNotFound})
		}
	}
	if pf.PropName {
		for _, n := range all {
			out = append(out, Prop{Name: n})
		}
	}
	return out
}

func containsName(ns []xml.Name, n xml.Name) bool {
	for _, m := range ns {
		if m == n {
			return true
		}
	}
	return false
}

func (s *Server) plainProps(who core.Subject, pf *PropFind, display string) []Prop {
	return answer(pf, []xml.Name{DAV("resourcetype"), DAV("current-user-principal")}, func(n xml.Name) (string, bool) {
		switch n {
		case DAV("resourcetype"):
			return "<D:collection/>", true
		case DAV("displayname"):
			return Escape(display), display != ""
		case DAV("current-user-privilege-set"):
			return PrivilegeSet(acl.Read, true, false), true
		}
		return Common(who, n)
	})
}

func (s *Server) homeProps(r *http.Request, who core.Subject, pf *PropFind) []Prop {
	return answer(pf, []xml.Name{DAV("resourcetype"), DAV("displayname"), DAV("current-user-principal"), DAV("owner")},
		func(n xml.Name) (string, bool) {
			switch n {
			case DAV("resourcetype"):
				return "<D:collection/>", true
			case DAV("displayname"):
				return Escape(who.Login), true
			case DAV("owner"):
				return Href(PrincipalHref(who.Login)), true
			case DAV("current-user-privilege-set"):
				// one may create collections in one's home, not rename it
				return "<D:privilege><D:read/></D:privilege><D:privilege><D:read-current-user-privilege-set/></D:privilege>" +
					"<D:privilege><D:bind/></D:privilege><D:privilege><D:unbind/></D:privilege>", true
			case DAV("supported-report-set"):
				return "", false
			}
			return Common(who, n)
		})
}

func (s *Server) serveHome(w http.ResponseWriter, r *http.Request, who core.Subject, home string) {
	switch r.Method {
	case "PROPFIND":
	case s.F.MkMethod, "MKCOL":
		http.Error(w, "the home exists", http.StatusMethodNotAllowed)
		return
	default:
		w.Header().Set("Allow", s.allow(0))
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	pf, depth, err := propfindOf(r)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	ms := &Multistatus{Minimal: Minimal(r)}
	ms.Responses = append(ms.Responses, Response{Href: home, Props: s.homeProps(r, who, pf)})
	if depth != 0 {
		cs, err := s.F.Store.Home(r.Context(), who)
		if err != nil {
			s.fail(w, r, nil, err)
			return
		}
		for i := range cs {
			c := &cs[i]
			ms.Responses = append(ms.Responses, Response{Href: home + PathEscape(c.Segment(who)) + "/", Props: s.collectionProps(r, who, c, pf)})
		}
	}
	ms.Write(w)
}

func (s *Server) collectionAll() []xml.Name {
	return append([]xml.Name{DAV("resourcetype"), DAV("displayname"), DAV("owner"), DAV("current-user-privilege-set"),
		DAV("supported-report-set"), DAV("sync-token"), Name(NSCS, "getctag"), s.F.DescriptionProp}, s.F.CollectionAllProp...)
}

func (s *Server) collectionProps(r *http.Request, who core.Subject, c *calendar.Collection, pf *PropFind) []Prop {
	return answer(pf, s.collectionAll(), func(n xml.Name) (string, bool) {
		switch n {
		case DAV("resourcetype"):
			return "<D:collection/>" + Elem(s.F.CollectionType, ""), true
		case DAV("displayname"):
			return Escape(c.Name), true
		case s.F.DescriptionProp:
			return Escape(c.Description), c.Description != ""
		case DAV("owner"):
			href, ok := OwnerHref(c)
			return Href(href), ok
		case DAV("current-user-privilege-set"):
			return PrivilegeSet(c.Level, true, s.F.Calendar), true
		case DAV("supported-report-set"):
			var b strings.Builder
			names := []xml.Name{DAV("sync-collection"), s.F.MultigetName}
			for k := range s.F.Reports {
				names = append(names, k)
			}
			for _, k := range names {
				b.WriteString("<D:supported-report><D:report>" + Elem(k, "") + "</D:report></D:supported-report>")
			}
			return b.String(), true
		case DAV("sync-token"):
			return Escape(SyncToken(c, c.SyncSeq)), true
		case Name(NSCS, "getctag"):
			return Escape(SyncToken(c, c.SyncSeq)), true
		case DAV("getetag"):
			return Escape(ETag("c" + strconv.FormatInt(c.SyncSeq, 10))), true
		case DAV("getlastmodified"):
			return c.UpdatedAt.UTC().Format(http.TimeFormat), true
		}
		if v, ok := s.F.CollectionProp(r, c, n); ok {
			return v, true
		}
		return Common(who, n)
	})
}

func (s *Server) objectAll() []xml.Name {
	return []xml.Name{DAV("resourcetype"), DAV("getetag"), DAV("getcontenttype"), DAV("getlastmodified")}
}

func (s *Server) objectProps(r *http.Request, t *Target, o *calendar.Object, pf *PropFind, spec *Node) []Prop {
	return answer(pf, s.objectAll(), func(n xml.Name) (string, bool) {
		switch n {
		case DAV("resourcetype"):
			return "", true
		case DAV("getetag"):
			return Escape(ETag(o.ETag)), true
		case DAV("getcontenttype"):
			return Escape(s.F.ContentType), true
		case DAV("getlastmodified"):
			return o.UpdatedAt.UTC().Format(http.TimeFormat), true
		case DAV("getcontentlength"):
			if o.Data != "" {
				return strconv.Itoa(len(o.Data)), true
			}
			return "", false
		case DAV("current-user-privilege-set"):
			return PrivilegeSet(s.F.Store.ItemLevel(t.Coll, t.Who, o), false, s.F.Calendar), true
		case s.F.DataProp:
			if o.Data == "" {
				return "", false
			}
			v, err := s.F.Data(r, spec, o)
			if err != nil || v == "" {
				return "", false
			}
			return Escape(v), true
		}
		return Common(t.Who, n)
	})
}

func (s *Server) wantsData(pf *PropFind) bool { return containsName(pf.Props, s.F.DataProp) }

func (s *Server) serveCollection(w http.ResponseWriter, r *http.Request, t *Target) {
	ctx := r.Context()
	switch r.Method {
	case "PROPFIND":
		pf, depth, err := propfindOf(r)
		if err != nil {
			s.fail(w, r, t, err)
			return
		}
		ms := &Multistatus{Minimal: Minimal(r)}
		ms.Responses = append(ms.Responses, Response{Href: t.Base, Props: s.collectionProps(r, t.Who, t.Coll, pf)})
		if depth != 0 {
			var objs []calendar.Object
			if s.wantsData(pf) {
				objs, err = s.F.Store.Candidates(ctx, t.Coll, "", nil, nil)
			} else {
				objs, err = s.F.Store.List(ctx, t.Coll)
			}
			if err != nil {
				s.fail(w, r, t, err)
				return
			}
			for i := range objs {
				ms.Responses = append(ms.Responses, Response{Href: t.Base + PathEscape(objs[i].Name), Props: s.objectProps(r, t, &objs[i], pf, nil)})
			}
		}
		ms.Write(w)
	case "PROPPATCH":
		s.proppatch(w, r, t)
	case "REPORT":
		s.report(w, r, t)
	case http.MethodGet, http.MethodHead:
		if err := s.F.Export(w, r, t); err != nil {
			s.fail(w, r, t, err)
		}
	case http.MethodPost:
		if s.F.Post == nil {
			w.Header().Set("Allow", s.allow(1))
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if err := s.F.Post(w, r, t); err != nil {
			s.fail(w, r, t, err)
		}
	case http.MethodDelete:
		if err := s.F.Store.DeleteCollection(ctx, t.Who, t.Coll); err != nil {
			s.fail(w, r, t, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "BIND":
		s.bind(w, r, t)
	case s.F.MkMethod, "MKCOL":
		http.Error(w, "a collection exists here", http.StatusMethodNotAllowed)
	default:
		w.Header().Set("Allow", s.allow(1))
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
