package webui

import (
	"fmt"
	"net/http"

	"plaza/core"
	"plaza/core/space"
)

// requireUser answers unauthenticated page requests with the login page.
func (s *server) requireUser(w http.ResponseWriter, r *http.Request) (core.Subject, bool) {
	who := core.SubjectFrom(r.Context())
	if who.IsAnonymous() {
		s.pageError(w, r, core.ErrUnauthenticated)
		return who, false
	}
	return who, true
}

// spaceView loads the space of the path into v, if the subject may enter
// it, with the modules it has on.
func (s *server) spaceView(r *http.Request, v *view) error {
	slug := r.PathValue("slug")
	for i := range v.Spaces {
		if v.Spaces[i].Slug != slug {
			continue
		}
		v.Space = &v.Spaces[i]
		mods, err := s.Spaces.Modules(r.Context(), v.Space.ID)
		if err != nil {
			return err
		}
		for _, m := range core.AllModules() {
			if mods[m] {
				v.Modules = append(v.Modules, m)
			}
		}
		v.Nav = navLinks(v.Modules)
		if v.User != nil {
			members, err := s.Spaces.Members(r.Context(), v.Space.ID)
			if err != nil {
				return err
			}
			v.Role = roleOf(members, v.User.ID)
		}
		return nil
	}
	return fmt.Errorf("space %q: %w", slug, core.ErrNotFound)
}

func (s *server) moduleOn(v *view, m core.Module) error {
	for _, on := range v.Modules {
		if on == m {
			return nil
		}
	}
	return fmt.Errorf("module %s: %w", m, core.ErrNotFound)
}

func (s *server) spacesPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireUser(w, r); !ok {
		return
	}
	v := s.page(r, "spaces.title")
	s.render(w, r, http.StatusOK, "spaces", v)
}

func (s *server) spacePage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireUser(w, r); !ok {
		return
	}
	v := s.page(r, "space.title")
	if err := s.spaceView(r, v); err != nil {
		s.pageError(w, r, err)
		return
	}
	members, err := s.Spaces.Members(r.Context(), v.Space.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"Members": len(members), "Role": v.Role}
	s.render(w, r, http.StatusOK, "space", v)
}

func roleOf(ms []space.Member, id int64) string {
	for _, m := range ms {
		if m.AccountID == id {
			return string(m.Role)
		}
	}
	return ""
}
