package webui

import (
	_ "embed"
	"net/http"
	"slices"
	"strings"

	"plaza/core"
	"plaza/core/account"
)

// zoneList is every canonical IANA time zone (the "Z" lines of the tz
// database's tzdata.zi), UTC first; regenerate it with
//
//	(echo UTC; grep '^Z ' /usr/share/zoneinfo/tzdata.zi | awk '{print $2}' | grep / | grep -v '^Etc/' | sort) > zones.txt
//
//go:embed zones.txt
var zoneList string

// zones lists the zones a profile offers, with the account's own even
// when it is an alias (America/Montreal) the list leaves out.
func zones(current string) []string {
	out := strings.Fields(zoneList)
	if current != "" && !slices.Contains(out, current) {
		out = append([]string{current}, out...)
	}
	return out
}

func (s *server) profilePage(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	s.renderProfile(w, r, who, http.StatusOK, map[string]any{"Saved": r.URL.Query().Get("saved") == "1",
		"PasswordChanged": r.URL.Query().Get("password") == "1"})
}

// renderProfile shows the profile page with the account's security
// settings (page_account.go) and the extra data of an action just done.
func (s *server) renderProfile(w http.ResponseWriter, r *http.Request, who core.Subject, status int, extra map[string]any) {
	v := s.page(r, "profile.title")
	p, err := s.Accounts.ProfileOf(r.Context(), who.AccountID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	data := map[string]any{"Profile": p, "Zones": zones(p.Timezone), "Notify": s.Notify != nil}
	if err := s.securityData(r, who, data); err != nil {
		s.pageError(w, r, err)
		return
	}
	for k, x := range extra {
		data[k] = x
	}
	v.Data = data
	s.render(w, r, status, "profile", v)
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
