package webui

import (
	"net/http"

	"plaza/core"
	"plaza/core/space"
)

// memberRoutes: every member sees who else is in the space, with roles;
// its administrators archive and restore it there.
func (s *server) memberRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/spaces/{slug}/members", s.apiSpaceMembers)
	mux.HandleFunc("GET /s/{slug}/members", s.membersPage)
	if s.Admin != nil {
		mux.HandleFunc("POST /s/{slug}/archive", s.spaceArchiveSubmit)
	}
}

// spaceBySlug returns the space of the path for the API.
func (s *server) spaceBySlug(r *http.Request) (*space.Space, error) {
	return s.Spaces.BySlug(r.Context(), r.PathValue("slug"))
}

func (s *server) apiSpaceMembers(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	sp, err := s.spaceBySlug(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	people, err := s.Spaces.Roster(r.Context(), who, sp.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": people, "archived": sp.Archived()})
}

func (s *server) membersPage(w http.ResponseWriter, r *http.Request) {
	who, v, ok := s.membersView(w, r)
	if !ok {
		return
	}
	people, err := s.Spaces.Roster(r.Context(), who, v.Space.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	mayArchive := who.Type.PlatformAdmin()
	for _, p := range people {
		if p.AccountID == who.AccountID && p.Role == space.RoleAdmin {
			mayArchive = true
		}
	}
	v.Data = map[string]any{"Members": people, "MayArchive": mayArchive && s.Admin != nil}
	s.render(w, r, http.StatusOK, "members", v)
}

// membersView opens the members page's view of the space in the path for
// a signed-in reader; it answers the request itself when ok is false.
func (s *server) membersView(w http.ResponseWriter, r *http.Request) (core.Subject, *view, bool) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return who, nil, false
	}
	v := s.page(r, "members.title")
	if err := s.spaceView(r, v); err != nil {
		s.pageError(w, r, err)
		return who, nil, false
	}
	return who, v, true
}

// spaceArchiveSubmit archives the space of the path, or restores it when
// it is archived (its administrators; the core checks).
func (s *server) spaceArchiveSubmit(w http.ResponseWriter, r *http.Request) {
	who, v, ok := s.membersView(w, r)
	if !ok {
		return
	}
	if err := s.Admin.ArchiveSpace(r.Context(), who, v.Space.ID, !v.Space.Archived()); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/s/"+v.Space.Slug+"/members", http.StatusSeeOther)
}
