package files

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/store"
)

// Version is a previous content of a file.
type Version struct {
	bun.BaseModel `bun:"table:file_versions,alias:v"`

	ID          int64 `bun:",pk,autoincrement"`
	NodeID      int64
	BlobHash    string
	Size        int64
	ContentType string
	ETag        string `bun:"etag"`
	AuthorID    *int64 `bun:",nullzero"`
	ModifiedAt  time.Time
	CreatedAt   time.Time // when it was replaced
}

// Versions lists the previous contents of file id, newest first, for
// anyone who may read the file.
func (s *Service) Versions(ctx context.Context, who core.Subject, id int64) (*Node, []Version, error) {
	n, err := s.Node(ctx, who, id)
	if err != nil {
		return nil, nil, err
	}
	if n.IsDir || n.TrashedAt != nil {
		return nil, nil, fmt.Errorf("file %d: %w", id, core.ErrNotFound)
	}
	var vs []Version
	err = s.db.NewSelect().Model(&vs).Where("node_id = ?", id).Order("id DESC").Scan(ctx)
	return n, vs, store.Translate(err)
}

// Version returns one version of file id.
func (s *Service) Version(ctx context.Context, who core.Subject, id, versionID int64) (*Node, *Version, error) {
	n, err := s.Node(ctx, who, id)
	if err != nil {
		return nil, nil, err
	}
	v := new(Version)
	if err := s.db.NewSelect().Model(v).Where("id = ? AND node_id = ?", versionID, id).Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("version %d: %w", versionID, store.Translate(err))
	}
	return n, v, nil
}

// OpenVersion returns the content of a version.
func (s *Service) OpenVersion(v *Version) (blob.File, error) { return s.blobs.Open(v.BlobHash) }

// RestoreVersion makes a version the current content of its file; the
// content it replaces becomes a version in turn.
func (s *Service) RestoreVersion(ctx context.Context, who core.Subject, id, versionID int64) (*Node, error) {
	n, v, err := s.Version(ctx, who, id, versionID)
	if err != nil {
		return nil, err
	}
	if err := n.Need(acl.PrivWriteContent); err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkNodeLocks(ctx, tx, n, false); err != nil {
			return err
		}
		now := s.now().UTC()
		res, err := tx.NewDelete().Model(v).WherePK().Exec(ctx)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("version %d: %w", versionID, core.ErrNotFound)
		}
		cur := new(Node)
		if err := s.forUpdate(tx.NewSelect().Model(cur).Where("n.id = ?", id)).Scan(ctx); err != nil {
			return err
		}
		// The current content is kept even when empty: a restore is undoable.
		cv := &Version{NodeID: id, BlobHash: cur.BlobHash, Size: cur.Size, ContentType: cur.ContentType,
			ETag: cur.ETag, AuthorID: cur.AuthorID, ModifiedAt: cur.ModifiedAt, CreatedAt: now}
		if _, err := tx.NewInsert().Model(cv).Exec(ctx); err != nil {
			return err
		}
		n.BlobHash, n.Size, n.ETag, n.ContentType, n.ModifiedAt = v.BlobHash, v.Size, v.ETag, v.ContentType, now
		if _, err = tx.NewUpdate().Model(n).Column("blob_hash", "size", "etag", "content_type", "modified_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.touchParent(ctx, tx, n, now)
	})
	return n, err
}

// DeleteVersion drops one version.
func (s *Service) DeleteVersion(ctx context.Context, who core.Subject, id, versionID int64) error {
	n, v, err := s.Version(ctx, who, id, versionID)
	if err != nil {
		return err
	}
	if err := n.Need(acl.PrivWriteContent); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model(v).WherePK().Exec(ctx)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("version %d: %w", versionID, core.ErrNotFound)
		}
		return s.blobs.Unref(ctx, tx, v.BlobHash)
	})
}
