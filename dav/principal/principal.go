// Package principal serves DAV discovery (RFC 6764, RFC 5397): the
// /.well-known/caldav and /.well-known/carddav redirects, the DAV root
// /dav/ answering current-user-principal, and the principals
// /dav/principals/LOGIN/ with their calendar and address book home sets,
// so a client given only the server URL, a login and a password finds
// every calendar and address book.
package principal

import (
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/space"
	"plaza/dav/davhttp"
	"plaza/dav/principal/davkit"
)

// Options configure the discovery handler.
type Options struct {
	Accounts *account.Service
	// Spaces answers the space principals (/dav/principals/spaces/SLUG/),
	// the owner of a space's calendars and address books; nil: none.
	Spaces *space.Service
	Logger *slog.Logger
}

// DAVHeader advertises everything the tree below /dav/ speaks; DAVx5 and
// iOS only accept a principal whose OPTIONS names calendar-access and
// addressbook.
const DAVHeader = "1, 3, access-control, calendar-access, addressbook, extended-mkcol"

// RootChildren are the collections listed under /dav/.
var RootChildren = []string{"files/", "spaces/", "calendars/", "addressbooks/", "principals/"}

// New returns the handler of /.well-known/caldav, /.well-known/carddav,
// /dav/ (the root only) and /dav/principals/. Wrap it in
// davhttp.RequireBasic: the well-known redirects and OPTIONS still answer
// without credentials (RequireBasic lets OPTIONS through; mount the
// well-known paths outside it, or accept the 401 DAVx5 and iOS retry).
func New(o Options) http.Handler {
	h := &handler{accounts: o.Accounts, spaces: o.Spaces, log: o.Logger}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/caldav", redirect)
	mux.HandleFunc("/.well-known/carddav", redirect)
	mux.HandleFunc("/.well-known/caldav/", redirect)
	mux.HandleFunc("/.well-known/carddav/", redirect)
	mux.HandleFunc("/dav/", h.root)
	mux.HandleFunc("/dav", h.root)
	mux.HandleFunc("/{$}", h.root)
	mux.HandleFunc("/dav/principals/", h.principals)
	return mux
}

// NewWellKnown returns only the public redirects, for mounting outside
// authentication.
func NewWellKnown() http.Handler { return http.HandlerFunc(redirect) }

// ServerRoot answers PROPFIND outside the DAV tree, in front of next (the
// web UI behind Windows' and GNOME's OPTIONS probe): on the server root
// / (and /dav without its slash) it hands the request to disc, New behind
// authentication, which answers as /dav/ does (401 without credentials);
// anywhere else it is 404, never an empty folder, so a client probing a
// wrong URL is told so. Every other method goes to next.
func ServerRoot(disc, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "PROPFIND" {
			next.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/" || r.URL.Path == "/dav" {
			disc.ServeHTTP(w, r)
			return
		}
		http.Error(w, "no DAV collection here: the DAV root is "+davkit.Root, http.StatusNotFound)
	})
}

// redirect sends every method to /dav/ with 301 (RFC 6764 §5), PROPFIND
// included: DAVx5, Thunderbird and iOS start there.
func redirect(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Location", davkit.Root)
	w.WriteHeader(http.StatusMovedPermanently)
}

type handler struct {
	accounts *account.Service
	spaces   *space.Service
	log      *slog.Logger
}

func options(w http.ResponseWriter, allow string) {
	w.Header().Set("DAV", DAVHeader)
	w.Header().Set("Allow", allow)
	w.Header().Set("MS-Author-Via", "DAV")
	w.WriteHeader(http.StatusOK)
}

