// Package wiki holds wiki pages (Acollab): pages live in folders, which are
// ACL containers with grants; every save is a new version kept with its
// author, so history, diffs and restores work on any page; a page may be
// locked while someone edits it; pages link to each other by a stable
// reference ([[ref]] or [[ref|label]]) that survives renames; pages carry
// tags and comments; each space has at most one main page.
package wiki

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// KindFolder is the container kind of wiki folders.
const KindFolder = "wikifolder"

// LockDuration is how long an edit lock holds without renewal.
const LockDuration = 30 * time.Minute

// Format of a page's body.
const (
	Markdown = "markdown"
	HTML     = "html"
)

// Page is the current state of a wiki page.
type Page struct {
	bun.BaseModel `bun:"table:wiki_pages,alias:p"`

	ID          int64      `bun:",pk,autoincrement" json:"id"`
	Ref         string     `json:"ref"` // stable reference used in links
	ContainerID int64      `json:"folder_id"`
	SpaceID     *int64     `json:"space_id"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	Format      string     `json:"format"`
	Version     int        `json:"version"`
	IsMain      bool       `json:"is_main"`
	AuthorID    *int64     `json:"author_id"`
	EditorID    *int64     `json:"editor_id"` // who saved the current version
	LockedBy    *int64     `json:"locked_by"`
	LockedUntil *time.Time `json:"locked_until"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`

	Level acl.Level `bun:"level,scanonly" json:"-"`
	Tags  []string  `bun:"-" json:"tags"`
}

// Locked reports whether someone other than accountID holds the lock at now.
func (p *Page) Locked(accountID int64, now time.Time) bool {
	return p.LockedBy != nil && *p.LockedBy != accountID && p.LockedUntil != nil && p.LockedUntil.After(now)
}

// Version is one saved state of a page.
type Version struct {
	bun.BaseModel `bun:"table:wiki_versions,alias:v"`

	PageID    int64     `bun:",pk" json:"page_id"`
	Version   int       `bun:",pk" json:"version"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Format    string    `json:"format"`
	AuthorID  *int64    `json:"author_id"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

// Comment is a remark on a page.
type Comment struct {
	bun.BaseModel `bun:"table:wiki_comments,alias:wc"`

	ID        int64     `bun:",pk,autoincrement" json:"id"`
	PageID    int64     `json:"page_id"`
	AuthorID  *int64    `json:"author_id"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// Folder is a wiki folder with who's level on it.
type Folder = acl.Readable

// Service manages wiki pages.
type Service struct {
	db    *store.DB
	acl   *acl.Engine
	now   func() time.Time
	hooks []Hook
}

// New returns the wiki service; now may be nil.
func New(db *store.DB, engine *acl.Engine, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, acl: engine, now: now}
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{core.ErrInvalid}, a...)...)
}

// CreateFolder makes a wiki folder in a space. With grants nil, members of
// the space get limited (add pages, change their own).
func (s *Service) CreateFolder(ctx context.Context, who core.Subject, spaceID int64, name string, grants []acl.Grant) (*acl.Container, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, invalid("a folder needs a name of at most 200 characters")
	}
	if err := acl.RequireMember(ctx, s.db, who, spaceID, core.ModWiki); err != nil {
		return nil, err
	}
	if grants == nil {
		grants = []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: spaceID, Level: acl.Limited}}
	}
	owner := who.AccountID
	c := &acl.Container{SpaceID: &spaceID, Module: core.ModWiki, Kind: KindFolder, Name: name, OwnerID: &owner}
	if err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return acl.CreateContainer(ctx, tx, c, grants, s.now())
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// Folders lists the wiki folders of a space who may read.
func (s *Service) Folders(ctx context.Context, who core.Subject, spaceID int64) ([]Folder, error) {
	return s.acl.ReadableIn(ctx, who, spaceID, core.ModWiki, KindFolder)
}

// Folder returns one folder who may read.
func (s *Service) Folder(ctx context.Context, who core.Subject, id int64) (*Folder, error) {
	return s.acl.ReadableByID(ctx, who, id, KindFolder)
}

