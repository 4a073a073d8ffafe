package webui

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/admin"
	"plaza/core/invite"
	"plaza/core/mail"
	"plaza/core/newsletter"
	"plaza/core/notify"
	"plaza/core/proposal"
	"plaza/core/space"
)

// AdminOptions are the services of administration, invitations,
// newsletters and notifications. A nil Admin leaves their routes out.
type AdminOptions struct {
	Admin       *admin.Service
	Invites     *invite.Service
	Newsletters *newsletter.Service
	Notify      *notify.Service
	Proposals   *proposal.Service // nil: no event proposals
	Mail        *mail.Queue
	Resets      *account.Resets // nil: no password reset by mail
	// Backup writes a full backup (backup.Write); nil: no download.
	Backup func(ctx context.Context, w io.Writer) error
	// Directory returns the container id of a space's contact directory
	// (contacts' EnsureSpace); nil: newsletters go to members only.
	Directory func(ctx context.Context, spaceID int64) (int64, error)
}

// maxCSVBody bounds a CSV import.
const maxCSVBody = 20 << 20

// adminRoutes adds the administration API and pages.
func (s *server) adminRoutes(mux *http.ServeMux) {
	if s.Admin == nil {
		return
	}
	mux.HandleFunc("GET /api/v1/directory", s.apiDirectory)
	mux.HandleFunc("GET /api/v1/admin/users", s.apiAdminUsers)
	mux.HandleFunc("POST /api/v1/admin/users", s.apiAdminUserCreate)
	mux.HandleFunc("PATCH /api/v1/admin/users/{id}", s.apiAdminUserUpdate)
	mux.HandleFunc("GET /api/v1/admin/users/export", s.apiAdminUsersExport)
	mux.HandleFunc("POST /api/v1/admin/users/import", s.apiAdminUsersImport)
	mux.HandleFunc("GET /api/v1/admin/spaces", s.apiAdminSpaces)
	mux.HandleFunc("POST /api/v1/admin/spaces", s.apiAdminSpaceCreate)
	mux.HandleFunc("PATCH /api/v1/admin/spaces/{id}", s.apiAdminSpaceUpdate)
	mux.HandleFunc("POST /api/v1/admin/spaces/{id}/archive", s.apiAdminSpaceArchive)
	mux.HandleFunc("DELETE /api/v1/admin/spaces/{id}", s.apiAdminSpaceDelete)
	mux.HandleFunc("PUT /api/v1/admin/spaces/{id}/modules/{module}", s.apiAdminSpaceModule)
	mux.HandleFunc("GET /api/v1/admin/spaces/{id}/members", s.apiAdminMembers)
	mux.HandleFunc("PUT /api/v1/admin/spaces/{id}/members/{account}", s.apiAdminMemberSet)
	mux.HandleFunc("DELETE /api/v1/admin/spaces/{id}/members/{account}", s.apiAdminMemberRemove)
	mux.HandleFunc("GET /api/v1/admin/groups", s.apiAdminGroups)
	mux.HandleFunc("POST /api/v1/admin/groups", s.apiAdminGroupCreate)
	mux.HandleFunc("DELETE /api/v1/admin/groups/{id}", s.apiAdminGroupDelete)
	mux.HandleFunc("GET /api/v1/admin/groups/{id}/members", s.apiAdminGroupMembers)
	mux.HandleFunc("PUT /api/v1/admin/groups/{id}/members/{account}", s.apiAdminGroupMember)
	mux.HandleFunc("DELETE /api/v1/admin/groups/{id}/members/{account}", s.apiAdminGroupMember)
	mux.HandleFunc("GET /api/v1/admin/settings", s.apiAdminSettings)
	mux.HandleFunc("PUT /api/v1/admin/settings", s.apiAdminSettingsSet)
	mux.HandleFunc("GET /api/v1/admin/mail", s.apiAdminMail)
	mux.HandleFunc("GET /api/v1/admin/backup", s.apiAdminBackup)
	mux.HandleFunc("POST /api/v1/invitations", s.apiInviteCreate)
	mux.HandleFunc("GET /api/v1/invitations/{token}", s.apiInviteGet)
	mux.HandleFunc("POST /api/v1/invitations/{token}/accept", s.apiInviteAccept)
	mux.HandleFunc("PUT /api/v1/me/notifications", s.apiNotifyMode)
	s.adminPageRoutes(mux)
	s.proposalRoutes(mux)
}

