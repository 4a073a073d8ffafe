package webui

import (
	"net/http"
)

// videoPage offers the space's video call: a link for members, with their
// name, and one to copy for guests without an account.
func (s *server) videoPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireUser(w, r); !ok {
		return
	}
	v := s.page(r, "video.title")
	if err := s.spaceView(r, v); err != nil {
		s.pageError(w, r, err)
		return
	}
	room, err := s.jitsi.Room(r.Context(), "space", v.Space.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{
		"Room":  room,
		"Join":  s.jitsi.Link(room, v.User.Name, v.User.Email, false),
		"Guest": s.jitsi.Link(room, "", "", true),
	}
	s.render(w, r, http.StatusOK, "video", v)
}
