package webui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/admin"
	"plaza/core/invite"
	"plaza/core/notify"
	"plaza/core/space"
)

func (s *server) adminPageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin", s.adminPage)
	mux.HandleFunc("POST /admin/users", s.adminUserCreate)
	mux.HandleFunc("POST /admin/users/{id}", s.adminUserUpdate)
	mux.HandleFunc("POST /admin/users/import", s.adminUsersImport)
	mux.HandleFunc("POST /admin/settings", s.adminSettings)
	mux.HandleFunc("POST /admin/groups", s.adminGroups)
	mux.HandleFunc("GET /admin/spaces", s.adminSpacesPage)
	mux.HandleFunc("POST /admin/spaces", s.adminSpaceCreate)
	mux.HandleFunc("GET /admin/spaces/{id}", s.adminSpacePage)
	mux.HandleFunc("POST /admin/spaces/{id}", s.adminSpaceUpdate)
	mux.HandleFunc("POST /admin/spaces/{id}/modules", s.adminSpaceModules)
	mux.HandleFunc("POST /admin/spaces/{id}/archive", s.adminSpaceArchive)
	mux.HandleFunc("POST /admin/spaces/{id}/delete", s.adminSpaceDelete)
	mux.HandleFunc("POST /admin/spaces/{id}/members", s.adminMemberSet)
	mux.HandleFunc("POST /admin/spaces/{id}/invite", s.adminInvite)
	mux.HandleFunc("GET /platform/logo", s.platformLogo)
	mux.HandleFunc("GET /notifications", s.notifyPage)
	mux.HandleFunc("POST /notifications", s.notifySubmit)
	mux.HandleFunc("GET /s/{slug}/invite", s.inviteNewPage)
	mux.HandleFunc("POST /s/{slug}/invite", s.inviteNewSubmit)
	mux.HandleFunc("GET /invite/{token}", s.invitePage)
	mux.HandleFunc("POST /invite/{token}", s.inviteSubmit)
	mux.HandleFunc("GET /s/{slug}/newsletter", s.newsletterPage)
	mux.HandleFunc("POST /s/{slug}/newsletter", s.newsletterCreate)
	mux.HandleFunc("POST /s/{slug}/newsletter/{id}/send", s.newsletterSend)
	mux.HandleFunc("POST /s/{slug}/newsletter/{id}/reuse", s.newsletterReuse)
}

// adminView requires a platform administrator.
func (s *server) adminView(w http.ResponseWriter, r *http.Request, title string) (*view, core.Subject, bool) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return nil, who, false
	}
	if !who.Type.PlatformAdmin() {
		s.pageError(w, r, core.ErrForbidden)
		return nil, who, false
	}
	return s.page(r, title), who, true
}

func (s *server) adminPage(w http.ResponseWriter, r *http.Request) {
	v, who, ok := s.adminView(w, r, "admin.title")
	if !ok {
		s.Logger.Debug("admin page refused")
		return
	}
	s.renderAdmin(w, r, v, who, nil)
}

func (s *server) renderAdmin(w http.ResponseWriter, r *http.Request, v *view, who core.Subject, extra map[string]any) {
	ctx := r.Context()
	users, total, err := s.Admin.Users(ctx, who, admin.UserFilter{Query: r.URL.Query().Get("q"), Limit: 200})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p, err := s.Admin.PlatformSettings(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	groups, err := s.Admin.Groups(ctx, who, nil)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	data := map[string]any{"Groups": groups, "Users": users, "Total": total, "Query": r.URL.Query().Get("q"), "Platform": p,
		"Types": []core.AccountType{core.User, core.Guest, core.Administrator}, "Backup": s.Backup != nil}
	if s.Mail != nil {
		data["Mail"], _ = s.Mail.Stats(ctx)
		data["SMTP"] = s.Mail.Configured()
	}
	for k, x := range extra {
		data[k] = x
	}
	v.Data = data
	s.render(w, r, http.StatusOK, "admin", v)
}

func (s *server) adminUserCreate(w http.ResponseWriter, r *http.Request) {
	v, who, ok := s.adminView(w, r, "admin.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	_, token, err := s.Admin.CreateUser(r.Context(), who, admin.NewUser{Login: f.Get("login"), Email: f.Get("email"),
		Name: f.Get("name"), Type: core.AccountType(f.Get("type"))})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Notice = "admin.user_created"
	s.renderAdmin(w, r, v, who, map[string]any{"Link": s.Invites.Link(token)})
}