// Input is what a save writes.
type Input struct {
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Format string   `json:"format"` // markdown (default) or html
	Tags   []string `json:"tags"`
	Note   string   `json:"note"` // a word on what changed, kept with the version
	// BaseVersion, when set, is the version the editor started from: a
	// save over a newer version is refused (edit conflict).
	BaseVersion int `json:"base_version"`
}

// MaxBody is the longest page body.
const MaxBody = 1 << 20

func (in *Input) clean() error {
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" || utf8.RuneCountInString(in.Title) > 200 || strings.ContainsRune(in.Title, 0) {
		return invalid("a page needs a title of at most 200 characters")
	}
	if len(in.Body) > MaxBody || !utf8.ValidString(in.Body) || strings.ContainsRune(in.Body, 0) {
		return invalid("a page body is valid UTF-8 of at most 1 MiB")
	}
	switch in.Format {
	case "":
		in.Format = Markdown
	case Markdown:
	case HTML:
		in.Body = sanitize(in.Body)
	default:
		return invalid("format is markdown or html")
	}
	if utf8.RuneCountInString(in.Note) > 200 {
		return invalid("a note has at most 200 characters")
	}
	tags, err := cleanTags(in.Tags)
	in.Tags = tags
	return err
}

func cleanTags(in []string) ([]string, error) {
	var out []string
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if utf8.RuneCountInString(t) > 30 || strings.ContainsAny(t, "\x00,") {
			return nil, invalid("a tag has at most 30 characters and no comma")
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > 20 {
		return nil, invalid("at most 20 tags")
	}
	return out, nil
}

func newRef() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// Create adds a page to a folder (needs bind: limited or more). It is
// version 1.
func (s *Service) Create(ctx context.Context, who core.Subject, folderID int64, in Input) (*Page, error) {
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
	author := who.AccountID
	p := &Page{Ref: newRef(), ContainerID: folderID, SpaceID: f.SpaceID, Title: in.Title, Body: in.Body, Format: in.Format,
		Version: 1, AuthorID: &author, EditorID: &author, CreatedAt: now, UpdatedAt: now, Tags: in.Tags}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
			return err
		}
		if err := s.addVersion(ctx, tx, p, in.Note); err != nil {
			return err
		}
		return setTags(ctx, tx, p.ID, in.Tags)
	})
	if err != nil {
		return nil, err
	}
	p.Level = acl.Full
	return p, nil
}

func (s *Service) addVersion(ctx context.Context, tx bun.Tx, p *Page, note string) error {
	v := &Version{PageID: p.ID, Version: p.Version, Title: p.Title, Body: p.Body, Format: p.Format,
		AuthorID: p.AuthorID, Note: note, CreatedAt: p.UpdatedAt}
	_, err := tx.NewInsert().Model(v).Exec(ctx)
	return err
}

