package calendar

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// Move takes the object stored as name out of from and puts it into to
// under the same name: an event moved to another calendar. It needs to
// remove the item from from and to add to to; a resource calendar checks
// its bookings. The object keeps its other calendars.
func (s *Store) Move(ctx context.Context, who core.Subject, from *Collection, name string, to *Collection) error {
	if from.ContainerID == to.ContainerID {
		return nil
	}
	if from.Kind != to.Kind {
		return fmt.Errorf("%w: a %s item stays in a %s", core.ErrInvalid, from.Kind, from.Kind)
	}
	if s.backedBy(from) != nil || s.backedBy(to) != nil {
		return fmt.Errorf("%w: an item shown from another module belongs to its collection alone", core.ErrForbidden)
	}
	if err := decide(who, to, 0, false, acl.PrivBind); err != nil {
		return err
	}
	return store.Translate(s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var cur []Object
		if err := tx.NewRaw(`SELECT `+objectCols+`, o.data FROM dav_members m JOIN dav_objects o ON o.id = m.object_id
			WHERE m.collection_id = ? AND m.name = ?`, from.ContainerID, name).Scan(ctx, &cur); err != nil {
			return err
		}
		if len(cur) == 0 {
			return fmt.Errorf("%q: %w", name, core.ErrNotFound)
		}
		o := cur[0]
		var author int64
		if o.AuthorID != nil {
			author = *o.AuthorID
		}
		if err := decide(who, from, author, true, acl.PrivUnbind); err != nil {
			return err
		}
		m, err := s.codec.Parse([]byte(o.Data))
		if err != nil {
			return err
		}
		if s.kind == KindCalendar && !to.HasComponent(m.Component) {
			return violation(CodeUnsupportedComponent, core.ErrForbidden, "this calendar does not hold %s", m.Component)
		}
		if s.check != nil {
			if err := s.check(ctx, tx, to, o.ID, []byte(o.Data), m); err != nil {
				return err
			}
		}
		if _, err := tx.NewRaw(`UPDATE dav_members SET collection_id = ? WHERE collection_id = ? AND name = ?`,
			to.ContainerID, from.ContainerID, name).Exec(ctx); err != nil {
			if errors.Is(store.Translate(err), core.ErrConflict) {
				return &Violation{Code: CodeUIDConflict, Err: core.ErrConflict, Href: name,
					Reason: "the target already has a resource with this name or UID"}
			}
			return err
		}
		if err := logChange(ctx, tx, from.ContainerID, name, true); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, Change{Kind: EventAdded, Collection: to, Name: name, Summary: summaryOf(o.Data), By: who.AccountID}); err != nil {
			return err
		}
		return logChange(ctx, tx, to.ContainerID, name, false)
	}))
}

// HeldIn returns the ids of the collections that hold object id (one
// event in several calendars); callers keep those their reader may see.
func (s *Store) HeldIn(ctx context.Context, id int64) ([]int64, error) {
	var out []int64
	err := s.db.NewRaw(`SELECT collection_id FROM dav_members WHERE object_id = ? ORDER BY collection_id`, id).Scan(ctx, &out)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, store.Translate(err)
	}
	return out, nil
}
