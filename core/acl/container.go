package acl

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// Container is the unit grants are given on.
type Container struct {
	bun.BaseModel `bun:"table:containers,alias:c"`

	ID        int64       `bun:",pk,autoincrement" json:"id"`
	SpaceID   *int64      `json:"space_id"` // nil: a personal container of OwnerID
	Module    core.Module `json:"module"`
	ParentID  *int64      `json:"parent_id"`
	Kind      string      `json:"kind"` // folder, calendar, addressbook, topic, category, tasklist, wikifolder, item…
	Name      string      `json:"name"`
	OwnerID   *int64      `json:"owner_id"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// PrincipalKind says whom a grant names.
type PrincipalKind string

const (
	PrincipalUser      PrincipalKind = "user"
	PrincipalGroup     PrincipalKind = "group"
	PrincipalSpace     PrincipalKind = "space" // all members of the space PrincipalID
	PrincipalAnonymous PrincipalKind = "anonymous"
)

// Grant gives a principal a level on a container.
type Grant struct {
	bun.BaseModel `bun:"table:grants"`

	ContainerID   int64         `bun:",pk" json:"-"`
	PrincipalKind PrincipalKind `bun:",pk" json:"principal_kind"`
	PrincipalID   int64         `bun:",pk" json:"principal_id"`
	Level         Level         `json:"level"`
}

func (g Grant) validate() error {
	switch g.PrincipalKind {
	case PrincipalUser, PrincipalGroup, PrincipalSpace:
		if g.PrincipalID <= 0 {
			return fmt.Errorf("%w: a %s grant needs a principal id", core.ErrInvalid, g.PrincipalKind)
		}
	case PrincipalAnonymous:
		if g.PrincipalID != 0 {
			return fmt.Errorf("%w: an anonymous grant names no principal", core.ErrInvalid)
		}
		if g.Level > Read {
			return fmt.Errorf("%w: anonymous visitors may only read", core.ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: unknown principal kind %q", core.ErrInvalid, g.PrincipalKind)
	}
	if g.Level < Read || g.Level > Full {
		return fmt.Errorf("%w: level must be read, limited, write or full", core.ErrInvalid)
	}
	return nil
}

// CreateContainer stores c with grants, in the caller's transaction. With
// grants nil and a parent, the parent's grants are copied: a new folder
// starts with the rights of the folder it is made in.
func CreateContainer(ctx context.Context, db bun.IDB, c *Container, grants []Grant, now time.Time) error {
	if !c.Module.Valid() {
		return fmt.Errorf("%w: unknown module %q", core.ErrInvalid, c.Module)
	}
	if c.Kind == "" || c.Name == "" || utf8.RuneCountInString(c.Name) > 255 || strings.ContainsRune(c.Name, 0) {
		return fmt.Errorf("%w: a container needs a kind and a name of at most 255 characters", core.ErrInvalid)
	}
	if c.SpaceID == nil && c.OwnerID == nil {
		return fmt.Errorf("%w: a personal container needs an owner", core.ErrInvalid)
	}
	c.CreatedAt, c.UpdatedAt = now.UTC(), now.UTC()
	if _, err := db.NewInsert().Model(c).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	if grants == nil && c.ParentID != nil {
		_, err := db.NewRaw(`INSERT INTO grants (container_id, principal_kind, principal_id, level)
			SELECT ?, principal_kind, principal_id, level FROM grants WHERE container_id = ?`, c.ID, *c.ParentID).Exec(ctx)
		return store.Translate(err)
	}
	return SetGrants(ctx, db, c.ID, grants)
}

// GetContainer loads a container.
func GetContainer(ctx context.Context, db bun.IDB, id int64) (*Container, error) {
	c := new(Container)
	if err := db.NewSelect().Model(c).Where("c.id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("container %d: %w", id, store.Translate(err))
	}
	return c, nil
}

// SetGrants replaces the grants of a container, in the caller's transaction.
func SetGrants(ctx context.Context, db bun.IDB, containerID int64, grants []Grant) error {
	for i := range grants {
		grants[i].ContainerID = containerID
		if err := grants[i].validate(); err != nil {
			return err
		}
	}
	if _, err := db.NewDelete().Model((*Grant)(nil)).Where("container_id = ?", containerID).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	if len(grants) == 0 {
		return nil
	}
	_, err := db.NewInsert().Model(&grants).Exec(ctx)
	return store.Translate(err)
}

// Grants lists the grants of a container.
func Grants(ctx context.Context, db bun.IDB, containerID int64) ([]Grant, error) {
	var gs []Grant
	err := db.NewSelect().Model(&gs).Where("container_id = ?", containerID).
		Order("principal_kind", "principal_id").Scan(ctx)
	return gs, store.Translate(err)
}

// AddGrant adds one grant to a container unless its principal already has
// one there, in the caller's transaction.
func AddGrant(ctx context.Context, db bun.IDB, containerID int64, g Grant) error {
	g.ContainerID = containerID
	if err := g.validate(); err != nil {
		return err
	}
	_, err := db.NewInsert().Model(&g).On("CONFLICT DO NOTHING").Exec(ctx)
	return store.Translate(err)
}
