package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/store"
)

// ErrExists is returned when a name is already taken and may not be
// replaced.
var ErrExists = fmt.Errorf("%w: name already taken", core.ErrConflict)

// ErrNoParent is returned when the folder a name should go in is missing
// or is a file.
var ErrNoParent = fmt.Errorf("%w: parent folder missing", core.ErrConflict)

// ErrOtherTree is returned for a move or copy between two trees.
var ErrOtherTree = fmt.Errorf("%w: cannot move or copy between trees", core.ErrForbidden)

// Open returns the content of file n.
func (s *Service) Open(n *Node) (blob.File, error) {
	if n.IsDir {
		return nil, fmt.Errorf("%w: a folder has no content", core.ErrInvalid)
	}
	if n.BlobHash == "" {
		return nil, fmt.Errorf("%w: file %d as listed: look it up to open it", core.ErrInvalid, n.ID)
	}
	return s.blobs.Open(n.BlobHash)
}

// parentOf looks up the folder p goes in; ErrNoParent when missing.
func (s *Service) parentOf(ctx context.Context, db bun.IDB, who core.Subject, r *Root, p Path) (*Node, string, error) {
	if len(p) == 0 {
		return nil, "", fmt.Errorf("%w: the root has no parent", core.ErrForbidden)
	}
	pp, name := p.Parent()
	if err := ValidName(name); err != nil {
		return nil, "", err
	}
	parent, err := s.lookup(ctx, db, who, r, pp)
	if errors.Is(err, core.ErrNotFound) && len(pp) > 0 {
		// A missing folder and one who may not see look the same.
		return nil, "", ErrNoParent
	}
	if err != nil {
		return nil, "", err
	}
	if !parent.IsDir {
		return nil, "", ErrNoParent
	}
	return parent, name, nil
}

// existing returns the live node named name in parent, or nil.
func (s *Service) existing(ctx context.Context, db bun.IDB, who core.Subject, parent *Node, name string, lock bool) (*Node, error) {
	n := new(Node)
	q, args := s.nodeQuery(who, "n.parent_id = ? AND n.name = ? AND n.trashed_at IS NULL", lock)
	err := store.Translate(s.db.Get(ctx, db, q, append(args, parent.ID, name), n))
	if errors.Is(err, core.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	itemLevel(n)
	if n.Level < acl.Read {
		// A sub-folder the subject cannot see holds the name (files take
		// their folder's grants, so only folders hide in a visible one).
		// The name is taken either way; answer as for a folder the subject
		// may read but not change, so the answer tells nothing more than
		// that (issue 20, item 4).
		n.Level = acl.Read
	}
	return n, nil
}

// PutOptions tune Put.
type PutOptions struct {
	ContentType string
	// ModTime, when set, is the modification time to record (a client's
	// X-OC-Mtime); otherwise now.
	ModTime time.Time
	// Size, when positive, is the expected size: a write that cannot fit
	// the quota is refused before its content is read.
	Size int64
	// Check runs before the content is read and again in the transaction
	// that commits it, with the file there (nil when there is none); an
	// error refuses the write (conditional requests, locks).
	Check func(existing *Node) error
}

// Put writes the content of file p from body: a new file, or a new
// content whose previous one is kept as a version. The content is durable
// before the row that names it is committed, so a crash leaves either the
// old or the new file, never a partial one.
func (s *Service) Put(ctx context.Context, who core.Subject, r *Root, p Path, body io.Reader, o PutOptions) (*Node, bool, error) {
	check := func(db bun.IDB, lock bool) (*Node, *Node, error) {
		parent, name, err := s.parentOf(ctx, db, who, r, p)
		if err != nil {
			return nil, nil, err
		}
		old, err := s.existing(ctx, db, who, parent, name, lock)
		if err != nil {
			return nil, nil, err
		}
		if old != nil && old.IsDir {
			return nil, nil, fmt.Errorf("%w: a folder has that name", ErrExists)
		}
		if err := s.checkLocks(ctx, db, r.ContainerID, p, false); err != nil {
			return nil, nil, err
		}
		if old != nil {
			err = old.Need(acl.PrivWriteContent)
		} else {
			err = parent.Need(acl.PrivBind)
		}
		if err == nil && o.Check != nil {
			err = o.Check(old)
		}
		return parent, old, err
	}
	_, old, err := check(s.db.DB, false)
	if err != nil {
		return nil, false, err
	}
	if o.Size > 0 {
		grow := o.Size
		if old != nil {
			grow -= old.Size
		}
		if err := s.checkQuota(ctx, s.db.DB, r, grow); err != nil {
			return nil, false, err
		}
	}
	b, err := s.blobs.Put(ctx, body)
	if err != nil {
		return nil, false, err
	}
	now := s.now().UTC()
	mod := now
	if !o.ModTime.IsZero() {
		mod = o.ModTime.UTC()
	}
	var n *Node
	created := false
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		parent, old, err := check(tx, true)
		if err != nil {
			return err
		}
		var oldSize int64
		if old != nil {
			oldSize = old.Size
		}
		if err := s.checkQuota(ctx, tx, r, b.Size-oldSize); err != nil {
			return err
		}
		if err := s.blobs.Ref(ctx, tx, b); err != nil {
			return err
		}
		if old == nil {
			created = true
			n = &Node{RootID: r.ContainerID, ParentID: &parent.ID, ContainerID: parent.ContainerID, Name: p[len(p)-1],
				AuthorID: author(who), BlobHash: b.Hash, Size: b.Size, ContentType: o.ContentType,
				ETag: fileETag(b.Hash), CreatedAt: now, ModifiedAt: mod}
			if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
				return err
			}
			n.Level = acl.Full
			if n.AuthorID == nil {
				n.Level = acl.ItemLevel(parent.Level, false)
			}
			if err := s.added(ctx, tx, r, parent, n); err != nil {
				return err
			}
		} else {
			n = old
			if err := s.keepVersion(ctx, tx, old, now); err != nil {
				return err
			}
			n.BlobHash, n.Size, n.ETag, n.ModifiedAt = b.Hash, b.Size, fileETag(b.Hash), mod
			if o.ContentType != "" {
				n.ContentType = o.ContentType
			}
			if _, err := tx.NewUpdate().Model(n).Column("blob_hash", "size", "etag", "modified_at", "content_type").
				WherePK().Exec(ctx); err != nil {
				return err
			}
		}
		return s.touch(ctx, tx, parent.ID, now)
	})
	if err != nil {
		return nil, false, err
	}
	return n, created, nil
}

