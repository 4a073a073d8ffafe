package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/uptrace/bun"

	"plaza/core/forum"
	"plaza/core/news"
	"plaza/core/store"
)

// rawKey carries, in the context of a change made by the inbox, the
// activity exactly as received: the group re-shares it in the same
// transaction as the change.
type rawKey struct{}

func withRaw(ctx context.Context, raw json.RawMessage) context.Context {
	return context.WithValue(ctx, rawKey{}, raw)
}

func rawFrom(ctx context.Context) json.RawMessage {
	r, _ := ctx.Value(rawKey{}).(json.RawMessage)
	return r
}

// forumHook publishes forum changes: a local public category's Group
// announces what happens in it to its followers; a reply written here in
// a category mirroring a remote group is sent to that group.
type forumHook struct{ s *Server }

func (h forumHook) ForumEvent(ctx context.Context, tx bun.IDB, e forum.Event) error {
	s := h.s
	c := e.Category
	if e.Remote() {
		if c.Handle == nil || c.RemoteActorID != nil {
			return nil
		}
		group := s.groupOf(c)
		// A remote person wrote in one of our groups: re-share it as received.
		if raw := rawFrom(ctx); raw != nil {
			return s.announce(ctx, tx, group, raw)
		}
		// A moderator here removed a remote post: the group tells its
		// followers (Lemmy announces a moderator's Delete the same way).
		if e.Kind == forum.TopicDeleted || e.Kind == forum.PostDeleted {
			id := s.topicObjectID(e.Topic)
			if e.Post != nil {
				id = s.postObjectID(e.Post)
			}
			del := map[string]any{"id": s.activityURL("delete"), "type": "Delete", "actor": group.ID, "object": id,
				"to": []string{asPublic}, "cc": []string{group.ID + "/followers"}, "audience": group.ID,
				"published": stamp(s.now())}
			return s.announce(ctx, tx, group, mustJSON(del))
		}
		return nil
	}
	authorID := e.Topic.AuthorID
	author := e.Topic.Author
	if e.Post != nil {
		authorID, author = e.Post.AuthorID, e.Post.Author
	}
	if authorID == nil || author.Login == "" {
		return nil
	}
	person := &localActor{Key: fmt.Sprintf("user:%d", *authorID), ID: s.userURL(author.Login), Type: "Person"}
	var doc map[string]any
	var err error
	if e.Post != nil {
		doc, err = s.postDoc(ctx, tx, c, e.Topic, e.Post)
	} else {
		doc, err = s.topicDoc(ctx, tx, c, e.Topic)
	}
	if err != nil {
		return err
	}
	var act map[string]any
	switch e.Kind {
	case forum.TopicCreated, forum.PostCreated:
		act = s.wrap("Create", person.ID, doc)
	case forum.TopicUpdated, forum.PostUpdated:
		act = s.wrap("Update", person.ID, doc)
	default:
		act = s.wrap("Delete", person.ID, doc["id"])
		for _, k := range []string{"to", "cc", "audience"} {
			act[k] = doc[k]
		}
	}

	if c.RemoteActorID != nil {
		// Written here, in a mirror of a remote group: send it to the group.
		if _, _, err := s.ensureKey(ctx, tx, person.Key); err != nil {
			return err
		}
		var g remoteActor
		if err := tx.NewSelect().Model(&g).Where("id = ?", *c.RemoteActorID).Scan(ctx); err != nil {
			return store.Translate(err)
		}
		body, err := json.Marshal(act)
		if err != nil {
			return err
		}
		return s.queue.enqueue(ctx, tx, person, act["id"].(string), body, []string{g.deliveryInbox()})
	}
	if c.Handle == nil {
		return nil
	}
	public, err := publicContainer(ctx, tx, e.Topic.ContainerID)
	if err != nil || !public {
		return err
	}
	// The author's Person must be fetchable by the followers: give it a key.
	if _, _, err := s.ensureKey(ctx, tx, person.Key); err != nil {
		return err
	}
	group := s.groupOf(c)
	inner := maps.Clone(act)
	delete(inner, "@context")
	raw, err := json.Marshal(inner)
	if err != nil {
		return err
	}
	if err := s.announce(ctx, tx, group, raw); err != nil {
		return err
	}
	// Mastodon and GoToSocial take an Announce as a boost of its object's
	// id: an announced Create, Update or Delete is not applied as one. So
	// the author's own activity goes to the group's followers too (Lemmy
	// and Plaza de-duplicate by object id).
	inboxes, err := s.followerInboxes(ctx, tx, group.Key)
	if err != nil {
		return err
	}
	body, err := json.Marshal(act)
	if err != nil {
		return err
	}
	if err := s.queue.enqueue(ctx, tx, person, act["id"].(string), body, inboxes); err != nil {
		return err
	}
	if e.Kind == forum.TopicCreated || e.Kind == forum.PostCreated {
		// Mastodon, Pleroma and GoToSocial take Announce as a boost of an
		// object: Lemmy also announces the new thread itself. A reply too:
		// GoToSocial drops the author's Create when its users follow the
		// group and not the author, and stores the boosted reply.
		return s.announce(ctx, tx, group, mustJSON(doc["id"]))
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain values are given
	}
	return b
}

