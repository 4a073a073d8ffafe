package webui

import (
	"net/http"
	"strconv"
	"strings"

	"plaza/core"
)

// agendaResourceCreate adds a resource calendar (a room, a vehicle) to
// the space: its administrators do.
func (s *server) agendaResourceCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	if _, err := s.Calendar.CreateResource(r.Context(), core.SubjectFrom(r.Context()), v.Space.ID, r.PostForm.Get("name")); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/s/"+v.Space.Slug+"/agenda", http.StatusSeeOther)
}

// feedPath is where caldav.NewFeeds serves a subscription token
// (caldav.FeedURL; webui imports no DAV package).
func feedPath(token string) string { return "/dav/ical/" + token + ".ics" }

// agendaFeedCreate hands out a private subscription address of a
// calendar, shown once, for agendas elsewhere (a phone, another
// calendar service) to follow it read-only.
func (s *server) agendaFeedCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.feed")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	id, err := strconv.ParseInt(r.PostForm.Get("calendar"), 10, 64)
	if err != nil {
		s.pageError(w, r, invalid("choose a calendar"))
		return
	}
	c, err := s.spaceCalendar(ctx, v, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if r.PostForm.Get("revoke") != "" {
		if err := s.Calendar.RevokeFeeds(ctx, who, c); err != nil {
			s.pageError(w, r, err)
			return
		}
		v.Data = map[string]any{"Calendar": c.Name, "Revoked": true}
		s.render(w, r, http.StatusOK, "agendafeed", v)
		return
	}
	tok, err := s.Calendar.CreateFeed(ctx, who, c)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	v.Data = map[string]any{"Calendar": c.Name, "ID": c.ContainerID, "URL": strings.TrimRight(s.BaseURL, "/") + feedPath(tok)}
	s.render(w, r, http.StatusOK, "agendafeed", v)
}