func author(who core.Subject) *int64 {
	if who.IsAnonymous() {
		return nil
	}
	id := who.AccountID
	return &id
}

func (s *Service) checkQuota(ctx context.Context, db bun.IDB, r *Root, grow int64) error {
	quota := r.QuotaBytes
	if quota == 0 {
		quota = s.quota
	}
	if quota == 0 || grow <= 0 {
		return nil
	}
	var used int64
	if err := db.NewRaw(`SELECT COALESCE(SUM(size), 0) FROM file_nodes WHERE root_id = ? AND NOT is_dir`, r.ContainerID).
		Scan(ctx, &used); err != nil {
		return store.Translate(err)
	}
	if used+grow > quota {
		return fmt.Errorf("%w: %d bytes used of %d", ErrQuota, used, quota)
	}
	return nil
}

// keepVersion records old's content as a version (empty content, like
// the placeholder Windows and Finder write first, is not kept) and drops
// the oldest beyond the retention.
func (s *Service) keepVersion(ctx context.Context, tx bun.Tx, old *Node, now time.Time) error {
	if s.keep == 0 || old.Size == 0 {
		return s.blobs.Unref(ctx, tx, old.BlobHash)
	}
	v := &Version{NodeID: old.ID, BlobHash: old.BlobHash, Size: old.Size, ContentType: old.ContentType,
		ETag: old.ETag, AuthorID: old.AuthorID, ModifiedAt: old.ModifiedAt, CreatedAt: now}
	if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
		return err
	}
	var all []Version
	err := tx.NewSelect().Model(&all).Where("node_id = ?", old.ID).Order("id DESC").Scan(ctx)
	if err != nil {
		return store.Translate(err)
	}
	for _, e := range all[min(s.keep, len(all)):] {
		if err := s.blobs.Unref(ctx, tx, e.BlobHash); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(&e).WherePK().Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Mkdir creates folder p; it starts with the grants of its parent and
// who owns it.
func (s *Service) Mkdir(ctx context.Context, who core.Subject, r *Root, p Path) (*Node, error) {
	var n *Node
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if len(p) > MaxDepth {
			return fmt.Errorf("%w: too deep", core.ErrForbidden)
		}
		parent, name, err := s.parentOf(ctx, tx, who, r, p)
		if err != nil {
			return err
		}
		if old, err := s.existing(ctx, tx, who, parent, name, false); err != nil || old != nil {
			if err == nil {
				err = ErrExists
			}
			return err
		}
		if err := parent.Need(acl.PrivBind); err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, r.ContainerID, p, false); err != nil {
			return err
		}
		n, err = s.mkdir(ctx, tx, who, r, parent, name)
		return err
	})
	return n, err
}

