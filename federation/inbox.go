package federation

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/forum"
	"plaza/core/news"
	"plaza/core/store"
)

// handleInbox receives an activity (shared inbox and every actor's inbox).
// Nothing is read or changed before the request has proved who sent it:
// a Signature covering (request-target), host, date and digest, a Date in
// Mastodon's window, a Digest matching the body, a key fetched from its
// owner, and an activity whose actor is that owner. The activity is then
// applied synchronously: 202 means it is committed.
func (s *Server) handleInbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	start := time.Now()
	defer func() { s.log.Debug("federation: inbox", "took", time.Since(start)) }()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var mbe *http.MaxBytesError
	if err != nil && !errors.As(err, &mbe) {
		// Cut short, too slow, or the client went away: incomplete.
		err = fail(http.StatusBadRequest, "request body: %v", err)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if r.Header.Get("Signature") == "" {
		w.Header().Set("WWW-Authenticate", `Signature realm="plaza",headers="(request-target) host date digest"`)
		s.writeError(w, r, fail(http.StatusUnauthorized, "request is not signed (HTTP Signatures required)"))
		return
	}
	p, err := checkSigned(r, body, s.now())
	if err != nil {
		s.writeError(w, r, fail(http.StatusUnauthorized, "signature refused: %v", err))
		return
	}
	act, err := parseObject(body)
	if err != nil {
		s.writeError(w, r, fail(http.StatusBadRequest, "%v", err))
		return
	}
	if b, err := s.blocked(ctx, p.KeyID); err != nil || b {
		if err == nil {
			err = fail(http.StatusForbidden, "this server blocks yours")
		}
		s.writeError(w, r, err)
		return
	}
	signer, err := s.actorForKey(ctx, p.KeyID, false)
	if err != nil {
		if act.Type.is("Delete") && act.actorID() == refID(act.Object) {
			// An account we never knew was deleted: its key is gone too.
			w.WriteHeader(http.StatusAccepted)
			return
		}
		s.writeError(w, r, fail(http.StatusUnauthorized, "signature refused: cannot get key %s: %v", p.KeyID, err))
		return
	}
	if err := s.verifyWith(r, signer); err != nil {
		// The key may have been rotated: fetch it once more (at most once
		// a minute per key, so bad signatures cannot make us fetch at will).
		if s.now().Sub(signer.FetchedAt) < time.Minute {
			s.writeError(w, r, fail(http.StatusUnauthorized, "signature refused: %v", err))
			return
		}
		fresh, ferr := s.actorForKey(ctx, p.KeyID, true)
		if ferr != nil || s.verifyWith(r, fresh) != nil {
			s.writeError(w, r, fail(http.StatusUnauthorized, "signature refused: %v", err))
			return
		}
		signer = fresh
	}
	if act.actorID() != signer.URI {
		s.writeError(w, r, fail(http.StatusForbidden, "the activity's actor is not the signer"))
		return
	}
	if b, err := s.blocked(ctx, signer.URI); err != nil || b {
		if err == nil {
			err = fail(http.StatusForbidden, "this server blocks you")
		}
		s.writeError(w, r, err)
		return
	}
	// The id is taken before the activity is applied, so two copies
	// arriving at once (a retry racing the first try) apply it once; a
	// failure gives it back for the peer's retry.
	first, err := s.markSeen(ctx, act.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if first {
		if err := s.dispatch(ctx, signer, act); err != nil && !errors.Is(err, core.ErrConflict) {
			if ferr := s.forgetSeen(detach(ctx), act.ID); ferr != nil {
				s.log.Warn("federation: forget activity id", "err", ferr)
			}
			s.writeError(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) verifyWith(r *http.Request, a *remoteActor) error {
	pub, err := parsePublic(a.PublicKeyPEM)
	if err != nil {
		return err
	}
	return verifySignature(r, pub)
}

// markSeen records a received activity id, reporting whether it is new.
func (s *Server) markSeen(ctx context.Context, id string) (bool, error) {
	res, err := s.db.NewRaw("INSERT INTO ap_seen (activity_id, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
		id, s.now().UTC()).Exec(ctx)
	if err != nil {
		return false, store.Translate(err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (s *Server) forgetSeen(ctx context.Context, id string) error {
	_, err := s.db.NewDelete().Table("ap_seen").Where("activity_id = ?", id).Exec(ctx)
	return store.Translate(err)
}

// dispatch applies a verified activity of signer.
func (s *Server) dispatch(ctx context.Context, signer *remoteActor, act *object) error {
	switch {
	case act.Type.is("Follow"):
		return s.onFollow(ctx, signer, act)
	case act.Type.is("Undo"):
		return s.onUndo(ctx, signer, act)
	case act.Type.is("Accept"):
		_, err := s.db.NewUpdate().Model((*Follow)(nil)).Set("accepted = TRUE").
			Where("direction = 'out' AND remote_actor_id = ?", signer.ID).Exec(ctx)
		return store.Translate(err)
	case act.Type.is("Reject"):
		_, err := s.db.NewDelete().Model((*Follow)(nil)).Where("direction = 'out' AND remote_actor_id = ?", signer.ID).Exec(ctx)
		return store.Translate(err)
	case act.Type.is("Create"), act.Type.is("Update"):
		obj, ok := act.embedded()
		if !ok {
			var err error
			if _, obj, err = s.fetchDoc(ctx, refID(act.Object)); err != nil {
				return fail(http.StatusUnprocessableEntity, "cannot fetch the object: %v", err)
			}
		}
		if obj.Type.first(actorTypes...) != "" {
			// A profile changed (Mastodon sends Update of the Person).
			if obj.ID != signer.URI {
				return fail(http.StatusForbidden, "an actor updates only itself")
			}
			if _, err := s.remoteActor(ctx, signer.URI, true); err != nil {
				return fail(http.StatusUnprocessableEntity, "cannot fetch the actor: %v", err)
			}
			return nil
		}
		if obj.Type.first("Page", "Note", "Article", "Question") == "" {
			return nil // Image, Video, Event…: not shown here
		}
		if obj.author() != signer.URI || originOf(obj.ID) != originOf(signer.URI) {
			return fail(http.StatusForbidden, "the object is not the signer's")
		}
		return s.onObject(ctx, signer, act, obj, nil)
	case act.Type.is("Delete"):
		return s.onDelete(ctx, signer, refID(act.Object), nil, act.Raw)
	case act.Type.is("Announce"):
		return s.onAnnounce(ctx, signer, act)
	case act.Type.is("Like"), act.Type.is("Dislike"):
		return s.onVote(ctx, refID(act.Object), act.Raw)
	}
	// Add, Remove, Block, Flag…: accepted and ignored.
	return nil
}

// onVote re-shares a Like or Dislike of a thread or reply of one of our
// groups to its followers, as Lemmy does with votes (they are not counted
// here yet).
func (s *Server) onVote(ctx context.Context, target string, raw json.RawMessage) error {
	t, _, ok := s.localThread(ctx, target)
	if !ok {
		return nil
	}
	c, err := s.forum.CategoryAny(ctx, t.CategoryID)
	if err != nil || c.Handle == nil || c.RemoteActorID != nil {
		return err
	}
	public, err := publicContainer(ctx, s.db, t.ContainerID)
	if err != nil || !public {
		return err
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.announce(ctx, tx, s.groupOf(c), raw)
	})
}

// onFollow answers a Follow: a forum group or a space is followed at
// once (Accept); anything else of ours (a person, the instance actor) is
// refused with a Reject, so the follower's request never stays pending.
func (s *Server) onFollow(ctx context.Context, signer *remoteActor, act *object) error {
	target, err := s.actorByURL(ctx, refID(act.Object))
	if err != nil {
		return err
	}
	accept := target.Type == "Group" || target.Type == "Organization"
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if accept {
			f := &Follow{LocalActor: target.Key, RemoteActorID: signer.ID, Direction: "in", ActivityID: act.ID,
				Accepted: true, CreatedAt: s.now().UTC()}
			if _, err := tx.NewInsert().Model(f).On("CONFLICT (local_actor, remote_actor_id, direction) DO UPDATE").
				Set("activity_id = EXCLUDED.activity_id, accepted = TRUE").Exec(ctx); err != nil {
				return err
			}
		}
		if _, _, err := s.ensureKey(ctx, tx, target.Key); err != nil {
			return err
		}
		kind := "Reject"
		if accept {
			kind = "Accept"
		}
		id := s.activityURL(typeSlug(kind))
		body, err := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": id, "type": kind, "actor": target.ID, "object": act.Raw, "to": []string{signer.URI},
			"published": stamp(s.now())})
		if err != nil {
			return err
		}
		return s.queue.enqueue(ctx, tx, target, id, body, []string{signer.Inbox})
	})
}

func (s *Server) onUndo(ctx context.Context, signer *remoteActor, act *object) error {
	inner, ok := act.embedded()
	q := s.db.NewDelete().Model((*Follow)(nil)).Where("direction = 'in' AND remote_actor_id = ?", signer.ID)
	switch {
	case ok && inner.Type.is("Follow"):
		if inner.actorID() != signer.URI {
			return fail(http.StatusForbidden, "cannot undo another actor's follow")
		}
		target, err := s.actorByURL(ctx, refID(inner.Object))
		if err != nil {
			return nil // nothing to undo
		}
		q = q.Where("local_actor = ?", target.Key)
	case !ok:
		q = q.Where("activity_id = ?", refID(act.Object))
	case inner.Type.is("Like") || inner.Type.is("Dislike"):
		if inner.actorID() != signer.URI {
			return fail(http.StatusForbidden, "cannot undo another actor's vote")
		}
		return s.onVote(ctx, refID(inner.Object), act.Raw)
	default:
		return nil // Undo of an Announce: nothing kept
	}
	_, err := q.Exec(ctx)
	return store.Translate(err)
}

// onAnnounce handles a group re-sharing an activity (FEP-1b12) or an
// object (a boost). An embedded activity is trusted when it comes from
// the group's own origin; otherwise its object is fetched from its origin.
func (s *Server) onAnnounce(ctx context.Context, group *remoteActor, act *object) error {
	inner, ok := act.embedded()
	if !ok {
		id := refID(act.Object)
		if id == "" || s.local(id) {
			return nil
		}
		if !s.followed(ctx, group.ID) {
			return nil
		}
		_, obj, err := s.fetchDoc(ctx, id)
		if err != nil {
			return fail(http.StatusUnprocessableEntity, "cannot fetch the announced object: %v", err)
		}
		return s.announcedObject(ctx, group, obj, obj)
	}
	if s.local(inner.ID) || s.local(refID(inner.Object)) || !s.followed(ctx, group.ID) {
		return nil // our own, echoed back; or a group we do not follow
	}
	if !inner.Type.is("Create") && !inner.Type.is("Update") && !inner.Type.is("Delete") {
		if inner.Type.first("Page", "Note", "Article") != "" {
			return s.announcedObject(ctx, group, inner, inner)
		}
		return nil
	}
	innerActor := inner.actorID()
	trusted := originOf(innerActor) == originOf(group.URI) && originOf(inner.ID) == originOf(innerActor)
	if inner.Type.is("Delete") {
		id := refID(inner.Object)
		if !trusted {
			_, obj, err := s.fetchDoc(ctx, id)
			var se *statusError
			gone := errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone)
			if !gone && (err != nil || !obj.Type.is("Tombstone")) {
				return nil // still there: not deleted
			}
		}
		author, err := s.remoteActor(ctx, innerActor, false)
		if err != nil {
			return fail(http.StatusUnprocessableEntity, "cannot fetch the actor: %v", err)
		}
		return s.onDelete(ctx, author, id, group, nil)
	}
	obj, embedded := inner.embedded()
	if !trusted || !embedded {
		var err error
		if _, obj, err = s.fetchDoc(ctx, refID(inner.Object)); err != nil {
			return fail(http.StatusUnprocessableEntity, "cannot fetch the object: %v", err)
		}
	}
	if obj.author() != innerActor || originOf(obj.ID) != originOf(innerActor) {
		return fail(http.StatusForbidden, "the announced object is not its actor's")
	}
	return s.announcedObject(ctx, group, inner, obj)
}

// followed reports whether someone here follows the remote actor.
func (s *Server) followed(ctx context.Context, actorID int64) bool {
	n, err := s.db.NewSelect().Model((*Follow)(nil)).Where("direction = 'out' AND remote_actor_id = ?", actorID).Count(ctx)
	return err == nil && n > 0
}

func (s *Server) announcedObject(ctx context.Context, group *remoteActor, act, obj *object) error {
	if s.local(obj.ID) {
		return nil
	}
	author, err := s.remoteActor(ctx, obj.author(), false)
	if err != nil {
		return fail(http.StatusUnprocessableEntity, "cannot fetch the author: %v", err)
	}
	return s.onObject(ctx, author, act, obj, group)
}

// onObject stores a remote Page, Note or Article written by author. Sent
// to one of our groups (via nil), it is checked and re-shared; announced
// by a remote group we follow (via), it lands in the categories
// mirroring that group; an Article lands in the spaces following author.
func (s *Server) onObject(ctx context.Context, author *remoteActor, act, obj *object, via *remoteActor) error {
	if s.local(obj.ID) {
		return nil
	}
	typ := obj.Type.first("Page", "Note", "Article", "Question")
	if typ == "" {
		return nil // Image, Video, Event…: not shown here
	}
	published, updated := obj.times()
	parent := refID(obj.InReplyTo)

	// 1. Addressed to one of our groups.
	if via == nil {
		if topic, parentPost, ok := s.localThread(ctx, parent); ok {
			return s.remoteReply(ctx, author, act, obj, topic, parentPost, published, updated)
		}
		if parent == "" {
			for _, to := range obj.audiences() {
				if !s.local(to) {
					continue
				}
				g, err := s.actorByURL(ctx, to)
				if err != nil || g.Type != "Group" {
					continue
				}
				// The ACL decides what people of other servers may do.
				if l, err := acl.RemoteLevel(ctx, s.db, g.Category.ContainerID); err != nil || l < acl.Limited {
					return fail(http.StatusForbidden, "only moderators open topics in this group")
				}
				_, err = s.forum.UpsertRemoteTopic(withRaw(ctx, act.Raw), g.Category.ContainerID, forum.RemoteTopic{
					APID: obj.ID, Title: remoteTitle(obj), Body: obj.body(),
					RemoteAuthorID: author.ID, Published: published, Updated: updated})
				return err
			}
		}
	}

	// 2. Public posts of an actor spaces here follow into their news: a
	// space's Articles, a person's top-level Notes (Mastodon, GoToSocial).
	if via == nil && parent == "" && obj.public() {
		var fs []Follow
		if err := s.db.NewSelect().Model(&fs).Where("direction = 'out' AND remote_actor_id = ? AND container_id IS NULL AND space_id IS NOT NULL", author.ID).Scan(ctx); err != nil {
			return store.Translate(err)
		}
		for _, f := range fs {
			if _, err := s.news.UpsertRemote(ctx, *f.SpaceID, news.RemoteArticle{APID: obj.ID, Title: remoteTitle(obj),
				Summary: deref(obj.Summary), Body: obj.body(), RemoteAuthorID: author.ID, Published: published, Updated: updated}); err != nil {
				return err
			}
		}
		if len(fs) > 0 {
			return nil
		}
	}

	// 3. Shared by a remote group mirrored here.
	groups := []*remoteActor{}
	if via != nil {
		groups = append(groups, via)
	} else {
		for _, to := range obj.audiences() {
			var g remoteActor
			if err := s.db.NewSelect().Model(&g).Where("uri = ?", to).Scan(ctx); err == nil && g.Type == "Group" {
				groups = append(groups, &g)
			}
		}
	}
	for _, g := range groups {
		cats, err := s.forum.Mirrors(ctx, s.db, g.ID)
		if err != nil {
			return err
		}
		for i := range cats {
			if err := s.mirrorObject(ctx, &cats[i], author, obj, parent, published, updated); err != nil {
				return err
			}
		}
	}
	return nil
}

// localThread resolves an inReplyTo naming a topic or post of this server.
func (s *Server) localThread(ctx context.Context, parent string) (*forum.Topic, *int64, bool) {
	if parent == "" || !s.local(parent) {
		return nil, nil, false
	}
	if id, ok := s.localID(parent, "topics"); ok {
		if t, err := s.forum.TopicAny(ctx, id); err == nil {
			return t, nil, true
		}
	}
	if id, ok := s.localID(parent, "posts"); ok {
		if p, err := s.forum.PostAny(ctx, id); err == nil {
			if t, err := s.forum.TopicAny(ctx, p.TopicID); err == nil {
				return t, &p.ID, true
			}
		}
	}
	return nil, nil, false
}

// remoteReply stores a reply sent to one of our groups, if the topic is in
// a public federated category and open.
func (s *Server) remoteReply(ctx context.Context, author *remoteActor, act, obj *object, t *forum.Topic, parentPost *int64, published, updated time.Time) error {
	c, err := s.forum.CategoryAny(ctx, t.CategoryID)
	if err != nil {
		return err
	}
	if c.RemoteActorID != nil {
		return nil // a thread of a remote group: the group will share the reply
	}
	// The ACL decides what people of other servers may do.
	l, err := acl.RemoteLevel(ctx, s.db, t.ContainerID)
	if err != nil {
		return err
	}
	if c.Handle == nil || l < acl.Limited {
		return fail(http.StatusForbidden, "this topic does not take replies from other servers")
	}
	if t.Locked {
		return fail(http.StatusForbidden, "the topic is locked")
	}
	_, err = s.forum.UpsertRemotePost(withRaw(ctx, act.Raw), t.ContainerID, forum.RemotePost{APID: obj.ID, Body: obj.body(),
		RemoteAuthorID: author.ID, InReplyTo: parentPost, Published: published, Updated: updated})
	return err
}

// mirrorObject stores a thread or reply of a remote group in a category
// mirroring it.
func (s *Server) mirrorObject(ctx context.Context, c *forum.Category, author *remoteActor, obj *object, parent string, published, updated time.Time) error {
	if parent == "" {
		_, err := s.forum.UpsertRemoteTopic(ctx, c.ContainerID, forum.RemoteTopic{APID: obj.ID,
			Title: remoteTitle(obj), Body: obj.body(),
			RemoteAuthorID: author.ID, Published: published, Updated: updated})
		return err
	}
	var topicID int64
	var parentPost *int64
	ts, err := s.forum.TopicsByAPID(ctx, parent)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.CategoryID == c.ContainerID {
			topicID = t.ContainerID
		}
	}
	if topicID == 0 {
		ps, err := s.forum.PostsByAPID(ctx, parent)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if t, err := s.forum.TopicAny(ctx, p.TopicID); err == nil && t.CategoryID == c.ContainerID {
				topicID, parentPost = t.ContainerID, &p.ID
			}
		}
	}
	if topicID == 0 {
		if t, pp, ok := s.localThread(ctx, parent); ok && t.CategoryID == c.ContainerID {
			topicID, parentPost = t.ContainerID, pp
		}
	}
	if topicID == 0 {
		return nil // a reply to a thread we never received
	}
	_, err = s.forum.UpsertRemotePost(ctx, topicID, forum.RemotePost{APID: obj.ID, Body: obj.body(),
		RemoteAuthorID: author.ID, InReplyTo: parentPost, Published: published, Updated: updated})
	return err
}

