package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/store"
)

// MaxAttachment is the largest file sent in a conversation.
const MaxAttachment = 50 << 20

// Message is one message of a conversation. A deleted message keeps its
// place (and id) with an empty body.
type Message struct {
	bun.BaseModel `bun:"table:chat_messages,alias:m"`

	ID             int64        `bun:",pk,autoincrement" json:"id"`
	ConversationID int64        `json:"conversation_id"`
	AuthorID       *int64       `json:"author_id"`
	AuthorName     string       `bun:",scanonly" json:"author_name"`
	Body           string       `json:"body"`
	Edited         bool         `json:"edited"`
	Deleted        bool         `json:"deleted"`
	CreatedAt      time.Time    `json:"created_at"`
	ChangedAt      time.Time    `json:"changed_at"`
	Attachments    []Attachment `bun:"-" json:"attachments"`
}

// Attachment is a file sent with a message; its bytes are a blob.
type Attachment struct {
	bun.BaseModel `bun:"table:chat_attachments"`

	ID          int64  `bun:",pk,autoincrement" json:"id"`
	MessageID   int64  `json:"message_id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	BlobHash    string `json:"-"`
	Size        int64  `json:"size"`
}

func checkBody(body string, empty bool) (string, error) {
	body = strings.TrimSpace(body)
	if (body == "" && !empty) || utf8.RuneCountInString(body) > MaxBody || strings.ContainsRune(body, 0) || !utf8.ValidString(body) {
		return "", invalid("a message has 1 to %d characters", MaxBody)
	}
	return body, nil
}

// level returns who's level on a conversation, refusing what is not one.
func (s *Service) level(ctx context.Context, who core.Subject, convID int64) (acl.Level, int64, error) {
	var spaceID int64
	if err := s.db.NewRaw(`SELECT space_id FROM chat_conversations WHERE container_id = ?`, convID).Scan(ctx, &spaceID); err != nil {
		return acl.None, 0, fmt.Errorf("conversation %d: %w", convID, store.Translate(err))
	}
	l, err := s.acl.Level(ctx, who, acl.Target{ContainerID: convID})
	if err != nil {
		return acl.None, 0, err
	}
	if l < acl.Read {
		return acl.None, 0, fmt.Errorf("conversation %d: %w", convID, core.ErrNotFound)
	}
	return l, spaceID, nil
}

// Post adds a message to a conversation (needs bind: its participants).
func (s *Service) Post(ctx context.Context, who core.Subject, convID int64, body string) (*Message, error) {
	return s.post(ctx, who, convID, body, nil)
}

// Attach posts a message carrying a file, streamed to the blob store
// before the row is committed.
func (s *Service) Attach(ctx context.Context, who core.Subject, convID int64, body, name, contentType string, r io.Reader) (*Message, error) {
	if s.blobs == nil {
		return nil, fmt.Errorf("%w: no blob store", core.ErrForbidden)
	}
	if _, _, err := s.level(ctx, who, convID); err != nil {
		return nil, err
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
		return nil, invalid("files sent in a conversation are at most %d MiB", MaxAttachment>>20)
	}
	return s.post(ctx, who, convID, body, &attachment{b: b, name: name, ct: contentType})
}

type attachment struct {
	b        blob.Blob
	name, ct string
}

func (s *Service) post(ctx context.Context, who core.Subject, convID int64, body string, att *attachment) (*Message, error) {
	body, err := checkBody(body, att != nil)
	if err != nil {
		return nil, err
	}
	l, spaceID, err := s.level(ctx, who, convID)
	if err != nil {
		return nil, err
	}
	if !acl.Allows(l, true, acl.PrivBind) {
		return nil, &acl.DeniedError{Need: acl.PrivBind, Have: l}
	}
	now := s.now().UTC()
	author := who.AccountID
	m := &Message{ConversationID: convID, AuthorID: &author, Body: body, CreatedAt: now, ChangedAt: now}
	var e Event
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
			return err
		}
		if att != nil {
			if err := s.blobs.Ref(ctx, tx, att.b); err != nil {
				return err
			}
			a := Attachment{MessageID: m.ID, Name: att.name, ContentType: att.ct, BlobHash: att.b.Hash, Size: att.b.Size}
			if _, err := tx.NewInsert().Model(&a).Exec(ctx); err != nil {
				return err
			}
			m.Attachments = []Attachment{a}
		}
		// Posting reads everything before it.
		if _, err := tx.NewUpdate().Model((*participantRow)(nil)).Set("last_read_id = ?", m.ID).
			Where("conversation_id = ? AND account_id = ? AND last_read_id < ?", convID, who.AccountID, m.ID).Exec(ctx); err != nil {
			return err
		}
		e = Event{Kind: EvMessage, SpaceID: spaceID, ConversationID: convID, MessageID: m.ID}
		return s.bus.publish(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	s.bus.committed(e)
	if m.Attachments == nil {
		m.Attachments = []Attachment{}
	}
	return m, nil
}

// Edit changes the body of one's own message.
func (s *Service) Edit(ctx context.Context, who core.Subject, msgID int64, body string) (*Message, error) {
	body, err := checkBody(body, false)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, who, msgID, false, func(m *Message) { m.Body, m.Edited = body, true })
}

// Delete blanks a message: its author may, and so may whoever has write
// on the conversation (a space administrator). Its files are released.
func (s *Service) Delete(ctx context.Context, who core.Subject, msgID int64) error {
	_, err := s.change(ctx, who, msgID, true, func(m *Message) { m.Body, m.Deleted = "", true })
	return err
}

func (s *Service) change(ctx context.Context, who core.Subject, msgID int64, moderate bool, fn func(*Message)) (*Message, error) {
	m := new(Message)
	if err := s.db.NewSelect().Model(m).Where("m.id = ?", msgID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("message %d: %w", msgID, store.Translate(err))
	}
	l, spaceID, err := s.level(ctx, who, m.ConversationID)
	if err != nil {
		return nil, err
	}
	own := m.AuthorID != nil && *m.AuthorID == who.AccountID && l >= acl.Limited
	if !own && !(moderate && l >= acl.Write) {
		return nil, fmt.Errorf("%w: only the author changes a message", core.ErrForbidden)
	}
	if m.Deleted {
		return nil, fmt.Errorf("%w: the message was deleted", core.ErrConflict)
	}
	fn(m)
	m.ChangedAt = s.now().UTC()
	kind := EvEdit
	if m.Deleted {
		kind = EvDelete
	}
	e := Event{Kind: kind, SpaceID: spaceID, ConversationID: m.ConversationID, MessageID: m.ID}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model(m).Column("body", "edited", "deleted", "changed_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if m.Deleted {
			var as []Attachment
			if err := tx.NewSelect().Model(&as).Where("message_id = ?", m.ID).Scan(ctx); err != nil {
				return err
			}
			for _, a := range as {
				if err := s.blobs.Unref(ctx, tx, a.BlobHash); err != nil {
					return err
				}
			}
			if _, err := tx.NewDelete().Model((*Attachment)(nil)).Where("message_id = ?", m.ID).Exec(ctx); err != nil {
				return err
			}
		}
		return s.bus.publish(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	s.bus.committed(e)
	return m, nil
}

func (s *Service) messageQuery() *bun.SelectQuery {
	return s.db.NewSelect().Model((*Message)(nil)).ColumnExpr("m.*").
		ColumnExpr("COALESCE(NULLIF(a.name, ''), a.login, '') AS author_name").
		Join("LEFT JOIN accounts AS a ON a.id = m.author_id")
}

func (s *Service) withAttachments(ctx context.Context, ms []Message) error {
	var ids []int64
	idx := map[int64]int{}
	for i := range ms {
		ms[i].Attachments = []Attachment{}
		ids = append(ids, ms[i].ID)
		idx[ms[i].ID] = i
	}
	if len(ids) == 0 {
		return nil
	}
	var as []Attachment
	if err := s.db.NewSelect().Model(&as).Where("message_id IN (?)", bun.In(ids)).Order("id").Scan(ctx); err != nil {
		return store.Translate(err)
	}
	for _, a := range as {
		m := &ms[idx[a.MessageID]]
		m.Attachments = append(m.Attachments, a)
	}
	return nil
}

// Messages returns a page of a conversation, oldest first: the latest
// limit messages with an id below before (0: the latest). The page is
// complete when fewer than limit come back.
func (s *Service) Messages(ctx context.Context, who core.Subject, convID, before int64, limit int) ([]Message, error) {
	if _, _, err := s.level(ctx, who, convID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var ms []Message
	q := s.messageQuery().Where("m.conversation_id = ?", convID).OrderExpr("m.id DESC").Limit(int64(limit))
	if before > 0 {
		q = q.Where("m.id < ?", before)
	}
	if err := q.Scan(ctx, &ms); err != nil {
		return nil, store.Translate(err)
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms, s.withAttachments(ctx, ms)
}

// CatchUpLimit bounds what one catch-up returns.
const CatchUpLimit = 1000

// CatchUpSlack is how far before the client's last frame a catch-up looks
// for changes (see CatchUp).
const CatchUpSlack = 5 * time.Second

// CatchUp returns, oldest first, what a client that last saw message
// after (and changes up to since) missed in the conversations of a space
// who takes part in: new messages, and messages edited or deleted since.
// More than CatchUpLimit reports truncated: the client should reload.
func (s *Service) CatchUp(ctx context.Context, who core.Subject, spaceID, after int64, since time.Time) (ms []Message, truncated bool, err error) {
	if err := s.CanJoin(ctx, who, spaceID); err != nil {
		return nil, false, err
	}
	q := s.messageQuery().Join("JOIN chat_conversations AS cc ON cc.container_id = m.conversation_id").
		Join("JOIN containers AS c ON c.id = cc.container_id").
		Join("JOIN chat_participants AS p ON p.conversation_id = cc.container_id AND p.account_id = ?", who.AccountID).
		Where("cc.space_id = ?", spaceID).
		OrderExpr("m.id").Limit(CatchUpLimit + 1)
	if since.IsZero() {
		q = q.Where("m.id > ?", after)
	} else {
		// Ids are taken before commit: on PostgreSQL a message can commit
		// after one with a higher id the client already has. Changes from
		// CatchUpSlack before since are sent again (clients keep one copy
		// per id), which covers such late commits.
		q = q.Where("(m.id > ? OR m.changed_at > ?)", after, since.Add(-CatchUpSlack).UTC())
	}
	q = acl.WhereReadable(q, who, "c")
	if err := q.Scan(ctx, &ms); err != nil {
		return nil, false, store.Translate(err)
	}
	if len(ms) > CatchUpLimit {
		ms, truncated = ms[:CatchUpLimit], true
	}
	return ms, truncated, s.withAttachments(ctx, ms)
}

// message loads one message for the fan-out (no access check: the hub
// sends it only to the conversation's participants).
func (s *Service) message(ctx context.Context, id int64) (*Message, error) {
	ms := []Message{{}}
	if err := s.messageQuery().Where("m.id = ?", id).Scan(ctx, &ms[0]); err != nil {
		return nil, store.Translate(err)
	}
	return &ms[0], s.withAttachments(ctx, ms)
}

// MarkRead records that who has read a conversation up to message upto.
func (s *Service) MarkRead(ctx context.Context, who core.Subject, convID, upto int64) error {
	_, spaceID, err := s.level(ctx, who, convID)
	if err != nil {
		return err
	}
	e := Event{Kind: EvRead, SpaceID: spaceID, ConversationID: convID, AccountID: who.AccountID, MessageID: upto}
	return s.afterTx(ctx, e, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Model((*participantRow)(nil)).Set("last_read_id = ?", upto).
			Where("conversation_id = ? AND account_id = ? AND last_read_id < ?", convID, who.AccountID, upto).Exec(ctx)
		return err
	})
}

func (s *Service) afterTx(ctx context.Context, e Event, fn func(ctx context.Context, tx bun.Tx) error) error {
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := fn(ctx, tx); err != nil {
			return err
		}
		return s.bus.publish(ctx, tx, e)
	})
	if err == nil {
		s.bus.committed(e)
	}
	return err
}

// Unread returns how many messages of others who has not read in the
// conversations of a space.
func (s *Service) Unread(ctx context.Context, who core.Subject, spaceID int64) (int, error) {
	cs, err := s.Conversations(ctx, who, spaceID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cs {
		n += c.Unread
	}
	return n, nil
}

// Attachment returns a file of a message in a conversation who may read.
func (s *Service) Attachment(ctx context.Context, who core.Subject, id int64) (*Attachment, int64, error) {
	var row struct {
		Attachment
		ConversationID int64 `bun:"conversation_id"`
	}
	err := s.db.NewSelect().TableExpr("chat_attachments AS at").Join("JOIN chat_messages AS m ON m.id = at.message_id").
		ColumnExpr("at.*, m.conversation_id").Where("at.id = ?", id).Scan(ctx, &row)
	if err != nil {
		return nil, 0, fmt.Errorf("attachment %d: %w", id, store.Translate(err))
	}
	if _, _, err := s.level(ctx, who, row.ConversationID); err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return nil, 0, fmt.Errorf("attachment %d: %w", id, core.ErrNotFound)
		}
		return nil, 0, err
	}
	a := row.Attachment
	return &a, row.ConversationID, nil
}

// OpenAttachment opens the bytes of a file who may read.
func (s *Service) OpenAttachment(ctx context.Context, who core.Subject, id int64) (*Attachment, io.ReadSeekCloser, error) {
	a, _, err := s.Attachment(ctx, who, id)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.blobs.Open(a.BlobHash)
	if err != nil {
		return nil, nil, err
	}
	return a, f, nil
}