func (s *server) adminUserUpdate(w http.ResponseWriter, r *http.Request) {
	_, who, ok := s.adminView(w, r, "admin.title")
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err == nil {
		err = s.parseForm(w, r)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	var u admin.UserUpdate
	if t := core.AccountType(f.Get("type")); t != "" {
		u.Type = &t
	}
	if d := f.Get("disabled"); d != "" {
		b := d == "true"
		u.Disabled = &b
	}
	if _, err := s.Admin.UpdateUser(r.Context(), who, id, u); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

func (s *server) adminUsersImport(w http.ResponseWriter, r *http.Request) {
	v, who, ok := s.adminView(w, r, "admin.title")
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxCSVBody)
	file, _, err := r.FormFile("csv")
	if err != nil {
		s.pageError(w, r, invalid("choose a CSV file"))
		return
	}
	defer file.Close()
	rep, err := s.Admin.ImportUsersCSV(r.Context(), who, file)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderAdmin(w, r, v, who, map[string]any{"Report": rep})
}

func (s *server) adminSettings(w http.ResponseWriter, r *http.Request) {
	_, who, ok := s.adminView(w, r, "admin.title")
	if !ok {
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		// Parsed (and bounded) by the CSRF check.
		if f, h, err := r.FormFile("logo"); err == nil {
			err = s.Admin.SetLogo(r.Context(), who, h.Header.Get("Content-Type"), f)
			f.Close()
			if err != nil {
				s.pageError(w, r, err)
				return
			}
		}
	} else if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.Admin.SetPlatform(r.Context(), who, r.FormValue("name"), r.FormValue("language")); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

func (s *server) adminSpacesPage(w http.ResponseWriter, r *http.Request) {
	v, who, ok := s.adminView(w, r, "admin.spaces")
	if !ok {
		return
	}
	sps, err := s.Admin.Spaces(r.Context(), who)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"All": sps}
	s.render(w, r, http.StatusOK, "admin_spaces", v)
}

func (s *server) adminSpaceCreate(w http.ResponseWriter, r *http.Request) {
	_, who, ok := s.adminView(w, r, "admin.spaces")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	sp, err := s.Admin.CreateSpace(r.Context(), who, space.NewSpace{Slug: f.Get("slug"), Name: f.Get("name"),
		Public: f.Get("public") == "on", Password: f.Get("password")}, who.AccountID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/spaces/"+strconv.FormatInt(sp.ID, 10), http.StatusSeeOther)
}

// spaceAdminView lets platform and space administrators manage a space.
func (s *server) spaceAdminView(w http.ResponseWriter, r *http.Request) (*view, core.Subject, *space.Space, bool) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return nil, who, nil, false
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return nil, who, nil, false
	}
	if _, err := s.Admin.Members(r.Context(), who, id); err != nil {
		if errors.Is(err, core.ErrForbidden) {
			err = core.ErrNotFound
		}
		s.pageError(w, r, err)
		return nil, who, nil, false
	}
	sp, err := s.Spaces.Get(r.Context(), id)
	if err != nil {
		s.pageError(w, r, err)
		return nil, who, nil, false
	}
	return s.page(r, "admin.space"), who, sp, true
}

func (s *server) adminSpacePage(w http.ResponseWriter, r *http.Request) {
	v, who, sp, ok := s.spaceAdminView(w, r)
	if !ok {
		return
	}
	s.renderSpaceAdmin(w, r, v, who, sp, "")
}

