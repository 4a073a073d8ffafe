package webui

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/links"
)

func (s *server) linksRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /s/{slug}/links", s.linksPage)
	mux.HandleFunc("POST /s/{slug}/links", s.linksFolderCreate)
	mux.HandleFunc("GET /s/{slug}/links/{folder}", s.linksPage)
	mux.HandleFunc("POST /s/{slug}/links/{folder}", s.linkAdd)
	mux.HandleFunc("POST /s/{slug}/link/{link}/delete", s.linkDelete)
	mux.HandleFunc("POST /s/{slug}/link/{link}/attach", s.linkAttach)
	mux.HandleFunc("GET /s/{slug}/link/{link}/file/{file}", s.linkFile)
	// API.
	mux.HandleFunc("GET /api/v1/spaces/{space}/links/folders", s.apiLinkFolders)
	mux.HandleFunc("POST /api/v1/spaces/{space}/links/folders", s.apiLinkFolderCreate)
	mux.HandleFunc("GET /api/v1/linkfolders/{folder}/links", s.apiLinks)
	mux.HandleFunc("POST /api/v1/linkfolders/{folder}/links", s.apiLinkAdd)
	mux.HandleFunc("GET /api/v1/links/{link}", s.apiLink)
	mux.HandleFunc("PUT /api/v1/links/{link}", s.apiLinkUpdate)
	mux.HandleFunc("DELETE /api/v1/links/{link}", s.apiLinkDelete)
	mux.HandleFunc("GET /api/v1/links/{link}/attachments", s.apiLinkAttachments)
	mux.HandleFunc("POST /api/v1/links/{link}/attachments", s.apiLinkAttach)
	mux.HandleFunc("GET /api/v1/links/{link}/attachments/{file}", s.apiLinkFile)
	mux.HandleFunc("GET /api/v1/linkfolders/{folder}/grants", s.folderGrantsGet(s.Links.FolderGrants))
	mux.HandleFunc("PUT /api/v1/linkfolders/{folder}/grants", s.folderGrantsPut(s.Links.SetFolderGrants))
}

func (s *server) linksView(w http.ResponseWriter, r *http.Request) (*view, bool) {
	if _, ok := s.requireUser(w, r); !ok {
		return nil, false
	}
	v := s.page(r, "links.title")
	if err := s.spaceView(r, v); err != nil {
		s.pageError(w, r, err)
		return nil, false
	}
	if err := s.moduleOn(v, core.ModLinks); err != nil {
		s.pageError(w, r, err)
		return nil, false
	}
	return v, true
}

type linkView struct {
	links.Link
	Files    []links.Attachment
	CanWrite bool
}

// linksPage lists the folders of the space and the links of one of them
// (the first by default), with a tag filter.
func (s *server) linksPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.linksView(w, r)
	if !ok {
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	folders, err := s.Links.Folders(ctx, who, v.Space.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	data := map[string]any{"Folders": folders, "Tag": r.URL.Query().Get("tag")}
	var cur *links.Folder
	if id := r.PathValue("folder"); id != "" {
		fid, err := pathID(r, "folder")
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		for i := range folders {
			if folders[i].ID == fid {
				cur = &folders[i]
			}
		}
		if cur == nil {
			s.pageError(w, r, core.ErrNotFound)
			return
		}
	} else if len(folders) > 0 {
		cur = &folders[0]
	}
	if cur != nil {
		ls, err := s.Links.List(ctx, who, cur.ID, r.URL.Query().Get("tag"))
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		var lv []linkView
		for _, l := range ls {
			files, err := s.Links.Attachments(ctx, who, l.ID)
			if err != nil {
				s.pageError(w, r, err)
				return
			}
			lv = append(lv, linkView{Link: l, Files: files, CanWrite: acl.Allows(l.Level, false, acl.PrivWriteContent)})
		}
		data["Current"], data["Links"], data["CanAdd"] = cur, lv, acl.Allows(cur.Level, true, acl.PrivBind)
	}
	v.Data = data
	s.render(w, r, http.StatusOK, "links", v)
}

func (s *server) linksFolderCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.linksView(w, r)
	if !ok {
		return
	}
	grants := []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: v.Space.ID, Level: levelFromForm(r)}}
	c, err := s.Links.CreateFolder(r.Context(), core.SubjectFrom(r.Context()), v.Space.ID, r.PostFormValue("name"), grants)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/links/%d", v.Space.Slug, c.ID), http.StatusSeeOther)
}