func setTags(ctx context.Context, tx bun.Tx, pageID int64, tags []string) error {
	if _, err := tx.NewRaw(`DELETE FROM wiki_tags WHERE page_id = ?`, pageID).Exec(ctx); err != nil {
		return err
	}
	for _, t := range tags {
		if _, err := tx.NewRaw(`INSERT INTO wiki_tags (page_id, tag) VALUES (?, ?)`, pageID, t).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) selectPages(db bun.IDB, who core.Subject, pages any) *bun.SelectQuery {
	expr, args := acl.LevelSQL(who, "c", "p.author_id")
	q := db.NewSelect().Model(pages).ColumnExpr("p.*").ColumnExpr(expr+" AS level", args...).
		Join("JOIN containers c ON c.id = p.container_id")
	return acl.WhereReadableItems(q, who, "c", "p.author_id")
}

func (s *Service) get(ctx context.Context, db bun.IDB, who core.Subject, where string, arg any) (*Page, error) {
	p := new(Page)
	if err := s.selectPages(db, who, p).Where(where, arg).Scan(ctx); err != nil {
		return nil, fmt.Errorf("wiki page: %w", store.Translate(err))
	}
	// The level came from LevelSQL with the author column: it holds the
	// author rule already (only while the author belongs to the space).
	p.Level = acl.ItemLevel(p.Level, false)
	if err := db.NewRaw(`SELECT tag FROM wiki_tags WHERE page_id = ? ORDER BY tag`, p.ID).Scan(ctx, &p.Tags); err != nil {
		return nil, store.Translate(err)
	}
	return p, nil
}

// Get returns a page who may read (ErrNotFound otherwise).
func (s *Service) Get(ctx context.Context, who core.Subject, id int64) (*Page, error) {
	return s.get(ctx, s.db, who, "p.id = ?", id)
}

// ByRef returns the page with a stable reference.
func (s *Service) ByRef(ctx context.Context, who core.Subject, ref string) (*Page, error) {
	return s.get(ctx, s.db, who, "p.ref = ?", ref)
}

// Pages lists the pages of a folder who may read, by title; with tag set,
// only pages carrying it.
func (s *Service) Pages(ctx context.Context, who core.Subject, folderID int64, tag string) ([]Page, error) {
	if _, err := s.Folder(ctx, who, folderID); err != nil {
		return nil, err
	}
	var out []Page
	q := s.selectPages(s.db, who, &out).Where("p.container_id = ?", folderID).OrderExpr("p.title, p.id")
	if tag != "" {
		q = q.Where("EXISTS (SELECT 1 FROM wiki_tags t WHERE t.page_id = p.id AND t.tag = ?)", strings.ToLower(tag))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return out, nil
}

// Save writes a new version of a page (needs write-content: write on the
// folder, or being the page's author). A page locked by someone else, or
// changed since in.BaseVersion, is a conflict.
func (s *Service) Save(ctx context.Context, who core.Subject, id int64, in Input) (*Page, error) {
	if err := in.clean(); err != nil {
		return nil, err
	}
	var out *Page
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.writable(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if in.BaseVersion != 0 && in.BaseVersion != p.Version {
			return fmt.Errorf("%w: the page changed since version %d (now %d)", core.ErrConflict, in.BaseVersion, p.Version)
		}
		return s.write(ctx, tx, who, p, in.Title, in.Body, in.Format, in.Tags, in.Note, &out)
	})
	return out, err
}

func (s *Service) writable(ctx context.Context, tx bun.Tx, who core.Subject, id int64) (*Page, error) {
	if s.db.Kind == store.Postgres {
		if _, err := tx.NewRaw(`SELECT id FROM wiki_pages WHERE id = ? FOR UPDATE`, id).Exec(ctx); err != nil {
			return nil, err
		}
	}
	p, err := s.get(ctx, tx, who, "p.id = ?", id)
	if err != nil {
		return nil, err
	}
	if !acl.Allows(p.Level, false, acl.PrivWriteContent) {
		return nil, &acl.DeniedError{Need: acl.PrivWriteContent, Have: p.Level}
	}
	if p.Locked(who.AccountID, s.now()) {
		return nil, fmt.Errorf("%w: the page is being edited by someone else until %s", core.ErrConflict, p.LockedUntil.UTC().Format(time.RFC3339))
	}
	return p, nil
}

func (s *Service) write(ctx context.Context, tx bun.Tx, who core.Subject, p *Page, title, body, format string, tags []string, note string, out **Page) error {
	now := s.now().UTC()
	author := who.AccountID
	p.Title, p.Body, p.Format, p.Version, p.UpdatedAt, p.EditorID = title, body, format, p.Version+1, now, &author
	// The page keeps its author (who has full on it); the version and the
	// editor column record who wrote this one.
	_, err := tx.NewUpdate().Model(p).Column("title", "body", "format", "version", "updated_at", "editor_id").WherePK().Exec(ctx)
	if err != nil {
		return err
	}
	v := &Version{PageID: p.ID, Version: p.Version, Title: title, Body: body, Format: format, AuthorID: &author, Note: note, CreatedAt: now}
	if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
		return err
	}
	if tags != nil {
		if err := setTags(ctx, tx, p.ID, tags); err != nil {
			return err
		}
		p.Tags = tags
	}
	*out = p
	return s.emit(ctx, tx, Event{Kind: PageChanged, Page: p, By: who.AccountID, Note: note})
}

