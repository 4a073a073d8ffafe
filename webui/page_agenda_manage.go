package webui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"plaza/core"
	"plaza/core/notify"
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

// agendaFollow follows a calendar of the space (on=1) or stops (on=0):
// its followers hear of events added, changed or removed, in the
// notification list and by mail per their profile.
func (s *server) agendaFollow(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	if s.Notify == nil {
		s.pageError(w, r, fmt.Errorf("%w: notifications are off on this server", core.ErrNotFound))
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	id, err := strconv.ParseInt(r.PostForm.Get("calendar"), 10, 64)
	if err != nil {
		s.pageError(w, r, invalid("choose a calendar"))
		return
	}
	c, err := s.spaceCalendar(ctx, v, id)
	if err == nil && c.SpaceID == nil {
		err = invalid("follow a calendar of the space")
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	t := notify.Target{Kind: notify.KindCalendar, ID: c.ContainerID}
	if r.PostForm.Get("on") == "1" {
		err = s.Notify.Follow(ctx, who, t, c.ContainerID)
	} else {
		err = s.Notify.Unfollow(ctx, who, t)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/s/"+v.Space.Slug+"/agenda", http.StatusSeeOther)
}

// followed names the space calendars among cals the reader follows.
func (s *server) followed(ctx context.Context, space []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if s.Notify == nil {
		return out, nil
	}
	who := core.SubjectFrom(ctx)
	for _, id := range space {
		on, err := s.Notify.Following(ctx, who, notify.Target{Kind: notify.KindCalendar, ID: id})
		if err != nil {
			return nil, err
		}
		out[id] = on
	}
	return out, nil
}
