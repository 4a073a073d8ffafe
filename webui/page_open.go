package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"plaza/core"
	"plaza/core/calendar"
)

// davObjectOpen leads from an event or contact known by its id (a search
// hit, an activity entry) to its page, which is addressed by name:
// /s/SLUG/agenda/CAL/object/ID and /s/SLUG/contacts/BOOK/object/ID.
func (s *server) davObjectOpen(w http.ResponseWriter, r *http.Request) {
	mod, param, page, store := core.ModCalendar, "cal", "agenda", (*calendar.Store)(nil)
	if r.PathValue("book") != "" {
		mod, param, page = core.ModContacts, "book", "contacts"
		store = s.Contacts.Store
	} else {
		store = s.Calendar.Store
	}
	v, ok := s.moduleView(w, r, mod, page+".title")
	if !ok {
		return
	}
	coll, err := pathID(r, param)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	c, err := store.ByID(r.Context(), core.SubjectFrom(r.Context()), coll)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	objs, err := store.List(r.Context(), c)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, o := range objs {
		if o.ID == id {
			http.Redirect(w, r, "/s/"+v.Space.Slug+"/"+page+"/"+strconv.FormatInt(coll, 10)+"/"+url.PathEscape(o.Name), http.StatusSeeOther)
			return
		}
	}
	s.pageError(w, r, fmt.Errorf("object %d: %w", id, core.ErrNotFound))
}
