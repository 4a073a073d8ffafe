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

// Prop is a dead property: one a client set and the server keeps as is.
// Value is the XML inside the property element.
type Prop struct {
	bun.BaseModel `bun:"table:file_props,alias:p"`

	NodeID    int64  `bun:",pk"`
	Namespace string `bun:",pk"`
	Name      string `bun:",pk"`
	Value     string
}

// Limits on dead properties.
const (
	MaxProps     = 256      // per node
	MaxPropValue = 64 << 10 // bytes of one value
)

// Props returns the dead properties of nodes ids, by node.
func (s *Service) Props(ctx context.Context, ids ...int64) (map[int64][]Prop, error) {
	out := map[int64][]Prop{}
	if len(ids) == 0 {
		return out, nil
	}
	for start := 0; start < len(ids); start += 500 {
		end := min(start+500, len(ids))
		var ps []Prop
		var err error
		if end-start == 1 {
			// One node (PROPFIND Depth 0, a GET): a reused prepared statement.
			err = s.db.All(ctx, s.db.DB, `SELECT node_id, namespace, name, value FROM file_props WHERE node_id = ?
				ORDER BY namespace, name`, []any{ids[start]}, &ps)
		} else {
			err = s.db.NewSelect().Model(&ps).Where("node_id IN (?)", bun.In(ids[start:end])).
				Order("node_id", "namespace", "name").Scan(ctx)
		}
		if err != nil && !errors.Is(store.Translate(err), core.ErrNotFound) {
			return nil, store.Translate(err)
		}
		for _, p := range ps {
			out[p.NodeID] = append(out[p.NodeID], p)
		}
	}
	return out, nil
}

// PropOp sets (Remove false) or removes one property.
type PropOp struct {
	Namespace, Name, Value string
	Remove                 bool
}

// PatchProps applies ops to n's dead properties, all or none.
func (s *Service) PatchProps(ctx context.Context, who core.Subject, n *Node, ops []PropOp, check func(*Node) error) error {
	if err := n.Need(acl.PrivWriteProperties); err != nil {
		return err
	}
	for _, op := range ops {
		if op.Name == "" || len(op.Value) > MaxPropValue || len(op.Namespace) > 1024 || len(op.Name) > 1024 {
			return fmt.Errorf("%w: property name or value too long", core.ErrInvalid)
		}
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkNodeLocks(ctx, tx, n, false); err != nil {
			return err
		}
		if check != nil {
			if err := check(n); err != nil {
				return err
			}
		}
		for _, op := range ops {
			var err error
			if op.Remove {
				_, err = tx.NewRaw(`DELETE FROM file_props WHERE node_id = ? AND namespace = ? AND name = ?`,
					n.ID, op.Namespace, op.Name).Exec(ctx)
			} else {
				_, err = tx.NewRaw(`INSERT INTO file_props (node_id, namespace, name, value) VALUES (?, ?, ?, ?)
					ON CONFLICT (node_id, namespace, name) DO UPDATE SET value = EXCLUDED.value`,
					n.ID, op.Namespace, op.Name, op.Value).Exec(ctx)
			}
			if err != nil {
				return store.Translate(err)
			}
		}
		var k int
		if err := tx.NewRaw(`SELECT COUNT(*) FROM file_props WHERE node_id = ?`, n.ID).Scan(ctx, &k); err != nil {
			return store.Translate(err)
		}
		if k > MaxProps {
			return fmt.Errorf("%w: more than %d properties", core.ErrInvalid, MaxProps)
		}
		return nil
	})
}

// SetModTime records a client's modification time (Windows'
// Win32LastModifiedTime) on n.
func (s *Service) SetModTime(ctx context.Context, who core.Subject, n *Node, t time.Time) error {
	if err := n.Need(acl.PrivWriteProperties); err != nil {
		return err
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkNodeLocks(ctx, tx, n, false); err != nil {
			return err
		}
		if _, err := tx.NewRaw(`UPDATE file_nodes SET modified_at = ? WHERE id = ?`, t.UTC(), n.ID).Exec(ctx); err != nil {
			return err
		}
		return s.touchParent(ctx, tx, n, s.now().UTC())
	})
	if err == nil {
		n.ModifiedAt = t.UTC()
	}
	return err
}