func (s *server) apiDirectory(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	people, err := s.Admin.Directory(r.Context(), who, r.URL.Query().Get("q"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"people": people})
}

func (s *server) apiAdminUsers(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := admin.UserFilter{Query: q.Get("q"), Type: core.AccountType(q.Get("type"))}
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	users, total, err := s.Admin.Users(r.Context(), who, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users, "total": total})
}

func (s *server) apiAdminUserCreate(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	var n admin.NewUser
	if err := readJSON(w, r, &n); err != nil {
		s.fail(w, r, err)
		return
	}
	a, token, err := s.Admin.CreateUser(r.Context(), who, n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]any{"user": a}
	if token != "" {
		out["password_link"] = s.Invites.Link(token)
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *server) apiAdminUserUpdate(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var u admin.UserUpdate
	if err := readJSON(w, r, &u); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.Admin.UpdateUser(r.Context(), who, id, u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *server) apiAdminUsersExport(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	if !who.Type.PlatformAdmin() {
		s.fail(w, r, core.ErrForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="users.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := s.Admin.ExportUsersCSV(r.Context(), who, w); err != nil {
		s.Logger.Error("users export", "err", err)
	}
}

func (s *server) apiAdminUsersImport(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	rep, err := s.Admin.ImportUsersCSV(r.Context(), who, http.MaxBytesReader(w, r.Body, maxCSVBody))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *server) apiAdminSpaces(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	sps, err := s.Admin.Spaces(r.Context(), who)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"spaces": sps})
}

type spaceCreate struct {
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Public   bool   `json:"public"`
	Password string `json:"password"`
	AdminID  int64  `json:"admin_id"`
}

func (s *server) apiAdminSpaceCreate(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	var n spaceCreate
	if err := readJSON(w, r, &n); err != nil {
		s.fail(w, r, err)
		return
	}
	sp, err := s.Admin.CreateSpace(r.Context(), who, space.NewSpace{Slug: n.Slug, Name: n.Name, Public: n.Public, Password: n.Password}, n.AdminID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sp)
}

func (s *server) apiAdminSpaceUpdate(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var u admin.SpaceUpdate
	if err := readJSON(w, r, &u); err != nil {
		s.fail(w, r, err)
		return
	}
	sp, err := s.Admin.UpdateSpace(r.Context(), who, id, u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sp)
}

func (s *server) apiAdminSpaceArchive(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Archived bool `json:"archived"`
	}
	if err := readJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Admin.ArchiveSpace(r.Context(), who, id, body.Archived); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) apiAdminSpaceDelete(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err == nil {
		err = s.Admin.DeleteSpace(r.Context(), who, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) apiAdminSpaceModule(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Enabled bool `json:"enabled"`
	}
	if err := readJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Admin.SetModule(r.Context(), who, id, core.Module(r.PathValue("module")), body.Enabled); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) apiAdminMembers(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ms, err := s.Admin.Members(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": ms})
}

func (s *server) apiAdminMemberSet(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	acc, err := pathID(r, "account")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Role space.Role `json:"role"`
	}
	if err := readJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Admin.SetRole(r.Context(), who, id, acc, body.Role); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) apiAdminMemberRemove(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	acc, err := pathID(r, "account")
	if err == nil {
		err = s.Admin.RemoveMember(r.Context(), who, id, acc)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) apiAdminSettings(w http.ResponseWriter, r *http.Request) {
	p, err := s.Admin.PlatformSettings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *server) apiAdminSettingsSet(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	var p struct {
		Name     string `json:"name"`
		Language string `json:"language"`
	}
	if err := readJSON(w, r, &p); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Admin.SetPlatform(r.Context(), who, p.Name, p.Language); err != nil {
		s.fail(w, r, err)
		return
	}
	s.apiAdminSettings(w, r)
}

func (s *server) apiAdminMail(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	if !who.Type.PlatformAdmin() || s.Mail == nil {
		s.fail(w, r, core.ErrForbidden)
		return
	}
	st, err := s.Mail.Stats(r.Context())
	if err == nil {
		var rows []mail.Row
		if rows, err = s.Mail.Rows(r.Context(), 100); err == nil {
			writeJSON(w, http.StatusOK, map[string]any{"counts": st, "recent": rows, "smtp": s.Mail.Configured()})
			return
		}
	}
	s.fail(w, r, err)
}

func (s *server) apiAdminBackup(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	if !who.Type.PlatformAdmin() || s.Backup == nil {
		s.fail(w, r, core.ErrForbidden)
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", `attachment; filename="plaza-`+time.Now().UTC().Format("20060102-150405")+`.tar.gz"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := s.Backup(r.Context(), w); err != nil {
		// Headers are gone: the truncated download fails its gzip check.
		s.Logger.Error("backup download", "err", err)
	}
}

type inviteCreate struct {
	SpaceID  *int64           `json:"space_id"`
	Email    string           `json:"email"`
	Type     core.AccountType `json:"type"`
	Role     space.Role       `json:"role"`
	RoomRole string           `json:"room_role"`
	Language string           `json:"language"`
}

func (s *server) apiInviteCreate(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	var n inviteCreate
	if err := readJSON(w, r, &n); err != nil {
		s.fail(w, r, err)
		return
	}
	token, inv, err := s.Invites.Create(r.Context(), who, invite.Spec{SpaceID: n.SpaceID, Email: n.Email,
		Type: n.Type, Role: n.Role, RoomRole: n.RoomRole, Language: n.Language})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"invitation": inv, "link": s.Invites.Link(token)})
}

