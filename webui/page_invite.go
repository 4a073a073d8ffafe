package webui

import (
	"net/http"

	"plaza/core/invite"
)

// invitePage shows the form an invitee fills in, or why the link no
// longer works.
func (s *server) invitePage(w http.ResponseWriter, r *http.Request) {
	v := s.page(r, "invite.title")
	inv, err := s.Invites.Lookup(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"Inv": inv, "Token": r.PathValue("token")}
	s.render(w, r, http.StatusOK, "invite", v)
}

// inviteSubmit creates the account, signs the invitee in and takes them
// to their space.
func (s *server) inviteSubmit(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	token := r.PathValue("token")
	inv, err := s.Invites.Lookup(r.Context(), token)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if f.Get("password") != f.Get("password2") {
		s.pageError(w, r, invalid("the two passwords differ"))
		return
	}
	acc, err := s.Invites.Accept(r.Context(), token, invite.Acceptance{Login: f.Get("login"), Name: f.Get("name"),
		Email: f.Get("email"), Password: f.Get("password")})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if _, err := s.startSession(w, r, acc.Subject()); err != nil {
		s.pageError(w, r, err)
		return
	}
	to := "/spaces"
	if inv.SpaceID != nil {
		if sp, err := s.Spaces.Get(r.Context(), *inv.SpaceID); err == nil {
			to = "/s/" + sp.Slug
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
