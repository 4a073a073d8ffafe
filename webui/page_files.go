package webui

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/files"
	"plaza/core/notify"
)

// The files page of a space (/s/SLUG/files) and of the reader's own
// files (/files): browse, upload (with progress when scripts run), new
// folders, rename, move and copy, comments and tags, previews, versions
// and trash. The same trees are served over WebDAV at /dav/spaces/SLUG/
// and /dav/files/LOGIN/.

// filesRoutes serves the same pages for a space's tree and the reader's.
func (s *server) filesRoutes(mux *http.ServeMux) {
	for _, base := range []string{"/s/{slug}/files", "/files"} {
		mux.HandleFunc("GET "+base, s.filesPage)
		mux.HandleFunc("POST "+base+"/upload", s.fileUpload)
		mux.HandleFunc("POST "+base+"/mkdir", s.fileMkdir)
		mux.HandleFunc("GET "+base+"/trash", s.filesTrash)
		mux.HandleFunc("POST "+base+"/trash/{id}/restore", s.fileTrashRestore)
		mux.HandleFunc("GET "+base+"/{id}", s.fileOpen)
		mux.HandleFunc("GET "+base+"/{id}/raw", s.fileRaw)
		mux.HandleFunc("POST "+base+"/{id}/delete", s.fileDelete)
		mux.HandleFunc("GET "+base+"/{id}/versions", s.fileVersions)
		mux.HandleFunc("GET "+base+"/{id}/versions/{v}", s.fileVersionRaw)
		mux.HandleFunc("POST "+base+"/{id}/versions/{v}/restore", s.fileVersionRestore)
		mux.HandleFunc("GET "+base+"/{id}/info", s.fileInfo)
		mux.HandleFunc("POST "+base+"/{id}/move", s.fileMove)
		mux.HandleFunc("POST "+base+"/{id}/copy", s.fileCopy)
		mux.HandleFunc("POST "+base+"/{id}/comment", s.fileComment)
		mux.HandleFunc("POST "+base+"/{id}/comment/{c}/delete", s.fileCommentDelete)
		mux.HandleFunc("POST "+base+"/{id}/tags", s.fileTags)
		mux.HandleFunc("POST "+base+"/follow", s.folderFollow)
	}
}

// filesBase is the address of the tree a files page shows.
func filesBase(r *http.Request) string {
	if slug := r.PathValue("slug"); slug != "" {
		return "/s/" + slug + "/files"
	}
	return "/files"
}

// filesView loads the tree of the page: the space's (checking its files
// module) or, under /files, the reader's own.
func (s *server) filesView(w http.ResponseWriter, r *http.Request) (*view, *files.Root, bool) {
	var v *view
	var root *files.Root
	var err error
	if r.PathValue("slug") == "" {
		who, ok := s.requireUser(w, r)
		if !ok {
			return nil, nil, false
		}
		v = s.page(r, "files.mine")
		root, err = s.Files.PersonalRoot(r.Context(), who.AccountID)
	} else {
		var ok bool
		if v, ok = s.moduleView(w, r, core.ModFiles, "files.title"); !ok {
			return nil, nil, false
		}
		root, err = s.Files.SpaceRoot(r.Context(), v.Space.ID)
	}
	if err != nil {
		s.pageError(w, r, err)
		return nil, nil, false
	}
	return v, root, true
}

// filesData is what every files page shows besides its own data.
func (s *server) filesData(r *http.Request, v *view, d map[string]any) map[string]any {
	d["Base"] = filesBase(r)
	if v.Space != nil {
		d["RootName"] = v.Space.Name
	} else {
		d["RootName"] = s.catalog.translate(v.Lang, "files.mine")
	}
	return d
}

// splitPath turns "/a/b" into a files.Path, refusing bad names.
func splitPath(raw string) (files.Path, error) {
	var p files.Path
	for _, part := range strings.Split(raw, "/") {
		if part == "" {
			continue
		}
		if err := files.ValidName(part); err != nil {
			return nil, err
		}
		p = append(p, part)
	}
	return p, nil
}

// crumb is one step of the path shown above a listing.
type crumb struct {
	Name, Path string
}

func crumbs(p files.Path) []crumb {
	out := make([]crumb, 0, len(p))
	for i := range p {
		out = append(out, crumb{Name: p[i], Path: files.Path(p[:i+1]).String()})
	}
	return out
}

// filesPerPage bounds the rows of a folder listing.
const filesPerPage = 100