func (s *server) linkAdd(w http.ResponseWriter, r *http.Request) {
	v, ok := s.linksView(w, r)
	if !ok {
		return
	}
	fid, err := pathID(r, "folder")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	_, err = s.Links.Add(r.Context(), core.SubjectFrom(r.Context()), fid, links.Input{URL: r.PostFormValue("url"),
		Title: r.PostFormValue("title"), Description: r.PostFormValue("description"), Tags: splitTags(r.PostFormValue("tags"))})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/links/%d", v.Space.Slug, fid), http.StatusSeeOther)
}

func (s *server) linkDelete(w http.ResponseWriter, r *http.Request) {
	v, ok := s.linksView(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "link")
	if err == nil {
		err = s.Links.Delete(r.Context(), core.SubjectFrom(r.Context()), id)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/s/"+v.Space.Slug+"/links", http.StatusSeeOther)
}

func (s *server) linkAttach(w http.ResponseWriter, r *http.Request) {
	v, ok := s.linksView(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "link")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.pageError(w, r, invalid("choose a file"))
		return
	}
	defer f.Close()
	l, err := s.Links.Get(r.Context(), core.SubjectFrom(r.Context()), id)
	if err == nil {
		_, err = s.Links.Attach(r.Context(), core.SubjectFrom(r.Context()), id, hdr.Filename, hdr.Header.Get("Content-Type"), f)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/links/%d", v.Space.Slug, l.ContainerID), http.StatusSeeOther)
}

func (s *server) serveLinkFile(w http.ResponseWriter, r *http.Request, who core.Subject) error {
	id, err := pathID(r, "link")
	if err != nil {
		return err
	}
	fid, err := pathID(r, "file")
	if err != nil {
		return err
	}
	a, rc, err := s.Links.OpenAttachment(r.Context(), who, id, fid)
	if err != nil {
		return err
	}
	defer rc.Close()
	sendFile(w, a.Name, a.ContentType, "", "attachment")
	w.Header().Set("Content-Length", strconv.FormatInt(a.Size, 10))
	_, _ = io.Copy(w, rc)
	return nil
}

func (s *server) linkFile(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	if err := s.serveLinkFile(w, r, who); err != nil {
		s.pageError(w, r, err)
	}
}

// API.

func (s *server) apiLinkFolders(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "space")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	fs, err := s.Links.Folders(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if fs == nil {
		fs = []links.Folder{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"folders": fs})
}

func (s *server) apiLinkFolderCreate(w http.ResponseWriter, r *http.Request) {
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
	c, err := s.Links.CreateFolder(r.Context(), who, id, b.Name, gs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *server) apiLinks(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "folder")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ls, err := s.Links.List(r.Context(), who, id, r.URL.Query().Get("tag"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ls == nil {
		ls = []links.Link{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"links": ls})
}

func (s *server) apiLinkAdd(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "folder")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in links.Input
	if err := readJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.Links.Add(r.Context(), who, id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, l)
}

func (s *server) linkOf(w http.ResponseWriter, r *http.Request) (core.Subject, int64, bool) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return who, 0, false
	}
	id, err := pathID(r, "link")
	if err != nil {
		s.fail(w, r, err)
		return who, 0, false
	}
	return who, id, true
}

func (s *server) apiLink(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.linkOf(w, r)
	if !ok {
		return
	}
	l, err := s.Links.Get(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *server) apiLinkUpdate(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.linkOf(w, r)
	if !ok {
		return
	}
	var in links.Input
	if err := readJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.Links.Update(r.Context(), who, id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *server) apiLinkDelete(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.linkOf(w, r)
	if !ok {
		return
	}
	if err := s.Links.Delete(r.Context(), who, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) apiLinkAttachments(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.linkOf(w, r)
	if !ok {
		return
	}
	as, err := s.Links.Attachments(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if as == nil {
		as = []links.Attachment{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"attachments": as})
}

// apiLinkAttach stores the request body as a file named by ?name=.
func (s *server) apiLinkAttach(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.linkOf(w, r)
	if !ok {
		return
	}
	body := http.MaxBytesReader(w, r.Body, links.MaxAttachment+1)
	a, err := s.Links.Attach(r.Context(), who, id, r.URL.Query().Get("name"), r.Header.Get("Content-Type"), body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *server) apiLinkFile(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	if err := s.serveLinkFile(w, r, who); err != nil {
		s.fail(w, r, err)
	}
}
