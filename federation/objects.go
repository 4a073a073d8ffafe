package federation

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/forum"
	"plaza/core/news"
	"plaza/core/store"
)

var objectContext = []any{
	"https://www.w3.org/ns/activitystreams",
	map[string]any{
		"sensitive": "as:sensitive",
		"lemmy":     "https://join-lemmy.org/ns#",
		"toot":      "http://joinmastodon.org/ns#",
	},
}

// groupID is the id of the Group a category federates as: its own for a
// local public category, the remote group's for a mirror.
func (s *Server) groupID(ctx context.Context, db bun.IDB, c *forum.Category) (string, error) {
	if c.RemoteActorID != nil {
		var uri string
		err := db.NewSelect().Table("ap_actors").Column("uri").Where("id = ?", *c.RemoteActorID).Scan(ctx, &uri)
		return uri, store.Translate(err)
	}
	if c.Handle == nil {
		return "", fmt.Errorf("category %d is not federated: %w", c.ContainerID, core.ErrNotFound)
	}
	return s.groupURL(*c.Handle), nil
}

func (s *Server) authorID(a forum.Author) string {
	if a.URI != "" {
		return a.URI
	}
	return s.userURL(a.Login)
}

func (s *Server) topicObjectID(t *forum.Topic) string {
	if t.APID != nil {
		return *t.APID
	}
	return s.topicURL(t.ContainerID)
}

func (s *Server) postObjectID(p *forum.Post) string {
	if p.APID != nil {
		return *p.APID
	}
	return s.postURL(p.ID)
}

