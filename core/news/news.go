// Package news holds the news module: articles of a space, in sanitized
// rich text with an optional image. Each article carries its own grants,
// so it has an access container of kind "item" (module news). Articles of
// a public space readable by anonymous visitors are federated by the
// space's actor (see federation/).
package news

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/forum"
	"plaza/core/markup"
	"plaza/core/store"
)

// KindItem is the container kind of an article.
const KindItem = "item"

// MaxImage is the largest image accepted.
const MaxImage = 10 << 20

// Article is one news article.
type Article struct {
	bun.BaseModel `bun:"table:news_articles,alias:na"`

	ContainerID    int64     `bun:",pk" json:"id"`
	SpaceID        int64     `json:"space_id"`
	Title          string    `json:"title"`
	Summary        string    `json:"summary"`
	Body           string    `json:"body"`
	Source         *string   `json:"source,omitempty"` // Markdown written here (Body is its rendering)
	ImageHash      *string   `json:"-"`
	ImageType      string    `json:"image_type,omitempty"`
	AuthorID       *int64    `json:"author_id"`
	RemoteAuthorID *int64    `json:"remote_author_id"`
	APID           *string   `bun:"ap_id" json:"ap_id"`
	PublishedAt    time.Time `json:"published_at"`
	UpdatedAt      time.Time `json:"updated_at"`

	AuthorLogin string `bun:",scanonly" json:"author_login,omitempty"`
	AuthorName  string `bun:",scanonly" json:"author_name"`
}

// Remote reports whether the article came from another server.
func (a *Article) Remote() bool { return a.RemoteAuthorID != nil }

// EventKind says what changed.
type EventKind string

const (
	Created EventKind = "article.created"
	Updated EventKind = "article.updated"
	Deleted EventKind = "article.deleted"
)

// Hook is told of each change inside its transaction (federation).
type Hook interface {
	NewsEvent(ctx context.Context, tx bun.IDB, k EventKind, a *Article) error
}

// Service is the news module.
type Service struct {
	db    *store.DB
	eng   *acl.Engine
	blobs *blob.Store
	now   func() time.Time
	hooks []Hook

	commentHooks []CommentHook
}

// Options configure the service.
type Options struct {
	Blobs *blob.Store // for images; nil refuses them
	Now   func() time.Time
}

// New returns the news service.
func New(db *store.DB, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{db: db, eng: acl.New(db), blobs: o.Blobs, now: o.Now}
}

// AddHook registers h. Call it while wiring the program, before serving.
func (s *Service) AddHook(h Hook) { s.hooks = append(s.hooks, h) }

func (s *Service) emit(ctx context.Context, tx bun.IDB, k EventKind, a *Article) error {
	for _, h := range s.hooks {
		if err := h.NewsEvent(ctx, tx, k, a); err != nil {
			return err
		}
	}
	return nil
}

// NewArticle describes an article. Grants nil: the space's members read;
// add an anonymous read grant to publish it to visitors and the fediverse.
// Markdown, when set, is the text as written (Body is then its
// rendering); Body alone is HTML (federation, older callers).
type NewArticle struct {
	SpaceID  int64
	Title    string
	Summary  string
	Body     string
	Markdown string
	Grants   []acl.Grant
}

// written renders n's text: Markdown to body, kept as the source.
func written(n NewArticle) (string, *string, error) {
	if n.Markdown == "" {
		return n.Body, nil, nil
	}
	if len(n.Markdown) > forum.MaxBody || !utf8.ValidString(n.Markdown) {
		return "", nil, fmt.Errorf("%w: text too long or not UTF-8", core.ErrInvalid)
	}
	md := strings.ReplaceAll(n.Markdown, "\x00", "")
	return markup.Render(md), &md, nil
}

func clean(title, summary, body string, remote bool) (string, string, string, error) {
	if remote {
		title = forum.PlainText(title)
	}
	title = strings.TrimSpace(title)
	if title == "" || utf8.RuneCountInString(title) > forum.MaxTitle || strings.ContainsAny(title, "\x00\r\n") {
		return "", "", "", fmt.Errorf("%w: a title is 1 to %d characters on one line", core.ErrInvalid, forum.MaxTitle)
	}
	if len(body) > forum.MaxBody || len(summary) > 10_000 || !utf8.ValidString(body) || !utf8.ValidString(summary) {
		return "", "", "", fmt.Errorf("%w: text too long or not UTF-8", core.ErrInvalid)
	}
	if remote {
		return title, forum.SanitizeRemote(summary), forum.SanitizeRemote(body), nil
	}
	return title, forum.Sanitize(summary), markup.Sanitize(body), nil
}

func (s *Service) member(ctx context.Context, who core.Subject, spaceID int64) (bool, error) {
	return acl.IsMember(ctx, s.db, who, spaceID)
}

