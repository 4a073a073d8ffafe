package forum

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// NewCategory describes a category to create. Grants nil gives the
// space's members limited (they open topics and reply). Handle is the
// federation name (acct:handle@host) used when the category is public;
// empty means "<space slug>.<slug>".
type NewCategory struct {
	SpaceID     int64
	Slug        string
	Name        string
	Description string
	Handle      string
	Grants      []acl.Grant
}

// CreateCategory adds a category. Only space administrators may.
func (s *Service) CreateCategory(ctx context.Context, who core.Subject, n NewCategory) (*Category, error) {
	return s.createCategory(ctx, who, n, nil)
}

// MirrorCategory adds a category that mirrors a remote group (the remote
// actor remoteActorID) in a space: topics and replies the group shares
// land in it, and what members write in it is sent to the group. Only
// space administrators may.
func (s *Service) MirrorCategory(ctx context.Context, who core.Subject, spaceID int64, name string, remoteActorID int64) (*Category, error) {
	slug := fmt.Sprintf("remote-%d", remoteActorID)
	return s.createCategory(ctx, who, NewCategory{SpaceID: spaceID, Slug: slug, Name: name}, &remoteActorID)
}

func (s *Service) createCategory(ctx context.Context, who core.Subject, n NewCategory, remote *int64) (*Category, error) {
	ok, err := s.isSpaceAdmin(ctx, who, n.SpaceID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: only space administrators create forum categories", core.ErrForbidden)
	}
	if !slugRE.MatchString(n.Slug) {
		return nil, fmt.Errorf("%w: slug must be lower-case letters, digits, '.', '_' or '-'", core.ErrInvalid)
	}
	name, err := checkTitle(n.Name)
	if err != nil {
		return nil, err
	}
	desc, err := checkBody(n.Description, false)
	if err != nil {
		return nil, err
	}
	c := &Category{SpaceID: n.SpaceID, Slug: n.Slug, Description: desc, RemoteActorID: remote, Name: name}
	if remote == nil {
		h := n.Handle
		if h == "" {
			var slug string
			if err := s.db.NewSelect().Table("spaces").Column("slug").Where("id = ?", n.SpaceID).Scan(ctx, &slug); err != nil {
				return nil, fmt.Errorf("space %d: %w", n.SpaceID, store.Translate(err))
			}
			h = slug + "." + n.Slug
		}
		if !slugRE.MatchString(h) {
			return nil, fmt.Errorf("%w: handle must be lower-case letters, digits, '.', '_' or '-'", core.ErrInvalid)
		}
		// Groups, spaces and people share one federation namespace
		// (acct:name@host): a handle may not be a space's slug or a login.
		var taken int
		if err := s.db.NewRaw(`SELECT (SELECT COUNT(*) FROM spaces WHERE slug = ?) + (SELECT COUNT(*) FROM accounts WHERE login = ?)`, h, h).
			Scan(ctx, &taken); err != nil {
			return nil, store.Translate(err)
		}
		if taken > 0 {
			return nil, fmt.Errorf("%w: the handle %q is the name of a space or a person", core.ErrConflict, h)
		}
		c.Handle = &h
	}
	grants := n.Grants
	if grants == nil {
		grants = []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: n.SpaceID, Level: acl.Limited}}
	}
	if !who.IsAnonymous() {
		// Its creator has full on it, as an author on what they write:
		// they may open it to visitors (and so to the fediverse).
		grants = append(slices.Clone(grants), acl.Grant{PrincipalKind: acl.PrincipalUser, PrincipalID: who.AccountID, Level: acl.Full})
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sp := n.SpaceID
		cont := &acl.Container{SpaceID: &sp, Module: core.ModForum, Kind: KindCategory, Name: name}
		if err := acl.CreateContainer(ctx, tx, cont, grants, s.now()); err != nil {
			return err
		}
		c.ContainerID = cont.ID
		c.CreatedAt = cont.CreatedAt
		_, err := tx.NewInsert().Model(c).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("category %q: %w", n.Slug, err)
	}
	return c, nil
}

func (s *Service) selectCategories(db bun.IDB, dst *[]Category) *bun.SelectQuery {
	return db.NewSelect().Model(dst).ColumnExpr("fc.*").ColumnExpr("c.name AS name").
		Join("JOIN containers AS c ON c.id = fc.container_id")
}

// Categories lists the categories of a space who may read.
func (s *Service) Categories(ctx context.Context, who core.Subject, spaceID int64) ([]Category, error) {
	var cs []Category
	q := s.selectCategories(s.db, &cs).Where("fc.space_id = ?", spaceID).Order("c.name")
	err := acl.WhereReadable(q, who, "c").Scan(ctx)
	return cs, store.Translate(err)
}

// Category returns one category who may read.
func (s *Service) Category(ctx context.Context, who core.Subject, id int64) (*Category, error) {
	var cs []Category
	q := s.selectCategories(s.db, &cs).Where("fc.container_id = ?", id)
	if err := acl.WhereReadable(q, who, "c").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("category %d: %w", id, core.ErrNotFound)
	}
	return &cs[0], nil
}

// CategoryByHandle returns the category federated under handle, if who may
// read it (federation asks as an anonymous visitor: only public categories
// are actors).
func (s *Service) CategoryByHandle(ctx context.Context, who core.Subject, handle string) (*Category, error) {
	var cs []Category
	q := s.selectCategories(s.db, &cs).Where("fc.handle = ?", strings.ToLower(handle)).Where("fc.remote_actor_id IS NULL")
	if err := acl.WhereReadable(q, who, "c").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("category %q: %w", handle, core.ErrNotFound)
	}
	return &cs[0], nil
}

// Mirrors lists the local categories mirroring the remote group actorID.
func (s *Service) Mirrors(ctx context.Context, db bun.IDB, actorID int64) ([]Category, error) {
	var cs []Category
	err := s.selectCategories(db, &cs).Where("fc.remote_actor_id = ?", actorID).Scan(ctx)
	return cs, store.Translate(err)
}

func (s *Service) categoryTx(ctx context.Context, db bun.IDB, id int64) (*Category, error) {
	var cs []Category
	if err := s.selectCategories(db, &cs).Where("fc.container_id = ?", id).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("category %d: %w", id, core.ErrNotFound)
	}
	return &cs[0], nil
}

// SetPublic opens a category to anonymous visitors (read) or closes it;
// a public category federates as a Group. Needs full on it.
func (s *Service) SetPublic(ctx context.Context, who core.Subject, categoryID int64, public bool) error {
	c, err := s.Category(ctx, who, categoryID)
	if err != nil {
		return err
	}
	if c.RemoteActorID != nil {
		return fmt.Errorf("%w: a category mirroring another server's group is not published here", core.ErrInvalid)
	}
	return s.eng.SetPublic(ctx, who, categoryID, 0, public)
}
