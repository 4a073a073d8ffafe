// Package forum holds the forum module: categories (themes) hold topics,
// topics hold posts. Categories and topics are access containers (kinds
// "category" and "topic"): a topic starts with its category's grants;
// limited lets a person open topics and reply and edit their own posts,
// write lets them moderate. Rich text is sanitized on the way in;
// attachments are blobs.
//
// Content may come from other servers (federation): such topics and posts
// carry the id of their remote author (ap_actors) and their ActivityPub id,
// and are read through the same access filter as local ones.
//
// Changes are announced to Hooks inside the transaction that makes them, so
// a hook that queues work (federation deliveries, notification mail) does
// so atomically with the change.
package forum

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/markup"
	"plaza/core/store"
)

// Container kinds of the forum.
const (
	KindCategory = "category"
	KindTopic    = "topic"
)

// Limits on what a person writes.
const (
	MaxTitle = 200
	MaxBody  = 200_000
)

// Category is a forum theme. A public one (anonymous visitors may read it)
// with a Handle is federated as a Group actor.
type Category struct {
	bun.BaseModel `bun:"table:forum_categories,alias:fc"`

	ContainerID   int64     `bun:",pk" json:"id"`
	SpaceID       int64     `json:"space_id"`
	Slug          string    `json:"slug"`
	Handle        *string   `json:"handle"`
	Description   string    `json:"description"`
	RemoteActorID *int64    `json:"remote_actor_id"` // a mirror of a remote group
	CreatedAt     time.Time `json:"created_at"`

	Name string `bun:",scanonly" json:"name"`
}

// Topic is a thread: a title, an opening text and replies.
type Topic struct {
	bun.BaseModel `bun:"table:forum_topics,alias:ft"`

	ContainerID    int64     `bun:",pk" json:"id"`
	CategoryID     int64     `json:"category_id"`
	Title          string    `json:"title"`
	Body           string    `json:"body"`
	Source         *string   `json:"source,omitempty"` // Markdown written here (Body is its rendering)
	AuthorID       *int64    `json:"author_id"`
	RemoteAuthorID *int64    `json:"remote_author_id"`
	APID           *string   `bun:"ap_id" json:"ap_id"`
	Pinned         bool      `json:"pinned"`
	Locked         bool      `json:"locked"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`

	Author Author `bun:"embed:author_" json:"author"`
	// Unread: there is activity since the reader last opened the topic
	// (set by TopicsPage and Unread only).
	Unread bool `bun:",scanonly" json:"unread,omitempty"`
}

// Post is a reply in a topic.
type Post struct {
	bun.BaseModel `bun:"table:forum_posts,alias:fp"`

	ID             int64     `bun:",pk,autoincrement" json:"id"`
	TopicID        int64     `json:"topic_id"`
	InReplyToID    *int64    `json:"in_reply_to_id"`
	Body           string    `json:"body"`
	Source         *string   `json:"source,omitempty"` // Markdown written here (Body is its rendering)
	AuthorID       *int64    `json:"author_id"`
	RemoteAuthorID *int64    `json:"remote_author_id"`
	APID           *string   `bun:"ap_id" json:"ap_id"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`

	Author Author `bun:"embed:author_" json:"author"`
}

// Author names who wrote a topic or post: a local account (Login set) or
// a remote actor (URI and Handle user@host set).
type Author struct {
	Login  string `bun:",scanonly" json:"login,omitempty"`
	Name   string `bun:",scanonly" json:"name"`
	URI    string `bun:",scanonly" json:"uri,omitempty"`
	Handle string `bun:",scanonly" json:"handle,omitempty"`
}

// Remote reports whether the content came from another server.
func (t *Topic) Remote() bool { return t.RemoteAuthorID != nil }

// Remote reports whether the post came from another server.
func (p *Post) Remote() bool { return p.RemoteAuthorID != nil }

// EventKind says what changed.
type EventKind string