func (s *server) filesPage(w http.ResponseWriter, r *http.Request) {
	v, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	who := core.SubjectFrom(r.Context())
	p, err := splitPath(r.URL.Query().Get("path"))
	var dir *files.Node
	if err == nil {
		dir, err = s.Files.Lookup(r.Context(), who, root, p)
	}
	if err == nil && !dir.IsDir {
		err = fmt.Errorf("%w: not a folder", core.ErrNotFound)
	}
	var children []files.Node
	if err == nil {
		children, err = s.Files.Children(r.Context(), who, dir)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pg := paginate(r, len(children), filesPerPage)
	lo, hi := pg.Bounds()
	following := false
	if s.Notify != nil && !who.IsAnonymous() {
		if following, err = s.Notify.Following(r.Context(), who, notify.Target{Kind: notify.KindFolder, ID: dir.ContainerID}); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	dav := ""
	if v.Space != nil {
		dav = "/dav/spaces/" + v.Space.Slug + "/"
	} else {
		dav = "/dav/files/" + v.User.Login + "/"
	}
	v.Data = s.filesData(r, v, map[string]any{
		"Path": p.String(), "Crumbs": crumbs(p), "Children": children[lo:hi], "Pager": pg, "Count": len(children),
		"CanAdd": dir.Allows(acl.PrivBind), "Up": parentOf(p), "Personal": v.Space == nil,
		"CanFollow": s.Notify != nil && !who.IsAnonymous(), "Following": following,
		"DAV": strings.TrimRight(s.BaseURL, "/") + dav,
	})
	s.render(w, r, http.StatusOK, "files", v)
}

func parentOf(p files.Path) string {
	if len(p) == 0 {
		return ""
	}
	parent, _ := p.Parent()
	if len(parent) == 0 {
		return "/"
	}
	return parent.String()
}

func (s *server) backToFolder(w http.ResponseWriter, r *http.Request, p string) {
	http.Redirect(w, r, filesBase(r)+"?path="+url.QueryEscape(p), http.StatusSeeOther)
}

// fileUpload stores the files of a multipart form in the folder "path".
// With the CSRF token in a header (the page's script, which shows
// progress) the body is streamed part by part, never held whole.
func (s *server) fileUpload(w http.ResponseWriter, r *http.Request) {
	_, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	who := core.SubjectFrom(r.Context())
	if r.MultipartForm != nil { // the form was read by the CSRF check
		dir := r.FormValue("path")
		for _, fh := range r.MultipartForm.File["file"] {
			f, err := fh.Open()
			if err == nil {
				err = s.putFile(r, who, root, dir, fh.Filename, fh.Header.Get("Content-Type"), f)
				f.Close()
			}
			if err != nil {
				s.pageError(w, r, err)
				return
			}
		}
		s.backToFolder(w, r, dir)
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		s.pageError(w, r, invalid("send the files as multipart/form-data"))
		return
	}
	dir := ""
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.pageError(w, r, invalid("malformed upload"))
			return
		}
		switch part.FormName() {
		case "path":
			b, _ := io.ReadAll(io.LimitReader(part, 4096))
			dir = string(b)
		case "file":
			if err := s.putFile(r, who, root, dir, part.FileName(), part.Header.Get("Content-Type"), part); err != nil {
				s.pageError(w, r, err)
				return
			}
		}
	}
	s.backToFolder(w, r, dir)
}

