package webui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/markup"
	"plaza/core/notify"
	"plaza/core/wiki"
)

func (s *server) wikiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /s/{slug}/wiki", s.wikiPage)
	mux.HandleFunc("POST /s/{slug}/wiki", s.wikiFolderCreate)
	mux.HandleFunc("POST /s/{slug}/wiki/{folder}", s.wikiPageCreate)
	mux.HandleFunc("GET /s/{slug}/wiki/page/{page}", s.wikiPageView)
	mux.HandleFunc("GET /s/{slug}/wiki/page/{page}/edit", s.wikiPageEdit)
	mux.HandleFunc("POST /s/{slug}/wiki/page/{page}", s.wikiPageSave)
	mux.HandleFunc("GET /s/{slug}/wiki/page/{page}/history", s.wikiPageHistory)
	mux.HandleFunc("POST /s/{slug}/wiki/page/{page}/{action}", s.wikiPageAction)
	mux.HandleFunc("GET /wiki/ref/{ref}", s.wikiRef)
	// API.
	mux.HandleFunc("GET /api/v1/spaces/{space}/wiki/folders", s.apiWikiFolders)
	mux.HandleFunc("POST /api/v1/spaces/{space}/wiki/folders", s.apiWikiFolderCreate)
	mux.HandleFunc("GET /api/v1/wiki/folders/{folder}/pages", s.apiWikiPages)
	mux.HandleFunc("POST /api/v1/wiki/folders/{folder}/pages", s.apiWikiPageCreate)
	mux.HandleFunc("GET /api/v1/wiki/pages/{page}", s.apiWikiPage)
	mux.HandleFunc("PUT /api/v1/wiki/pages/{page}", s.apiWikiPageSave)
	mux.HandleFunc("DELETE /api/v1/wiki/pages/{page}", s.apiWikiPageDelete)
	mux.HandleFunc("GET /api/v1/wiki/pages/{page}/versions", s.apiWikiVersions)
	mux.HandleFunc("GET /api/v1/wiki/pages/{page}/versions/{v}", s.apiWikiVersion)
	mux.HandleFunc("POST /api/v1/wiki/pages/{page}/versions/{v}/restore", s.apiWikiRestore)
	mux.HandleFunc("GET /api/v1/wiki/pages/{page}/diff", s.apiWikiDiff)
	mux.HandleFunc("POST /api/v1/wiki/pages/{page}/lock", s.apiWikiLock)
	mux.HandleFunc("DELETE /api/v1/wiki/pages/{page}/lock", s.apiWikiUnlock)
	mux.HandleFunc("GET /api/v1/wiki/pages/{page}/comments", s.apiWikiComments)
	mux.HandleFunc("POST /api/v1/wiki/pages/{page}/comments", s.apiWikiComment)
	mux.HandleFunc("PUT /api/v1/wiki/pages/{page}/main", s.apiWikiMain)
	mux.HandleFunc("GET /api/v1/wiki/folders/{folder}/grants", s.folderGrantsGet(s.Wiki.FolderGrants))
	mux.HandleFunc("PUT /api/v1/wiki/folders/{folder}/grants", s.folderGrantsPut(s.Wiki.SetFolderGrants))
}

// wikiLinkPrefix is where [[ref]] links point.
const wikiLinkPrefix = "/wiki/ref/"

func (s *server) wikiView(w http.ResponseWriter, r *http.Request, title string) (*view, bool) {
	if _, ok := s.requireUser(w, r); !ok {
		return nil, false
	}
	v := s.page(r, title)
	if err := s.spaceView(r, v); err != nil {
		s.pageError(w, r, err)
		return nil, false
	}
	if err := s.moduleOn(v, core.ModWiki); err != nil {
		s.pageError(w, r, err)
		return nil, false
	}
	return v, true
}

type wikiFolderView struct {
	Folder wiki.Folder
	Pages  []wiki.Page
	CanAdd bool
}

