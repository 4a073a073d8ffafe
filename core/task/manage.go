package task

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// Move moves a task to another list (needs unbind on the task: its
// author, or write on its list; and bind on the target). It keeps its
// status when the target has one of the same name, else takes the
// target's first; it goes last; its VTODO moves to the target's calendar.
func (s *Service) Move(ctx context.Context, who core.Subject, id, toListID int64) (*Task, error) {
	t, err := s.get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if t.ContainerID == toListID {
		return t, nil
	}
	if !acl.Allows(t.Level, false, acl.PrivUnbind) {
		return nil, &acl.DeniedError{Need: acl.PrivUnbind, Have: t.Level}
	}
	if err := s.acl.Decide(ctx, who, acl.Target{ContainerID: toListID}, acl.PrivBind); err != nil {
		return nil, err
	}
	if _, err := s.List(ctx, who, toListID); err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		from, err := s.statuses(ctx, tx, t.ContainerID)
		if err != nil {
			return err
		}
		name := ""
		for _, st := range from {
			if st.ID == t.StatusID {
				name = st.Name
			}
		}
		to, err := s.statuses(ctx, tx, toListID)
		if err != nil {
			return err
		}
		if len(to) == 0 {
			return fmt.Errorf("%w: the list has no status", core.ErrConflict)
		}
		t.StatusID = to[0].ID
		for _, st := range to {
			if st.Name == name {
				t.StatusID = st.ID
			}
		}
		if err := s.unproject(ctx, tx, t); err != nil {
			return err
		}
		if err := tx.NewRaw(`SELECT COALESCE(MAX(position), 0) + 1 FROM tasks WHERE container_id = ?`, toListID).Scan(ctx, &t.Position); err != nil {
			return err
		}
		t.ContainerID, t.ObjectID, t.UpdatedAt, t.UpdatedBy = toListID, nil, s.now().UTC(), &who.AccountID
		if _, err := tx.NewUpdate().Model(t).WherePK().
			Column("container_id", "status_id", "position", "object_id", "updated_at", "updated_by").Exec(ctx); err != nil {
			return err
		}
		return s.project(ctx, tx, t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// CanDeleteComment reports whether who may delete c: its author, whoever
// has full on the task's list, and the administrators of its space.
func (s *Service) CanDeleteComment(ctx context.Context, who core.Subject, t *Task, c *Comment) (bool, error) {
	if who.IsAnonymous() {
		return false, nil
	}
	if c.AuthorID != nil && *c.AuthorID == who.AccountID {
		return true, nil
	}
	l, err := s.acl.Level(ctx, who, acl.Target{ContainerID: t.ContainerID})
	if err != nil || l >= acl.Full {
		return err == nil, err
	}
	var spaceID *int64
	if err := s.db.NewRaw(`SELECT space_id FROM containers WHERE id = ?`, t.ContainerID).Scan(ctx, &spaceID); err != nil {
		return false, store.Translate(err)
	}
	if spaceID == nil {
		return false, nil
	}
	return acl.SpaceAdmin(ctx, s.db, who, *spaceID)
}

// DeleteComment deletes a comment of a task (CanDeleteComment).
func (s *Service) DeleteComment(ctx context.Context, who core.Subject, taskID, commentID int64) error {
	t, err := s.get(ctx, who, taskID)
	if err != nil {
		return err
	}
	c := new(Comment)
	if err := s.db.NewSelect().Model(c).Where("id = ? AND task_id = ?", commentID, taskID).Scan(ctx); err != nil {
		return fmt.Errorf("comment %d: %w", commentID, store.Translate(err))
	}
	ok, err := s.CanDeleteComment(ctx, who, t, c)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: only its author and the space's administrators delete a comment", core.ErrForbidden)
	}
	_, err = s.db.NewDelete().Model(c).WherePK().Exec(ctx)
	return store.Translate(err)
}

// StatusLabel is the English name of a status: the default statuses are
// message keys ("status.to_validate" is "To validate"), others are the
// names people gave them. Mails use it; the web UI translates the keys.
func StatusLabel(name string) string {
	key, ok := strings.CutPrefix(name, "status.")
	if !ok || key == "" {
		return name
	}
	key = strings.ReplaceAll(key, "_", " ")
	return strings.ToUpper(key[:1]) + key[1:]
}