func (s *server) putFile(r *http.Request, who core.Subject, root *files.Root, dir, name, ctype string, body io.Reader) error {
	p, err := splitPath(dir)
	if err != nil {
		return err
	}
	name = strings.TrimSpace(name[strings.LastIndexAny(name, `/\`)+1:])
	if err := files.ValidName(name); err != nil {
		return err
	}
	_, _, err = s.Files.Put(r.Context(), who, root, append(p, name), body, files.PutOptions{ContentType: ctype})
	return err
}

func (s *server) fileMkdir(w http.ResponseWriter, r *http.Request) {
	_, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	dir := r.PostForm.Get("path")
	p, err := splitPath(dir + "/" + r.PostForm.Get("name"))
	if err == nil && len(p) == 0 {
		err = invalid("a folder needs a name")
	}
	if err == nil {
		_, err = s.Files.Mkdir(r.Context(), core.SubjectFrom(r.Context()), root, p)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.backToFolder(w, r, dir)
}

// nodeOf loads the node of the path value "id" and checks it is in root.
func (s *server) nodeOf(r *http.Request, root *files.Root) (*files.Node, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	n, err := s.Files.Node(r.Context(), core.SubjectFrom(r.Context()), id)
	if err != nil {
		return nil, err
	}
	if n.RootID != root.ContainerID || n.TrashedAt != nil {
		return nil, fmt.Errorf("%w: not in this tree", core.ErrNotFound)
	}
	return n, nil
}

func (s *server) fileDelete(w http.ResponseWriter, r *http.Request) {
	_, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	n, err := s.nodeOf(r, root)
	var back string
	if err == nil {
		var p files.Path
		if p, err = s.Files.PathOf(r.Context(), n); err == nil {
			back = parentOf(p)
			err = s.Files.Delete(r.Context(), core.SubjectFrom(r.Context()), n)
		}
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.backToFolder(w, r, back)
}

// previewable content types are shown inline (in a sandbox); anything
// else is always a download, so uploaded HTML never runs on this origin.
func previewable(ctype string) bool {
	mt, _, _ := mime.ParseMediaType(ctype)
	return strings.HasPrefix(mt, "image/") && mt != "image/svg+xml" ||
		strings.HasPrefix(mt, "video/") || strings.HasPrefix(mt, "audio/")
}

// fileOpen is where links to a file or folder by id lead (search hits,
// activity): a folder's listing, or the listing of a file's folder with
// its row as target; something in the trash leads to the trash.
func (s *server) fileOpen(w http.ResponseWriter, r *http.Request) {
	_, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	n, err := s.nodeOf(r, root)
	if isErr(err, core.ErrNotFound) {
		if id, perr := pathID(r, "id"); perr == nil {
			if _, terr := s.Files.TrashedNode(r.Context(), core.SubjectFrom(r.Context()), root, id); terr == nil {
				http.Redirect(w, r, filesBase(r)+"/trash", http.StatusSeeOther)
				return
			}
		}
	}
	var p files.Path
	if err == nil {
		p, err = s.Files.PathOf(r.Context(), n)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	target := filesBase(r) + "?path=" + url.QueryEscape(p.String())
	if !n.IsDir {
		target = filesBase(r) + "?path=" + url.QueryEscape(parentOf(p)) + "#file-" + strconv.FormatInt(n.ID, 10)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (s *server) fileRaw(w http.ResponseWriter, r *http.Request) {
	_, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	n, err := s.nodeOf(r, root)
	if err == nil && n.IsDir {
		err = fmt.Errorf("%w: a folder has no content", core.ErrNotFound)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f, err := s.Files.Open(n)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	defer f.Close()
	disp := "attachment"
	if r.URL.Query().Get("inline") == "1" && previewable(n.ContentType) {
		disp = "inline"
	}
	sendFile(w, n.Name, n.ContentType, n.ETag, disp)
	http.ServeContent(w, r, "", n.ModifiedAt, f)
}

// userContentCSP is the policy of every file a user stored: a sandbox (no
// script, a unique origin, so nothing runs with this origin's cookies)
// that may show its own images and media, nothing else.
const userContentCSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"

func sendFile(w http.ResponseWriter, name, ctype, etag, disposition string) {
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", userContentCSP)
	if etag != "" {
		h.Set("ETag", etag)
	}
}

func (s *server) fileVersions(w http.ResponseWriter, r *http.Request) {
	v, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	n, err := s.nodeOf(r, root)
	var vs []files.Version
	var p files.Path
	if err == nil {
		n, vs, err = s.Files.Versions(r.Context(), core.SubjectFrom(r.Context()), n.ID)
	}
	if err == nil {
		p, err = s.Files.PathOf(r.Context(), n)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Title = "files.versions"
	v.Data = s.filesData(r, v, map[string]any{"Node": n, "Versions": vs, "Back": parentOf(p), "CanRestore": n.Allows(acl.PrivWriteContent)})
	s.render(w, r, http.StatusOK, "fileversions", v)
}

func (s *server) fileVersionRaw(w http.ResponseWriter, r *http.Request) {
	_, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	n, err := s.nodeOf(r, root)
	var ver *files.Version
	if err == nil {
		var vid int64
		if vid, err = pathID(r, "v"); err == nil {
			n, ver, err = s.Files.Version(r.Context(), core.SubjectFrom(r.Context()), n.ID, vid)
		}
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f, err := s.Files.OpenVersion(ver)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	defer f.Close()
	sendFile(w, n.Name, ver.ContentType, ver.ETag, "attachment")
	http.ServeContent(w, r, "", ver.ModifiedAt, f)
}

func (s *server) fileVersionRestore(w http.ResponseWriter, r *http.Request) {
	_, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	n, err := s.nodeOf(r, root)
	if err == nil {
		var vid int64
		if vid, err = pathID(r, "v"); err == nil {
			_, err = s.Files.RestoreVersion(r.Context(), core.SubjectFrom(r.Context()), n.ID, vid)
		}
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("%s/%d/versions", filesBase(r), n.ID), http.StatusSeeOther)
}

func (s *server) filesTrash(w http.ResponseWriter, r *http.Request) {
	v, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	items, err := s.Files.Trash(r.Context(), core.SubjectFrom(r.Context()), root)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Title = "files.trash"
	v.Data = s.filesData(r, v, map[string]any{"Items": items})
	s.render(w, r, http.StatusOK, "filetrash", v)
}

func (s *server) fileTrashRestore(w http.ResponseWriter, r *http.Request) {
	_, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		_, err = s.Files.Restore(r.Context(), core.SubjectFrom(r.Context()), root, id, nil)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, filesBase(r)+"/trash", http.StatusSeeOther)
}
