package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/fediverse"
	"plaza/core/store"
)

// SpaceFediverse is a space's presence on the fediverse, for its page:
// its actors and, for its administrators, what it follows.
func (s *Server) SpaceFediverse(ctx context.Context, who core.Subject, spaceID int64) (*fediverse.Space, error) {
	as, err := s.spaceActors(ctx, who, spaceID)
	if err != nil {
		return nil, err
	}
	out := &fediverse.Space{Actors: as, Following: []fediverse.Following{}}
	if admin, err := s.spaceAdmin(ctx, who, spaceID); err != nil || !admin {
		return out, err
	}
	err = s.db.NewSelect().Model((*Follow)(nil)).Join("JOIN ap_actors AS ra ON ra.id = f.remote_actor_id").
		ColumnExpr("ra.uri AS actor_id, ra.username || '@' || ra.host AS handle, ra.name, ra.type").
		ColumnExpr("f.space_id, COALESCE(f.container_id, 0) AS category_id, f.accepted").
		Where("f.space_id = ? AND f.direction = 'out'", spaceID).
		Order("ra.username", "ra.host").Scan(ctx, &out.Following)
	return out, store.Translate(err)
}

// spaceActors lists a space's actors on the fediverse: its news (when
// the space is an actor) and its public forum categories, each with its
// handle, and its followers when who may manage them (full on the
// category; the space's administrators for the space). Categories who
// cannot read are left out.
func (s *Server) spaceActors(ctx context.Context, who core.Subject, spaceID int64) ([]fediverse.Actor, error) {
	out := []fediverse.Actor{}
	admin, err := s.spaceAdmin(ctx, who, spaceID)
	if err != nil {
		return nil, err
	}
	if sa, err := s.spaceActorOf(ctx, spaceID); err == nil {
		out = append(out, fediverse.Actor{Kind: "space", ActorID: sa.ID, Handle: sa.Username + "@" + s.base.Host,
			Name: sa.Name, CanManage: admin})
	} else if !isNotFound(err) {
		return nil, err
	}
	cs, err := s.forum.Categories(ctx, who, spaceID)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		c := &cs[i]
		if c.Handle == nil || c.RemoteActorID != nil {
			continue
		}
		if public, err := publicContainer(ctx, s.db, c.ContainerID); err != nil || !public {
			if err != nil {
				return nil, err
			}
			continue
		}
		g := s.groupOf(c)
		out = append(out, fediverse.Actor{Kind: "group", ActorID: g.ID, Handle: g.Username + "@" + s.base.Host,
			Name: g.Name, CategoryID: c.ContainerID,
			CanManage: s.eng.Decide(ctx, who, acl.Target{ContainerID: c.ContainerID}, acl.PrivWriteACL) == nil})
	}
	for i := range out {
		if !out[i].CanManage {
			continue
		}
		key := fmt.Sprintf("space:%d", spaceID)
		if out[i].Kind == "group" {
			key = fmt.Sprintf("group:%d", out[i].CategoryID)
		}
		if out[i].Followers, err = s.followersOf(ctx, key); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Server) followersOf(ctx context.Context, key string) ([]fediverse.Follower, error) {
	out := []fediverse.Follower{}
	err := s.db.NewSelect().Model((*Follow)(nil)).Join("JOIN ap_actors AS ra ON ra.id = f.remote_actor_id").
		ColumnExpr("ra.uri AS actor_id, ra.username || '@' || ra.host AS handle, ra.name, f.created_at AS since").
		Where("f.local_actor = ? AND f.direction = 'in' AND f.accepted", key).
		Order("ra.username", "ra.host").Scan(ctx, &out)
	return out, store.Translate(err)
}

// RemoveFollower stops a remote actor following one of the space's actors
// (ours: the space's actor id, or a group's) and tells it with a Reject of
// its Follow, as Mastodon's "remove follower" does.
func (s *Server) RemoveFollower(ctx context.Context, who core.Subject, spaceID int64, ours, follower string) error {
	as, err := s.spaceActors(ctx, who, spaceID)
	if err != nil {
		return err
	}
	var target *fediverse.Actor
	for i := range as {
		if as[i].ActorID == ours {
			target = &as[i]
		}
	}
	if target == nil {
		return fmt.Errorf("%w: %s is not an actor of this space", core.ErrNotFound, ours)
	}
	if !target.CanManage {
		return fmt.Errorf("%w: only whoever has full on it removes its followers", core.ErrForbidden)
	}
	local, err := s.actorByURL(ctx, ours)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var ra remoteActor
		if err := tx.NewSelect().Model(&ra).Where("uri = ?", follower).Scan(ctx); err != nil {
			return fmt.Errorf("follower %s: %w", follower, store.Translate(err))
		}
		var f Follow
		err := tx.NewSelect().Model(&f).Where("local_actor = ? AND remote_actor_id = ? AND direction = 'in'", local.Key, ra.ID).Scan(ctx)
		if err != nil {
			return fmt.Errorf("follower %s: %w", follower, store.Translate(err))
		}
		if _, err := tx.NewDelete().Model(&f).WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.reject(ctx, tx, local, &ra, &f)
	})
}

// reject tells a follower that its follow of local is over.
func (s *Server) reject(ctx context.Context, tx bun.IDB, local *localActor, ra *remoteActor, f *Follow) error {
	if _, _, err := s.ensureKey(ctx, tx, local.Key); err != nil {
		return err
	}
	id := s.activityURL("reject")
	body, err := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": id, "type": "Reject", "actor": local.ID, "to": []string{ra.URI}, "published": stamp(s.now()),
		"object": map[string]any{"id": f.ActivityID, "type": "Follow", "actor": ra.URI, "object": local.ID}})
	if err != nil {
		return err
	}
	return s.queue.enqueue(ctx, tx, local, id, body, []string{ra.Inbox})
}

