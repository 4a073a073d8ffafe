package webui

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/fediverse"
)

// Federation is what the pages need of the federation adapter: following
// a remote group (into a forum category of the space) or account (into
// the space's news), and unfollowing. cmd/plaza passes the federation
// server; nil hides the follow forms.
type Federation interface {
	FollowRemote(ctx context.Context, who core.Subject, spaceID int64, handle string) (actorID string, categoryID int64, err error)
	UnfollowRemote(ctx context.Context, who core.Subject, actorID string) error
	// SpaceFediverse lists the space's actors (news, public categories)
	// with their handles, their followers where who may manage them, and
	// what the space follows.
	SpaceFediverse(ctx context.Context, who core.Subject, spaceID int64) (*fediverse.Space, error)
	RemoveFollower(ctx context.Context, who core.Subject, spaceID int64, ours, follower string) error
	Blocks(ctx context.Context, who core.Subject) ([]fediverse.Block, error)
	AddBlock(ctx context.Context, who core.Subject, kind, value string) (*fediverse.Block, error)
	RemoveBlock(ctx context.Context, who core.Subject, id int64) error
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
		mux.HandleFunc("GET /api/v1/spaces/{space}/fediverse", s.apiSpaceActors)
		mux.HandleFunc("DELETE /api/v1/spaces/{space}/followers", s.apiRemoveFollower)
		mux.HandleFunc("GET /s/{slug}/federation", s.federationPage)
		mux.HandleFunc("POST /s/{slug}/federation/followers/remove", s.pageForm(spaceFederation, s.removeFollowerForm))
		mux.HandleFunc("POST /s/{slug}/federation/unfollow", s.pageForm(spaceFederation, func(r *http.Request, who core.Subject) error {
			return s.Federation.UnfollowRemote(r.Context(), who, r.PostForm.Get("actor"))
		}))
		mux.HandleFunc("GET /api/v1/admin/federation/blocks", s.apiBlocks)
		mux.HandleFunc("POST /api/v1/admin/federation/blocks", s.apiAddBlock)
		mux.HandleFunc("DELETE /api/v1/admin/federation/blocks/{id}", s.apiRemoveBlock)
		mux.HandleFunc("GET /admin/federation", s.blocksPage)
		mux.HandleFunc("POST /admin/federation/blocks", s.pageForm(adminFederation, func(r *http.Request, who core.Subject) error {
			_, err := s.Federation.AddBlock(r.Context(), who, r.PostForm.Get("kind"), r.PostForm.Get("value"))
			return err
		}))
		mux.HandleFunc("POST /admin/federation/blocks/{id}/delete", s.pageForm(adminFederation, func(r *http.Request, who core.Subject) error {
			id, err := pathID(r, "id")
			if err != nil {
				return err
			}
			return s.Federation.RemoveBlock(r.Context(), who, id)
		}))
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

// apiSpaceActors answers GET /api/v1/spaces/{space}/fediverse: the
// space's handles, and followers where the caller may manage them.
func (s *server) apiSpaceActors(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "space")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sp, err := s.Federation.SpaceFediverse(r.Context(), who, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sp)
}

// apiRemoveFollower answers DELETE
// /api/v1/spaces/{space}/followers?of=OUR_ACTOR&actor=FOLLOWER.
func (s *server) apiRemoveFollower(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "space")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	if q.Get("of") == "" || q.Get("actor") == "" {
		s.fail(w, r, invalid("of (our actor's id) and actor (the follower's id) are required"))
		return
	}
	if err := s.Federation.RemoveFollower(r.Context(), who, id, q.Get("of"), q.Get("actor")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// federationPage shows a space's fediverse handles, their followers (for
// whoever may remove them) and the follow form.
func (s *server) federationPage(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	v := s.page(r, "federation.title")
	if err := s.spaceView(r, v); err != nil {
		s.pageError(w, r, err)
		return
	}
	sp, err := s.Federation.SpaceFediverse(r.Context(), who, v.Space.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = sp
	s.render(w, r, http.StatusOK, "federation", v)
}

// apiBlocks answers GET /api/v1/admin/federation/blocks.
func (s *server) apiBlocks(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	bs, err := s.Federation.Blocks(r.Context(), who)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"blocks": bs})
}

// apiAddBlock answers POST /api/v1/admin/federation/blocks {"kind":
// "actor"|"domain", "value": actor id, name@host or host name}.
func (s *server) apiAddBlock(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	var body struct {
		Kind  string `json:"kind"`
		Value string `json:"value"`
	}
	if err := readJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.Federation.AddBlock(r.Context(), who, body.Kind, body.Value)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, b)
}

// apiRemoveBlock answers DELETE /api/v1/admin/federation/blocks/{id}.
func (s *server) apiRemoveBlock(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err == nil {
		err = s.Federation.RemoveBlock(r.Context(), who, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// blocksPage is the administrators' page of blocked actors and servers.
func (s *server) blocksPage(w http.ResponseWriter, r *http.Request) {
	v, who, ok := s.adminView(w, r, "federation.blocks")
	if !ok {
		return
	}
	bs, err := s.Federation.Blocks(r.Context(), who)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"Blocks": bs}
	s.render(w, r, http.StatusOK, "admin_federation", v)
}

// pageForm answers a form of the federation pages: signed in, form
// parsed, act, then back to the page.
func (s *server) pageForm(back func(*http.Request) string, act func(*http.Request, core.Subject) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, ok := s.requireUser(w, r)
		if !ok {
			return
		}
		err := s.parseForm(w, r)
		if err == nil {
			err = act(r, who)
		}
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		http.Redirect(w, r, back(r), http.StatusSeeOther)
	}
}

func spaceFederation(r *http.Request) string { return "/s/" + r.PathValue("slug") + "/federation" }

func adminFederation(*http.Request) string { return "/admin/federation" }

// removeFollowerForm is the federation page's "remove" button of a follower.
func (s *server) removeFollowerForm(r *http.Request, who core.Subject) error {
	v := s.page(r, "federation.title")
	if err := s.spaceView(r, v); err != nil {
		return err
	}
	return s.Federation.RemoveFollower(r.Context(), who, v.Space.ID, r.PostForm.Get("of"), r.PostForm.Get("actor"))
}
