package webui

import (
	"fmt"
	"net/http"

	"plaza/core"
	"plaza/core/forum"
	"plaza/core/notify"
)

// forumManageRoutes: edit, delete, follow and attach in the forum.
func (s *server) forumManageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /s/{slug}/forum/topic/{topic}/edit", s.forumTopicEdit)
	mux.HandleFunc("POST /s/{slug}/forum/topic/{topic}/delete", s.forumTopicDelete)
	mux.HandleFunc("POST /s/{slug}/forum/topic/{topic}/follow", s.forumTopicFollow)
	mux.HandleFunc("POST /s/{slug}/forum/topic/{topic}/attach", s.forumTopicAttach)
	mux.HandleFunc("GET /s/{slug}/forum/attachment/{id}", s.forumAttachment)
	mux.HandleFunc("POST /s/{slug}/forum/post/{post}/edit", s.forumPostEdit)
	mux.HandleFunc("POST /s/{slug}/forum/post/{post}/delete", s.forumPostDelete)
}

// forumAction loads the view and the form of a forum action.
func (s *server) forumAction(w http.ResponseWriter, r *http.Request) (*view, bool) {
	v, ok := s.moduleView(w, r, core.ModForum, "forum.title")
	if !ok {
		return nil, false
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return nil, false
	}
	return v, true
}

func (s *server) forumTopicEdit(w http.ResponseWriter, r *http.Request) {
	v, ok := s.forumAction(w, r)
	if !ok {
		return
	}
	t, _, err := s.forumTopic(r, v)
	if err == nil {
		_, err = s.Forum.UpdateTopic(r.Context(), core.SubjectFrom(r.Context()), t.ContainerID,
			forum.NewTopic{Title: r.PostForm.Get("title"), Markdown: markdownField(r, "body")})
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/forum/topic/%d", v.Space.Slug, t.ContainerID), http.StatusSeeOther)
}

func (s *server) forumTopicDelete(w http.ResponseWriter, r *http.Request) {
	v, ok := s.forumAction(w, r)
	if !ok {
		return
	}
	t, _, err := s.forumTopic(r, v)
	if err == nil {
		err = s.Forum.DeleteTopic(r.Context(), core.SubjectFrom(r.Context()), t.ContainerID)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/forum/%d", v.Space.Slug, t.CategoryID), http.StatusSeeOther)
}

// forumTopicFollow subscribes to a topic (follow=on) or stops; mail
// comes at once or in the digest as the profile says.
func (s *server) forumTopicFollow(w http.ResponseWriter, r *http.Request) {
	v, ok := s.forumAction(w, r)
	if !ok {
		return
	}
	who := core.SubjectFrom(r.Context())
	t, _, err := s.forumTopic(r, v)
	if err == nil && r.PostForm.Get("follow") == "on" {
		mode := forum.Immediate
		if s.Notify != nil {
			var m notify.Mode
			if m, err = s.Notify.ModeOf(r.Context(), who.AccountID); m == notify.Digest {
				mode = forum.Digest
			}
		}
		if err == nil {
			err = s.Forum.Subscribe(r.Context(), who, t.ContainerID, mode)
		}
	} else if err == nil {
		err = s.Forum.Unsubscribe(r.Context(), who, t.ContainerID)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/forum/topic/%d", v.Space.Slug, t.ContainerID), http.StatusSeeOther)
}

// forumTopicAttach joins a file to a topic (its author or a moderator).
func (s *server) forumTopicAttach(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModForum, "forum.title")
	if !ok {
		return
	}
	if r.MultipartForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			s.pageError(w, r, invalid("send the file as multipart/form-data"))
			return
		}
	}
	t, _, err := s.forumTopic(r, v)
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
	if hdr.Size > forum.MaxAttachment {
		s.pageError(w, r, invalid("the file is too large"))
		return
	}
	if _, err := s.Forum.Attach(r.Context(), core.SubjectFrom(r.Context()), t.ContainerID, nil, hdr.Filename,
		hdr.Header.Get("Content-Type"), f); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/forum/topic/%d", v.Space.Slug, t.ContainerID), http.StatusSeeOther)
}

// forumAttachment downloads a topic's file (never shown inline: it is
// someone's upload).
func (s *server) forumAttachment(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.moduleView(w, r, core.ModForum, "forum.title"); !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	a, f, err := s.Forum.OpenAttachment(r.Context(), core.SubjectFrom(r.Context()), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	defer f.Close()
	sendFile(w, a.Name, a.MediaType, `"`+a.BlobHash+`"`, "attachment")
	http.ServeContent(w, r, "", a.CreatedAt, f)
}

// forumPostOf loads the post of the path and checks its topic is in the
// view's space.
func (s *server) forumPostOf(r *http.Request, v *view) (*forum.Post, error) {
	who := core.SubjectFrom(r.Context())
	id, err := pathID(r, "post")
	if err != nil {
		return nil, err
	}
	p, err := s.Forum.Post(r.Context(), who, id)
	if err != nil {
		return nil, err
	}
	t, err := s.Forum.Topic(r.Context(), who, p.TopicID)
	if err != nil {
		return nil, err
	}
	cat, err := s.Forum.Category(r.Context(), who, t.CategoryID)
	if err == nil && cat.SpaceID != v.Space.ID {
		err = fmt.Errorf("post %d: %w", id, core.ErrNotFound)
	}
	return p, err
}

func (s *server) forumPostEdit(w http.ResponseWriter, r *http.Request) {
	v, ok := s.forumAction(w, r)
	if !ok {
		return
	}
	p, err := s.forumPostOf(r, v)
	if err == nil {
		_, err = s.Forum.EditPost(r.Context(), core.SubjectFrom(r.Context()), p.ID, forum.NewPost{Markdown: markdownField(r, "body")})
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/forum/topic/%d#post-%d", v.Space.Slug, p.TopicID, p.ID), http.StatusSeeOther)
}

func (s *server) forumPostDelete(w http.ResponseWriter, r *http.Request) {
	v, ok := s.forumAction(w, r)
	if !ok {
		return
	}
	p, err := s.forumPostOf(r, v)
	if err == nil {
		err = s.Forum.DeletePost(r.Context(), core.SubjectFrom(r.Context()), p.ID)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/forum/topic/%d", v.Space.Slug, p.TopicID), http.StatusSeeOther)
}