// spaceAdmin reports whether who administers the space (platform
// administrators do every space).
func (s *Server) spaceAdmin(ctx context.Context, who core.Subject, spaceID int64) (bool, error) {
	return acl.IsSpaceAdmin(ctx, s.db, who, spaceID)
}

// apBlock is a row of ap_blocks.
type apBlock struct {
	bun.BaseModel `bun:"table:ap_blocks,alias:b"`

	ID        int64 `bun:",pk,autoincrement"`
	Kind      string
	Value     string
	CreatedBy *int64
	CreatedAt time.Time
}

func requireAdmin(who core.Subject) error {
	if who.IsAnonymous() {
		return fmt.Errorf("%w: sign in", core.ErrUnauthenticated)
	}
	if !who.Type.PlatformAdmin() {
		return fmt.Errorf("%w: only administrators block other servers", core.ErrForbidden)
	}
	return nil
}

// Blocks lists the blocked actors and servers (administrators only).
func (s *Server) Blocks(ctx context.Context, who core.Subject) ([]fediverse.Block, error) {
	if err := requireAdmin(who); err != nil {
		return nil, err
	}
	var rows []apBlock
	if err := s.db.NewSelect().Model(&rows).Order("kind", "value").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	out := make([]fediverse.Block, 0, len(rows))
	for _, b := range rows {
		out = append(out, fediverse.Block{ID: b.ID, Kind: b.Kind, Value: b.Value, CreatedAt: b.CreatedAt})
	}
	return out, nil
}

var hostPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$`)

// AddBlock blocks a remote actor (kind actor, its id or name@host) or a
// server and its subdomains (kind domain, a host name): what it sends is
// refused, nothing is delivered to it, and its follows both ways end.
func (s *Server) AddBlock(ctx context.Context, who core.Subject, kind, value string) (*fediverse.Block, error) {
	if err := requireAdmin(who); err != nil {
		return nil, err
	}
	value = strings.TrimSpace(value)
	switch kind {
	case fediverse.BlockDomain:
		value = strings.ToLower(strings.TrimSuffix(value, "."))
		if !hostPattern.MatchString(value) || len(value) > 253 {
			return nil, fmt.Errorf("%w: a domain is a host name such as example.org", core.ErrInvalid)
		}
		if strings.EqualFold(value, s.base.Host) || strings.EqualFold(value, s.base.Hostname()) {
			return nil, fmt.Errorf("%w: this server cannot block itself", core.ErrInvalid)
		}
	case fediverse.BlockActor:
		if !strings.HasPrefix(value, "http://") && !strings.HasPrefix(value, "https://") {
			uri, err := s.resolveHandle(ctx, value)
			if err != nil {
				return nil, unreachable(value, err)
			}
			value = uri
		}
		if u, err := url.Parse(value); err != nil || u.Host == "" || len(value) > 2048 {
			return nil, fmt.Errorf("%w: an actor is an id (https://…) or name@host", core.ErrInvalid)
		}
		if s.local(value) {
			return nil, fmt.Errorf("%w: %s is an actor of this server", core.ErrInvalid, value)
		}
	default:
		return nil, fmt.Errorf("%w: kind is actor or domain", core.ErrInvalid)
	}
	b := &apBlock{Kind: kind, Value: value, CreatedAt: s.now().UTC()}
	if !who.IsAnonymous() {
		b.CreatedBy = &who.AccountID
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(b).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		// The follows end both ways.
		q := tx.NewSelect().Model((*remoteActor)(nil)).Column("id")
		if kind == fediverse.BlockActor {
			q = q.Where("uri = ?", value)
		} else {
			q = whereOnHost(q, "host", value)
		}
		_, err := tx.NewDelete().Model((*Follow)(nil)).Where("remote_actor_id IN (?)", q).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	return &fediverse.Block{ID: b.ID, Kind: b.Kind, Value: b.Value, CreatedAt: b.CreatedAt}, nil
}

// whereOnHost selects the rows whose column (a host, with its port if
// any) is domain or one of its subdomains.
func whereOnHost(q *bun.SelectQuery, column, domain string) *bun.SelectQuery {
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		for _, p := range []string{domain, "%." + domain, domain + ":%", "%." + domain + ":%"} {
			q = q.WhereOr(column+" LIKE ?", p)
		}
		return q
	})
}

// RemoveBlock lifts a block (administrators only).
func (s *Server) RemoveBlock(ctx context.Context, who core.Subject, id int64) error {
	if err := requireAdmin(who); err != nil {
		return err
	}
	res, err := s.db.NewDelete().Model((*apBlock)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("block %d: %w", id, core.ErrNotFound)
	}
	return nil
}

// blocked reports whether an actor id, or any URL on a server, is
// blocked: by the actor's id, or by its host or a parent domain.
func (s *Server) blocked(ctx context.Context, id string) (bool, error) {
	var rows []apBlock
	if err := s.db.NewSelect().Model(&rows).Scan(ctx); err != nil {
		return false, store.Translate(err)
	}
	u, err := url.Parse(id)
	if err != nil {
		return false, nil
	}
	host, hostname := strings.ToLower(u.Host), strings.ToLower(u.Hostname())
	for _, b := range rows {
		switch b.Kind {
		case fediverse.BlockActor:
			if b.Value == id {
				return true, nil
			}
		case fediverse.BlockDomain:
			for _, h := range []string{host, hostname} {
				if h == b.Value || strings.HasSuffix(h, "."+b.Value) {
					return true, nil
				}
			}
		}
	}
	return false, nil
}
