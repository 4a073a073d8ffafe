package notify

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"plaza/core/files"
	"plaza/core/store"
)

// FileAdded tells the followers of a folder (KindFolder, the folder's
// container) that a file was added to it; it is a files.Hook.
func (s *Service) FileAdded(ctx context.Context, tx bun.IDB, e files.Added) error {
	var slug, by string
	var spaceID int64
	if e.SpaceID != nil {
		spaceID = *e.SpaceID
	}
	err := tx.NewRaw(`SELECT COALESCE((SELECT slug FROM spaces WHERE id = ?), ''), COALESCE((SELECT name FROM accounts WHERE id = ?), '')`,
		spaceID, e.By).Scan(ctx, &slug, &by)
	if err != nil {
		return store.Translate(err)
	}
	base := "/files"
	if slug != "" {
		base = "/s/" + slug + "/files"
	}
	folder := e.Folder.Name
	if folder == "" {
		folder = "/"
	}
	n := Note{Title: fmt.Sprintf("New file in %s: %s", folder, e.File.Name),
		Text: fmt.Sprintf("%s added the file %q to the folder %s.", by, e.File.Name, folder),
		Path: fmt.Sprintf("%s/%d", base, e.File.ID)}
	_, err = s.Announce(ctx, tx, Target{Kind: KindFolder, ID: e.Folder.ContainerID}, e.Folder.ContainerID, e.By, n)
	return err
}
