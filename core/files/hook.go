package files

import (
	"context"

	"github.com/uptrace/bun"
)

// Added tells of a file added to a folder (a new name, not a new content
// of an existing file).
type Added struct {
	SpaceID *int64 // the tree's space; nil for personal files
	Folder  *Node  // the folder it went in (its ContainerID is the ACL container)
	File    *Node
	By      int64 // who added it (0: anonymous)
}

// Hook hears of changes inside their transaction (a mail to the
// followers of a folder is queued only if the file is committed).
type Hook interface {
	FileAdded(ctx context.Context, tx bun.IDB, e Added) error
}

// AddHook registers h. Call it while wiring the program, before serving.
func (s *Service) AddHook(h Hook) { s.hooks = append(s.hooks, h) }

func (s *Service) added(ctx context.Context, tx bun.IDB, r *Root, folder, file *Node) error {
	if len(s.hooks) == 0 {
		return nil
	}
	e := Added{SpaceID: r.SpaceID, Folder: folder, File: file}
	if file.AuthorID != nil {
		e.By = *file.AuthorID
	}
	for _, h := range s.hooks {
		if err := h.FileAdded(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}