func (s *server) apiInviteGet(w http.ResponseWriter, r *http.Request) {
	inv, err := s.Invites.Lookup(r.Context(), r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inv)
}

func (s *server) apiInviteAccept(w http.ResponseWriter, r *http.Request) {
	var a struct {
		Login    string `json:"login"`
		Name     string `json:"name"`
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := readJSON(w, r, &a); err != nil {
		s.fail(w, r, err)
		return
	}
	acc, err := s.Invites.Accept(r.Context(), r.PathValue("token"), invite.Acceptance{Login: a.Login, Name: a.Name, Email: a.Email, Password: a.Password})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, acc)
}

func (s *server) apiNotifyMode(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	var body struct {
		Mode notify.Mode `json:"mode"`
	}
	if err := readJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if s.Notify == nil {
		s.fail(w, r, core.ErrNotFound)
		return
	}
	if err := s.Notify.SetMode(r.Context(), who, body.Mode); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// spaceParam reads the optional ?space= (a space's groups).
func spaceParam(r *http.Request) (*int64, error) {
	raw := r.URL.Query().Get("space")
	if raw == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return nil, invalid("space must be a positive integer")
	}
	return &id, nil
}

func (s *server) apiAdminGroups(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	sp, err := spaceParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	gs, err := s.Admin.Groups(r.Context(), who, sp)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": gs})
}

func (s *server) apiAdminGroupCreate(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	var body struct {
		Name    string `json:"name"`
		SpaceID *int64 `json:"space_id"`
	}
	if err := readJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	g, err := s.Admin.CreateGroup(r.Context(), who, body.SpaceID, body.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

func (s *server) apiAdminGroupDelete(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err == nil {
		err = s.Admin.DeleteGroup(r.Context(), who, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) apiAdminGroupMembers(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ms, err := s.Admin.GroupMembers(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": ms})
}

func (s *server) apiAdminGroupMember(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	acc, err := pathID(r, "account")
	if err == nil {
		err = s.Admin.SetGroupMember(r.Context(), who, id, acc, r.Method == http.MethodPut)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