func (s *server) wikiPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.wikiView(w, r, "wiki.title")
	if !ok {
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	folders, err := s.Wiki.Folders(ctx, who, v.Space.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	tag := r.URL.Query().Get("tag")
	var fv []wikiFolderView
	for _, f := range folders {
		ps, err := s.Wiki.Pages(ctx, who, f.ID, tag)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		fv = append(fv, wikiFolderView{Folder: f, Pages: ps, CanAdd: acl.Allows(f.Level, true, acl.PrivBind)})
	}
	// A missing [[Title]] link leads here with ?new=Title: the first
	// folder's form opens with that title.
	data := map[string]any{"Folders": fv, "Tag": tag, "New": strings.TrimSpace(r.URL.Query().Get("new"))}
	if m, err := s.Wiki.Main(ctx, who, v.Space.ID); err == nil {
		data["Main"] = m
	}
	v.Data = data
	s.render(w, r, http.StatusOK, "wiki", v)
}

func levelFromForm(r *http.Request) acl.Level {
	if l, ok := acl.ParseLevel(r.PostFormValue("members")); ok {
		return l
	}
	return acl.Limited
}

func (s *server) wikiFolderCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.wikiView(w, r, "wiki.title")
	if !ok {
		return
	}
	grants := []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: v.Space.ID, Level: levelFromForm(r)}}
	if _, err := s.Wiki.CreateFolder(r.Context(), core.SubjectFrom(r.Context()), v.Space.ID, r.PostFormValue("name"), grants); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/s/"+v.Space.Slug+"/wiki", http.StatusSeeOther)
}

func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' })
}

func (s *server) wikiPageCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.wikiView(w, r, "wiki.title")
	if !ok {
		return
	}
	folder, err := pathID(r, "folder")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p, err := s.Wiki.Create(r.Context(), core.SubjectFrom(r.Context()), folder, wiki.Input{Title: r.PostFormValue("title"),
		Body: r.PostFormValue("body"), Tags: splitTags(r.PostFormValue("tags"))})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/wiki/page/%d", v.Space.Slug, p.ID), http.StatusSeeOther)
}

// wikiLoad loads the page of the path, checking it belongs to the space.
func (s *server) wikiLoad(w http.ResponseWriter, r *http.Request, v *view) (*wiki.Page, bool) {
	id, err := pathID(r, "page")
	if err == nil {
		var p *wiki.Page
		if p, err = s.Wiki.Get(r.Context(), core.SubjectFrom(r.Context()), id); err == nil {
			if p.SpaceID != nil && *p.SpaceID == v.Space.ID {
				return p, true
			}
			err = fmt.Errorf("wiki page: %w", core.ErrNotFound)
		}
	}
	s.pageError(w, r, err)
	return nil, false
}