// onDelete removes what id names, if actor wrote it or is the group that
// shared it (moderation). Sent to one of our groups (raw set), the
// deletion is re-shared by the group.
func (s *Server) onDelete(ctx context.Context, actor *remoteActor, id string, via *remoteActor, raw json.RawMessage) error {
	if id == actor.URI && via == nil {
		return s.forgetActor(ctx, actor)
	}
	if id == "" || id == actor.URI || s.local(id) {
		return nil
	}
	may := func(remoteAuthor *int64, c *forum.Category) bool {
		if remoteAuthor != nil && *remoteAuthor == actor.ID {
			return true
		}
		return c != nil && c.RemoteActorID != nil && *c.RemoteActorID == actor.ID
	}
	if raw != nil {
		ctx = withRaw(ctx, raw)
	}
	ts, err := s.forum.TopicsByAPID(ctx, id)
	if err != nil {
		return err
	}
	for _, t := range ts {
		c, err := s.forum.CategoryAny(ctx, t.CategoryID)
		if err != nil {
			return err
		}
		if via != nil && (c.RemoteActorID == nil || *c.RemoteActorID != via.ID) {
			continue
		}
		if may(t.RemoteAuthorID, c) {
			if err := s.forum.RemoveTopic(ctx, t.ContainerID); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	ps, err := s.forum.PostsByAPID(ctx, id)
	if err != nil {
		return err
	}
	for _, p := range ps {
		t, err := s.forum.TopicAny(ctx, p.TopicID)
		if err != nil {
			continue
		}
		c, err := s.forum.CategoryAny(ctx, t.CategoryID)
		if err != nil {
			return err
		}
		if via != nil && (c.RemoteActorID == nil || *c.RemoteActorID != via.ID) {
			continue
		}
		if may(p.RemoteAuthorID, c) {
			if err := s.forum.RemovePost(ctx, p.ID); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	as, err := s.news.ByAPID(ctx, id)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.RemoteAuthorID != nil && *a.RemoteAuthorID == actor.ID {
			if err := s.news.Remove(ctx, a.ContainerID); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	return nil
}

// forgetActor removes what a deleted remote account wrote here (Mastodon
// sends Delete{actor: X, object: X} when an account is deleted).
func (s *Server) forgetActor(ctx context.Context, a *remoteActor) error {
	topics, posts, err := s.forum.ByRemoteAuthor(ctx, a.ID)
	if err != nil {
		return err
	}
	articles, err := s.news.ByRemoteAuthor(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, id := range posts {
		if err := s.forum.RemovePost(ctx, id); err != nil && !isNotFound(err) {
			return err
		}
	}
	for _, id := range topics {
		if err := s.forum.RemoveTopic(ctx, id); err != nil && !isNotFound(err) {
			return err
		}
	}
	for _, id := range articles {
		if err := s.news.Remove(ctx, id); err != nil && !isNotFound(err) {
			return err
		}
	}
	_, err = s.db.NewDelete().Model((*Follow)(nil)).Where("remote_actor_id = ? AND direction = 'in'", a.ID).Exec(ctx)
	return store.Translate(err)
}

// remoteTitle is the title of a remote thread: its name, or the start of
// its text (a Mastodon post has no name), on one line, cut to fit.
func remoteTitle(o *object) string {
	t := strings.Join(strings.Fields(plainText(o.title())), " ")
	if t == "" {
		t = strings.Join(strings.Fields(plainText(o.text())), " ")
		t = limitRunes(t, 80)
	}
	return limitRunes(t, forum.MaxTitle)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