func (s *Server) threadContext(t *forum.Topic) string {
	if t.APID != nil {
		return *t.APID
	}
	return s.topicURL(t.ContainerID) + "/context"
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// topicDoc is a topic as a Page, as Lemmy sends threads: the group in to
// and audience, name for the title, HTML content.
func (s *Server) topicDoc(ctx context.Context, db bun.IDB, c *forum.Category, t *forum.Topic) (map[string]any, error) {
	group, err := s.groupID(ctx, db, c)
	if err != nil {
		return nil, err
	}
	id := s.topicObjectID(t)
	doc := map[string]any{
		"@context":     objectContext,
		"id":           id,
		"type":         "Page",
		"attributedTo": s.authorID(t.Author),
		"name":         t.Title,
		"content":      t.Body,
		"mediaType":    "text/html",
		"to":           []string{group, asPublic},
		"cc":           []string{},
		"audience":     group,
		"context":      s.threadContext(t),
		"url":          id,
		"published":    stamp(t.CreatedAt),
		"sensitive":    false,
	}
	if t.UpdatedAt.After(t.CreatedAt) {
		doc["updated"] = stamp(t.UpdatedAt)
	}
	doc["attachment"] = s.attachments(ctx, t.ContainerID, nil)
	return doc, nil
}

// attachments lists the files of a public topic (postID nil) or post as
// Documents (Mastodon and Lemmy show them as links or media).
func (s *Server) attachments(ctx context.Context, topicID int64, postID *int64) []any {
	out := []any{}
	as, err := s.forum.Attachments(ctx, core.AnonymousSubject, topicID)
	if err != nil {
		return out
	}
	for _, a := range as {
		if (postID == nil) != (a.PostID == nil) || (postID != nil && *a.PostID != *postID) {
			continue
		}
		out = append(out, map[string]any{"type": "Document", "mediaType": a.MediaType, "name": a.Name,
			"url": fmt.Sprintf("%s/ap/attachments/%d", s.baseStr, a.ID)})
	}
	return out
}

func (s *Server) handleAttachment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, f, err := s.forum.OpenAttachment(r.Context(), core.AnonymousSubject, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", a.MediaType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
	http.ServeContent(w, r, "", a.CreatedAt, f)
}

// postDoc is a reply as a Note with inReplyTo, as Lemmy sends comments.
func (s *Server) postDoc(ctx context.Context, db bun.IDB, c *forum.Category, t *forum.Topic, p *forum.Post) (map[string]any, error) {
	group, err := s.groupID(ctx, db, c)
	if err != nil {
		return nil, err
	}
	parent := s.topicObjectID(t)
	parentAuthor := s.authorID(t.Author)
	if p.InReplyToID != nil {
		if pp, err := s.forum.PostAny(ctx, *p.InReplyToID); err == nil {
			parent, parentAuthor = s.postObjectID(pp), s.authorID(pp.Author)
		}
	}
	id := s.postObjectID(p)
	doc := map[string]any{
		"@context":     objectContext,
		"id":           id,
		"type":         "Note",
		"attributedTo": s.authorID(p.Author),
		"content":      p.Body,
		"mediaType":    "text/html",
		"inReplyTo":    parent,
		"to":           []string{asPublic},
		"cc":           []string{group, parentAuthor},
		"audience":     group,
		"context":      s.threadContext(t),
		"url":          id,
		"published":    stamp(p.CreatedAt),
		"sensitive":    false,
	}
	if p.UpdatedAt.After(p.CreatedAt) {
		doc["updated"] = stamp(p.UpdatedAt)
	}
	doc["attachment"] = s.attachments(ctx, t.ContainerID, &p.ID)
	return doc, nil
}

// articleDoc is a news article as an Article of the space's actor.
func (s *Server) articleDoc(a *localActor, n *news.Article) map[string]any {
	id := s.articleURL(n.ContainerID)
	doc := map[string]any{
		"@context":     objectContext,
		"id":           id,
		"type":         "Article",
		"attributedTo": a.ID,
		"name":         n.Title,
		"content":      n.Body,
		"mediaType":    "text/html",
		"to":           []string{asPublic},
		"cc":           []string{a.ID + "/followers"},
		"url":          id,
		"published":    stamp(n.PublishedAt),
		"sensitive":    false,
	}
	if n.Summary != "" {
		doc["summary"] = n.Summary
	}
	if n.ImageHash != nil {
		doc["image"] = map[string]any{"type": "Image", "url": id + "/image", "mediaType": n.ImageType}
	}
	if n.UpdatedAt.After(n.PublishedAt) {
		doc["updated"] = stamp(n.UpdatedAt)
	}
	return doc
}

// wrap makes an activity of actor around object.
func (s *Server) wrap(typ, actor string, object any) map[string]any {
	a := map[string]any{
		"@context": objectContext,
		"id":       s.activityURL(typeSlug(typ)),
		"type":     typ,
		"actor":    actor,
		"object":   object,
	}
	if o, ok := object.(map[string]any); ok {
		for _, k := range []string{"to", "cc", "audience"} {
			if v, ok := o[k]; ok {
				a[k] = v
			}
		}
		if _, ok := a["to"]; !ok {
			a["to"] = []string{asPublic}
		}
		switch {
		case typ == "Create" && o["published"] != nil:
			a["published"] = o["published"]
		case typ == "Update" && o["updated"] != nil:
			a["published"] = o["updated"]
		}
		delete(o, "@context")
	}
	if a["published"] == nil {
		a["published"] = stamp(s.now())
	}
	return a
}

func typeSlug(t string) string {
	b := []byte(t)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func pathID(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return 0, fail(http.StatusNotFound, "no such object")
	}
	return n, nil
}

// federatedTopic returns a topic this server publishes: one anonymous
// visitors may read (the ACL filter decides), or one a local person wrote
// in a category mirroring a remote group (published to that group).
func (s *Server) federatedTopic(ctx context.Context, id int64) (*forum.Category, *forum.Topic, error) {
	t, err := s.forum.Topic(ctx, core.AnonymousSubject, id)
	if err != nil {
		if !isNotFound(err) {
			return nil, nil, err
		}
		if t, err = s.forum.TopicAny(ctx, id); err != nil {
			return nil, nil, err
		}
		c, err := s.forum.CategoryAny(ctx, t.CategoryID)
		if err != nil {
			return nil, nil, err
		}
		if c.RemoteActorID == nil || t.AuthorID == nil {
			return nil, nil, fmt.Errorf("topic %d: %w", id, core.ErrNotFound)
		}
		return c, t, nil
	}
	if t.APID != nil {
		return nil, nil, fmt.Errorf("topic %d is a copy: %w", id, core.ErrNotFound)
	}
	c, err := s.forum.CategoryAny(ctx, t.CategoryID)
	if err != nil {
		return nil, nil, err
	}
	if c.Handle == nil && c.RemoteActorID == nil {
		return nil, nil, fmt.Errorf("topic %d: %w", id, core.ErrNotFound)
	}
	return c, t, nil
}

func (s *Server) handleTopic(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		var c *forum.Category
		var t *forum.Topic
		if c, t, err = s.federatedTopic(r.Context(), id); err == nil {
			var doc map[string]any
			if doc, err = s.topicDoc(r.Context(), s.db, c, t); err == nil {
				s.writeAP(w, r, doc)
				return
			}
		}
	}
	s.writeError(w, r, err)
}

