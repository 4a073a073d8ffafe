package webui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/files"
	"plaza/core/notify"
)

// The page of one file or folder (/…/files/ID/info): rename, move and
// copy it, its comments and its tags. A listing links each row here, so
// a large folder carries no form per row.

// maxDestinations bounds the folders a move or copy form offers.
const maxDestinations = 500

// fileComment is a comment as the page shows it.
type fileCommentView struct {
	files.Comment
	Author    string
	CanDelete bool
}

func (s *server) fileInfo(w http.ResponseWriter, r *http.Request) {
	v, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	who := core.SubjectFrom(ctx)
	n, err := s.nodeOf(r, root)
	var p files.Path
	var cs []files.Comment
	var tags map[int64][]string
	var dests []files.Folder
	if err == nil {
		p, err = s.Files.PathOf(ctx, n)
	}
	if err == nil {
		cs, err = s.Files.Comments(ctx, n)
	}
	if err == nil {
		tags, err = s.Files.Tags(ctx, n.ID)
	}
	if err == nil {
		dests, err = s.Files.Destinations(ctx, who, root, maxDestinations)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	views := make([]fileCommentView, len(cs))
	for i := range cs {
		views[i].Comment = cs[i]
		if cs[i].AuthorID != nil {
			if a, err := s.Accounts.Get(ctx, *cs[i].AuthorID); err == nil {
				views[i].Author = a.Name
				if views[i].Author == "" {
					views[i].Author = a.Login
				}
			}
		}
		if views[i].CanDelete, err = s.Files.CanDeleteComment(ctx, who, n, &cs[i]); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	folders := make([]string, 0, len(dests))
	for _, d := range dests {
		if n.IsDir && (d.ID == n.ID || strings.HasPrefix(d.Path.String()+"/", p.String()+"/")) {
			continue // not into itself
		}
		f := d.Path.String()
		if f == "" {
			f = "/"
		}
		folders = append(folders, f)
	}
	v.Title = "files.details"
	v.Data = s.filesData(r, v, map[string]any{
		"Node": n, "Path": p.String(), "Folder": parentOf(p), "Comments": views, "Tags": strings.Join(tags[n.ID], ", "),
		"Folders": folders, "CanMove": n.Allows(acl.PrivUnbind), "CanTag": n.Allows(acl.PrivWriteProperties),
		"CanComment": !who.IsAnonymous(),
	})
	s.render(w, r, http.StatusOK, "fileinfo", v)
}

// destination reads the form's folder and name into a path of the tree.
func destination(r *http.Request) (files.Path, error) {
	dir, err := splitPath(r.PostForm.Get("folder"))
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if err := files.ValidName(name); err != nil {
		return nil, err
	}
	return append(dir, name), nil
}

// fileTransfer renames, moves (move) or copies a file or folder, then
// shows the folder it went to.
func (s *server) fileTransfer(w http.ResponseWriter, r *http.Request, move bool) {
	_, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx := r.Context()
	who := core.SubjectFrom(ctx)
	n, err := s.nodeOf(r, root)
	var dst files.Path
	if err == nil {
		dst, err = destination(r)
	}
	if err == nil {
		if move {
			_, err = s.Files.Move(ctx, who, n, root, dst, false)
		} else {
			_, err = s.Files.Copy(ctx, who, n, root, dst, false, true)
		}
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.backToFolder(w, r, parentOf(dst))
}

func (s *server) fileMove(w http.ResponseWriter, r *http.Request) { s.fileTransfer(w, r, true) }
func (s *server) fileCopy(w http.ResponseWriter, r *http.Request) { s.fileTransfer(w, r, false) }

// fileAction runs f on the node of the request with the form read, then
// shows the node's page again.
func (s *server) fileAction(w http.ResponseWriter, r *http.Request, f func(who core.Subject, n *files.Node) error) {
	_, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	n, err := s.nodeOf(r, root)
	if err == nil {
		err = f(core.SubjectFrom(r.Context()), n)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("%s/%d/info", filesBase(r), n.ID), http.StatusSeeOther)
}

func (s *server) fileComment(w http.ResponseWriter, r *http.Request) {
	s.fileAction(w, r, func(who core.Subject, n *files.Node) error {
		_, err := s.Files.AddComment(r.Context(), who, n, r.PostForm.Get("body"))
		return err
	})
}

func (s *server) fileCommentDelete(w http.ResponseWriter, r *http.Request) {
	s.fileAction(w, r, func(who core.Subject, n *files.Node) error {
		id, err := strconv.ParseInt(r.PathValue("c"), 10, 64)
		if err != nil {
			return invalid("bad comment id")
		}
		return s.Files.DeleteComment(r.Context(), who, n, id)
	})
}

func (s *server) fileTags(w http.ResponseWriter, r *http.Request) {
	s.fileAction(w, r, func(who core.Subject, n *files.Node) error {
		tags, err := files.ParseTags(r.PostForm.Get("tags"))
		if err != nil {
			return err
		}
		return s.Files.SetTags(r.Context(), who, n, tags)
	})
}

// folderFollow makes the reader follow the folder "path" (or stop): a
// mail and a notification when a file is added to it.
func (s *server) folderFollow(w http.ResponseWriter, r *http.Request) {
	_, root, ok := s.filesView(w, r)
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	dir := r.PostForm.Get("path")
	p, err := splitPath(dir)
	var n *files.Node
	if err == nil {
		n, err = s.Files.Lookup(ctx, who, root, p)
	}
	if err == nil && !n.IsDir {
		err = fmt.Errorf("%w: not a folder", core.ErrNotFound)
	}
	if err == nil && s.Notify == nil {
		err = fmt.Errorf("%w: notifications are off on this server", core.ErrNotFound)
	}
	if err == nil {
		tg := notify.Target{Kind: notify.KindFolder, ID: n.ContainerID}
		if r.PostForm.Get("on") == "1" {
			err = s.Notify.Follow(ctx, who, tg, n.ContainerID)
		} else {
			err = s.Notify.Unfollow(ctx, who, tg)
		}
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.backToFolder(w, r, dir)
}
