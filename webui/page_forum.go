package webui

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/forum"
	"plaza/core/markup"
	"plaza/core/news"
	"plaza/core/notify"
)

// trusted marks HTML the domain has sanitized (forum posts, news).
func trusted(sanitized string) template.HTML { return template.HTML(sanitized) } //nolint:gosec // sanitized on the way in

// moduleView loads the space of the path and checks module m is on.
func (s *server) moduleView(w http.ResponseWriter, r *http.Request, m core.Module, title string) (*view, bool) {
	if visitorReads(r, m) {
		return s.visitorView(w, r, m, title)
	}
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

// forumTopicsPerPage is the size of a page of topics or replies.
const forumTopicsPerPage = 30

func (s *server) forumCategoryPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModForum, "forum.title")
	if !ok {
		return
	}
	who := core.SubjectFrom(r.Context())
	id, err := pathID(r, "cat")
	var cat *forum.Category
	var topics []forum.Topic
	var pg *pager
	if err == nil {
		cat, err = s.Forum.Category(r.Context(), who, id)
	}
	if err == nil && cat.SpaceID != v.Space.ID {
		err = fmt.Errorf("category %d: %w", id, core.ErrNotFound)
	}
	if err == nil {
		pg, err = pageOf(r, forumTopicsPerPage, func(off, n int) (total int, err error) {
			topics, total, err = s.Forum.TopicsPage(r.Context(), who, id, off, n)
			return total, err
		})
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
	v.Data = map[string]any{"Category": cat, "Topics": topics, "Pager": pg, "CanPost": acl.Allows(level, true, acl.PrivBind),
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
			forum.NewTopic{Title: r.PostForm.Get("title"), Markdown: markdownField(r, "body")})
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
	t, cat, err := s.forumTopic(r, v)
	var posts []forum.Post
	var pg *pager
	var attachments []forum.Attachment
	var level acl.Level
	var following bool
	if err == nil {
		pg, err = pageOf(r, forumTopicsPerPage, func(off, n int) (total int, err error) {
			posts, total, err = s.Forum.PostsPage(r.Context(), who, t.ContainerID, off, n)
			return total, err
		})
	}
	if err == nil {
		attachments, err = s.Forum.Attachments(r.Context(), who, t.ContainerID)
	}
	if err == nil {
		level, err = s.ACL.Level(r.Context(), who, acl.Target{ContainerID: t.ContainerID})
	}
	if err == nil {
		following, err = s.Forum.Subscribed(r.Context(), who, t.ContainerID)
	}
	if err == nil {
		err = s.Forum.MarkRead(r.Context(), who, t.ContainerID)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.frameSrc = richFrames()
	mod := level >= acl.Write
	mine := func(author *int64) bool { return author != nil && *author == who.AccountID && !who.IsAnonymous() }
	editable, sources := map[int64]bool{}, map[int64]string{}
	for _, p := range posts {
		if editable[p.ID] = (mod || mine(p.AuthorID)) && !p.Remote(); editable[p.ID] {
			sources[p.ID] = source(p.Source, p.Body)
		}
	}
	v.Data = map[string]any{"Topic": t, "Category": cat, "Posts": posts, "Pager": pg, "Attachments": attachments,
		"CanEdit": (mod || mine(t.AuthorID)) && !t.Remote(), "Editable": editable, "Sources": sources, "Following": following,
		"TopicSource": source(t.Source, t.Body),
		"CanReply":    acl.Allows(level, true, acl.PrivBind) && (!t.Locked || level >= acl.Write)}
	s.render(w, r, http.StatusOK, "forumtopic", v)
}

// pageOf reads ?page= and loads that page of a list with load, which
// returns the length of the whole list; a page past the end is loaded
// again as the last one.
func pageOf(r *http.Request, size int, load func(offset, limit int) (int, error)) (*pager, error) {
	want := paginate(r, 1<<30, size)
	total, err := load((want.Page-1)*size, size)
	if err != nil {
		return nil, err
	}
	pg := paginate(r, total, size)
	if pg.Page != want.Page {
		_, err = load((pg.Page-1)*size, size)
	}
	return pg, err
}

// source is the Markdown to edit a text with: the one it was written
// in, or, for HTML from elsewhere or from before Markdown, its plain text.
func source(src *string, body string) string {
	if src != nil {
		return *src
	}
	return markup.Text(body)
}

// markdownField is a form field as typed (line ends made "\n").
func markdownField(r *http.Request, name string) string {
	return strings.ReplaceAll(r.PostForm.Get(name), "\r\n", "\n")
}

// forumTopic loads the topic of the path, in the space of the view.
func (s *server) forumTopic(r *http.Request, v *view) (*forum.Topic, *forum.Category, error) {
	who := core.SubjectFrom(r.Context())
	id, err := pathID(r, "topic")
	if err != nil {
		return nil, nil, err
	}
	t, err := s.Forum.Topic(r.Context(), who, id)
	if err != nil {
		return nil, nil, err
	}
	cat, err := s.Forum.Category(r.Context(), who, t.CategoryID)
	if err == nil && cat.SpaceID != v.Space.ID {
		err = fmt.Errorf("topic %d: %w", id, core.ErrNotFound)
	}
	return t, cat, err
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
		_, err = s.Forum.Reply(r.Context(), core.SubjectFrom(r.Context()), id, forum.NewPost{Markdown: markdownField(r, "body")})
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
		SpaceID: v.Space.ID, Title: f.Get("title"), Summary: f.Get("summary"), Markdown: markdownField(r, "body")})
	if err == nil && s.Notify != nil {
		// Its author hears of the comments.
		err = s.Notify.Follow(r.Context(), core.SubjectFrom(r.Context()), notify.Target{Kind: notify.KindNews, ID: a.ContainerID}, a.ContainerID)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/news/%d", v.Space.Slug, a.ContainerID), http.StatusSeeOther)
}

// host is this server's host (and port), as in fediverse handles.
func (s *server) host() string {
	return strings.TrimPrefix(strings.TrimPrefix(s.BaseURL, "https://"), "http://")
}