// handleTopicContext serves the thread as an OrderedCollection (FEP-7888).
func (s *Server) handleTopicContext(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, t, err := s.federatedTopic(ctx, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ps, err := s.forum.Posts(ctx, core.AnonymousSubject, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items := []string{s.topicObjectID(t)}
	for i := range ps {
		items = append(items, s.postObjectID(&ps[i]))
	}
	s.writeAP(w, r, map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": s.threadContext(t), "type": "OrderedCollection", "totalItems": len(items), "orderedItems": items})
}

func (s *Server) federatedPost(ctx context.Context, id int64) (*forum.Category, *forum.Topic, *forum.Post, error) {
	p, err := s.forum.Post(ctx, core.AnonymousSubject, id)
	if err != nil && !isNotFound(err) {
		return nil, nil, nil, err
	}
	if err != nil {
		if p, err = s.forum.PostAny(ctx, id); err != nil {
			return nil, nil, nil, err
		}
	}
	if p.APID != nil || p.AuthorID == nil && p.RemoteAuthorID == nil {
		return nil, nil, nil, fmt.Errorf("post %d is a copy: %w", id, core.ErrNotFound)
	}
	t, err := s.forum.TopicAny(ctx, p.TopicID)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := s.forum.CategoryAny(ctx, t.CategoryID)
	if err != nil {
		return nil, nil, nil, err
	}
	public, err := publicContainer(ctx, s.db, t.ContainerID)
	if err != nil {
		return nil, nil, nil, err
	}
	switch {
	case public && c.Handle != nil:
	case c.RemoteActorID != nil && p.AuthorID != nil:
	default:
		return nil, nil, nil, fmt.Errorf("post %d: %w", id, core.ErrNotFound)
	}
	return c, t, p, nil
}

func (s *Server) handlePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		var c *forum.Category
		var t *forum.Topic
		var p *forum.Post
		if c, t, p, err = s.federatedPost(r.Context(), id); err == nil {
			var doc map[string]any
			if doc, err = s.postDoc(r.Context(), s.db, c, t, p); err == nil {
				s.writeAP(w, r, doc)
				return
			}
		}
	}
	s.writeError(w, r, err)
}

// federatedArticle returns a local article anonymous visitors may read,
// with the actor of its space.
func (s *Server) federatedArticle(ctx context.Context, id int64) (*localActor, *news.Article, error) {
	a, err := s.news.Get(ctx, core.AnonymousSubject, id)
	if err != nil {
		return nil, nil, err
	}
	if a.APID != nil {
		return nil, nil, fmt.Errorf("article %d is a copy: %w", id, core.ErrNotFound)
	}
	sa, err := s.spaceActorOf(ctx, a.SpaceID)
	if err != nil {
		return nil, nil, err
	}
	return sa, a, nil
}

func (s *Server) handleArticle(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		var sa *localActor
		var a *news.Article
		if sa, a, err = s.federatedArticle(r.Context(), id); err == nil {
			s.writeAP(w, r, s.articleDoc(sa, a))
			return
		}
	}
	s.writeError(w, r, err)
}

func (s *Server) handleArticleImage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, _, err := s.federatedArticle(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	typ, f, err := s.news.Image(r.Context(), core.AnonymousSubject, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", typ)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.Copy(w, f)
}
