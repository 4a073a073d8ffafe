package webui

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"plaza/core/files"
	"plaza/core/sharelink"
)

// Public links of files and folders: made, listed and revoked from the
// sharing page of a file (/share/file/NODE) or through the API, and
// answered without an account at /p/TOKEN (this page) and
// /dav/public/TOKEN/ (WebDAV, dav/files). A password given on the page is
// remembered by a cookie holding the link's pass, not the password.

func (s *server) linkRoutes(mux *http.ServeMux) {
	if s.ShareLinks == nil || s.Files == nil {
		return
	}
	mux.HandleFunc("GET /api/v1/files/{node}/sharelinks", s.apiShareLinks)
	mux.HandleFunc("POST /api/v1/files/{node}/sharelinks", s.apiShareLinkCreate)
	mux.HandleFunc("DELETE /api/v1/sharelinks/{link}", s.apiShareLinkRevoke)
	mux.HandleFunc("GET /share/file/{node}", s.fileSharePage)
	mux.HandleFunc("POST /share/file/{node}/links", s.fileShareCreate)
	mux.HandleFunc("POST /share/file/{node}/links/{link}/revoke", s.fileShareRevoke)
	mux.HandleFunc("GET /p/{token}", s.publicLinkPage)
	mux.HandleFunc("POST /p/{token}", s.publicLinkPassword)
	mux.HandleFunc("GET /p/{token}/raw", s.publicLinkRaw)
	mux.HandleFunc("POST /p/{token}/upload", s.publicLinkUpload)
}

// shareLinkJSON is a link as the API shows it, with its addresses (the
// token only right after it is made).
type shareLinkJSON struct {
	sharelink.Link
	URL    string `json:"url,omitempty"`
	DAVURL string `json:"dav_url,omitempty"`
}

func (s *server) linkJSON(l sharelink.Link) shareLinkJSON {
	out := shareLinkJSON{Link: l}
	if l.Token != "" {
		base := strings.TrimRight(s.BaseURL, "/")
		out.URL, out.DAVURL = base+"/p/"+l.Token, base+"/dav/public/"+l.Token+"/"
	}
	return out
}

func (s *server) apiShareLinks(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "node")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.Files.Node(r.Context(), who, id)
	var ls []sharelink.Link
	if err == nil {
		ls, err = s.ShareLinks.List(r.Context(), who, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []shareLinkJSON{}
	for _, l := range ls {
		out = append(out, s.linkJSON(l))
	}
	// container_id: the folder whose sharing dialog sets who else reads
	// this (the file's folder, or the folder itself).
	writeJSON(w, http.StatusOK, map[string]any{"links": out, "container_id": n.ContainerID})
}

func (s *server) apiShareLinkCreate(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "node")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Mode      sharelink.Mode `json:"mode"`
		Password  string         `json:"password"`
		ExpiresAt *time.Time     `json:"expires_at"`
	}
	if err := readJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.ShareLinks.Create(r.Context(), who, sharelink.NewLink{NodeID: id, Mode: body.Mode, Password: body.Password, ExpiresAt: body.ExpiresAt})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.linkJSON(*l))
}

func (s *server) apiShareLinkRevoke(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "link")
	if err == nil {
		err = s.ShareLinks.Revoke(r.Context(), who, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// fileShareView loads a file or folder and its links for its sharing page.
func (s *server) fileShareView(w http.ResponseWriter, r *http.Request) (*view, *files.Node, bool) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return nil, nil, false
	}
	id, err := pathID(r, "node")
	var n *files.Node
	if err == nil {
		n, err = s.Files.Node(r.Context(), who, id)
	}
	var ls []sharelink.Link
	if err == nil {
		ls, err = s.ShareLinks.List(r.Context(), who, id)
	}
	if err != nil {
		s.pageError(w, r, err)
		return nil, nil, false
	}
	v := s.page(r, "share.links_title")
	if root, err := s.Files.RootOf(r.Context(), n); err == nil && root.SpaceID != nil {
		if sp, err := s.Spaces.Get(r.Context(), *root.SpaceID); err == nil {
			v.Space = sp
		}
	}
	name := n.Name
	if name == "" {
		name = "/"
	}
	v.Data = map[string]any{"Node": n, "Name": name, "Links": ls, "Back": safeBack(r.URL.Query().Get("back"))}
	return v, n, true
}

func (s *server) fileSharePage(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.fileShareView(w, r)
	if !ok {
		return
	}
	if tok := r.URL.Query().Get("new"); tok != "" {
		base := strings.TrimRight(s.BaseURL, "/")
		v.Data.(map[string]any)["NewURL"] = base + "/p/" + tok
		v.Data.(map[string]any)["NewDAV"] = base + "/dav/public/" + tok + "/"
	}
	s.render(w, r, http.StatusOK, "sharelinks", v)
}

// fileShareCreate makes a link from the page's form: mode, password,
// expires (a date, the link ends at its start in UTC).
func (s *server) fileShareCreate(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "node")
	if err == nil {
		err = s.parseForm(w, r)
	}
	nl := sharelink.NewLink{NodeID: id}
	if err == nil {
		f := r.PostForm
		nl.Mode, nl.Password = sharelink.Mode(f.Get("mode")), f.Get("password")
		if e := f.Get("expires"); e != "" {
			t, perr := time.Parse("2006-01-02", e)
			if perr != nil {
				err = invalid("the expiry is a date")
			}
			nl.ExpiresAt = &t
		}
	}
	var l *sharelink.Link
	if err == nil {
		l, err = s.ShareLinks.Create(r.Context(), who, nl)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	// The token shows once, on the page the form leads to.
	http.Redirect(w, r, "/share/file/"+strconv.FormatInt(id, 10)+"?new="+url.QueryEscape(l.Token), http.StatusSeeOther)
}