// root answers the DAV root /dav/ and the server root /: a client given
// only the server URL (python-caldav, vdirsyncer, khal, DAVx5 with a bare
// host) asks / for current-user-principal and the home sets.
func (h *handler) root(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/dav/" && r.URL.Path != "/dav" && r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodOptions {
		options(w, "OPTIONS, PROPFIND")
		return
	}
	who := core.SubjectFrom(r.Context())
	if who.IsAnonymous() {
		davhttp.Challenge(w)
		return
	}
	if r.Method != "PROPFIND" {
		w.Header().Set("Allow", "OPTIONS, PROPFIND")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	depth, err := davkit.Depth(r, -1)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	pf, err := davkit.ParsePropFind(http.MaxBytesReader(w, r.Body, davkit.MaxXMLBytes))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("DAV", DAVHeader)
	a, err := h.accounts.Get(r.Context(), who.AccountID)
	if err != nil {
		davhttp.WriteError(w, r, h.log, r.URL.Path, err)
		return
	}
	ms := &davkit.Multistatus{Minimal: davkit.Minimal(r)}
	// The root answers the principal's home sets too: DAVx5 asks for them
	// in its first PROPFIND and skips a round trip when they are there.
	self, children := davkit.Root, RootChildren
	if r.URL.Path == "/" {
		self, children = "/", []string{strings.TrimPrefix(davkit.Root, "/")}
	}
	ms.Responses = append(ms.Responses, davkit.Response{Href: self,
		Props: answer(pf, []xml.Name{davkit.DAV("resourcetype"), davkit.DAV("current-user-principal")}, func(n xml.Name) (string, bool) {
			switch n {
			case davkit.DAV("resourcetype"):
				return "<D:collection/>", true
			case davkit.DAV("displayname"):
				return "Plaza", true
			case davkit.DAV("current-user-privilege-set"):
				return davkit.PrivilegeSet(1, true, false), true
			case davkit.Name(davkit.NSCalDAV, "calendar-home-set"), davkit.Name(davkit.NSCardDAV, "addressbook-home-set"),
				davkit.DAV("principal-URL"):
				return principalProp(a, n)
			}
			return davkit.Common(who, n)
		})})
	if depth != 0 {
		for _, c := range children {
			href := self + c
			ms.Responses = append(ms.Responses, davkit.Response{Href: href,
				Props: answer(pf, []xml.Name{davkit.DAV("resourcetype")}, func(n xml.Name) (string, bool) {
					switch n {
					case davkit.DAV("resourcetype"):
						return "<D:collection/>", true
					case davkit.DAV("displayname"):
						return strings.TrimSuffix(c, "/"), true
					}
					return davkit.Common(who, n)
				})})
		}
	}
	ms.Write(w)
}

func answer(pf *davkit.PropFind, all []xml.Name, get func(xml.Name) (string, bool)) []davkit.Prop {
	names := pf.Props
	if pf.AllProp || pf.PropName {
		names = append(append([]xml.Name{}, all...), pf.Include...)
	}
	var out []davkit.Prop
	for _, n := range names {
		if pf.PropName {
			out = append(out, davkit.Prop{Name: n})
			continue
		}
		if v, ok := get(n); ok {
			out = append(out, davkit.Prop{Name: n, Value: v})
		} else {
			out = append(out, davkit.Prop{Name: n, Status: http.StatusNotFound})
		}
	}
	return out
}

func principalProp(a *account.Account, n xml.Name) (string, bool) {
	esc := davkit.PathEscape(a.Login)
	switch n {
	case davkit.DAV("resourcetype"):
		return "<D:principal/>", true
	case davkit.DAV("displayname"):
		return davkit.Escape(a.Name), true
	case davkit.DAV("principal-URL"):
		return davkit.Href(davkit.PrincipalHref(a.Login)), true
	case davkit.DAV("owner"):
		return davkit.Href(davkit.PrincipalHref(a.Login)), true
	case davkit.Name(davkit.NSCalDAV, "calendar-home-set"):
		return davkit.Href(davkit.Calendars + esc + "/"), true
	case davkit.Name(davkit.NSCardDAV, "addressbook-home-set"):
		return davkit.Href(davkit.AddressBooks + esc + "/"), true
	case davkit.Name(davkit.NSCalDAV, "calendar-user-address-set"):
		s := davkit.Href(davkit.PrincipalHref(a.Login))
		if a.Email != "" {
			s = davkit.Href("mailto:"+a.Email) + s
		}
		return s, true
	case davkit.Name(davkit.NSCS, "email-address-set"):
		if a.Email == "" {
			return "", false
		}
		return "<CS:email-address>" + davkit.Escape(a.Email) + "</CS:email-address>", true
	case davkit.Name(davkit.NSCalDAV, "calendar-user-type"):
		return "INDIVIDUAL", true
	case davkit.DAV("group-membership"), davkit.DAV("alternate-URI-set"):
		return "", true
	case davkit.DAV("supported-report-set"):
		return "", true
	case davkit.DAV("current-user-privilege-set"):
		return davkit.PrivilegeSet(1, false, false), true
	}
	return "", false
}