// Create publishes an article in a space: any member may (guests too, if
// members of the space); the author has full on it.
func (s *Service) Create(ctx context.Context, who core.Subject, n NewArticle) (*Article, error) {
	body, src, err := written(n)
	if err != nil {
		return nil, err
	}
	title, summary, body, err := clean(n.Title, n.Summary, body, false)
	if err != nil {
		return nil, err
	}
	ok, err := s.member(ctx, who, n.SpaceID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: only members publish news in a space", core.ErrForbidden)
	}
	author := who.AccountID
	return s.insert(ctx, &Article{SpaceID: n.SpaceID, Title: title, Summary: summary, Body: body, Source: src, AuthorID: &author}, n.Grants)
}

func (s *Service) insert(ctx context.Context, a *Article, grants []acl.Grant) (*Article, error) {
	if grants == nil {
		grants = []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: a.SpaceID, Level: acl.Read}}
	}
	var out *Article
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now().UTC()
		sp := a.SpaceID
		cont := &acl.Container{SpaceID: &sp, Module: core.ModNews, Kind: KindItem, Name: a.Title, OwnerID: a.AuthorID}
		if err := acl.CreateContainer(ctx, tx, cont, grants, now); err != nil {
			return err
		}
		a.ContainerID = cont.ID
		if a.PublishedAt.IsZero() {
			a.PublishedAt = now
		}
		if a.UpdatedAt.IsZero() {
			a.UpdatedAt = a.PublishedAt
		}
		if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
			return err
		}
		var err error
		if out, err = s.get(ctx, tx, a.ContainerID); err != nil {
			return err
		}
		return s.emit(ctx, tx, Created, out)
	})
	return out, err
}

func selectArticles(db bun.IDB, dst *[]Article) *bun.SelectQuery {
	return db.NewSelect().Model(dst).ColumnExpr("na.*").
		Join("JOIN containers AS c ON c.id = na.container_id").
		Join("LEFT JOIN accounts AS au ON au.id = na.author_id").
		Join("LEFT JOIN ap_actors AS ra ON ra.id = na.remote_author_id").
		ColumnExpr("COALESCE(au.login, '') AS author_login").
		ColumnExpr("COALESCE(au.name, ra.name, '') AS author_name")
}

func (s *Service) get(ctx context.Context, db bun.IDB, id int64) (*Article, error) {
	var as []Article
	if err := selectArticles(db, &as).Where("na.container_id = ?", id).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("article %d: %w", id, core.ErrNotFound)
	}
	return &as[0], nil
}

// Get returns an article who may read.
func (s *Service) Get(ctx context.Context, who core.Subject, id int64) (*Article, error) {
	var as []Article
	q := selectArticles(s.db, &as).Where("na.container_id = ?", id)
	if err := acl.WhereReadableItems(q, who, "c", "na.author_id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("article %d: %w", id, core.ErrNotFound)
	}
	return &as[0], nil
}

// GetAny returns an article without an access decision (adapters).
func (s *Service) GetAny(ctx context.Context, id int64) (*Article, error) {
	return s.get(ctx, s.db, id)
}

// List returns the articles of a space who may read, newest first.
func (s *Service) List(ctx context.Context, who core.Subject, spaceID int64, limit int) ([]Article, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	var as []Article
	q := selectArticles(s.db, &as).Where("na.space_id = ?", spaceID).
		OrderExpr("na.published_at DESC, na.container_id DESC").Limit(int64(limit))
	err := acl.WhereReadableItems(q, who, "c", "na.author_id").Scan(ctx)
	return as, store.Translate(err)
}

// Update changes an article: its author, or whoever has write on it.
func (s *Service) Update(ctx context.Context, who core.Subject, id int64, n NewArticle) (*Article, error) {
	body, src, err := written(n)
	if err != nil {
		return nil, err
	}
	title, summary, body, err := clean(n.Title, n.Summary, body, false)
	if err != nil {
		return nil, err
	}
	a, err := s.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if err := s.eng.Decide(ctx, who, acl.Target{ContainerID: id, AuthorID: deref(a.AuthorID), Item: true}, acl.PrivWriteContent); err != nil {
		return nil, err
	}
	return s.update(ctx, id, title, summary, body, src, time.Time{})
}

func (s *Service) update(ctx context.Context, id int64, title, summary, body string, src *string, at time.Time) (*Article, error) {
	if at.IsZero() {
		at = s.now()
	}
	var out *Article
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Table("news_articles").Set("title = ?, summary = ?, body = ?, source = ?, updated_at = ?", title, summary, body, src, at.UTC()).
			Where("container_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Table("containers").Set("name = ?", title).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		var err error
		if out, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		return s.emit(ctx, tx, Updated, out)
	})
	return out, err
}

// Delete removes an article: its author, or whoever has write on it.
func (s *Service) Delete(ctx context.Context, who core.Subject, id int64) error {
	a, err := s.Get(ctx, who, id)
	if err != nil {
		return err
	}
	if err := s.eng.Decide(ctx, who, acl.Target{ContainerID: id, AuthorID: deref(a.AuthorID), Item: true}, acl.PrivWriteContent); err != nil {
		return err
	}
	return s.Remove(ctx, id)
}

