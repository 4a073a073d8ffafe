package webui

import (
	"fmt"
	"net/http"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/news"
	"plaza/core/notify"
)

// newsRoutes: an article's edit, delete, image, comments and follow.
func (s *server) newsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /s/{slug}/news/{article}/edit", s.newsEdit)
	mux.HandleFunc("POST /s/{slug}/news/{article}/delete", s.newsDelete)
	mux.HandleFunc("POST /s/{slug}/news/{article}/image", s.newsImageSet)
	mux.HandleFunc("GET /s/{slug}/news/{article}/image", s.newsImage)
	mux.HandleFunc("POST /s/{slug}/news/{article}/comment", s.newsComment)
	mux.HandleFunc("POST /s/{slug}/news/{article}/comment/{comment}/delete", s.newsCommentDelete)
	mux.HandleFunc("POST /s/{slug}/news/{article}/follow", s.newsFollow)
}

// newsArticle loads the article of the path, in the view's space.
func (s *server) newsArticle(r *http.Request, v *view) (*news.Article, error) {
	id, err := pathID(r, "article")
	if err != nil {
		return nil, err
	}
	a, err := s.News.Get(r.Context(), core.SubjectFrom(r.Context()), id)
	if err == nil && a.SpaceID != v.Space.ID {
		err = fmt.Errorf("article %d: %w", id, core.ErrNotFound)
	}
	return a, err
}

// newsCommentView is a comment as the page shows it.
type newsCommentView struct {
	news.Comment
	HTML      any
	CanDelete bool
}

func (s *server) newsArticlePage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModNews, "news.title")
	if !ok {
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	a, err := s.newsArticle(r, v)
	var level, public acl.Level
	var comments []news.Comment
	following := false
	if err == nil {
		level, err = s.ACL.Level(ctx, who, acl.Target{ContainerID: a.ContainerID})
	}
	if err == nil {
		public, err = s.ACL.Level(ctx, core.AnonymousSubject, acl.Target{ContainerID: a.ContainerID})
	}
	if err == nil {
		comments, err = s.News.Comments(ctx, who, a.ContainerID)
	}
	if err == nil && s.Notify != nil {
		following, err = s.Notify.Following(ctx, who, notify.Target{Kind: notify.KindNews, ID: a.ContainerID})
	}
	var cs []newsCommentView
	for i := 0; err == nil && i < len(comments); i++ {
		c := newsCommentView{Comment: comments[i], HTML: trusted(comments[i].HTML())}
		c.CanDelete, err = s.News.CanDeleteComment(ctx, who, a, &comments[i])
		cs = append(cs, c)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	mine := a.AuthorID != nil && *a.AuthorID == who.AccountID
	canEdit := (mine || level >= acl.Write) && !a.Remote()
	v.frameSrc = richFrames()
	v.Data = map[string]any{"Article": a, "CanShare": (level >= acl.Full || mine) && !a.Remote(), "Public": public >= acl.Read,
		"CanEdit": canEdit, "Source": source(a.Source, a.Body), "Comments": cs,
		"CanFollow": s.Notify != nil, "Following": following}
	s.render(w, r, http.StatusOK, "newsarticle", v)
}

// newsAction loads the view, form and article of an article's action.
func (s *server) newsAction(w http.ResponseWriter, r *http.Request) (*view, *news.Article, bool) {
	v, ok := s.moduleView(w, r, core.ModNews, "news.title")
	if !ok {
		return nil, nil, false
	}
	if r.MultipartForm == nil {
		if err := s.parseForm(w, r); err != nil {
			s.pageError(w, r, err)
			return nil, nil, false
		}
	}
	a, err := s.newsArticle(r, v)
	if err != nil {
		s.pageError(w, r, err)
		return nil, nil, false
	}
	return v, a, true
}

func (s *server) newsBack(w http.ResponseWriter, r *http.Request, v *view, a *news.Article, err error, anchor string) {
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/news/%d%s", v.Space.Slug, a.ContainerID, anchor), http.StatusSeeOther)
}

func (s *server) newsEdit(w http.ResponseWriter, r *http.Request) {
	v, a, ok := s.newsAction(w, r)
	if !ok {
		return
	}
	_, err := s.News.Update(r.Context(), core.SubjectFrom(r.Context()), a.ContainerID, news.NewArticle{
		Title: r.PostForm.Get("title"), Summary: r.PostForm.Get("summary"), Markdown: markdownField(r, "body")})
	s.newsBack(w, r, v, a, err, "")
}

func (s *server) newsDelete(w http.ResponseWriter, r *http.Request) {
	v, a, ok := s.newsAction(w, r)
	if !ok {
		return
	}
	if err := s.News.Delete(r.Context(), core.SubjectFrom(r.Context()), a.ContainerID); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/s/"+v.Space.Slug+"/news", http.StatusSeeOther)
}

// newsImageSet stores the article's image (news.SetImage).
func (s *server) newsImageSet(w http.ResponseWriter, r *http.Request) {
	if r.MultipartForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			s.pageError(w, r, invalid("send the image as multipart/form-data"))
			return
		}
	}
	v, a, ok := s.newsAction(w, r)
	if !ok {
		return
	}
	f, hdr, err := r.FormFile("image")
	if err != nil {
		s.pageError(w, r, invalid("choose an image"))
		return
	}
	defer f.Close()
	err = s.News.SetImage(r.Context(), core.SubjectFrom(r.Context()), a.ContainerID, hdr.Header.Get("Content-Type"), f)
	s.newsBack(w, r, v, a, err, "")
}

// newsImage shows the article's image.
func (s *server) newsImage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModNews, "news.title")
	if !ok {
		return
	}
	a, err := s.newsArticle(r, v)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	typ, f, err := s.News.Image(r.Context(), core.SubjectFrom(r.Context()), a.ContainerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	defer f.Close()
	sendFile(w, "image", typ, `"`+*a.ImageHash+`"`, "inline")
	w.Header().Set("Content-Security-Policy", userContentCSP)
	http.ServeContent(w, r, "", a.UpdatedAt, f)
}

func (s *server) newsComment(w http.ResponseWriter, r *http.Request) {
	v, a, ok := s.newsAction(w, r)
	if !ok {
		return
	}
	c, err := s.News.AddComment(r.Context(), core.SubjectFrom(r.Context()), a.ContainerID, markdownField(r, "body"))
	anchor := ""
	if err == nil {
		anchor = fmt.Sprintf("#comment-%d", c.ID)
	}
	s.newsBack(w, r, v, a, err, anchor)
}

func (s *server) newsCommentDelete(w http.ResponseWriter, r *http.Request) {
	v, a, ok := s.newsAction(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "comment")
	if err == nil {
		err = s.News.DeleteComment(r.Context(), core.SubjectFrom(r.Context()), a.ContainerID, id)
	}
	s.newsBack(w, r, v, a, err, "#comments")
}

// newsFollow: follow=on to hear of an article's comments, else stop.
func (s *server) newsFollow(w http.ResponseWriter, r *http.Request) {
	v, a, ok := s.newsAction(w, r)
	if !ok {
		return
	}
	if s.Notify == nil {
		s.pageError(w, r, core.ErrNotFound)
		return
	}
	who, t := core.SubjectFrom(r.Context()), notify.Target{Kind: notify.KindNews, ID: a.ContainerID}
	var err error
	if r.PostForm.Get("follow") == "on" {
		err = s.Notify.Follow(r.Context(), who, t, a.ContainerID)
	} else {
		err = s.Notify.Unfollow(r.Context(), who, t)
	}
	s.newsBack(w, r, v, a, err, "")
}