// Versions lists a page's versions, newest first (bodies left out).
func (s *Service) Versions(ctx context.Context, who core.Subject, id int64) ([]Version, error) {
	if _, err := s.Get(ctx, who, id); err != nil {
		return nil, err
	}
	var vs []Version
	err := s.db.NewSelect().Model(&vs).ExcludeColumn("body").Where("page_id = ?", id).OrderExpr("version DESC").Scan(ctx)
	return vs, store.Translate(err)
}

// GetVersion returns one version of a page.
func (s *Service) GetVersion(ctx context.Context, who core.Subject, id int64, version int) (*Version, error) {
	if _, err := s.Get(ctx, who, id); err != nil {
		return nil, err
	}
	v := new(Version)
	if err := s.db.NewSelect().Model(v).Where("page_id = ? AND version = ?", id, version).Scan(ctx); err != nil {
		return nil, fmt.Errorf("version %d: %w", version, store.Translate(err))
	}
	return v, nil
}

// Restore makes the text of an old version the current one, as a new
// version: history is never rewritten.
func (s *Service) Restore(ctx context.Context, who core.Subject, id int64, version int) (*Page, error) {
	var out *Page
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.writable(ctx, tx, who, id)
		if err != nil {
			return err
		}
		v := new(Version)
		if err := tx.NewSelect().Model(v).Where("page_id = ? AND version = ?", id, version).Scan(ctx); err != nil {
			return fmt.Errorf("version %d: %w", version, store.Translate(err))
		}
		return s.write(ctx, tx, who, p, v.Title, v.Body, v.Format, nil, fmt.Sprintf("restored version %d", version), &out)
	})
	return out, err
}

// Diff compares two versions of a page line by line.
func (s *Service) Diff(ctx context.Context, who core.Subject, id int64, from, to int) ([]Line, error) {
	a, err := s.GetVersion(ctx, who, id, from)
	if err != nil {
		return nil, err
	}
	b, err := s.GetVersion(ctx, who, id, to)
	if err != nil {
		return nil, err
	}
	return DiffLines(a.Title+"\n\n"+a.Body, b.Title+"\n\n"+b.Body), nil
}

// Lock marks a page as being edited by who for LockDuration (renewing a
// lock who holds). Others' saves are refused meanwhile.
func (s *Service) Lock(ctx context.Context, who core.Subject, id int64) (*Page, error) {
	var out *Page
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.writable(ctx, tx, who, id)
		if err != nil {
			return err
		}
		until := s.now().UTC().Add(LockDuration)
		me := who.AccountID
		p.LockedBy, p.LockedUntil = &me, &until
		_, err = tx.NewUpdate().Model(p).Column("locked_by", "locked_until").WherePK().Exec(ctx)
		out = p
		return err
	})
	return out, err
}

// Unlock releases the lock: its holder may, and so may whoever has write
// on the folder (to free a page left locked).
func (s *Service) Unlock(ctx context.Context, who core.Subject, id int64) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.get(ctx, tx, who, "p.id = ?", id)
		if err != nil {
			return err
		}
		holder := p.LockedBy != nil && *p.LockedBy == who.AccountID
		if !holder && p.Level < acl.Write {
			return &acl.DeniedError{Need: acl.PrivWriteContent, Have: p.Level}
		}
		_, err = tx.NewRaw(`UPDATE wiki_pages SET locked_by = NULL, locked_until = NULL WHERE id = ?`, id).Exec(ctx)
		return err
	})
}

// Delete removes a page with its history (needs unbind).
func (s *Service) Delete(ctx context.Context, who core.Subject, id int64) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.writable(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if !acl.Allows(p.Level, false, acl.PrivUnbind) {
			return &acl.DeniedError{Need: acl.PrivUnbind, Have: p.Level}
		}
		_, err = tx.NewDelete().Model(p).WherePK().Exec(ctx)
		return err
	})
}