func (s *Service) mkdir(ctx context.Context, tx bun.Tx, who core.Subject, r *Root, parent *Node, name string) (*Node, error) {
	now := s.now().UTC()
	pc, err := acl.GetContainer(ctx, tx, parent.ContainerID)
	if err != nil {
		return nil, err
	}
	c := &acl.Container{SpaceID: pc.SpaceID, Module: core.ModFiles, ParentID: &pc.ID, Kind: "folder", Name: name, OwnerID: author(who)}
	if c.SpaceID == nil && c.OwnerID == nil {
		c.OwnerID = pc.OwnerID
	}
	if err := acl.CreateContainer(ctx, tx, c, nil, now); err != nil {
		return nil, err
	}
	n := &Node{RootID: r.ContainerID, ParentID: &parent.ID, ContainerID: c.ID, IsDir: true, Name: name,
		AuthorID: author(who), ETag: dirETag(), CreatedAt: now, ModifiedAt: now, Level: acl.Full}
	if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return n, s.touch(ctx, tx, parent.ID, now)
}

func (n *Node) needDelete() error {
	if n.ParentID == nil {
		return fmt.Errorf("%w: the root cannot be deleted or moved", core.ErrForbidden)
	}
	return n.Need(acl.PrivUnbind)
}

// Delete moves n (and what it holds) to its tree's trash.
func (s *Service) Delete(ctx context.Context, who core.Subject, n *Node) error {
	if err := n.needDelete(); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.trash(ctx, tx, who, n)
	})
}

// ErrHeldBack refuses deleting a folder whose tree holds a sub-folder the
// caller may not delete (one shared only with others, say): deleting or
// purging the folder would destroy what the caller cannot even see.
var ErrHeldBack = fmt.Errorf("%w: the folder holds items you may not delete", core.ErrForbidden)

// needDeleteTree refuses who deleting folder id unless who may delete
// everything in its tree (trashed parts too, since a purge takes them
// along). Files take the grants of their folder and authors have full,
// so write on every folder of the tree is write on all of it.
func needDeleteTree(ctx context.Context, db bun.IDB, who core.Subject, id int64) error {
	expr, args := acl.LevelSQL(who, "c", "")
	var k int
	err := db.NewRaw(subtree+`SELECT COUNT(*) FROM containers c WHERE c.id IN
		(SELECT container_id FROM file_nodes WHERE id IN (SELECT id FROM sub) AND is_dir) AND `+expr+` < ?`,
		append(append([]any{id}, args...), acl.Write)...).Scan(ctx, &k)
	if err != nil {
		return store.Translate(err)
	}
	if k > 0 {
		return ErrHeldBack
	}
	return nil
}

func (s *Service) trash(ctx context.Context, tx bun.Tx, who core.Subject, n *Node) error {
	if n.IsDir {
		if err := needDeleteTree(ctx, tx, who, n.ID); err != nil {
			return err
		}
	}
	p, err := pathOf(ctx, tx, n.ID)
	if err != nil {
		return err
	}
	if err := s.checkLocks(ctx, tx, n.RootID, p, true); err != nil {
		return err
	}
	now := s.now().UTC()
	res, err := tx.NewRaw(`UPDATE file_nodes SET trashed_at = ?, trashed_by = ?, trash_path = ? WHERE id = ? AND trashed_at IS NULL`,
		now, author(who), p.String(), n.ID).Exec(ctx)
	if err != nil {
		return store.Translate(err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return fmt.Errorf("%w: already deleted", core.ErrNotFound)
	}
	if err := s.dropLocks(ctx, tx, n.RootID, p.String()); err != nil {
		return err
	}
	return s.touch(ctx, tx, *n.ParentID, now)
}

// under reports whether p lies strictly inside anc.
func under(p, anc Path) bool {
	if len(p) <= len(anc) {
		return false
	}
	for i := range anc {
		if p[i] != anc[i] {
			return false
		}
	}
	return true
}

func prefix(a, b Path) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// transfer prepares a move or copy of src to dst: the destination folder
// and name, and the node there (trashed when overwrite allows).
func (s *Service) transfer(ctx context.Context, tx bun.Tx, who core.Subject, src *Node, r *Root, dst Path, overwrite bool) (*Node, string, bool, error) {
	if src.RootID != r.ContainerID {
		return nil, "", false, ErrOtherTree
	}
	sp, err := pathOf(ctx, tx, src.ID)
	if err != nil {
		return nil, "", false, err
	}
	if prefix(sp, dst) || (src.IsDir && under(dst, sp)) {
		return nil, "", false, fmt.Errorf("%w: source and destination overlap", core.ErrForbidden)
	}
	parent, name, err := s.parentOf(ctx, tx, who, r, dst)
	if err != nil {
		return nil, "", false, err
	}
	if err := parent.Need(acl.PrivBind); err != nil {
		return nil, "", false, err
	}
	if err := s.checkLocks(ctx, tx, r.ContainerID, dst, true); err != nil {
		return nil, "", false, err
	}
	old, err := s.existing(ctx, tx, who, parent, name, true)
	if err != nil {
		return nil, "", false, err
	}
	if old != nil {
		if !overwrite {
			return nil, "", false, ErrExists
		}
		if err := old.needDelete(); err != nil {
			return nil, "", false, err
		}
		if err := s.trash(ctx, tx, who, old); err != nil {
			return nil, "", false, err
		}
	}
	return parent, name, old == nil, nil
}

// Move renames or moves src to dst in tree r; what dst named is moved to
// the trash when overwrite allows it. It keeps the node's id, properties
// and versions, and reports whether dst is new.
func (s *Service) Move(ctx context.Context, who core.Subject, src *Node, r *Root, dst Path, overwrite bool) (bool, error) {
	if err := src.needDelete(); err != nil {
		return false, err
	}
	var created bool
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sp, err := pathOf(ctx, tx, src.ID)
		if err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, src.RootID, sp, true); err != nil {
			return err
		}
		parent, name, fresh, err := s.transfer(ctx, tx, who, src, r, dst, overwrite)
		if err != nil {
			return err
		}
		created = fresh
		now := s.now().UTC()
		cont := parent.ContainerID
		if src.IsDir {
			cont = src.ContainerID
			if _, err := tx.NewRaw(`UPDATE containers SET parent_id = ?, name = ?, updated_at = ? WHERE id = ?`,
				parent.ContainerID, name, now, src.ContainerID).Exec(ctx); err != nil {
				return store.Translate(err)
			}
		}
		if _, err := tx.NewRaw(`UPDATE file_nodes SET parent_id = ?, name = ?, container_id = ? WHERE id = ?`,
			parent.ID, name, cont, src.ID).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		if err := s.dropLocks(ctx, tx, src.RootID, sp.String()); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, *src.ParentID, now); err != nil {
			return err
		}
		return s.touch(ctx, tx, parent.ID, now)
	})
	return created, err
}

