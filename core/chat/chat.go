// Package chat holds the chat module: one-to-one and group conversations
// among the members of a space, messages with paging, edits and deletions
// of one's own messages, unread counts, attachments as blobs, presence, and
// the real-time fan-out of changes to connected clients.
//
// Rights come from the ACL core: a conversation is a container of module
// chat (kind "conversation") whose participants hold "limited" user grants
// (read, post, change their own messages). Grants to users count only for
// members of the space, so someone removed from a space loses its
// conversations; a space administrator has write on them, as on everything
// in the space (moderation), but listings show each person only the
// conversations they take part in.
//
// Fan-out: every change is an Event. On PostgreSQL it is sent with
// pg_notify inside the transaction that makes the change (so it leaves only
// when committed), and every process LISTENs on a dedicated connection:
// a message posted through one process reaches clients connected to any
// other. On SQLite (one process by design) events go to the process's own
// hub after commit. Presence is a table of connections with heartbeats and
// an expiry, so every process sees who is connected anywhere, and a
// process that dies stops counting once its rows expire.
package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
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

// KindConversation is the container kind of a conversation.
const KindConversation = "conversation"

// Conversation kinds.
const (
	Direct = "direct" // exactly two people, one per pair
	Group  = "group"
)

// MaxBody is the longest message, in characters.
const MaxBody = 4000

// Conversation is a conversation as one participant sees it.
type Conversation struct {
	ID        int64     `json:"id"` // its container's id
	SpaceID   int64     `json:"space_id"`
	Kind      string    `json:"kind"`
	Title     string    `json:"title"`
	Members   []Person  `json:"members"`
	Unread    int       `json:"unread"`
	LastID    int64     `json:"last_id"`
	CreatedAt time.Time `json:"created_at"`
	Level     acl.Level `json:"-"`
}

// Person is an account as chat shows it.
type Person struct {
	ID    int64  `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name"`
}

type conversationRow struct {
	bun.BaseModel `bun:"table:chat_conversations"`

	ContainerID int64 `bun:",pk"`
	SpaceID     int64
	Kind        string
	DirectKey   *string
	CreatedAt   time.Time
}

type participantRow struct {
	bun.BaseModel `bun:"table:chat_participants"`

	ConversationID int64 `bun:",pk"`
	AccountID      int64 `bun:",pk"`
	LastReadID     int64
	JoinedAt       time.Time
}

// Options configure the chat service.
type Options struct {
	DB     *store.DB
	ACL    *acl.Engine
	Blobs  *blob.Store
	Logger *slog.Logger
	Now    func() time.Time
	// PresenceTTL is how long a connection counts as present without a
	// heartbeat (default 45 s); Heartbeat how often each process renews
	// its connections and sweeps expired ones (default 15 s).
	PresenceTTL time.Duration
	Heartbeat   time.Duration
	// ClientBuffer bounds the frames queued for one client (default 256):
	// a client that lets it fill is disconnected, and catches up when it
	// reconnects.
	ClientBuffer int
}

// Service runs the chat module of one process.
type Service struct {
	db       *store.DB
	acl      *acl.Engine
	blobs    *blob.Store
	log      *slog.Logger
	now      func() time.Time
	ttl      time.Duration
	beat     time.Duration
	cbuf     int
	node     string // this process, in the presence table
	bus      *bus
	hub      *hub
	presence *presenceWriter
}

// New returns the chat service. Call Run to deliver events.
func New(o Options) *Service {
	s := &Service{db: o.DB, acl: o.ACL, blobs: o.Blobs, log: o.Logger, now: o.Now,
		ttl: o.PresenceTTL, beat: o.Heartbeat, cbuf: o.ClientBuffer}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.ttl <= 0 {
		s.ttl = 45 * time.Second
	}
	if s.beat <= 0 {
		s.beat = 15 * time.Second
	}
	if s.cbuf <= 0 {
		s.cbuf = 256
	}
	s.node = randomID()
	s.hub = newHub(s)
	s.presence = &presenceWriter{s: s}
	s.bus = newBus(s.db, s.log, s.hub.enqueue)
	return s
}

func randomID() string {
	b := make([]byte, 12)
	rand.Read(b) //nolint:errcheck // never fails
	return hex.EncodeToString(b)
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{core.ErrInvalid}, a...)...)
}

// CanJoin returns nil when who may use the chat of a space: a member (or a
// platform administrator) of a space with the chat module on. Otherwise
// the ACL core's answer (acl.RequireSpace): ErrUnauthenticated for
// visitors, ErrNotFound where who may not see the space, ErrForbidden
// where they see it but may not chat.
func (s *Service) CanJoin(ctx context.Context, who core.Subject, spaceID int64) error {
	if who.IsAnonymous() {
		return fmt.Errorf("%w: sign in to chat", core.ErrUnauthenticated)
	}
	return acl.RequireSpace(ctx, s.db, who, spaceID, acl.SpaceNeed{Module: core.ModChat})
}

