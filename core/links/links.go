// Package links holds shared bookmarks: URLs with a title, a description,
// tags and attached files, kept in folders that are ACL containers with
// their own grants.
package links

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/store"
)

// KindFolder is the container kind of link folders.
const KindFolder = "linkfolder"

// MaxAttachment is the largest file attached to a link.
const MaxAttachment = 50 << 20

// Link is one bookmark.
type Link struct {
	bun.BaseModel `bun:"table:links,alias:l"`

	ID          int64     `bun:",pk,autoincrement" json:"id"`
	ContainerID int64     `json:"folder_id"`
	URL         string    `bun:"url" json:"url"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	AuthorID    *int64    `json:"author_id"`
	EditorID    *int64    `json:"editor_id"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`

	Level acl.Level `bun:"level,scanonly" json:"-"`
	Tags  []string  `bun:"-" json:"tags"`
}

// Attachment is a file attached to a link.
type Attachment struct {
	bun.BaseModel `bun:"table:link_attachments,alias:la"`

	ID          int64     `bun:",pk,autoincrement" json:"id"`
	LinkID      int64     `json:"link_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	BlobHash    string    `json:"-"`
	Size        int64     `json:"size"`
	AuthorID    *int64    `json:"author_id"`
	CreatedAt   time.Time `json:"created_at"`
}

// Folder is a link folder with who's level on it.
type Folder = acl.Readable

// Service manages links.
type Service struct {
	db    *store.DB
	acl   *acl.Engine
	blobs *blob.Store
	now   func() time.Time
}

// New returns the links service; blobs holds attachments, now may be nil.
func New(db *store.DB, engine *acl.Engine, blobs *blob.Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, acl: engine, blobs: blobs, now: now}
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{core.ErrInvalid}, a...)...)
}

// CreateFolder makes a link folder in a space (members only). With grants
// nil, members of the space get limited: add links, change their own.
func (s *Service) CreateFolder(ctx context.Context, who core.Subject, spaceID int64, name string, grants []acl.Grant) (*acl.Container, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, invalid("a folder needs a name of at most 200 characters")
	}
	if err := acl.RequireMember(ctx, s.db, who, spaceID, core.ModLinks); err != nil {
		return nil, err
	}
	if grants == nil {
		grants = []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: spaceID, Level: acl.Limited}}
	}
	owner := who.AccountID
	c := &acl.Container{SpaceID: &spaceID, Module: core.ModLinks, Kind: KindFolder, Name: name, OwnerID: &owner}
	if err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return acl.CreateContainer(ctx, tx, c, grants, s.now())
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// Folders lists the link folders of a space who may read.
func (s *Service) Folders(ctx context.Context, who core.Subject, spaceID int64) ([]Folder, error) {
	return s.acl.ReadableIn(ctx, who, spaceID, core.ModLinks, KindFolder)
}

// Folder returns one folder who may read.
func (s *Service) Folder(ctx context.Context, who core.Subject, id int64) (*Folder, error) {
	return s.acl.ReadableByID(ctx, who, id, KindFolder)
}

