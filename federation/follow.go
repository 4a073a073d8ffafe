package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/fediverse"
	"plaza/core/store"
)

// Follow is a local person following a remote actor into a space.
type Follow struct {
	bun.BaseModel `bun:"table:ap_follows,alias:f"`

	ID            int64 `bun:",pk,autoincrement"`
	LocalActor    string
	RemoteActorID int64
	Direction     string
	SpaceID       *int64
	ContainerID   *int64 // the mirror category, for a group
	ActivityID    string
	Accepted      bool
	CreatedAt     time.Time
}

// Followed says what a Follow made.
type Followed struct {
	ActorID    string // the remote actor's id
	Type       string // Group (forum), or another actor type (news)
	CategoryID int64  // for a Group: the local category mirroring it
	SpaceID    int64
}

// Follow makes who (a space administrator) follow a remote actor, given as
// name@host or by URL, into a space: a Group becomes a mirrored forum
// category, whose topics and replies arrive and where members' replies
// are sent to the group; any other actor (a space publishing news) has
// its articles delivered to the space's news. The follow is accepted
// when the remote Accept arrives.
func (s *Server) Follow(ctx context.Context, who core.Subject, spaceID int64, handle string) (*Followed, error) {
	if who.IsAnonymous() {
		return nil, fmt.Errorf("%w: sign in to follow", core.ErrUnauthenticated)
	}
	if err := acl.RequireSpace(ctx, s.db, who, spaceID, acl.SpaceNeed{Admin: true, Change: true}); err != nil {
		return nil, err
	}
	uri, err := s.resolveHandle(ctx, handle)
	if err != nil {
		return nil, unreachable(handle, err)
	}
	ra, err := s.remoteActor(ctx, uri, true)
	if err != nil {
		return nil, unreachable(handle, err)
	}
	if b, err := s.blocked(ctx, ra.URI); err != nil || b {
		if err == nil {
			err = fmt.Errorf("%w: %s is blocked here", core.ErrForbidden, handle)
		}
		return nil, err
	}
	out := &Followed{ActorID: ra.URI, Type: ra.Type, SpaceID: spaceID}
	var container *int64
	if ra.Type == "Group" {
		cs, err := s.forum.Mirrors(ctx, s.db, ra.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.SpaceID == spaceID {
				out.CategoryID = c.ContainerID
			}
		}
		if out.CategoryID == 0 {
			name := ra.Name
			if name == "" {
				name = ra.Username
			}
			c, err := s.forum.MirrorCategory(ctx, who, spaceID, limitRunes(name+" ("+ra.Username+"@"+ra.Host+")", 200), ra.ID)
			if err != nil {
				return nil, err
			}
			out.CategoryID = c.ContainerID
		}
		container = &out.CategoryID
	}
	person, err := s.personOf(ctx, who)
	if err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, _, err := s.ensureKey(ctx, tx, person.Key); err != nil {
			return err
		}
		id := s.activityURL("follow")
		f := &Follow{LocalActor: person.Key, RemoteActorID: ra.ID, Direction: "out", SpaceID: &spaceID,
			ContainerID: container, ActivityID: id, CreatedAt: s.now().UTC()}
		if _, err := tx.NewInsert().Model(f).On("CONFLICT (local_actor, remote_actor_id, direction) DO UPDATE").
			Set("space_id = EXCLUDED.space_id, container_id = EXCLUDED.container_id, activity_id = EXCLUDED.activity_id").
			Exec(ctx); err != nil {
			return err
		}
		body, err := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": id, "type": "Follow", "actor": person.ID, "object": ra.URI, "to": []string{ra.URI},
			"published": stamp(s.now())})
		if err != nil {
			return err
		}
		return s.queue.enqueue(ctx, tx, person, id, body, []string{ra.Inbox})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Unfollow stops who following a remote actor (Undo of the Follow). The
// mirrored category and what it received stay.
func (s *Server) Unfollow(ctx context.Context, who core.Subject, actorID string) error {
	var ra remoteActor
	if err := s.db.NewSelect().Model(&ra).Where("uri = ?", actorID).Scan(ctx); err != nil {
		return store.Translate(err)
	}
	person, err := s.personOf(ctx, who)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var f Follow
		if err := tx.NewSelect().Model(&f).Where("local_actor = ? AND remote_actor_id = ? AND direction = 'out'", person.Key, ra.ID).Scan(ctx); err != nil {
			return store.Translate(err)
		}
		if _, err := tx.NewDelete().Model(&f).WherePK().Exec(ctx); err != nil {
			return err
		}
		id := s.activityURL("undo")
		body, err := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": id, "type": "Undo", "actor": person.ID, "to": []string{ra.URI}, "published": stamp(s.now()),
			"object": map[string]any{"id": f.ActivityID, "type": "Follow", "actor": person.ID, "object": ra.URI}})
		if err != nil {
			return err
		}
		return s.queue.enqueue(ctx, tx, person, id, body, []string{ra.Inbox})
	})
}

// FollowAccepted reports whether the remote actor accepted who's follow.
func (s *Server) FollowAccepted(ctx context.Context, who core.Subject, actorID string) (bool, error) {
	n, err := s.db.NewSelect().Model((*Follow)(nil)).Join("JOIN ap_actors AS ra ON ra.id = f.remote_actor_id").
		Where("f.local_actor = ? AND ra.uri = ? AND f.direction = 'out' AND f.accepted", fmt.Sprintf("user:%d", who.AccountID), actorID).Count(ctx)
	return n > 0, store.Translate(err)
}

// Following is one remote actor a person here follows.
type Following = fediverse.Following

// Follows lists what who follows, for the web UI.
func (s *Server) Follows(ctx context.Context, who core.Subject) ([]Following, error) {
	var out []Following
	err := s.db.NewSelect().Model((*Follow)(nil)).Join("JOIN ap_actors AS ra ON ra.id = f.remote_actor_id").
		ColumnExpr("ra.uri AS actor_id, ra.username || '@' || ra.host AS handle, ra.name, ra.type").
		ColumnExpr("COALESCE(f.space_id, 0) AS space_id, COALESCE(f.container_id, 0) AS category_id, f.accepted").
		Where("f.local_actor = ? AND f.direction = 'out'", fmt.Sprintf("user:%d", who.AccountID)).
		Order("ra.username").Scan(ctx, &out)
	return out, store.Translate(err)
}

// FollowRemote is Follow for the web UI: it returns the followed actor's
// id and, for a group, the category mirroring it.
func (s *Server) FollowRemote(ctx context.Context, who core.Subject, spaceID int64, handle string) (string, int64, error) {
	f, err := s.Follow(ctx, who, spaceID, handle)
	if err != nil {
		return "", 0, err
	}
	return f.ActorID, f.CategoryID, nil
}

// UnfollowRemote is Unfollow for the web UI.
func (s *Server) UnfollowRemote(ctx context.Context, who core.Subject, actorID string) error {
	return s.Unfollow(ctx, who, actorID)
}

// unreachable says that a handle could not be followed, as a refusal
// (the peer's failure is not this server's).
func unreachable(handle string, err error) error {
	for _, e := range []error{core.ErrInvalid, core.ErrNotFound, core.ErrForbidden, core.ErrConflict, core.ErrUnauthenticated} {
		if errors.Is(err, e) {
			return err
		}
	}
	return fmt.Errorf("%w: cannot reach %s: %v", core.ErrInvalid, handle, err)
}