// Start opens a conversation in a space between who and others (members
// of the space). With one other person and kind Direct, the existing
// one-to-one conversation of the pair is returned if there is one.
func (s *Service) Start(ctx context.Context, who core.Subject, spaceID int64, kind, title string, others []int64) (*Conversation, error) {
	if err := s.CanJoin(ctx, who, spaceID); err != nil {
		return nil, err
	}
	title = strings.TrimSpace(title)
	if utf8.RuneCountInString(title) > 200 || strings.ContainsAny(title, "\x00\r\n") {
		return nil, invalid("a conversation title has at most 200 characters")
	}
	ids := []int64{who.AccountID}
	for _, o := range others {
		if !slices.Contains(ids, o) {
			ids = append(ids, o)
		}
	}
	if len(ids) < 2 {
		return nil, invalid("a conversation needs someone else")
	}
	all, err := acl.AllMembers(ctx, s.db, spaceID, ids[1:])
	if err != nil {
		return nil, err
	}
	if !all {
		return nil, invalid("everyone in a conversation must be a member of the space")
	}
	var key *string
	switch kind {
	case Direct:
		if len(ids) != 2 {
			return nil, invalid("a one-to-one conversation has two people")
		}
		a, b := min(ids[0], ids[1]), max(ids[0], ids[1])
		k := fmt.Sprintf("%d:%d:%d", spaceID, a, b)
		key = &k
		var existing int64
		err := s.db.NewRaw(`SELECT container_id FROM chat_conversations WHERE direct_key = ?`, k).Scan(ctx, &existing)
		if err == nil {
			return s.Conversation(ctx, who, existing)
		}
		if err = store.Translate(err); !errors.Is(err, core.ErrNotFound) {
			return nil, err
		}
		title = ""
	case Group:
		if title == "" {
			return nil, invalid("a group conversation needs a title")
		}
	default:
		return nil, invalid("conversation kind must be direct or group")
	}
	name := title
	if name == "" {
		name = "direct"
	}
	var grants []acl.Grant
	for _, id := range ids {
		grants = append(grants, acl.Grant{PrincipalKind: acl.PrincipalUser, PrincipalID: id, Level: acl.Limited})
	}
	c := &acl.Container{SpaceID: &spaceID, Module: core.ModChat, Kind: KindConversation, Name: name}
	if kind == Group {
		owner := who.AccountID
		c.OwnerID = &owner
	}
	now := s.now().UTC()
	var events []Event
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := acl.CreateContainer(ctx, tx, c, grants, now); err != nil {
			return err
		}
		row := &conversationRow{ContainerID: c.ID, SpaceID: spaceID, Kind: kind, DirectKey: key, CreatedAt: now}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		var ps []participantRow
		for _, id := range ids {
			ps = append(ps, participantRow{ConversationID: c.ID, AccountID: id, JoinedAt: now})
		}
		if _, err := tx.NewInsert().Model(&ps).Exec(ctx); err != nil {
			return err
		}
		e := Event{Kind: EvConversation, SpaceID: spaceID, ConversationID: c.ID}
		events = append(events, e)
		return s.bus.publish(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	s.bus.committed(events...)
	return s.Conversation(ctx, who, c.ID)
}

// AddMembers adds members of the space to a group conversation; it needs
// full on the conversation (its creator, or a space administrator).
func (s *Service) AddMembers(ctx context.Context, who core.Subject, convID int64, ids []int64) error {
	c, err := s.Conversation(ctx, who, convID)
	if err != nil {
		return err
	}
	if c.Kind != Group {
		return invalid("people are added to group conversations only")
	}
	if c.Level < acl.Write {
		return &acl.DeniedError{Need: acl.PrivWriteACL, Have: c.Level}
	}
	now := s.now().UTC()
	e := Event{Kind: EvConversation, SpaceID: c.SpaceID, ConversationID: convID}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, id := range ids {
			in, err := acl.AllMembers(ctx, tx, c.SpaceID, []int64{id})
			if err != nil {
				return err
			}
			if !in {
				return invalid("everyone in a conversation must be a member of the space")
			}
			if _, err := tx.NewInsert().Model(&participantRow{ConversationID: convID, AccountID: id, JoinedAt: now}).
				On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
				return err
			}
			if err := acl.AddGrant(ctx, tx, convID, acl.Grant{PrincipalKind: acl.PrincipalUser, PrincipalID: id, Level: acl.Limited}); err != nil {
				return err
			}
		}
		return s.bus.publish(ctx, tx, e)
	})
	if err != nil {
		return err
	}
	s.bus.committed(e)
	return nil
}

