package federation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/forum"
	"plaza/core/space"
	"plaza/core/store"
)

// localActor is one of this server's actors.
type localActor struct {
	Key       string // names its key pair: instance, user:ID, group:ID, space:ID
	ID        string
	Type      string
	Username  string
	Name      string
	Summary   string
	Published time.Time
	Category  *forum.Category // groups
	SpaceID   int64           // groups and spaces
	AccountID int64           // people
}

func randomID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// instanceActor is the server's own actor. Its name is the host without
// the port: GoToSocial checks that WebFinger answers for name@host (the
// "namestring"), and a port inside the name makes it refuse the actor.
func (s *Server) instanceActor() *localActor {
	return &localActor{Key: "instance", ID: s.instanceURL(), Type: "Application", Username: s.base.Hostname(),
		Name: "Plaza", Summary: "The instance actor of this Plaza server."}
}

// personByLogin returns the Person of an account that takes part in
// federation (it has a key: it has posted or followed something).
func (s *Server) personByLogin(ctx context.Context, login string) (*localActor, error) {
	a, err := s.accounts.ByLogin(ctx, strings.ToLower(login))
	if err != nil {
		return nil, err
	}
	if a.Disabled {
		return nil, fmt.Errorf("person %q: %w", login, core.ErrNotFound)
	}
	key := fmt.Sprintf("user:%d", a.ID)
	ok, err := s.hasKey(ctx, key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("person %q: %w", login, core.ErrNotFound)
	}
	return &localActor{Key: key, ID: s.userURL(a.Login), Type: "Person", Username: a.Login, Name: a.Name,
		Published: a.CreatedAt, AccountID: a.ID}, nil
}

// personOf returns the Person of who (it may not have a key yet).
func (s *Server) personOf(ctx context.Context, who core.Subject) (*localActor, error) {
	a, err := s.accounts.Get(ctx, who.AccountID)
	if err != nil {
		return nil, err
	}
	return &localActor{Key: fmt.Sprintf("user:%d", a.ID), ID: s.userURL(a.Login), Type: "Person", Username: a.Login,
		Name: a.Name, Published: a.CreatedAt, AccountID: a.ID}, nil
}

// groupByHandle returns the Group of a public category.
func (s *Server) groupByHandle(ctx context.Context, handle string) (*localActor, error) {
	c, err := s.forum.CategoryByHandle(ctx, core.AnonymousSubject, handle)
	if err != nil {
		return nil, err
	}
	return s.groupOf(c), nil
}

func (s *Server) groupOf(c *forum.Category) *localActor {
	return &localActor{Key: fmt.Sprintf("group:%d", c.ContainerID), ID: s.groupURL(*c.Handle), Type: "Group",
		Username: *c.Handle, Name: c.Name, Summary: c.Description, Published: c.CreatedAt, Category: c, SpaceID: c.SpaceID}
}

// spaceBySlug returns the actor of a space whose news anonymous visitors
// read (the ACL decides: public, live, news on) and that needs no visitor
// password (other servers cannot give one).
func (s *Server) spaceBySlug(ctx context.Context, slug string) (*localActor, error) {
	sp, err := s.spaces.BySlug(ctx, strings.ToLower(slug))
	if err != nil {
		return nil, err
	}
	err = acl.RequireSpace(ctx, s.db, core.AnonymousSubject, sp.ID, acl.SpaceNeed{Module: core.ModNews, Visitor: true})
	if errors.Is(err, core.ErrForbidden) || errors.Is(err, core.ErrUnauthenticated) {
		err = core.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("space %q: %w", slug, err)
	}
	if sp.HasPassword() {
		return nil, fmt.Errorf("space %q: %w", slug, core.ErrNotFound)
	}
	return &localActor{Key: fmt.Sprintf("space:%d", sp.ID), ID: s.spaceURL(sp.Slug), Type: "Organization",
		Username: sp.Slug, Name: sp.Name, Summary: sp.Description, Published: sp.CreatedAt, SpaceID: sp.ID}, nil
}