// Remove deletes an article without an access decision (adapters).
func (s *Service) Remove(ctx context.Context, id int64) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		a, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.emit(ctx, tx, Deleted, a); err != nil {
			return err
		}
		if a.ImageHash != nil {
			if err := s.blobs.Unref(ctx, tx, *a.ImageHash); err != nil {
				return err
			}
		}
		_, err = tx.NewDelete().Table("containers").Where("id = ?", id).Exec(ctx)
		return err
	})
}

// SetImage stores the article's image (PNG, JPEG, GIF or WebP).
func (s *Service) SetImage(ctx context.Context, who core.Subject, id int64, mediaType string, r io.Reader) error {
	switch mediaType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		return fmt.Errorf("%w: an image is PNG, JPEG, GIF or WebP", core.ErrInvalid)
	}
	if s.blobs == nil {
		return fmt.Errorf("%w: images are not configured", core.ErrInvalid)
	}
	a, err := s.Get(ctx, who, id)
	if err != nil {
		return err
	}
	if err := s.eng.Decide(ctx, who, acl.Target{ContainerID: id, AuthorID: deref(a.AuthorID), Item: true}, acl.PrivWriteContent); err != nil {
		return err
	}
	b, err := s.blobs.Put(ctx, &io.LimitedReader{R: r, N: MaxImage + 1})
	if err != nil {
		return err
	}
	if b.Size > MaxImage {
		return fmt.Errorf("%w: images are limited to %d bytes", core.ErrInvalid, MaxImage)
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.blobs.Ref(ctx, tx, b); err != nil {
			return err
		}
		if a.ImageHash != nil {
			if err := s.blobs.Unref(ctx, tx, *a.ImageHash); err != nil {
				return err
			}
		}
		_, err := tx.NewUpdate().Table("news_articles").Set("image_hash = ?, image_type = ?", b.Hash, mediaType).
			Where("container_id = ?", id).Exec(ctx)
		return err
	})
}

// Image opens the image of an article who may read.
func (s *Service) Image(ctx context.Context, who core.Subject, id int64) (string, blob.File, error) {
	a, err := s.Get(ctx, who, id)
	if err != nil {
		return "", nil, err
	}
	if a.ImageHash == nil || s.blobs == nil {
		return "", nil, fmt.Errorf("article %d has no image: %w", id, core.ErrNotFound)
	}
	f, err := s.blobs.Open(*a.ImageHash)
	return a.ImageType, f, err
}

// RemoteArticle is an article published on another server.
type RemoteArticle struct {
	APID           string
	Title          string
	Summary        string
	Body           string
	RemoteAuthorID int64
	Published      time.Time
	Updated        time.Time
}

// UpsertRemote stores or updates a remote article in a space that follows
// its publisher; the space's members read it.
func (s *Service) UpsertRemote(ctx context.Context, spaceID int64, r RemoteArticle) (*Article, error) {
	title, summary, body, err := clean(r.Title, r.Summary, r.Body, true)
	if err != nil {
		return nil, err
	}
	existing, err := s.ByAPID(ctx, r.APID)
	if err != nil {
		return nil, err
	}
	for _, a := range existing {
		if a.SpaceID == spaceID {
			if a.RemoteAuthorID == nil || *a.RemoteAuthorID != r.RemoteAuthorID {
				return nil, fmt.Errorf("%w: article %s belongs to another author", core.ErrForbidden, r.APID)
			}
			return s.update(ctx, a.ContainerID, title, summary, body, nil, r.Updated)
		}
	}
	ra, apid := r.RemoteAuthorID, r.APID
	return s.insert(ctx, &Article{SpaceID: spaceID, Title: title, Summary: summary, Body: body,
		RemoteAuthorID: &ra, APID: &apid, PublishedAt: r.Published.UTC(), UpdatedAt: r.Updated.UTC()}, nil)
}

// ByAPID returns the articles stored under an ActivityPub id.
func (s *Service) ByAPID(ctx context.Context, apID string) ([]Article, error) {
	var as []Article
	err := selectArticles(s.db, &as).Where("na.ap_id = ?", apID).Scan(ctx)
	return as, store.Translate(err)
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// SetPublic opens an article to anonymous visitors (read) or closes it;
// a public article of a public space federates. Needs full on it (its
// author has).
func (s *Service) SetPublic(ctx context.Context, who core.Subject, id int64, public bool) error {
	a, err := s.Get(ctx, who, id)
	if err != nil {
		return err
	}
	if a.Remote() {
		return fmt.Errorf("%w: an article from another server is not published here", core.ErrInvalid)
	}
	var author int64
	if a.AuthorID != nil {
		author = *a.AuthorID
	}
	// Followers of the space learn of it as of a new article, or of its
	// deletion when it stops being public.
	return s.eng.SetPublic(ctx, who, id, author, public, func(ctx context.Context, tx bun.Tx) error {
		out, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if public {
			return s.emit(ctx, tx, Created, out)
		}
		return s.emit(ctx, tx, Deleted, out)
	})
}