func (s *server) renderSpaceAdmin(w http.ResponseWriter, r *http.Request, v *view, who core.Subject, sp *space.Space, link string) {
	ctx := r.Context()
	members, err := s.Admin.Members(ctx, who, sp.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	mods, err := s.Spaces.Modules(ctx, sp.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	invs, err := s.Invites.List(ctx, &sp.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"S": sp, "Members": members, "Mods": mods, "AllModules": core.AllModules(),
		"Invitations": invs, "Link": link, "PlatformAdmin": who.Type.PlatformAdmin(),
		"Proposals": s.pendingProposals(r, who, sp.ID)}
	s.render(w, r, http.StatusOK, "admin_space", v)
}

func (s *server) backToSpace(w http.ResponseWriter, r *http.Request, id int64) {
	http.Redirect(w, r, "/admin/spaces/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (s *server) adminSpaceUpdate(w http.ResponseWriter, r *http.Request) {
	_, who, sp, ok := s.spaceAdminView(w, r)
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	name, desc := f.Get("name"), f.Get("description")
	public, invites := f.Get("public") == "on", f.Get("allow_member_invites") == "on"
	u := admin.SpaceUpdate{Name: &name, Description: &desc, Public: &public, AllowMemberInvites: &invites}
	if f.Get("clear_password") == "on" {
		empty := ""
		u.Password = &empty
	} else if pw := f.Get("password"); pw != "" {
		u.Password = &pw
	}
	if _, err := s.Admin.UpdateSpace(r.Context(), who, sp.ID, u); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.backToSpace(w, r, sp.ID)
}

func (s *server) adminSpaceModules(w http.ResponseWriter, r *http.Request) {
	_, who, sp, ok := s.spaceAdminView(w, r)
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, m := range core.AllModules() {
		if err := s.Admin.SetModule(r.Context(), who, sp.ID, m, r.PostForm.Get("m_"+string(m)) == "on"); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	s.backToSpace(w, r, sp.ID)
}

func (s *server) adminSpaceArchive(w http.ResponseWriter, r *http.Request) {
	_, who, sp, ok := s.spaceAdminView(w, r)
	if !ok {
		return
	}
	if err := s.Admin.ArchiveSpace(r.Context(), who, sp.ID, sp.ArchivedAt == nil); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.backToSpace(w, r, sp.ID)
}

func (s *server) adminSpaceDelete(w http.ResponseWriter, r *http.Request) {
	_, who, sp, ok := s.spaceAdminView(w, r)
	if !ok {
		return
	}
	if err := s.Admin.DeleteSpace(r.Context(), who, sp.ID); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/spaces", http.StatusSeeOther)
}

func (s *server) adminMemberSet(w http.ResponseWriter, r *http.Request) {
	_, who, sp, ok := s.spaceAdminView(w, r)
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	acc, err := s.Accounts.ByLogin(r.Context(), strings.TrimSpace(f.Get("login")))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if f.Get("role") == "remove" {
		err = s.Admin.RemoveMember(r.Context(), who, sp.ID, acc.ID)
	} else {
		err = s.Admin.SetRole(r.Context(), who, sp.ID, acc.ID, space.Role(f.Get("role")))
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.backToSpace(w, r, sp.ID)
}

func (s *server) adminInvite(w http.ResponseWriter, r *http.Request) {
	v, who, sp, ok := s.spaceAdminView(w, r)
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	token, _, err := s.Invites.Create(r.Context(), who, invite.Spec{SpaceID: &sp.ID, Email: strings.TrimSpace(f.Get("email")),
		Type: core.AccountType(f.Get("type")), Role: space.Role(f.Get("role")), Language: v.Lang})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Notice = "admin.invited"
	s.renderSpaceAdmin(w, r, v, who, sp, s.Invites.Link(token))
}

// notifyPage lets a person choose how they hear of what they follow.
func (s *server) notifyPage(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok || s.Notify == nil {
		if ok {
			s.pageError(w, r, core.ErrNotFound)
		}
		return
	}
	mode, err := s.Notify.ModeOf(r.Context(), who.AccountID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.page(r, "notify.title")
	if r.URL.Query().Get("saved") != "" {
		v.Notice = "notify.saved"
	}
	v.Data = map[string]any{"Mode": string(mode), "Modes": []string{"immediate", "digest", "off"}}
	s.render(w, r, http.StatusOK, "admin_notifications", v)
}

func (s *server) notifySubmit(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok || s.Notify == nil {
		if ok {
			s.pageError(w, r, core.ErrNotFound)
		}
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.Notify.SetMode(r.Context(), who, notify.Mode(r.PostForm.Get("mode"))); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/notifications?saved=1", http.StatusSeeOther)
}

// platformLogo serves the logo an administrator uploaded (anyone may see it).
func (s *server) platformLogo(w http.ResponseWriter, r *http.Request) {
	p, err := s.Admin.PlatformSettings(r.Context())
	if err != nil || p.Logo == "" || s.Blobs == nil {
		http.NotFound(w, r)
		return
	}
	f, err := s.Blobs.Open(p.Logo)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", p.LogoType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("ETag", `"`+p.Logo+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
}

// adminGroups creates a group, deletes one, or adds or removes a member
// (by login), as the form's action says.
func (s *server) adminGroups(w http.ResponseWriter, r *http.Request) {
	_, who, ok := s.adminView(w, r, "admin.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	ctx := r.Context()
	var err error
	switch f.Get("action") {
	case "create":
		_, err = s.Admin.CreateGroup(ctx, who, nil, f.Get("name"))
	case "delete", "add", "remove":
		var id int64
		if id, err = strconv.ParseInt(f.Get("group"), 10, 64); err != nil {
			err = invalid("choose a group")
			break
		}
		if f.Get("action") == "delete" {
			err = s.Admin.DeleteGroup(ctx, who, id)
			break
		}
		var acc *account.Account
		if acc, err = s.Accounts.ByLogin(ctx, strings.TrimSpace(f.Get("login"))); err == nil {
			err = s.Admin.SetGroupMember(ctx, who, id, acc.ID, f.Get("action") == "add")
		}
	default:
		err = invalid("unknown action")
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}
