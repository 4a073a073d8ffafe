package webui

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"plaza/core"
)

// Federation is what the pages need of the federation adapter: following
// a remote group (into a forum category of the space) or account (into
// the space's news), and unfollowing. cmd/plaza passes the federation
// server; nil hides the follow forms.
type Federation interface {
	FollowRemote(ctx context.Context, who core.Subject, spaceID int64, handle string) (actorID string, categoryID int64, err error)
	UnfollowRemote(ctx context.Context, who core.Subject, actorID string) error
}

func (s *server) federationRoutes(mux *http.ServeMux) {
	mux.HandleFunc("PUT /api/v1/forum/categories/{cat}/public", s.apiPublic("cat", s.categoryPublic))
	mux.HandleFunc("PUT /api/v1/news/{article}/public", s.apiPublic("article", s.articlePublic))
	mux.HandleFunc("POST /s/{slug}/forum/public/{cat}", s.pagePublic("cat", s.categoryPublic, "forum"))
	mux.HandleFunc("POST /s/{slug}/news/{article}/public", s.pagePublic("article", s.articlePublic, "news"))
	if s.Federation != nil {
		mux.HandleFunc("POST /api/v1/spaces/{space}/follows", s.apiFollow)
		mux.HandleFunc("DELETE /api/v1/spaces/{space}/follows", s.apiUnfollow)
		mux.HandleFunc("POST /s/{slug}/follows", s.pageFollow)
	}
}

func (s *server) categoryPublic(ctx context.Context, who core.Subject, id int64, public bool) error {
	return s.Forum.SetPublic(ctx, who, id, public)
}

func (s *server) articlePublic(ctx context.Context, who core.Subject, id int64, public bool) error {
	return s.News.SetPublic(ctx, who, id, public)
}

// apiPublic answers PUT …/public {"public": true|false}: anonymous
// visitors may read (and federation publishes) or not.
func (s *server) apiPublic(param string, set func(context.Context, core.Subject, int64, bool) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, ok := s.requireAccount(w, r)
		if !ok {
			return
		}
		id, err := pathID(r, param)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var body struct {
			Public *bool `json:"public"`
		}
		if err := readJSON(w, r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		if body.Public == nil {
			s.fail(w, r, invalid("public (true or false) is required"))
			return
		}
		if err := set(r.Context(), who, id, *body.Public); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// pagePublic is the page form of apiPublic (public=on makes it public).
func (s *server) pagePublic(param string, set func(context.Context, core.Subject, int64, bool) error, back string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, ok := s.requireUser(w, r)
		if !ok {
			return
		}
		id, err := pathID(r, param)
		if err == nil {
			err = s.parseForm(w, r)
		}
		if err == nil {
			err = set(r.Context(), who, id, r.PostForm.Get("public") == "on")
		}
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/s/%s/%s/%d", r.PathValue("slug"), back, id), http.StatusSeeOther)
	}
}

// apiFollow answers POST /api/v1/spaces/{space}/follows {"handle":
// "name@host"}: a remote group becomes a forum category of the space, a
// remote account's public posts come into its news.
func (s *server) apiFollow(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "space")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Handle string `json:"handle"`
	}
	if err := readJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(body.Handle) == "" {
		s.fail(w, r, invalid("handle (name@host or an actor URL) is required"))
		return
	}
	actor, cat, err := s.Federation.FollowRemote(r.Context(), who, id, body.Handle)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"actor_id": actor, "category_id": cat})
}

// apiUnfollow answers DELETE /api/v1/spaces/{space}/follows?actor=ID.
func (s *server) apiUnfollow(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	actor := r.URL.Query().Get("actor")
	if actor == "" {
		s.fail(w, r, invalid("actor (the followed actor's id) is required"))
		return
	}
	if err := s.Federation.UnfollowRemote(r.Context(), who, actor); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// pageFollow is the news page's "follow" form.
func (s *server) pageFollow(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModNews, "news.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	_, cat, err := s.Federation.FollowRemote(r.Context(), core.SubjectFrom(r.Context()), v.Space.ID, r.PostForm.Get("handle"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if cat != 0 {
		http.Redirect(w, r, fmt.Sprintf("/s/%s/forum/%d", v.Space.Slug, cat), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/s/"+v.Space.Slug+"/news", http.StatusSeeOther)
}