// SetMain makes a page its space's main page (needs write on its folder,
// or space administration).
func (s *Service) SetMain(ctx context.Context, who core.Subject, id int64) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.get(ctx, tx, who, "p.id = ?", id)
		if err != nil {
			return err
		}
		fl, err := s.acl.Level(ctx, who, acl.Target{ContainerID: p.ContainerID})
		if err != nil {
			return err
		}
		if fl < acl.Write {
			return &acl.DeniedError{Need: acl.PrivWrite, Have: fl}
		}
		if p.SpaceID == nil {
			return invalid("only a page of a space can be its main page")
		}
		if _, err := tx.NewRaw(`UPDATE wiki_pages SET is_main = FALSE WHERE space_id = ? AND is_main`, *p.SpaceID).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.NewRaw(`UPDATE wiki_pages SET is_main = TRUE WHERE id = ?`, id).Exec(ctx)
		return err
	})
}

// Main returns the main page of a space, if who may read it.
func (s *Service) Main(ctx context.Context, who core.Subject, spaceID int64) (*Page, error) {
	return s.get(ctx, s.db, who, "p.space_id = ? AND p.is_main", spaceID)
}

// AddComment adds a comment (Markdown) to a page who may read.
func (s *Service) AddComment(ctx context.Context, who core.Subject, id int64, body string) (*Comment, error) {
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > 10_000 || strings.ContainsRune(body, 0) {
		return nil, invalid("a comment has 1 to 10,000 characters")
	}
	if who.IsAnonymous() {
		return nil, fmt.Errorf("%w: sign in to comment", core.ErrUnauthenticated)
	}
	p, err := s.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	author := who.AccountID
	c := &Comment{PageID: id, AuthorID: &author, Body: body, CreatedAt: s.now().UTC()}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: PageCommented, Page: p, By: author, Comment: c})
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	return c, nil
}

// DeleteComment removes a comment: its author may, and so may whoever
// has write on the page's folder (a space administrator has).
func (s *Service) DeleteComment(ctx context.Context, who core.Subject, id, commentID int64) error {
	p, err := s.Get(ctx, who, id)
	if err != nil {
		return err
	}
	c := new(Comment)
	if err := s.db.NewSelect().Model(c).Where("id = ? AND page_id = ?", commentID, id).Scan(ctx); err != nil {
		return fmt.Errorf("comment %d: %w", commentID, store.Translate(err))
	}
	mine := c.AuthorID != nil && *c.AuthorID == who.AccountID && !who.IsAnonymous()
	if !mine && p.Level < acl.Write {
		return &acl.DeniedError{Need: acl.PrivWrite, Have: p.Level}
	}
	_, err = s.db.NewDelete().Model((*Comment)(nil)).Where("id = ?", commentID).Exec(ctx)
	return store.Translate(err)
}

// Comments lists a page's comments, oldest first.
func (s *Service) Comments(ctx context.Context, who core.Subject, id int64) ([]Comment, error) {
	if _, err := s.Get(ctx, who, id); err != nil {
		return nil, err
	}
	var cs []Comment
	err := s.db.NewSelect().Model(&cs).Where("page_id = ?", id).OrderExpr("id").Scan(ctx)
	return cs, store.Translate(err)
}

// Backlinks lists the pages who may read that link to the page.
func (s *Service) Backlinks(ctx context.Context, who core.Subject, id int64) ([]Page, error) {
	p, err := s.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	var out []Page
	q := s.selectPages(s.db, who, &out).
		Where("p.id <> ? AND (p.body LIKE ? OR p.body LIKE ?)", p.ID, "%[["+p.Ref+"]]%", "%[["+p.Ref+"|%").
		OrderExpr("p.title")
	if err := q.Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return out, nil
}

// Titles returns the titles of the pages among refs who may read: links
// to other pages show no title.
func (s *Service) Titles(ctx context.Context, who core.Subject, refs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(refs) == 0 {
		return out, nil
	}
	var ps []Page
	if err := s.selectPages(s.db, who, &ps).Where("p.ref IN (?)", bun.In(refs)).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	for _, p := range ps {
		out[p.Ref] = p.Title
	}
	return out, nil
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