// announce re-shares object (raw JSON: an activity as received, or an
// object id) from a local group to its followers.
func (s *Server) announce(ctx context.Context, tx bun.IDB, group *localActor, object json.RawMessage) error {
	inboxes, err := s.followerInboxes(ctx, tx, group.Key)
	if err != nil || len(inboxes) == 0 {
		return err
	}
	if _, _, err := s.ensureKey(ctx, tx, group.Key); err != nil {
		return err
	}
	id := s.activityURL("announce")
	act := map[string]any{
		"@context":  objectContext,
		"id":        id,
		"type":      "Announce",
		"actor":     group.ID,
		"to":        []string{asPublic},
		"cc":        []string{group.ID + "/followers"},
		"audience":  group.ID,
		"published": stamp(s.now()),
	}
	// The object goes in byte for byte (encoding/json would compact and
	// HTML-escape it): it is valid JSON, checked when it was received.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(act); err != nil {
		return err
	}
	head := bytes.TrimSuffix(bytes.TrimSpace(buf.Bytes()), []byte("}"))
	body := append(append(append(head, `,"object":`...), bytes.TrimSpace(object)...), '}')
	if !json.Valid(body) {
		return fmt.Errorf("announce of %s: not valid JSON", group.ID)
	}
	return s.queue.enqueue(ctx, tx, group, id, body, inboxes)
}

// followerInboxes lists where to deliver to the followers of a local
// actor: one inbox per server that offers a shared inbox.
func (s *Server) followerInboxes(ctx context.Context, db bun.IDB, key string) ([]string, error) {
	var as []remoteActor
	err := db.NewSelect().Model(&as).
		Join("JOIN ap_follows AS f ON f.remote_actor_id = ra.id").
		Where("f.local_actor = ? AND f.direction = 'in' AND f.accepted", key).Order("ra.id").Scan(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	seen := map[string]bool{}
	var out []string
	for i := range as {
		in := as[i].deliveryInbox()
		if !seen[in] {
			seen[in] = true
			out = append(out, in)
		}
	}
	return out, nil
}

// newsHook publishes public local articles from the space's actor.
type newsHook struct{ s *Server }

func (h newsHook) NewsEvent(ctx context.Context, tx bun.IDB, k news.EventKind, a *news.Article) error {
	s := h.s
	if a.Remote() {
		return nil
	}
	// A Delete also goes out for an article that just stopped being
	// public: its followers had it.
	if k != news.Deleted {
		public, err := publicContainer(ctx, tx, a.ContainerID)
		if err != nil || !public {
			return err
		}
	}
	sa, err := s.spaceActorOf(ctx, a.SpaceID)
	if err != nil {
		if isNotFound(err) {
			return nil // not a public space: nothing is federated
		}
		return err
	}
	doc := s.articleDoc(sa, a)
	var act map[string]any
	switch k {
	case news.Created:
		act = s.wrap("Create", sa.ID, doc)
	case news.Updated:
		act = s.wrap("Update", sa.ID, doc)
	default:
		act = s.wrap("Delete", sa.ID, doc["id"])
		act["to"], act["cc"] = doc["to"], doc["cc"]
	}
	inboxes, err := s.followerInboxes(ctx, tx, sa.Key)
	if err != nil || len(inboxes) == 0 {
		return err
	}
	if _, _, err := s.ensureKey(ctx, tx, sa.Key); err != nil {
		return err
	}
	body, err := json.Marshal(act)
	if err != nil {
		return err
	}
	return s.queue.enqueue(ctx, tx, sa, act["id"].(string), body, inboxes)
}
