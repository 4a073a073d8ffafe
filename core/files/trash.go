package files

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

func (s *Service) trashCutoff() time.Time {
	return s.now().Add(-time.Duration(s.trashDays) * 24 * time.Hour).UTC()
}

// Trash lists the deleted items of tree r that who may read, newest
// first. Their TrashPath says where they were.
func (s *Service) Trash(ctx context.Context, who core.Subject, r *Root) ([]Node, error) {
	var ns []Node
	expr, args := levelExpr(who)
	err := s.selectNodes(s.db.DB, who, &ns).
		Where("n.root_id = ? AND n.trashed_at IS NOT NULL AND n.trashed_at > ?", r.ContainerID, s.trashCutoff()).
		Where("("+expr+") >= ?", append(args, acl.Read)...).
		Order("n.trashed_at DESC", "n.id DESC").Scan(ctx)
	for i := range ns {
		itemLevel(&ns[i])
	}
	return ns, store.Translate(err)
}

// TrashedNode returns one deleted item of tree r.
func (s *Service) TrashedNode(ctx context.Context, who core.Subject, r *Root, id int64) (*Node, error) {
	n, err := s.Node(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if n.RootID != r.ContainerID || n.TrashedAt == nil || !n.TrashedAt.After(s.trashCutoff()) {
		return nil, fmt.Errorf("trash item %d: %w", id, core.ErrNotFound)
	}
	return n, nil
}

// Restore puts a deleted item back, at dst or (dst nil) where it was.
func (s *Service) Restore(ctx context.Context, who core.Subject, r *Root, id int64, dst Path) (*Node, error) {
	n, err := s.TrashedNode(ctx, who, r, id)
	if err != nil {
		return nil, err
	}
	if err := n.Need(acl.PrivUnbind); err != nil {
		return nil, err
	}
	if dst == nil {
		dst = SplitPath(n.TrashPath)
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		parent, name, err := s.parentOf(ctx, tx, who, r, dst)
		if err != nil {
			return err
		}
		if err := parent.Need(acl.PrivBind); err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, r.ContainerID, dst, false); err != nil {
			return err
		}
		if old, err := s.existing(ctx, tx, who, parent, name, true); err != nil || old != nil {
			if err == nil {
				err = ErrExists
			}
			return err
		}
		now := s.now().UTC()
		cont := parent.ContainerID
		if n.IsDir {
			cont = n.ContainerID
			if _, err := tx.NewRaw(`UPDATE containers SET parent_id = ?, name = ?, updated_at = ? WHERE id = ?`,
				parent.ContainerID, name, now, n.ContainerID).Exec(ctx); err != nil {
				return store.Translate(err)
			}
		}
		res, err := tx.NewRaw(`UPDATE file_nodes SET parent_id = ?, name = ?, container_id = ?, trashed_at = NULL,
			trashed_by = NULL, trash_path = '' WHERE id = ? AND trashed_at IS NOT NULL`, parent.ID, name, cont, n.ID).Exec(ctx)
		if err != nil {
			return store.Translate(err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("trash item %d: %w", id, core.ErrNotFound)
		}
		n.ParentID, n.Name, n.ContainerID, n.TrashedAt, n.TrashPath = &parent.ID, name, cont, nil, ""
		return s.touch(ctx, tx, parent.ID, now)
	})
	return n, err
}

// SplitPath turns "/a/b" into a Path.
func SplitPath(p string) Path {
	var out Path
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if i > start {
				out = append(out, p[start:i])
			}
			start = i + 1
		}
	}
	if out == nil {
		out = Path{}
	}
	return out
}

// Purge deletes a trashed item for good.
func (s *Service) Purge(ctx context.Context, who core.Subject, r *Root, id int64) error {
	n, err := s.TrashedNode(ctx, who, r, id)
	if err != nil {
		return err
	}
	if err := n.Need(acl.PrivUnbind); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if n.IsDir {
			if err := needDeleteTree(ctx, tx, who, id); err != nil {
				return err
			}
		}
		return s.purge(ctx, tx, id)
	})
}

// EmptyTrash purges every trashed item of r who may delete, and returns
// how many.
func (s *Service) EmptyTrash(ctx context.Context, who core.Subject, r *Root) (int, error) {
	ns, err := s.Trash(ctx, who, r)
	if err != nil {
		return 0, err
	}
	k := 0
	for _, n := range ns {
		if !n.Allows(acl.PrivUnbind) {
			continue
		}
		err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if n.IsDir {
				if err := needDeleteTree(ctx, tx, who, n.ID); err != nil {
					return err
				}
			}
			return s.purge(ctx, tx, n.ID)
		})
		if errors.Is(err, ErrHeldBack) {
			continue
		}
		if err != nil && !errors.Is(err, core.ErrNotFound) {
			return k, err
		}
		k++
	}
	return k, nil
}

// Sweep purges, in every tree, what has been in the trash longer than
// the retention. Run it periodically.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	var ids []int64
	err := s.db.NewRaw(`SELECT id FROM file_nodes WHERE trashed_at IS NOT NULL AND trashed_at <= ?`, s.trashCutoff()).
		Scan(ctx, &ids)
	if err = store.Translate(err); err != nil && !errors.Is(err, core.ErrNotFound) {
		return 0, err
	}
	k := 0
	for _, id := range ids {
		err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { return s.purge(ctx, tx, id) })
		if err != nil && !errors.Is(err, core.ErrNotFound) {
			return k, err
		}
		k++
	}
	return k, nil
}

// Maintain runs the periodic work of the file trees: it purges what
// stayed in the trash past the retention and deletes expired locks. Run
// it next to blob.Store.Collect, which then frees the purged content.
func (s *Service) Maintain(ctx context.Context) (purged int, err error) {
	if purged, err = s.Sweep(ctx); err != nil {
		return purged, err
	}
	return purged, s.SweepLocks(ctx)
}

const subtree = `WITH RECURSIVE sub(id) AS (SELECT id FROM file_nodes WHERE id = ?
	UNION ALL SELECT f.id FROM file_nodes f JOIN sub ON f.parent_id = sub.id) `

// purge deletes node id, what it holds, their versions and properties,
// the containers of its folders, and drops the blob references.
func (s *Service) purge(ctx context.Context, tx bun.Tx, id int64) error {
	var hashes []string
	err := tx.NewRaw(subtree+`SELECT blob_hash FROM file_nodes WHERE id IN (SELECT id FROM sub) AND NOT is_dir
		UNION ALL SELECT blob_hash FROM file_versions WHERE node_id IN (SELECT id FROM sub)`, id).Scan(ctx, &hashes)
	if err != nil && !errors.Is(store.Translate(err), core.ErrNotFound) {
		return store.Translate(err)
	}
	var conts []int64
	err = tx.NewRaw(subtree+`SELECT container_id FROM file_nodes WHERE id IN (SELECT id FROM sub) AND is_dir`, id).Scan(ctx, &conts)
	if err != nil && !errors.Is(store.Translate(err), core.ErrNotFound) {
		return store.Translate(err)
	}
	for _, h := range hashes {
		if err := s.blobs.Unref(ctx, tx, h); err != nil {
			return err
		}
	}
	if _, err := tx.NewRaw(`DELETE FROM file_nodes WHERE id = ?`, id).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	if len(conts) > 0 {
		if _, err := tx.NewRaw(`DELETE FROM containers WHERE id IN (?)`, bun.In(conts)).Exec(ctx); err != nil {
			return store.Translate(err)
		}
	}
	return nil
}
