package webui

import (
	"net/http"
	"strconv"
	"strings"

	"plaza/core/notify"
)

// inboxRoutes registers the in-app notification list: a page, its
// actions and the JSON API (core/notify).
func (s *server) inboxRoutes(mux *http.ServeMux) {
	if s.Notify == nil {
		return
	}
	mux.HandleFunc("GET /inbox", s.inboxPage)
	mux.HandleFunc("POST /inbox/read", s.inboxReadAll)
	mux.HandleFunc("GET /inbox/{id}", s.inboxOpen)
	mux.HandleFunc("GET /api/v1/notifications", s.apiInbox)
	mux.HandleFunc("POST /api/v1/notifications/read", s.apiInboxRead)
}

func (s *server) inboxPage(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	list, err := s.Notify.Inbox(r.Context(), who, 50, before)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.page(r, "inbox.title")
	var more int64
	if len(list) == 50 {
		more = list[len(list)-1].ID
	}
	v.Data = map[string]any{"Items": list, "More": more}
	s.render(w, r, http.StatusOK, "inbox", v)
}

func (s *server) inboxReadAll(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	if err := s.Notify.MarkRead(r.Context(), who); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/inbox", http.StatusSeeOther)
}

// inboxOpen marks a line read and goes where it points.
func (s *server) inboxOpen(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	n, err := s.Notify.Open(r.Context(), who, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	to := n.Path
	if !strings.HasPrefix(to, "/") || strings.HasPrefix(to, "//") {
		to = "/inbox"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// apiInbox: GET /api/v1/notifications[?before=ID] → {"unread": N, "items": […]}.
func (s *server) apiInbox(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	var before int64
	if b := r.URL.Query().Get("before"); b != "" {
		var err error
		if before, err = strconv.ParseInt(b, 10, 64); err != nil || before <= 0 {
			s.fail(w, r, invalid("before must be a notification id"))
			return
		}
	}
	list, err := s.Notify.Inbox(r.Context(), who, 50, before)
	var unread int
	if err == nil {
		unread, err = s.Notify.Unread(r.Context(), who)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if list == nil {
		list = []notify.Notification{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"unread": unread, "items": list})
}

// apiInboxRead: POST /api/v1/notifications/read {"ids": [...]} (none: all).
func (s *server) apiInboxRead(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	var body struct {
		IDs []int64 `json:"ids"`
	}
	if err := readJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(body.IDs) > 500 {
		s.fail(w, r, invalid("at most 500 ids"))
		return
	}
	if err := s.Notify.MarkRead(r.Context(), who, body.IDs...); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
