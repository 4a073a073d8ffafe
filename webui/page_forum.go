package webui

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/forum"
	"plaza/core/news"
)

// paragraphs turns text typed in a textarea into HTML paragraphs; the
// domain sanitizes it again on the way in.
func paragraphs(text string) string {
	var b strings.Builder
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(p), "\n", "<br>") + "</p>")
		}
	}
	return b.String()
}

// trusted marks HTML the domain has sanitized (forum posts, news).
func trusted(sanitized string) template.HTML { return template.HTML(sanitized) } //nolint:gosec // sanitized on the way in

// moduleView loads the space of the path and checks module m is on.
func (s *server) moduleView(w http.ResponseWriter, r *http.Request, m core.Module, title string) (*view, bool) {
	if _, ok := s.requireUser(w, r); !ok {
		return nil, false
	}
	v := s.page(r, title)
	err := s.spaceView(r, v)
	if err == nil {
		err = s.moduleOn(v, m)
	}
	if err != nil {
		s.pageError(w, r, err)
		return nil, false
	}
	return v, true
}

func (s *server) forumPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModForum, "forum.title")
	if !ok {
		return
	}
	cats, err := s.Forum.Categories(r.Context(), core.SubjectFrom(r.Context()), v.Space.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"Categories": cats}
	s.render(w, r, http.StatusOK, "forum", v)
}

func (s *server) forumCategoryCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModForum, "forum.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	c, err := s.Forum.CreateCategory(r.Context(), core.SubjectFrom(r.Context()), forum.NewCategory{
		SpaceID: v.Space.ID, Slug: strings.TrimSpace(f.Get("slug")), Name: f.Get("name"), Description: f.Get("description")})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/forum/%d", v.Space.Slug, c.ContainerID), http.StatusSeeOther)
}

func (s *server) forumCategoryPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModForum, "forum.title")
	if !ok {
		return
	}
	who := core.SubjectFrom(r.Context())
	id, err := pathID(r, "cat")
	var cat *forum.Category
	var topics []forum.Topic
	if err == nil {
		cat, err = s.Forum.Category(r.Context(), who, id)
	}
	if err == nil && cat.SpaceID != v.Space.ID {
		err = fmt.Errorf("category %d: %w", id, core.ErrNotFound)
	}
	if err == nil {
		topics, err = s.Forum.Topics(r.Context(), who, id, 200)
	}
	var level acl.Level
	if err == nil {
		level, err = s.ACL.Level(r.Context(), who, acl.Target{ContainerID: id})
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	public, err := s.ACL.Level(r.Context(), core.AnonymousSubject, acl.Target{ContainerID: id})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"Category": cat, "Topics": topics, "CanPost": acl.Allows(level, true, acl.PrivBind),
		"CanShare": level >= acl.Full && cat.RemoteActorID == nil, "Public": public >= acl.Read, "Host": s.host()}
	s.render(w, r, http.StatusOK, "forumcategory", v)
}

func (s *server) forumTopicCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModForum, "forum.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	id, err := pathID(r, "cat")
	var t *forum.Topic
	if err == nil {
		t, err = s.Forum.CreateTopic(r.Context(), core.SubjectFrom(r.Context()), id,
			forum.NewTopic{Title: r.PostForm.Get("title"), Body: paragraphs(r.PostForm.Get("body"))})
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/forum/topic/%d", v.Space.Slug, t.ContainerID), http.StatusSeeOther)
}

func (s *server) forumTopicPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModForum, "forum.title")
	if !ok {
		return
	}
	who := core.SubjectFrom(r.Context())
	id, err := pathID(r, "topic")
	var t *forum.Topic
	var posts []forum.Post
	var cat *forum.Category
	if err == nil {
		t, err = s.Forum.Topic(r.Context(), who, id)
	}
	if err == nil {
		cat, err = s.Forum.Category(r.Context(), who, t.CategoryID)
	}
	if err == nil && cat.SpaceID != v.Space.ID {
		err = fmt.Errorf("topic %d: %w", id, core.ErrNotFound)
	}
	if err == nil {
		posts, err = s.Forum.Posts(r.Context(), who, id)
	}
	var level acl.Level
	if err == nil {
		level, err = s.ACL.Level(r.Context(), who, acl.Target{ContainerID: id})
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"Topic": t, "Category": cat, "Posts": posts,
		"CanReply": acl.Allows(level, true, acl.PrivBind) && (!t.Locked || level >= acl.Write)}
	s.render(w, r, http.StatusOK, "forumtopic", v)
}

func (s *server) forumReply(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModForum, "forum.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	id, err := pathID(r, "topic")
	if err == nil {
		_, err = s.Forum.Reply(r.Context(), core.SubjectFrom(r.Context()), id, forum.NewPost{Body: paragraphs(r.PostForm.Get("body"))})
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/forum/topic/%d", v.Space.Slug, id), http.StatusSeeOther)
}

func (s *server) newsPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModNews, "news.title")
	if !ok {
		return
	}
	arts, err := s.News.List(r.Context(), core.SubjectFrom(r.Context()), v.Space.ID, 100)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"Articles": arts, "CanFollow": s.Federation != nil}
	s.render(w, r, http.StatusOK, "news", v)
}

func (s *server) newsCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModNews, "news.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	a, err := s.News.Create(r.Context(), core.SubjectFrom(r.Context()), news.NewArticle{
		SpaceID: v.Space.ID, Title: f.Get("title"), Summary: f.Get("summary"), Body: paragraphs(f.Get("body"))})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/news/%d", v.Space.Slug, a.ContainerID), http.StatusSeeOther)
}

func (s *server) newsArticlePage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModNews, "news.title")
	if !ok {
		return
	}
	id, err := pathID(r, "article")
	var a *news.Article
	if err == nil {
		a, err = s.News.Get(r.Context(), core.SubjectFrom(r.Context()), id)
	}
	if err == nil && a.SpaceID != v.Space.ID {
		err = fmt.Errorf("article %d: %w", id, core.ErrNotFound)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	level, err := s.ACL.Level(r.Context(), core.SubjectFrom(r.Context()), acl.Target{ContainerID: a.ContainerID})
	var public acl.Level
	if err == nil {
		public, err = s.ACL.Level(r.Context(), core.AnonymousSubject, acl.Target{ContainerID: a.ContainerID})
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	mine := a.AuthorID != nil && *a.AuthorID == core.SubjectFrom(r.Context()).AccountID
	v.Data = map[string]any{"Article": a, "CanShare": (level >= acl.Full || mine) && !a.Remote(), "Public": public >= acl.Read}
	s.render(w, r, http.StatusOK, "newsarticle", v)
}

// host is this server's host (and port), as in fediverse handles.
func (s *server) host() string {
	return strings.TrimPrefix(strings.TrimPrefix(s.BaseURL, "https://"), "http://")
}
