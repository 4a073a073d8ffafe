package webui

import (
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/invite"
	"plaza/core/space"
)

// inviteNewPage lets a member invite people into their space when the
// space allows member invitations (space administrators always may).
func (s *server) inviteNewPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireUser(w, r); !ok {
		return
	}
	v := s.page(r, "invite.new_title")
	if err := s.spaceView(r, v); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "invite_new", v)
}

func (s *server) inviteNewSubmit(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	v := s.page(r, "invite.new_title")
	err := s.spaceView(r, v)
	if err == nil {
		err = s.parseForm(w, r)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	token, _, err := s.Invites.Create(r.Context(), who, invite.Spec{SpaceID: &v.Space.ID, Email: strings.TrimSpace(f.Get("email")),
		Type: core.AccountType(f.Get("type")), Role: space.RoleMember, RoomRole: f.Get("room_role"), Language: v.Lang})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Notice = "admin.invited"
	v.Data = map[string]any{"Link": s.Invites.Link(token)}
	s.render(w, r, http.StatusOK, "invite_new", v)
}
