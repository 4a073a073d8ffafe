package calendar

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// Backing is a module whose own rows a collection shows: a task list is
// also a calendar of VTODOs. The collection's acl container is the
// module's (so one ACL decides for both views), the objects are a
// projection the module keeps up to date with Project and Unproject, and
// what a DAV client writes reaches the module through PutItem and
// DeleteItem, inside the write's transaction: both views change together
// or not at all.
type Backing interface {
	// PutItem applies data, just stored as objectID in c by who, to the
	// module's rows. An error refuses the write.
	PutItem(ctx context.Context, tx bun.Tx, who core.Subject, c *Collection, objectID int64, data []byte) error
	// DeleteItem removes the module's row behind objectID, which who is
	// deleting from c.
	DeleteItem(ctx context.Context, tx bun.Tx, who core.Subject, c *Collection, objectID int64) error
}

// Back routes the collections whose acl container is of containerKind to
// b. Call it while wiring, before serving.
func (s *Store) Back(containerKind string, b Backing) {
	if s.backing == nil {
		s.backing = map[string]Backing{}
	}
	s.backing[containerKind] = b
}

func (s *Store) backedBy(c *Collection) Backing {
	if c.ContainerKind == "" || c.ContainerKind == string(s.kind) {
		return nil
	}
	return s.backing[c.ContainerKind]
}

// BackedSlug is the slug of the collection showing container id of
// another module: "tasks-12" (its segment is "tasks-12@SPACE").
func BackedSlug(prefix string, containerID int64) string {
	return prefix + "-" + strconv.FormatInt(containerID, 10)
}

// Attach makes the collection that shows container id (a container of a
// backing module, in space spaceID) unless it exists. components are the
// component types it holds.
func (s *Store) Attach(ctx context.Context, tx bun.IDB, containerID, spaceID int64, slug string, components string) error {
	_, err := tx.NewRaw(`INSERT INTO dav_collections (container_id, kind, scope, slug, components) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (container_id) DO NOTHING`, containerID, s.kind, "s"+strconv.FormatInt(spaceID, 10), slug, components).Exec(ctx)
	return store.Translate(err)
}

// Project stores data as the object behind a row of a backing module in
// the collection of container collectionID, without asking the backing
// module back: objectID 0 adds a new object named name, otherwise that
// object is replaced. It returns the object's id. The module has checked
// access; data must be valid for the store's codec.
func (s *Store) Project(ctx context.Context, tx bun.Tx, collectionID, objectID int64, name string, data []byte, authorID *int64) (int64, error) {
	m, err := s.codec.Parse(data)
	if err != nil {
		return 0, err
	}
	etag := etagOf(data)
	now := s.now().UTC()
	if objectID != 0 {
		var names []string
		if err := tx.NewRaw(`SELECT name FROM dav_members WHERE object_id = ? AND collection_id = ?`, objectID, collectionID).
			Scan(ctx, &names); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		if len(names) > 0 {
			if err := updateObject(ctx, tx, objectID, data, etag, m, now); err != nil {
				return 0, err
			}
			return objectID, logChange(ctx, tx, collectionID, names[0], false)
		}
		// the object went (its collection was rebuilt): make a new one
	}
	if objectID, err = insertObject(ctx, tx, data, etag, m, authorID, now); err != nil {
		return 0, err
	}
	if err := addMember(ctx, tx, collectionID, name, objectID, m.UID); err != nil {
		return 0, fmt.Errorf("%s: %w", name, store.Translate(err))
	}
	return objectID, logChange(ctx, tx, collectionID, name, false)
}

// ProjectedData returns the stored data of object id ("" when it is gone).
func (s *Store) ProjectedData(ctx context.Context, tx bun.IDB, objectID int64) (string, error) {
	var data []string
	err := tx.NewRaw(`SELECT data FROM dav_objects WHERE id = ?`, objectID).Scan(ctx, &data)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", store.Translate(err)
	}
	if len(data) == 0 {
		return "", nil
	}
	return data[0], nil
}

// Unproject removes the object behind a row of a backing module.
func (s *Store) Unproject(ctx context.Context, tx bun.Tx, objectID int64) error {
	var members []struct {
		CollectionID int64  `bun:"collection_id"`
		Name         string `bun:"name"`
	}
	if err := tx.NewRaw(`SELECT collection_id, name FROM dav_members WHERE object_id = ?`, objectID).Scan(ctx, &members); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if _, err := tx.NewRaw(`DELETE FROM dav_objects WHERE id = ?`, objectID).Exec(ctx); err != nil {
		return err
	}
	for _, m := range members {
		if err := logChange(ctx, tx, m.CollectionID, m.Name, true); err != nil {
			return err
		}
	}
	return nil
}