// Conversation returns one conversation who may read.
func (s *Service) Conversation(ctx context.Context, who core.Subject, id int64) (*Conversation, error) {
	l, err := s.acl.Level(ctx, who, acl.Target{ContainerID: id})
	if err != nil {
		return nil, err
	}
	if l < acl.Read {
		return nil, fmt.Errorf("conversation %d: %w", id, core.ErrNotFound)
	}
	cs, err := s.conversations(ctx, who, "cc.container_id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("conversation %d: %w", id, core.ErrNotFound)
	}
	cs[0].Level = l
	return &cs[0], nil
}

// Conversations lists the conversations of a space who takes part in and
// may read, with unread counts, most recent activity first.
func (s *Service) Conversations(ctx context.Context, who core.Subject, spaceID int64) ([]Conversation, error) {
	if err := s.CanJoin(ctx, who, spaceID); err != nil {
		return nil, err
	}
	return s.conversations(ctx, who, "cc.space_id = ? AND EXISTS (SELECT 1 FROM chat_participants me WHERE me.conversation_id = cc.container_id AND me.account_id = ?)", spaceID, who.AccountID)
}

func (s *Service) conversations(ctx context.Context, who core.Subject, where string, args ...any) ([]Conversation, error) {
	var rows []struct {
		ID        int64     `bun:"id"`
		SpaceID   int64     `bun:"space_id"`
		Kind      string    `bun:"kind"`
		Title     string    `bun:"title"`
		CreatedAt time.Time `bun:"created_at"`
		LastID    int64     `bun:"last_id"`
		Unread    int       `bun:"unread"`
	}
	q := s.db.NewSelect().TableExpr("chat_conversations AS cc").
		Join("JOIN containers AS c ON c.id = cc.container_id").
		ColumnExpr("cc.container_id AS id, cc.space_id, cc.kind, c.name AS title, cc.created_at").
		ColumnExpr("COALESCE((SELECT MAX(m.id) FROM chat_messages m WHERE m.conversation_id = cc.container_id), 0) AS last_id").
		ColumnExpr(`(SELECT COUNT(*) FROM chat_messages m WHERE m.conversation_id = cc.container_id AND NOT m.deleted
			AND (m.author_id IS NULL OR m.author_id <> ?)
			AND m.id > COALESCE((SELECT p.last_read_id FROM chat_participants p WHERE p.conversation_id = cc.container_id AND p.account_id = ?), 0)) AS unread`,
			who.AccountID, who.AccountID).
		Where(where, args...).
		OrderExpr("last_id DESC, cc.container_id DESC")
	q = acl.WhereReadable(q, who, "c")
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, store.Translate(err)
	}
	out := make([]Conversation, 0, len(rows))
	idx := map[int64]int{}
	var ids []int64
	for _, r := range rows {
		idx[r.ID] = len(out)
		ids = append(ids, r.ID)
		out = append(out, Conversation{ID: r.ID, SpaceID: r.SpaceID, Kind: r.Kind, Title: r.Title, CreatedAt: r.CreatedAt,
			LastID: r.LastID, Unread: r.Unread, Members: []Person{}})
	}
	if len(ids) == 0 {
		return out, nil
	}
	var ms []struct {
		ConversationID int64  `bun:"conversation_id"`
		ID             int64  `bun:"id"`
		Login          string `bun:"login"`
		Name           string `bun:"name"`
	}
	err := s.db.NewSelect().TableExpr("chat_participants AS p").Join("JOIN accounts AS a ON a.id = p.account_id").
		ColumnExpr("p.conversation_id, a.id, a.login, a.name").Where("p.conversation_id IN (?)", bun.In(ids)).
		OrderExpr("a.name, a.login").Scan(ctx, &ms)
	if err != nil {
		return nil, store.Translate(err)
	}
	for _, m := range ms {
		c := &out[idx[m.ConversationID]]
		c.Members = append(c.Members, Person{ID: m.ID, Login: m.Login, Name: displayName(m.Name, m.Login)})
	}
	for i := range out {
		if out[i].Kind == Direct {
			out[i].Title = ""
			for _, m := range out[i].Members {
				if m.ID != who.AccountID {
					out[i].Title = m.Name
				}
			}
		}
	}
	return out, nil
}

func displayName(name, login string) string {
	if name != "" {
		return name
	}
	return login
}

// Members lists the members of a space who may chat in it, for starting
// conversations.
func (s *Service) Members(ctx context.Context, who core.Subject, spaceID int64) ([]Person, error) {
	if err := s.CanJoin(ctx, who, spaceID); err != nil {
		return nil, err
	}
	var ps []Person
	err := s.db.NewSelect().TableExpr("accounts AS a").
		ColumnExpr("a.id, a.login, a.name").Where(acl.MemberOfSQL("?", "a.id")+" AND NOT a.disabled", spaceID).
		OrderExpr("a.name, a.login").Scan(ctx, &ps)
	for i := range ps {
		ps[i].Name = displayName(ps[i].Name, ps[i].Login)
	}
	return ps, store.Translate(err)
}
