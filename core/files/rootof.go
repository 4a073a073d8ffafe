package files

import (
	"context"
	"fmt"

	"plaza/core/store"
)

// RootOf returns the tree a node belongs to.
func (s *Service) RootOf(ctx context.Context, n *Node) (*Root, error) {
	r := new(Root)
	if err := s.db.NewSelect().Model(r).Where("r.container_id = ?", n.RootID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tree of file %d: %w", n.ID, store.Translate(err))
	}
	err := s.db.NewRaw(`SELECT id FROM file_nodes WHERE root_id = ? AND parent_id IS NULL`, r.ContainerID).Scan(ctx, &r.NodeID)
	return r, store.Translate(err)
}
