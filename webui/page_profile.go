package webui

import (
	"net/http"

	"plaza/core/account"
)

func (s *server) profilePage(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	v := s.page(r, "profile.title")
	p, err := s.Accounts.ProfileOf(r.Context(), who.AccountID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"Profile": p, "Saved": r.URL.Query().Get("saved") == "1",
		"Zones": []string{"UTC", "Europe/Paris", "Europe/London", "Europe/Berlin", "America/New_York", "America/Montreal", "America/Los_Angeles", "Africa/Dakar", "Asia/Tokyo", "Australia/Sydney"}}
	s.render(w, r, http.StatusOK, "profile", v)
}

func (s *server) profileSubmit(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	p := account.Profile{Name: f.Get("name"), Language: f.Get("language"), Timezone: f.Get("timezone"),
		DateFormat: f.Get("date_format"), PersonalCalendar: f.Get("personal_calendar") == "on"}
	if err := s.Accounts.UpdateProfile(r.Context(), who.AccountID, p); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/profile?saved=1", http.StatusSeeOther)
}