// spaceActorOf returns the actor of a space, if it is one (see spaceBySlug).
func (s *Server) spaceActorOf(ctx context.Context, spaceID int64) (*localActor, error) {
	sp, err := s.spaces.Get(ctx, spaceID)
	if err != nil {
		return nil, err
	}
	return s.spaceBySlug(ctx, sp.Slug)
}

// actorByPath finds a local actor from a route (users, groups, spaces).
func (s *Server) actorByPath(ctx context.Context, kind, name string) (*localActor, error) {
	switch kind {
	case "users":
		return s.personByLogin(ctx, name)
	case "groups":
		return s.groupByHandle(ctx, name)
	case "spaces":
		return s.spaceBySlug(ctx, name)
	}
	return nil, fmt.Errorf("actor: %w", core.ErrNotFound)
}

// actorByURL finds a local actor from its id.
func (s *Server) actorByURL(ctx context.Context, id string) (*localActor, error) {
	if id == s.instanceURL() {
		return s.instanceActor(), nil
	}
	rest, ok := strings.CutPrefix(id, s.baseStr+"/ap/")
	if !ok {
		return nil, fmt.Errorf("actor %s: %w", id, core.ErrNotFound)
	}
	kind, name, ok := strings.Cut(rest, "/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("actor %s: %w", id, core.ErrNotFound)
	}
	return s.actorByPath(ctx, kind, name)
}

func routeKind(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, "/ap/")
	k, _, _ := strings.Cut(p, "/")
	return k
}

var actorContext = []any{
	"https://www.w3.org/ns/activitystreams",
	"https://w3id.org/security/v1",
	map[string]any{
		"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
		"sensitive":                 "as:sensitive",
		"toot":                      "http://joinmastodon.org/ns#",
		"discoverable":              "toot:discoverable",
		"lemmy":                     "https://join-lemmy.org/ns#",
		"postingRestrictedToMods":   "lemmy:postingRestrictedToMods",
	},
}

// actorDoc is the JSON of a local actor, with the fields Mastodon and
// Lemmy require (see README.md).
func (s *Server) actorDoc(ctx context.Context, a *localActor) (map[string]any, error) {
	_, pub, err := s.ensureKey(ctx, s.db, a.Key)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{
		"@context":                  actorContext,
		"id":                        a.ID,
		"type":                      a.Type,
		"preferredUsername":         a.Username,
		"name":                      a.Name,
		"inbox":                     a.ID + "/inbox",
		"outbox":                    a.ID + "/outbox",
		"followers":                 a.ID + "/followers",
		"url":                       a.ID,
		"endpoints":                 map[string]any{"sharedInbox": s.sharedInbox()},
		"manuallyApprovesFollowers": false,
		"discoverable":              true,
		"publicKey":                 map[string]any{"id": a.ID + "#main-key", "owner": a.ID, "publicKeyPem": pub},
	}
	if a.Summary != "" {
		doc["summary"] = a.Summary
	}
	if !a.Published.IsZero() {
		doc["published"] = a.Published.UTC().Format(time.RFC3339)
	}
	if a.Type == "Group" {
		l, err := acl.RemoteLevel(ctx, s.db, a.Category.ContainerID)
		if err != nil {
			return nil, err
		}
		doc["postingRestrictedToMods"] = l < acl.Limited
		doc["attributedTo"] = a.ID + "/moderators"
	}
	return doc, nil
}

