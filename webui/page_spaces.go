package webui

import (
	"fmt"
	"net/http"

	"plaza/core"
	"plaza/core/settings"
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
		v.Nav = s.reachable(r, v)
		return nil
	}
	return fmt.Errorf("space %q: %w", slug, core.ErrNotFound)
}

// reachable keeps the navigation links the reader can open: the
// newsletter is for space administrators; chat is among members; a
// non-member (someone reading a public space) sees the files only when
// their root is open to them.
func (s *server) reachable(r *http.Request, v *view) []navLink {
	member := v.Role != "" || (v.User != nil && v.User.Type.PlatformAdmin())
	out := v.Nav[:0:0]
	for _, l := range v.Nav {
		switch l.Module {
		case core.ModNewsletter:
			if !v.SpaceAdmin() {
				continue
			}
		case core.ModChat:
			if v.Role == "" {
				continue
			}
		case core.ModFiles:
			if !member && !s.filesOpen(r, v.Space.ID) {
				continue
			}
		}
		out = append(out, l)
	}
	return out
}

func (s *server) filesOpen(r *http.Request, spaceID int64) bool {
	root, err := s.Files.SpaceRoot(r.Context(), spaceID)
	if err == nil {
		_, err = s.Files.Lookup(r.Context(), core.SubjectFrom(r.Context()), root, nil)
	}
	return err == nil
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
	if len(v.Spaces) > 0 {
		ws, err := s.dashboard(r, v, settings.ScopeHome, s.memberSpaces(r, v.Spaces))
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		v.Data = map[string]any{"Widgets": ws}
	}
	s.render(w, r, http.StatusOK, "spaces", v)
}

func (s *server) spacePage(w http.ResponseWriter, r *http.Request) {
	var v *view
	if visitorReads(r, "") {
		var ok bool
		if v, ok = s.visitorView(w, r, "", "space.title"); !ok {
			return
		}
	} else {
		if _, ok := s.requireUser(w, r); !ok {
			return
		}
		v = s.page(r, "space.title")
		if err := s.spaceView(r, v); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	members, err := s.Spaces.Members(r.Context(), v.Space.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var ws []widgetView
	if v.User != nil { // visitors have no dashboard
		if ws, err = s.dashboard(r, v, settings.ScopeSpace, []space.Space{*v.Space}); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	data := map[string]any{"Members": len(members), "Role": v.Role, "Widgets": ws}
	v.Data = data
	if s.Federation != nil {
		// Its fediverse handles, for people to follow it from elsewhere.
		sp, err := s.Federation.SpaceFediverse(r.Context(), core.SubjectFrom(r.Context()), v.Space.ID)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		data["Fediverse"] = sp.Actors
	}
	s.render(w, r, http.StatusOK, "space", v)
}

// memberSpaces keeps the spaces the reader belongs to (the visible ones
// include public spaces they only read), for the personal home.
func (s *server) memberSpaces(r *http.Request, spaces []space.Space) []space.Space {
	who := core.SubjectFrom(r.Context())
	var out []space.Space
	for _, sp := range spaces {
		ms, err := s.Spaces.Members(r.Context(), sp.ID)
		if err == nil && roleOf(ms, who.AccountID) != "" {
			out = append(out, sp)
		}
	}
	return out
}

func roleOf(ms []space.Member, id int64) string {
	for _, m := range ms {
		if m.AccountID == id {
			return string(m.Role)
		}
	}
	return ""
}
