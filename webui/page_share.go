package webui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"plaza/core"
	"plaza/core/acl"
)

// The sharing dialog: one page for every container (a folder of files,
// a calendar, an address book, a forum category or topic, a wiki or links
// folder, a task list) and for news articles and polls, reached from each
// of their pages by /share/CONTAINER. It lists who has which level, says
// what is inherited from the parent and what was set here, and edits the
// grants; the ACL core lets through whoever has full on the container
// (and the space's administrators). The JSON API behind it is
// /api/v1/containers/{id}/sharing.

func (s *server) shareRoutes(mux *http.ServeMux) {
	if s.ACL == nil {
		return
	}
	mux.HandleFunc("GET /api/v1/containers/{id}/sharing", s.apiSharingGet)
	mux.HandleFunc("PUT /api/v1/containers/{id}/sharing", s.apiSharingPut)
	mux.HandleFunc("GET /share/{id}", s.sharePage)
	mux.HandleFunc("POST /share/{id}", s.shareSubmit)
	s.linkRoutes(mux)
	s.visitorRoutes(mux)
	s.moduleRoleRoutes(mux)
}

// sharedGrantJSON is a grant as the sharing API shows it.
type sharedGrantJSON struct {
	grantJSON
	Name      string `json:"name"`
	Inherited bool   `json:"inherited"`
	Role      string `json:"role"`
}

func (s *server) apiSharingGet(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sh, err := s.ACL.Sharing(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ps, err := s.ACL.Principals(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	gs := []sharedGrantJSON{}
	for _, g := range sh.Grants {
		gs = append(gs, sharedGrantJSON{grantJSON{g.PrincipalKind, g.PrincipalID, g.Level.String()}, g.Name, g.Inherited, g.Role})
	}
	writeJSON(w, http.StatusOK, map[string]any{"container": sh.Container, "grants": gs, "principals": ps,
		"public_space": sh.Public})
}

func (s *server) apiSharingPut(w http.ResponseWriter, r *http.Request) {
	s.grantsPut("id", s.ACL.Share)(w, r)
}

// grantsPut answers a PUT of grants on the container whose id is the path
// value param, with set: {"grants": [{"principal_kind": "user",
// "principal_id": 3, "level": "read"}]}.
func (s *server) grantsPut(param string, set func(context.Context, core.Subject, int64, []acl.Grant) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, ok := s.requireAccount(w, r)
		if !ok {
			return
		}
		id, err := pathID(r, param)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var body struct {
			Grants []grantJSON `json:"grants"`
		}
		if err := readJSON(w, r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		gs := []acl.Grant{}
		for _, g := range body.Grants {
			l, ok := acl.ParseLevel(g.Level)
			if !ok {
				s.fail(w, r, invalid("level is read, limited, write or full"))
				return
			}
			gs = append(gs, acl.Grant{PrincipalKind: g.PrincipalKind, PrincipalID: g.PrincipalID, Level: l})
		}
		if err := set(r.Context(), who, id, gs); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// shareView loads the sharing state for the page.
func (s *server) shareView(w http.ResponseWriter, r *http.Request) (*view, int64, bool) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return nil, 0, false
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return nil, 0, false
	}
	sh, err := s.ACL.Sharing(r.Context(), who, id)
	if err != nil {
		s.pageError(w, r, err)
		return nil, 0, false
	}
	ps, err := s.ACL.Principals(r.Context(), who, id)
	if err != nil {
		s.pageError(w, r, err)
		return nil, 0, false
	}
	v := s.page(r, "share.title")
	if sh.Container.SpaceID != nil {
		if sp, err := s.Spaces.Get(r.Context(), *sh.Container.SpaceID); err == nil {
			v.Space = sp
		}
	}
	levels := []map[string]string{}
	for l := acl.Read; l <= acl.Full; l++ {
		levels = append(levels, map[string]string{"Level": l.String(), "Role": acl.RoomRole(l)})
	}
	v.Data = map[string]any{"Share": sh, "Principals": ps, "Levels": levels, "Back": safeBack(r.URL.Query().Get("back"))}
	return v, id, true
}

// safeBack keeps a "back" address only when it is a path of this site.
func safeBack(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return ""
	}
	return p
}

func (s *server) sharePage(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.shareView(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "share", v)
}

// shareSubmit saves the dialog's form: for each row i, principal_i
// ("kind:id") and level_i (a level, or "" to remove the row); the new row
// is principal_new and level_new.
func (s *server) shareSubmit(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err == nil {
		err = s.parseForm(w, r)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	var gs []acl.Grant
	add := func(principal, level string) error {
		if principal == "" || level == "" {
			return nil
		}
		g, err := parsePrincipal(principal)
		if err != nil {
			return err
		}
		l, ok := acl.ParseLevel(level)
		if !ok {
			return invalid("level is read, limited, write or full")
		}
		g.Level = l
		for i, o := range gs {
			if o.PrincipalKind == g.PrincipalKind && o.PrincipalID == g.PrincipalID {
				gs[i].Level = max(o.Level, l)
				return nil
			}
		}
		gs = append(gs, g)
		return nil
	}
	for i := 0; i < 500; i++ {
		n := strconv.Itoa(i)
		if !f.Has("principal_" + n) {
			break
		}
		if err = add(f.Get("principal_"+n), f.Get("level_"+n)); err != nil {
			break
		}
	}
	if err == nil {
		err = add(f.Get("principal_new"), f.Get("level_new"))
	}
	if err == nil {
		if gs == nil {
			gs = []acl.Grant{}
		}
		err = s.ACL.Share(r.Context(), who, id, gs)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	target := "/share/" + strconv.FormatInt(id, 10) + "?saved=1"
	if b := safeBack(f.Get("back")); b != "" {
		target += "&back=" + url.QueryEscape(b)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// parsePrincipal reads "user:3", "group:2", "space:1" or "anonymous".
func parsePrincipal(p string) (acl.Grant, error) {
	kind, id, _ := strings.Cut(p, ":")
	g := acl.Grant{PrincipalKind: acl.PrincipalKind(kind)}
	if g.PrincipalKind == acl.PrincipalAnonymous {
		return g, nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return g, invalid("who is user:ID, group:ID, space:ID or anonymous")
	}
	g.PrincipalID = n
	return g, nil
}

// moduleRoleRoutes: Acollab's module roles of a space, through the API.
func (s *server) moduleRoleRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/spaces/{slug}/module-roles", s.apiModuleRoles)
	mux.HandleFunc("PUT /api/v1/spaces/{slug}/module-roles", s.apiModuleRoleSet)
}

func (s *server) apiModuleRoles(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	sp, err := s.spaceBySlug(r)
	var roles []acl.AssignedRole
	if err == nil {
		roles, err = s.ACL.ModuleRoles(r.Context(), who, sp.ID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"roles": roles})
}

func (s *server) apiModuleRoleSet(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	var body struct {
		Module        core.Module       `json:"module"`
		PrincipalKind acl.PrincipalKind `json:"principal_kind"`
		PrincipalID   int64             `json:"principal_id"`
		Role          acl.ModuleRole    `json:"role"`
	}
	sp, err := s.spaceBySlug(r)
	if err == nil {
		err = readJSON(w, r, &body)
	}
	if err == nil {
		err = s.ACL.SetModuleRole(r.Context(), who, sp.ID, body.Module, body.PrincipalKind, body.PrincipalID, body.Role)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