func (s *Server) handleActor(w http.ResponseWriter, r *http.Request) {
	a, err := s.actorByPath(r.Context(), routeKind(r), r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	doc, err := s.actorDoc(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeAP(w, r, doc)
}

func (s *Server) handleInstanceActor(w http.ResponseWriter, r *http.Request) {
	doc, err := s.actorDoc(r.Context(), s.instanceActor())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	doc["inbox"] = s.instanceURL() + "/inbox"
	s.writeAP(w, r, doc)
}

func (s *Server) handleFollowers(w http.ResponseWriter, r *http.Request) {
	a, err := s.actorByPath(r.Context(), routeKind(r), r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.db.NewSelect().Table("ap_follows").Where("local_actor = ? AND direction = 'in' AND accepted", a.Key).Count(r.Context())
	if err != nil {
		s.writeError(w, r, store.Translate(err))
		return
	}
	s.writeAP(w, r, map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": a.ID + "/followers", "type": "OrderedCollection", "totalItems": n})
}

func (s *Server) handleOutbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := s.actorByPath(ctx, routeKind(r), r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items := []any{}
	switch a.Type {
	case "Group":
		ts, err := s.forum.Topics(ctx, core.AnonymousSubject, a.Category.ContainerID, 20)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for i := range ts {
			page, err := s.topicDoc(ctx, s.db, a.Category, &ts[i])
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			// As Lemmy's community outboxes: the group's Announce of the Create.
			create := s.wrap("Create", page["attributedTo"].(string), page)
			delete(create, "@context")
			items = append(items, map[string]any{"id": s.activityURL("announce"), "type": "Announce", "actor": a.ID,
				"object": create, "to": []string{asPublic}, "cc": []string{a.ID + "/followers"}, "audience": a.ID,
				"published": page["published"]})
		}
	case "Organization":
		as, err := s.news.List(ctx, core.AnonymousSubject, a.SpaceID, 20)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for i := range as {
			art := s.articleDoc(a, &as[i])
			items = append(items, s.wrap("Create", a.ID, art))
		}
	}
	s.writeAP(w, r, map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": a.ID + "/outbox", "type": "OrderedCollection", "totalItems": len(items), "orderedItems": items})
}

// publicContainer reports whether anonymous visitors, and so people of
// other servers, may read container id: only that is federated (the ACL
// decides).
func publicContainer(ctx context.Context, db bun.IDB, id int64) (bool, error) {
	l, err := acl.RemoteLevel(ctx, db, id)
	if isNotFound(err) {
		return false, nil
	}
	return l >= acl.Read, err
}

// handleModerators lists a Group's moderators (Lemmy reads them from the
// collection in the group's attributedTo): the space's administrators
// who take part in federation.
func (s *Server) handleModerators(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	g, err := s.groupByHandle(ctx, r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ms, err := s.spaces.Members(ctx, g.SpaceID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var logins []string
	for _, m := range ms {
		if m.Role != space.RoleAdmin {
			continue
		}
		a, err := s.accounts.Get(ctx, m.AccountID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		ok, err := s.hasKey(ctx, fmt.Sprintf("user:%d", a.ID))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if ok && !a.Disabled {
			logins = append(logins, a.Login)
		}
	}
	slices.Sort(logins)
	items := []string{}
	for _, l := range logins {
		items = append(items, s.userURL(l))
	}
	s.writeAP(w, r, map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": g.ID + "/moderators", "type": "OrderedCollection", "totalItems": len(items), "orderedItems": items})
}

// handleInstanceCollection answers the instance actor's followers and
// outbox (GoToSocial fetches them): empty, since it only signs fetches.
func (s *Server) handleInstanceCollection(w http.ResponseWriter, r *http.Request) {
	s.writeAP(w, r, map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": s.baseStr + r.URL.Path, "type": "OrderedCollection", "totalItems": 0, "orderedItems": []any{}})
}

// handleActivity serves a public activity this server sent, from the
// delivery queue that holds it (kept a week after delivery): GoToSocial
// dereferences the id of an activity a group announces.
func (s *Server) handleActivity(w http.ResponseWriter, r *http.Request) {
	id := s.baseStr + "/ap/activities/" + r.PathValue("id")
	var bodies []string
	err := s.db.NewSelect().Model((*Delivery)(nil)).Column("body").Where("activity_id = ?", id).Limit(1).Scan(r.Context(), &bodies)
	if err != nil {
		s.writeError(w, r, store.Translate(err))
		return
	}
	var act *object
	if len(bodies) == 1 {
		act, err = parseObject([]byte(bodies[0]))
	}
	if act == nil || err != nil || act.ID != id || !slices.Contains(refIDs(act.To), asPublic) && !slices.Contains(refIDs(act.Cc), asPublic) {
		s.writeError(w, r, fail(http.StatusNotFound, "no such public activity"))
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(act.Raw)
}
