package files

import (
	"context"
	"errors"
	"sort"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// Folder is a folder of a tree and its path, a place to move or copy to.
type Folder struct {
	ID   int64
	Path Path
}

// Destinations lists up to limit folders of tree r where who may add
// items (the root first, then by path): what a move or copy dialog offers.
// Folders in the trash, or inside a folder who may not read, are left out.
func (s *Service) Destinations(ctx context.Context, who core.Subject, r *Root, limit int) ([]Folder, error) {
	var dirs []Node
	err := s.selectNodes(s.db.DB, who, &dirs).Where("n.root_id = ? AND n.is_dir AND n.trashed_at IS NULL", r.ContainerID).
		Order("n.id").Limit(10000).Scan(ctx)
	if err = store.Translate(err); err != nil && !errors.Is(err, core.ErrNotFound) {
		return nil, err
	}
	byID := make(map[int64]*Node, len(dirs))
	for i := range dirs {
		byID[dirs[i].ID] = &dirs[i]
	}
	paths := map[int64]Path{}
	var pathTo func(n *Node, depth int) (Path, bool)
	pathTo = func(n *Node, depth int) (Path, bool) {
		if p, ok := paths[n.ID]; ok {
			return p, p != nil
		}
		if n.Level < acl.Read || depth > MaxDepth {
			return nil, false
		}
		if n.ParentID == nil {
			paths[n.ID] = Path{}
			return Path{}, true
		}
		parent, ok := byID[*n.ParentID]
		if !ok {
			return nil, false
		}
		pp, ok := pathTo(parent, depth+1)
		if !ok {
			paths[n.ID] = nil
			return nil, false
		}
		p := append(append(Path{}, pp...), n.Name)
		paths[n.ID] = p
		return p, true
	}
	var out []Folder
	for i := range dirs {
		n := &dirs[i]
		if p, ok := pathTo(n, 0); ok && n.Allows(acl.PrivBind) {
			out = append(out, Folder{ID: n.ID, Path: p})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path.String() < out[j].Path.String() })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