func (h *handler) principals(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, davkit.Principals)
	login := strings.TrimSuffix(rest, "/")
	slug, isSpace := strings.CutPrefix(r.URL.Path, davkit.SpacePrincipals)
	slug = strings.TrimSuffix(slug, "/")
	isSpace = isSpace && slug != "" && !strings.Contains(slug, "/") && h.spaces != nil
	if strings.Contains(login, "/") && !isSpace {
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodOptions {
		options(w, "OPTIONS, PROPFIND, REPORT")
		return
	}
	who := core.SubjectFrom(r.Context())
	if who.IsAnonymous() {
		davhttp.Challenge(w)
		return
	}
	if r.Method != "PROPFIND" {
		w.Header().Set("Allow", "OPTIONS, PROPFIND")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	depth, err := davkit.Depth(r, -1)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	pf, err := davkit.ParsePropFind(http.MaxBytesReader(w, r.Body, davkit.MaxXMLBytes))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("DAV", DAVHeader)
	if isSpace {
		h.spacePrincipal(w, r, who, slug, pf)
		return
	}
	me, err := h.accounts.Get(r.Context(), who.AccountID)
	if err != nil {
		davhttp.WriteError(w, r, h.log, r.URL.Path, err)
		return
	}
	principalAll := []xml.Name{davkit.DAV("resourcetype"), davkit.DAV("displayname"), davkit.DAV("principal-URL"),
		davkit.Name(davkit.NSCalDAV, "calendar-home-set"), davkit.Name(davkit.NSCardDAV, "addressbook-home-set"),
		davkit.Name(davkit.NSCalDAV, "calendar-user-address-set")}
	mine := func(n xml.Name) (string, bool) {
		if v, ok := principalProp(me, n); ok {
			return v, true
		}
		return davkit.Common(who, n)
	}
	ms := &davkit.Multistatus{Minimal: davkit.Minimal(r)}
	if login == "" {
		ms.Responses = append(ms.Responses, davkit.Response{Href: davkit.Principals,
			Props: answer(pf, []xml.Name{davkit.DAV("resourcetype")}, func(n xml.Name) (string, bool) {
				if n == davkit.DAV("resourcetype") {
					return "<D:collection/>", true
				}
				return davkit.Common(who, n)
			})})
		if depth != 0 {
			ms.Responses = append(ms.Responses, davkit.Response{Href: davkit.PrincipalHref(me.Login), Props: answer(pf, principalAll, mine)})
		}
		ms.Write(w)
		return
	}
	if login != who.Login {
		davhttp.WriteError(w, r, h.log, r.URL.Path, core.ErrNotFound)
		return
	}
	ms.Responses = append(ms.Responses, davkit.Response{Href: davkit.PrincipalHref(me.Login), Props: answer(pf, principalAll, mine)})
	ms.Write(w)
}

// spacePrincipal answers /dav/principals/spaces/SLUG/ for whoever may
// enter the space (the same rule as the space switcher); others get 404.
func (h *handler) spacePrincipal(w http.ResponseWriter, r *http.Request, who core.Subject, slug string, pf *davkit.PropFind) {
	spaces, err := h.spaces.Visible(r.Context(), who)
	if err != nil {
		davhttp.WriteError(w, r, h.log, r.URL.Path, err)
		return
	}
	var sp *space.Space
	for i := range spaces {
		if spaces[i].Slug == slug {
			sp = &spaces[i]
		}
	}
	if sp == nil {
		davhttp.WriteError(w, r, h.log, r.URL.Path, fmt.Errorf("%w: no space %q", core.ErrNotFound, slug))
		return
	}
	href := davkit.SpacePrincipalHref(sp.Slug)
	all := []xml.Name{davkit.DAV("resourcetype"), davkit.DAV("displayname"), davkit.DAV("principal-URL")}
	ms := &davkit.Multistatus{Minimal: davkit.Minimal(r)}
	ms.Responses = append(ms.Responses, davkit.Response{Href: href, Props: answer(pf, all, func(n xml.Name) (string, bool) {
		switch n {
		case davkit.DAV("resourcetype"):
			return "<D:principal/>", true
		case davkit.DAV("displayname"):
			return davkit.Escape(sp.Name), true
		case davkit.DAV("principal-URL"):
			return davkit.Href(href), true
		case davkit.Name(davkit.NSCalDAV, "calendar-user-type"):
			return "GROUP", true
		case davkit.DAV("group-membership"), davkit.DAV("alternate-URI-set"):
			return "", true
		}
		return davkit.Common(who, n)
	})})
	ms.Write(w)
}