// Copy copies src to dst in tree r (a folder with what who may read in it
// when recursive, else alone). The copy is who's, has src's properties
// and no versions; folders take the grants of their new parent.
func (s *Service) Copy(ctx context.Context, who core.Subject, src *Node, r *Root, dst Path, overwrite, recursive bool) (bool, error) {
	if err := src.Need(acl.PrivRead); err != nil {
		return false, err
	}
	var created bool
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		parent, name, fresh, err := s.transfer(ctx, tx, who, src, r, dst, overwrite)
		if err != nil {
			return err
		}
		created = fresh
		var size int64
		if !src.IsDir {
			size = src.Size
		}
		if err := s.checkQuota(ctx, tx, r, size); err != nil {
			return err
		}
		return s.copyNode(ctx, tx, who, r, src, parent, name, recursive, 0)
	})
	return created, err
}

func (s *Service) copyNode(ctx context.Context, tx bun.Tx, who core.Subject, r *Root, src, parent *Node, name string, recursive bool, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w: too deep", core.ErrForbidden)
	}
	var n *Node
	if src.IsDir {
		var err error
		if n, err = s.mkdir(ctx, tx, who, r, parent, name); err != nil {
			return err
		}
	} else {
		now := s.now().UTC()
		n = &Node{RootID: r.ContainerID, ParentID: &parent.ID, ContainerID: parent.ContainerID, Name: name,
			AuthorID: author(who), BlobHash: src.BlobHash, Size: src.Size, ContentType: src.ContentType,
			ETag: src.ETag, CreatedAt: now, ModifiedAt: src.ModifiedAt}
		if err := s.blobs.Ref(ctx, tx, blob.Blob{Hash: src.BlobHash, Size: src.Size}); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		if err := s.touch(ctx, tx, parent.ID, now); err != nil {
			return err
		}
	}
	if _, err := tx.NewRaw(`INSERT INTO file_props (node_id, namespace, name, value)
		SELECT ?, namespace, name, value FROM file_props WHERE node_id = ?`, n.ID, src.ID).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	if !src.IsDir || !recursive {
		return nil
	}
	var kids []Node
	expr, args := levelExpr(who)
	err := s.selectNodes(tx, who, &kids).Where("n.parent_id = ? AND n.trashed_at IS NULL", src.ID).
		Where("("+expr+") >= ?", append(args, acl.Read)...).Order("n.id").Scan(ctx)
	if err != nil {
		return store.Translate(err)
	}
	for i := range kids {
		if err := s.copyNode(ctx, tx, who, r, &kids[i], n, kids[i].Name, true, depth+1); err != nil {
			return err
		}
	}
	return nil
}