const (
	TopicCreated EventKind = "topic.created"
	TopicUpdated EventKind = "topic.updated"
	TopicDeleted EventKind = "topic.deleted"
	PostCreated  EventKind = "post.created"
	PostUpdated  EventKind = "post.updated"
	PostDeleted  EventKind = "post.deleted"
)

// Event is one change, given to hooks. Category and Topic are always set;
// Post for post events. For deletions they hold the state before.
type Event struct {
	Kind     EventKind
	Category *Category
	Topic    *Topic
	Post     *Post
}

// Remote reports whether the change was made on another server and
// arrived by federation (hooks that publish must not echo it back).
func (e Event) Remote() bool {
	if e.Post != nil {
		return e.Post.Remote()
	}
	return e.Topic.Remote()
}

// Hook is told of each change inside its transaction. Returning an error
// cancels the change. The federation adapter and the notification mail
// (subscriptions, see Subscribers) are hooks.
type Hook interface {
	ForumEvent(ctx context.Context, tx bun.IDB, e Event) error
}

// Service is the forum module.
type Service struct {
	db    *store.DB
	eng   *acl.Engine
	blobs *blob.Store
	now   func() time.Time
	hooks []Hook
}

// Options configure the service.
type Options struct {
	Blobs *blob.Store // for attachments; nil refuses them
	Now   func() time.Time
}

// New returns the forum service.
func New(db *store.DB, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{db: db, eng: acl.New(db), blobs: o.Blobs, now: o.Now}
}

// AddHook registers h. Call it while wiring the program, before serving.
func (s *Service) AddHook(h Hook) { s.hooks = append(s.hooks, h) }

func (s *Service) emit(ctx context.Context, tx bun.IDB, e Event) error {
	for _, h := range s.hooks {
		if err := h.ForumEvent(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)

func checkTitle(t string) (string, error) {
	t = strings.TrimSpace(t)
	if t == "" || utf8.RuneCountInString(t) > MaxTitle || strings.ContainsAny(t, "\x00\r\n") {
		return "", fmt.Errorf("%w: a title is 1 to %d characters on one line", core.ErrInvalid, MaxTitle)
	}
	return t, nil
}

// written renders what a person wrote here: Markdown (md, when not
// empty) gives the HTML body and is kept as the source to edit; without
// it, body is HTML and is sanitized.
func written(body, md string) (string, *string, error) {
	if md == "" {
		b, err := checkBody(body, false)
		return b, nil, err
	}
	if len(md) > MaxBody || !utf8.ValidString(md) {
		return "", nil, fmt.Errorf("%w: text longer than %d bytes or not UTF-8", core.ErrInvalid, MaxBody)
	}
	md = strings.ReplaceAll(md, "\x00", "")
	return markup.Render(md), &md, nil
}

func checkBody(b string, remote bool) (string, error) {
	if len(b) > MaxBody || !utf8.ValidString(b) {
		return "", fmt.Errorf("%w: text longer than %d bytes or not UTF-8", core.ErrInvalid, MaxBody)
	}
	if remote {
		return SanitizeRemote(b), nil
	}
	return Sanitize(b), nil
}

// isSpaceAdmin reports whether who administers the space.
func (s *Service) isSpaceAdmin(ctx context.Context, who core.Subject, spaceID int64) (bool, error) {
	return acl.IsSpaceAdmin(ctx, s.db, who, spaceID)
}

// authorJoins adds the author columns to a select over alias a (ft or fp).
func authorJoins(q *bun.SelectQuery, alias string) *bun.SelectQuery {
	return q.
		Join("LEFT JOIN accounts AS au ON au.id = " + alias + ".author_id").
		Join("LEFT JOIN ap_actors AS ra ON ra.id = " + alias + ".remote_author_id").
		ColumnExpr("COALESCE(au.login, '') AS author_login").
		ColumnExpr("COALESCE(au.name, ra.name, '') AS author_name").
		ColumnExpr("COALESCE(ra.uri, '') AS author_uri").
		ColumnExpr("COALESCE(ra.username || '@' || ra.host, '') AS author_handle")
}