func (s *server) wikiPageView(w http.ResponseWriter, r *http.Request) {
	v, ok := s.wikiView(w, r, "wiki.title")
	if !ok {
		return
	}
	p, ok := s.wikiLoad(w, r, v)
	if !ok {
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	html, err := s.Wiki.RenderPage(ctx, who, p, wikiLinkPrefix, "/s/"+v.Space.Slug+"/wiki?new=")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	comments, err := s.Wiki.Comments(ctx, who, p.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	back, err := s.Wiki.Backlinks(ctx, who, p.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	type commentView struct {
		wiki.Comment
		Author    string
		HTML      template.HTML
		CanDelete bool
	}
	var cs []commentView
	for _, c := range comments {
		cv := commentView{Comment: c, HTML: trusted(markup.Render(c.Body)),
			CanDelete: p.Level >= acl.Write || (c.AuthorID != nil && *c.AuthorID == who.AccountID)}
		if c.AuthorID != nil {
			if a, err := s.Accounts.Get(ctx, *c.AuthorID); err == nil {
				cv.Author = a.Name
			}
		}
		cs = append(cs, cv)
	}
	following := false
	if s.Notify != nil {
		if following, err = s.Notify.Following(ctx, who, notify.Target{Kind: notify.KindWikiPage, ID: p.ID}); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	locker := ""
	if p.Locked(who.AccountID, time.Now()) {
		if a, err := s.Accounts.Get(ctx, *p.LockedBy); err == nil {
			locker = a.Name
		}
	}
	v.Title = "wiki.title"
	v.Data = map[string]any{"Page": p, "HTML": template.HTML(html), //nolint:gosec // rendered by goldmark, sanitized by bluemonday
		"Comments": cs, "Backlinks": back, "CanEdit": acl.Allows(p.Level, false, acl.PrivWriteContent), "LockedBy": locker,
		"Link": "[[" + p.Title + "]]", "CanFollow": s.Notify != nil, "Following": following}
	v.frameSrc = richFrames()
	s.render(w, r, http.StatusOK, "wikipage", v)
}

func (s *server) wikiPageEdit(w http.ResponseWriter, r *http.Request) {
	v, ok := s.wikiView(w, r, "wiki.title")
	if !ok {
		return
	}
	p, ok := s.wikiLoad(w, r, v)
	if !ok {
		return
	}
	// No lock: the form carries the version it was opened at, and a save
	// over a newer one is refused with the differences to merge.
	if !acl.Allows(p.Level, false, acl.PrivWriteContent) {
		s.pageError(w, r, &acl.DeniedError{Need: acl.PrivWriteContent, Have: p.Level})
		return
	}
	v.Data = map[string]any{"Page": p, "Base": p.Version, "Title": p.Title, "Body": p.Body, "Tags": strings.Join(p.Tags, ", ")}
	s.render(w, r, http.StatusOK, "wikiedit", v)
}

func (s *server) wikiPageSave(w http.ResponseWriter, r *http.Request) {
	v, ok := s.wikiView(w, r, "wiki.title")
	if !ok {
		return
	}
	p, ok := s.wikiLoad(w, r, v)
	if !ok {
		return
	}
	base, err := strconv.Atoi(r.PostFormValue("base_version"))
	if err != nil || base <= 0 {
		s.pageError(w, r, invalid("the version the text was edited from is missing"))
		return
	}
	who := core.SubjectFrom(r.Context())
	in := wiki.Input{Title: r.PostFormValue("title"), Body: strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"),
		Format: p.Format, Tags: splitTags(r.PostFormValue("tags")), Note: r.PostFormValue("note"), BaseVersion: base}
	_, err = s.Wiki.Save(r.Context(), who, p.ID, in)
	if errors.Is(err, core.ErrConflict) && base != p.Version {
		// Someone saved meanwhile: the editor comes back on the current
		// version with this person's text, and what differs between the
		// two, to merge and save again.
		v.Notice = "wiki.conflict"
		v.Data = map[string]any{"Page": p, "Base": p.Version, "Title": in.Title, "Body": in.Body, "Tags": r.PostFormValue("tags"),
			"Note": in.Note, "Conflict": wiki.DiffLines(p.Body, in.Body)}
		s.render(w, r, http.StatusConflict, "wikiedit", v)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/wiki/page/%d", v.Space.Slug, p.ID), http.StatusSeeOther)
}

func (s *server) wikiPageHistory(w http.ResponseWriter, r *http.Request) {
	v, ok := s.wikiView(w, r, "wiki.title")
	if !ok {
		return
	}
	p, ok := s.wikiLoad(w, r, v)
	if !ok {
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	vs, err := s.Wiki.Versions(ctx, who, p.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	type versionView struct {
		Version   int
		Note      string
		CreatedAt time.Time
		Author    string
	}
	var out []versionView
	for _, ver := range vs {
		vv := versionView{Version: ver.Version, Note: ver.Note, CreatedAt: ver.CreatedAt}
		if ver.AuthorID != nil {
			if a, err := s.Accounts.Get(ctx, *ver.AuthorID); err == nil {
				vv.Author = a.Name
			}
		}
		out = append(out, vv)
	}
	data := map[string]any{"Page": p, "Versions": out, "CanEdit": acl.Allows(p.Level, false, acl.PrivWriteContent)}
	from, _ := strconv.Atoi(r.URL.Query().Get("from"))
	to, _ := strconv.Atoi(r.URL.Query().Get("to"))
	if to == 0 {
		to = p.Version
	}
	if from == 0 {
		from = max(1, to-1)
	}
	if diff, err := s.Wiki.Diff(ctx, who, p.ID, from, to); err == nil {
		data["Diff"], data["From"], data["To"] = diff, from, to
	}
	v.Data = data
	s.render(w, r, http.StatusOK, "wikihistory", v)
}

// wikiPageAction handles the page's buttons: restore, comment, main,
// unlock, delete.
func (s *server) wikiPageAction(w http.ResponseWriter, r *http.Request) {
	v, ok := s.wikiView(w, r, "wiki.title")
	if !ok {
		return
	}
	p, ok := s.wikiLoad(w, r, v)
	if !ok {
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	back := fmt.Sprintf("/s/%s/wiki/page/%d", v.Space.Slug, p.ID)
	var err error
	switch r.PathValue("action") {
	case "restore":
		var ver int
		if ver, err = strconv.Atoi(r.PostFormValue("version")); err != nil {
			err = invalid("which version?")
			break
		}
		_, err = s.Wiki.Restore(ctx, who, p.ID, ver)
	case "comment":
		_, err = s.Wiki.AddComment(ctx, who, p.ID, r.PostFormValue("body"))
	case "comment-delete":
		var cid int64
		if cid, err = strconv.ParseInt(r.PostFormValue("comment"), 10, 64); err != nil {
			err = invalid("which comment?")
			break
		}
		err = s.Wiki.DeleteComment(ctx, who, p.ID, cid)
	case "follow", "unfollow":
		if s.Notify == nil {
			err = core.ErrNotFound
			break
		}
		t := notify.Target{Kind: notify.KindWikiPage, ID: p.ID}
		if r.PathValue("action") == "follow" {
			err = s.Notify.Follow(ctx, who, t, p.ContainerID)
		} else {
			err = s.Notify.Unfollow(ctx, who, t)
		}
	case "main":
		err = s.Wiki.SetMain(ctx, who, p.ID)
	case "unlock":
		err = s.Wiki.Unlock(ctx, who, p.ID)
	case "delete":
		err = s.Wiki.Delete(ctx, who, p.ID)
		back = "/s/" + v.Space.Slug + "/wiki"
	default:
		err = core.ErrNotFound
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// wikiRef follows a [[ref]] link to the page's current address.
func (s *server) wikiRef(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireUser(w, r); !ok {
		return
	}
	p, err := s.Wiki.ByRef(r.Context(), core.SubjectFrom(r.Context()), r.PathValue("ref"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if p.SpaceID == nil {
		s.pageError(w, r, core.ErrNotFound)
		return
	}
	sp, err := s.Spaces.Get(r.Context(), *p.SpaceID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/wiki/page/%d", sp.Slug, p.ID), http.StatusSeeOther)
}

// API.

func (s *server) apiWikiFolders(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "space")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	fs, err := s.Wiki.Folders(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if fs == nil {
		fs = []wiki.Folder{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"folders": fs})
}

type folderBody struct {
	Name    string `json:"name"`
	Members string `json:"members"` // none (only its creator), read, limited (default), write
}

func (b folderBody) grants(spaceID int64) ([]acl.Grant, error) {
	if b.Members == "none" {
		return []acl.Grant{}, nil
	}
	l := acl.Limited
	if b.Members != "" {
		var ok bool
		if l, ok = acl.ParseLevel(b.Members); !ok || l > acl.Write {
			return nil, invalid("members is read, limited or write")
		}
	}
	return []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: spaceID, Level: l}}, nil
}

func (s *server) apiWikiFolderCreate(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "space")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b folderBody
	if err := readJSON(w, r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	gs, err := b.grants(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Wiki.CreateFolder(r.Context(), who, id, b.Name, gs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *server) apiWikiPages(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "folder")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ps, err := s.Wiki.Pages(r.Context(), who, id, r.URL.Query().Get("tag"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ps == nil {
		ps = []wiki.Page{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"pages": ps})
}

func (s *server) apiWikiPageCreate(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "folder")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in wiki.Input
	if err := readJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.Wiki.Create(r.Context(), who, id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

// wikiPageOf runs f on the page of the path for an account.
func (s *server) wikiPageOf(w http.ResponseWriter, r *http.Request) (core.Subject, int64, bool) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return who, 0, false
	}
	id, err := pathID(r, "page")
	if err != nil {
		s.fail(w, r, err)
		return who, 0, false
	}
	return who, id, true
}

func (s *server) apiWikiPage(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.wikiPageOf(w, r)
	if !ok {
		return
	}
	p, err := s.Wiki.Get(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	html, err := s.Wiki.RenderPage(r.Context(), who, p, wikiLinkPrefix, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"page": p, "html": html})
}

func (s *server) apiWikiPageSave(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.wikiPageOf(w, r)
	if !ok {
		return
	}
	var in wiki.Input
	if err := readJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.Wiki.Save(r.Context(), who, id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *server) apiWikiPageDelete(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.wikiPageOf(w, r)
	if !ok {
		return
	}
	if err := s.Wiki.Delete(r.Context(), who, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) apiWikiVersions(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.wikiPageOf(w, r)
	if !ok {
		return
	}
	vs, err := s.Wiki.Versions(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
}

func versionParam(r *http.Request) (int, error) {
	v, err := strconv.Atoi(r.PathValue("v"))
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%w: bad version", core.ErrNotFound)
	}
	return v, nil
}

func (s *server) apiWikiVersion(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.wikiPageOf(w, r)
	if !ok {
		return
	}
	v, err := versionParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ver, err := s.Wiki.GetVersion(r.Context(), who, id, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ver)
}

func (s *server) apiWikiRestore(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.wikiPageOf(w, r)
	if !ok {
		return
	}
	v, err := versionParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.Wiki.Restore(r.Context(), who, id, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *server) apiWikiDiff(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.wikiPageOf(w, r)
	if !ok {
		return
	}
	from, err1 := strconv.Atoi(r.URL.Query().Get("from"))
	to, err2 := strconv.Atoi(r.URL.Query().Get("to"))
	if err1 != nil || err2 != nil {
		s.fail(w, r, invalid("from and to are version numbers"))
		return
	}
	d, err := s.Wiki.Diff(r.Context(), who, id, from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"lines": d})
}

func (s *server) apiWikiLock(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.wikiPageOf(w, r)
	if !ok {
		return
	}
	p, err := s.Wiki.Lock(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"locked_by": p.LockedBy, "locked_until": p.LockedUntil})
}

func (s *server) apiWikiUnlock(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.wikiPageOf(w, r)
	if !ok {
		return
	}
	if err := s.Wiki.Unlock(r.Context(), who, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) apiWikiComments(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.wikiPageOf(w, r)
	if !ok {
		return
	}
	cs, err := s.Wiki.Comments(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if cs == nil {
		cs = []wiki.Comment{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"comments": cs})
}

func (s *server) apiWikiComment(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.wikiPageOf(w, r)
	if !ok {
		return
	}
	var b struct {
		Body string `json:"body"`
	}
	if err := readJSON(w, r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Wiki.AddComment(r.Context(), who, id, b.Body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *server) apiWikiMain(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.wikiPageOf(w, r)
	if !ok {
		return
	}
	if err := s.Wiki.SetMain(r.Context(), who, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// grantJSON is a grant as the API shows it, with the level by name.
type grantJSON struct {
	PrincipalKind acl.PrincipalKind `json:"principal_kind"`
	PrincipalID   int64             `json:"principal_id"`
	Level         string            `json:"level"`
}

// folderGrantsGet answers GET …/folders/{folder}/grants with get.
func (s *server) folderGrantsGet(get func(context.Context, core.Subject, int64) ([]acl.Grant, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, ok := s.requireAccount(w, r)
		if !ok {
			return
		}
		id, err := pathID(r, "folder")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		gs, err := get(r.Context(), who, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out := []grantJSON{}
		for _, g := range gs {
			out = append(out, grantJSON{g.PrincipalKind, g.PrincipalID, g.Level.String()})
		}
		writeJSON(w, http.StatusOK, map[string]any{"grants": out})
	}
}

// folderGrantsPut answers PUT …/folders/{folder}/grants with set:
// {"grants": [{"principal_kind": "user", "principal_id": 3, "level": "read"}]}.
func (s *server) folderGrantsPut(set func(context.Context, core.Subject, int64, []acl.Grant) error) http.HandlerFunc {
	return s.grantsPut("folder", set)
}