// Input is what a link holds.
type Input struct {
	URL         string   `json:"url"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
}

func (in *Input) clean() error {
	in.URL = strings.TrimSpace(in.URL)
	u, err := url.Parse(in.URL)
	if err != nil || len(in.URL) > 2048 || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("a link needs an http or https URL of at most 2048 characters")
	}
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" {
		in.Title = u.Host
	}
	if utf8.RuneCountInString(in.Title) > 200 || strings.ContainsRune(in.Title, 0) {
		return invalid("a title has at most 200 characters")
	}
	in.Description = strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(in.Description) > 5000 || !utf8.ValidString(in.Description) || strings.ContainsRune(in.Description, 0) {
		return invalid("a description has at most 5,000 characters")
	}
	var tags []string
	for _, t := range in.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if utf8.RuneCountInString(t) > 30 || strings.ContainsAny(t, "\x00,") {
			return invalid("a tag has at most 30 characters and no comma")
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) > 20 {
		return invalid("at most 20 tags")
	}
	in.Tags = tags
	return nil
}

func setTags(ctx context.Context, tx bun.Tx, id int64, tags []string) error {
	if _, err := tx.NewRaw(`DELETE FROM link_tags WHERE link_id = ?`, id).Exec(ctx); err != nil {
		return err
	}
	for _, t := range tags {
		if _, err := tx.NewRaw(`INSERT INTO link_tags (link_id, tag) VALUES (?, ?)`, id, t).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Add stores a link in a folder (needs bind: limited or more).
func (s *Service) Add(ctx context.Context, who core.Subject, folderID int64, in Input) (*Link, error) {
	if err := in.clean(); err != nil {
		return nil, err
	}
	f, err := s.Folder(ctx, who, folderID)
	if err != nil {
		return nil, err
	}
	if !acl.Allows(f.Level, true, acl.PrivBind) {
		return nil, &acl.DeniedError{Need: acl.PrivBind, Have: f.Level}
	}
	now := s.now().UTC()
	me := who.AccountID
	l := &Link{ContainerID: folderID, URL: in.URL, Title: in.Title, Description: in.Description,
		AuthorID: &me, EditorID: &me, CreatedAt: now, UpdatedAt: now, Tags: in.Tags, Level: acl.Full}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(l).Exec(ctx); err != nil {
			return err
		}
		return setTags(ctx, tx, l.ID, in.Tags)
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

func (s *Service) selectLinks(db bun.IDB, who core.Subject, links any) *bun.SelectQuery {
	expr, args := acl.LevelSQL(who, "c", "l.author_id")
	q := db.NewSelect().Model(links).ColumnExpr("l.*").ColumnExpr(expr+" AS level", args...).
		Join("JOIN containers c ON c.id = l.container_id")
	return acl.WhereReadableItems(q, who, "c", "l.author_id")
}

// Get returns a link who may read.
func (s *Service) Get(ctx context.Context, who core.Subject, id int64) (*Link, error) {
	return s.get(ctx, s.db, who, id)
}

func (s *Service) get(ctx context.Context, db bun.IDB, who core.Subject, id int64) (*Link, error) {
	l := new(Link)
	if err := s.selectLinks(db, who, l).Where("l.id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("link %d: %w", id, store.Translate(err))
	}
	// The level came from LevelSQL with the author column: it holds the
	// author rule already (only while the author belongs to the space).
	l.Level = acl.ItemLevel(l.Level, false)
	if err := db.NewRaw(`SELECT tag FROM link_tags WHERE link_id = ? ORDER BY tag`, id).Scan(ctx, &l.Tags); err != nil {
		return nil, store.Translate(err)
	}
	return l, nil
}

// List returns the links of a folder who may read, newest first; with tag
// set, only those carrying it.
func (s *Service) List(ctx context.Context, who core.Subject, folderID int64, tag string) ([]Link, error) {
	if _, err := s.Folder(ctx, who, folderID); err != nil {
		return nil, err
	}
	var out []Link
	q := s.selectLinks(s.db, who, &out).Where("l.container_id = ?", folderID).OrderExpr("l.id DESC")
	if tag != "" {
		q = q.Where("EXISTS (SELECT 1 FROM link_tags t WHERE t.link_id = l.id AND t.tag = ?)", strings.ToLower(tag))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(out) > 0 {
		ids := make([]int64, len(out))
		at := map[int64]int{}
		for i := range out {
			ids[i] = out[i].ID
			at[out[i].ID] = i
		}
		var tags []struct {
			LinkID int64  `bun:"link_id"`
			Tag    string `bun:"tag"`
		}
		if err := s.db.NewRaw(`SELECT link_id, tag FROM link_tags WHERE link_id IN (?) ORDER BY tag`, bun.In(ids)).Scan(ctx, &tags); err != nil {
			return nil, store.Translate(err)
		}
		for _, t := range tags {
			out[at[t.LinkID]].Tags = append(out[at[t.LinkID]].Tags, t.Tag)
		}
	}
	return out, nil
}

// Update changes a link (needs write-content: write on the folder, or
// being its author).
func (s *Service) Update(ctx context.Context, who core.Subject, id int64, in Input) (*Link, error) {
	if err := in.clean(); err != nil {
		return nil, err
	}
	var out *Link
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		l, err := s.get(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if !acl.Allows(l.Level, false, acl.PrivWriteContent) {
			return &acl.DeniedError{Need: acl.PrivWriteContent, Have: l.Level}
		}
		me := who.AccountID
		l.URL, l.Title, l.Description, l.Tags, l.EditorID, l.UpdatedAt = in.URL, in.Title, in.Description, in.Tags, &me, s.now().UTC()
		if _, err := tx.NewUpdate().Model(l).Column("url", "title", "description", "editor_id", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		out = l
		return setTags(ctx, tx, id, in.Tags)
	})
	return out, err
}

// Delete removes a link and its attachments (needs unbind).
func (s *Service) Delete(ctx context.Context, who core.Subject, id int64) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		l, err := s.get(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if !acl.Allows(l.Level, false, acl.PrivUnbind) {
			return &acl.DeniedError{Need: acl.PrivUnbind, Have: l.Level}
		}
		var hashes []string
		if err := tx.NewRaw(`SELECT blob_hash FROM link_attachments WHERE link_id = ?`, id).Scan(ctx, &hashes); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(l).WherePK().Exec(ctx); err != nil {
			return err
		}
		for _, h := range hashes {
			if err := s.blobs.Unref(ctx, tx, h); err != nil {
				return err
			}
		}
		return nil
	})
}

// Attach stores r as a file of a link (needs write-content on it).
func (s *Service) Attach(ctx context.Context, who core.Subject, id int64, name, contentType string, r io.Reader) (*Attachment, error) {
	l, err := s.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !acl.Allows(l.Level, false, acl.PrivWriteContent) {
		return nil, &acl.DeniedError{Need: acl.PrivWriteContent, Have: l.Level}
	}
	name = strings.TrimSpace(path.Base(strings.ReplaceAll(name, "\\", "/")))
	if name == "" || name == "." || name == "/" || utf8.RuneCountInString(name) > 255 || strings.ContainsAny(name, "\x00\r\n") {
		return nil, invalid("a file needs a name of at most 255 characters")
	}
	if _, _, err := mime.ParseMediaType(contentType); err != nil || contentType == "" {
		contentType = "application/octet-stream"
	}
	b, err := s.blobs.Put(ctx, &io.LimitedReader{R: r, N: MaxAttachment + 1})
	if err != nil {
		return nil, err
	}
	if b.Size > MaxAttachment {
		return nil, fmt.Errorf("%w: files attached to links are at most %d MiB", core.ErrInvalid, MaxAttachment>>20)
	}
	me := who.AccountID
	a := &Attachment{LinkID: id, Name: name, ContentType: contentType, BlobHash: b.Hash, Size: b.Size, AuthorID: &me, CreatedAt: s.now().UTC()}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.blobs.Ref(ctx, tx, b); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(a).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Attachments lists the files of a link who may read.
func (s *Service) Attachments(ctx context.Context, who core.Subject, id int64) ([]Attachment, error) {
	if _, err := s.Get(ctx, who, id); err != nil {
		return nil, err
	}
	var as []Attachment
	err := s.db.NewSelect().Model(&as).Where("link_id = ?", id).OrderExpr("id").Scan(ctx)
	return as, store.Translate(err)
}

// OpenAttachment returns one attachment and its content.
func (s *Service) OpenAttachment(ctx context.Context, who core.Subject, linkID, attID int64) (*Attachment, io.ReadSeekCloser, error) {
	if _, err := s.Get(ctx, who, linkID); err != nil {
		return nil, nil, err
	}
	a := new(Attachment)
	if err := s.db.NewSelect().Model(a).Where("id = ? AND link_id = ?", attID, linkID).Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("attachment: %w", store.Translate(err))
	}
	f, err := s.blobs.Open(a.BlobHash)
	if err != nil {
		return nil, nil, err
	}
	return a, f, nil
}

// FolderGrants returns a folder's grants (needs full on it: read-acl).
func (s *Service) FolderGrants(ctx context.Context, who core.Subject, folderID int64) ([]acl.Grant, error) {
	f, err := s.Folder(ctx, who, folderID)
	if err != nil {
		return nil, err
	}
	if !acl.Allows(f.Level, true, acl.PrivReadACL) {
		return nil, &acl.DeniedError{Need: acl.PrivReadACL, Have: f.Level}
	}
	gs, err := acl.Grants(ctx, s.db, folderID)
	if gs == nil {
		gs = []acl.Grant{}
	}
	return gs, err
}

// SetFolderGrants replaces a folder's grants (needs full on it:
// write-acl). Its owner keeps full whatever the grants say.
func (s *Service) SetFolderGrants(ctx context.Context, who core.Subject, folderID int64, grants []acl.Grant) error {
	f, err := s.Folder(ctx, who, folderID)
	if err != nil {
		return err
	}
	if !acl.Allows(f.Level, true, acl.PrivWriteACL) {
		return &acl.DeniedError{Need: acl.PrivWriteACL, Have: f.Level}
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return acl.SetGrants(ctx, tx, folderID, grants)
	})
}
