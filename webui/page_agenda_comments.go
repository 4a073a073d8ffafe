package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"plaza/core"
	"plaza/core/calendar"
	"plaza/core/markup"
)

// eventComment is a comment as the event page shows it.
type eventComment struct {
	calendar.Comment
	HTML      any // the Markdown rendered and sanitized
	CanDelete bool
}

// eventComments loads the comments of ev for the page.
func (s *server) eventComments(r *http.Request, ev *agendaEvent) ([]eventComment, error) {
	who := core.SubjectFrom(r.Context())
	all, err := s.Calendar.Comments(r.Context(), ev.cal, ev.name)
	if err != nil {
		return nil, err
	}
	out := make([]eventComment, 0, len(all))
	for _, m := range all {
		can, err := s.Calendar.CanDeleteComment(r.Context(), who, ev.cal, m)
		if err != nil {
			return nil, err
		}
		out = append(out, eventComment{Comment: m, HTML: trusted(markup.Render(m.Body)), CanDelete: can})
	}
	return out, nil
}

func (s *server) eventHref(v *view, ev *agendaEvent, anchor string) string {
	return fmt.Sprintf("/s/%s/agenda/%d/%s?at=%d%s", v.Space.Slug, ev.cal.ContainerID, url.PathEscape(ev.name), ev.occ.Start.Unix(), anchor)
}

// agendaCommentAdd adds the reader's comment to an event.
func (s *server) agendaCommentAdd(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.event")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	ev, err := s.eventAt(ctx, r, readerZone(v), r.PostForm.Get("at"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.Calendar.AddComment(ctx, who, ev.cal, ev.name, markdownField(r, "body")); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, s.eventHref(v, ev, "#comments"), http.StatusSeeOther)
}

// agendaCommentDelete deletes a comment of an event (its author or a
// moderator).
func (s *server) agendaCommentDelete(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.event")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.pageError(w, r, fmt.Errorf("comment: %w", core.ErrNotFound))
		return
	}
	ev, err := s.eventAt(ctx, r, readerZone(v), r.PostForm.Get("at"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.Calendar.DeleteComment(ctx, who, ev.cal, ev.name, id); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, s.eventHref(v, ev, "#comments"), http.StatusSeeOther)
}