func (s *server) fileShareRevoke(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "node")
	var link int64
	if err == nil {
		link, err = pathID(r, "link")
	}
	if err == nil {
		err = s.ShareLinks.Revoke(r.Context(), who, link)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/share/file/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// linkCookie names the cookie keeping a link's pass.
func linkCookie(id int64) string { return "plaza_link_" + strconv.FormatInt(id, 10) }

// openLink opens the link of the path for a visitor: with the pass of its
// cookie when the link has a password. needPassword is true when the
// password form is what to show.
func (s *server) openLink(r *http.Request) (a *sharelink.Access, needPassword bool, err error) {
	tok := r.PathValue("token")
	a, err = s.ShareLinks.Open(r.Context(), tok, "")
	if !isErr(err, sharelink.ErrPassword) {
		return a, false, err
	}
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, "plaza_link_") {
			if a, err := s.ShareLinks.OpenPass(r.Context(), tok, c.Value); err == nil {
				return a, false, nil
			}
		}
	}
	return nil, true, nil
}

func (s *server) publicLinkPage(w http.ResponseWriter, r *http.Request) {
	a, needPassword, err := s.openLink(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.page(r, "share.public_title")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if needPassword {
		v.Data = map[string]any{"NeedPassword": true, "Token": r.PathValue("token"), "Wrong": r.URL.Query().Get("wrong") == "1"}
		s.render(w, r, http.StatusUnauthorized, "publiclink", v)
		return
	}
	data := map[string]any{"Token": r.PathValue("token"), "Mode": string(a.Link.Mode), "Name": a.Node.Name,
		"IsDir": a.Node.IsDir, "Node": a.Node, "Uploaded": r.URL.Query().Get("uploaded")}
	if a.Link.Mode == sharelink.Read && a.Node.IsDir {
		rel, err := splitPath(r.URL.Query().Get("path"))
		var dir *files.Node
		if err == nil {
			dir, err = s.ShareLinks.Lookup(r.Context(), a, rel, sharelink.OpRead)
		}
		var children []files.Node
		if err == nil && dir.IsDir {
			children, err = s.ShareLinks.Children(r.Context(), a, dir)
		}
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		data["Path"], data["Crumbs"], data["Children"] = rel.String(), crumbs(rel), children
	}
	v.Data = data
	s.render(w, r, http.StatusOK, "publiclink", v)
}

// publicLinkPassword checks the password of a link and keeps its pass in
// a cookie for the rest of the browser session.
func (s *server) publicLinkPassword(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	tok := r.PathValue("token")
	a, err := s.ShareLinks.Open(r.Context(), tok, r.PostForm.Get("password"))
	if isErr(err, sharelink.ErrPassword) {
		http.Redirect(w, r, "/p/"+url.PathEscape(tok)+"?wrong=1", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: linkCookie(a.Link.ID), Value: a.Pass(), Path: "/p/" + tok, HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/p/"+url.PathEscape(tok), http.StatusSeeOther)
}

// publicLinkRaw sends a file of a read link: the linked file, or the
// file at path under the linked folder.
func (s *server) publicLinkRaw(w http.ResponseWriter, r *http.Request) {
	a, needPassword, err := s.openLink(r)
	if err == nil && needPassword {
		err = sharelink.ErrPassword
	}
	var n *files.Node
	if err == nil {
		var rel files.Path
		if rel, err = splitPath(r.URL.Query().Get("path")); err == nil {
			n, err = s.ShareLinks.Lookup(r.Context(), a, rel, sharelink.OpRead)
		}
	}
	if err == nil && n.IsDir {
		err = invalid("a folder has no content")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.Files.Open(n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Referrer-Policy", "no-referrer")
	sendFile(w, n.Name, n.ContentType, n.ETag, "attachment")
	http.ServeContent(w, r, "", n.ModifiedAt, f)
}

// publicLinkUpload stores the files of a multipart form through an upload
// link (no session, so no CSRF token: the link's token is the secret).
func (s *server) publicLinkUpload(w http.ResponseWriter, r *http.Request) {
	a, needPassword, err := s.openLink(r)
	if err == nil && needPassword {
		err = sharelink.ErrPassword
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	count := 0
	put := func(name, ctype string, size int64, body io.Reader) error {
		if _, err := s.ShareLinks.Upload(r.Context(), a, name, ctype, size, body); err != nil {
			return err
		}
		count++
		return nil
	}
	if r.MultipartForm != nil {
		// A signed-in visitor's form was read whole for its CSRF token.
		for _, fh := range r.MultipartForm.File["file"] {
			f, err := fh.Open()
			if err == nil {
				err = put(fh.Filename, fh.Header.Get("Content-Type"), fh.Size, f)
				f.Close()
			}
			if err != nil {
				s.pageError(w, r, err)
				return
			}
		}
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
		mr, err := r.MultipartReader()
		if err != nil {
			s.pageError(w, r, invalid("send the files as multipart/form-data"))
			return
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			if part.FormName() == "file" && part.FileName() != "" {
				err = put(part.FileName(), part.Header.Get("Content-Type"), 0, part)
			}
			part.Close()
			if err != nil {
				s.pageError(w, r, err)
				return
			}
		}
	}
	if count == 0 {
		s.pageError(w, r, invalid("choose a file to send"))
		return
	}
	http.Redirect(w, r, "/p/"+url.PathEscape(r.PathValue("token"))+"?uploaded="+strconv.Itoa(count), http.StatusSeeOther)
}
