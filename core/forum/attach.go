package forum

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
	"plaza/core/store"
)

// MaxAttachment is the largest attachment accepted.
const MaxAttachment = 25 << 20

// Attachment is a file joined to a topic or to one of its posts.
type Attachment struct {
	bun.BaseModel `bun:"table:forum_attachments,alias:fa"`

	ID        int64     `bun:",pk,autoincrement" json:"id"`
	TopicID   int64     `json:"topic_id"`
	PostID    *int64    `json:"post_id"`
	BlobHash  string    `json:"-"`
	Name      string    `json:"name"`
	MediaType string    `json:"media_type"`
	Size      int64     `json:"size"`
	AuthorID  *int64    `json:"author_id"`
	CreatedAt time.Time `json:"created_at"`
}

// Attach stores r as an attachment of a topic (postID nil) or of a post.
// Only the author of the topic or post, or a moderator, may.
func (s *Service) Attach(ctx context.Context, who core.Subject, topicID int64, postID *int64, name, mediaType string, r io.Reader) (*Attachment, error) {
	if s.blobs == nil {
		return nil, fmt.Errorf("%w: attachments are not configured", core.ErrInvalid)
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 255 || strings.ContainsAny(name, "/\\\x00\r\n") {
		return nil, fmt.Errorf("%w: an attachment needs a file name without slashes", core.ErrInvalid)
	}
	if mediaType == "" {
		mediaType = "application/octet-stream"
	}
	t, err := s.Topic(ctx, who, topicID)
	if err != nil {
		return nil, err
	}
	author := deref(t.AuthorID)
	if postID != nil {
		p, err := s.Post(ctx, who, *postID)
		if err != nil {
			return nil, err
		}
		if p.TopicID != topicID {
			return nil, fmt.Errorf("%w: post %d is not in topic %d", core.ErrInvalid, *postID, topicID)
		}
		author = deref(p.AuthorID)
	}
	if err := s.eng.Decide(ctx, who, acl.Target{ContainerID: topicID, AuthorID: author, Item: true}, acl.PrivWriteContent); err != nil {
		return nil, err
	}
	lr := &io.LimitedReader{R: r, N: MaxAttachment + 1}
	b, err := s.blobs.Put(ctx, lr)
	if err != nil {
		return nil, err
	}
	if b.Size > MaxAttachment {
		return nil, fmt.Errorf("%w: attachments are limited to %d bytes", core.ErrInvalid, MaxAttachment)
	}
	a := &Attachment{TopicID: topicID, PostID: postID, BlobHash: b.Hash, Name: name, MediaType: mediaType,
		Size: b.Size, AuthorID: &who.AccountID, CreatedAt: s.now().UTC()}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.blobs.Ref(ctx, tx, b); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(a).Exec(ctx)
		return err
	})
	return a, err
}

// Attachments lists the attachments of a topic who may read.
func (s *Service) Attachments(ctx context.Context, who core.Subject, topicID int64) ([]Attachment, error) {
	var as []Attachment
	q := s.db.NewSelect().Model(&as).ColumnExpr("fa.*").
		Join("JOIN containers AS c ON c.id = fa.topic_id").
		Join("LEFT JOIN forum_topics AS ft ON ft.container_id = fa.topic_id").
		Where("fa.topic_id = ?", topicID).Order("fa.id")
	err := acl.WhereReadableItems(q, who, "c", "ft.author_id").Scan(ctx)
	return as, store.Translate(err)
}

// OpenAttachment returns an attachment who may read and its content.
func (s *Service) OpenAttachment(ctx context.Context, who core.Subject, id int64) (*Attachment, blob.File, error) {
	a := new(Attachment)
	if err := s.db.NewSelect().Model(a).Where("fa.id = ?", id).Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("attachment %d: %w", id, store.Translate(err))
	}
	if _, err := s.Topic(ctx, who, a.TopicID); err != nil {
		return nil, nil, err
	}
	if s.blobs == nil {
		return nil, nil, fmt.Errorf("%w: attachments are not configured", core.ErrNotFound)
	}
	f, err := s.blobs.Open(a.BlobHash)
	return a, f, err
}

func (s *Service) unrefAttachments(ctx context.Context, tx bun.IDB, where string, arg int64) error {
	var hashes []string
	if err := tx.NewSelect().Table("forum_attachments").Column("blob_hash").Where(where, arg).Scan(ctx, &hashes); err != nil {
		return store.Translate(err)
	}
	if len(hashes) > 0 && s.blobs == nil {
		return fmt.Errorf("%w: attachments are not configured", core.ErrInvalid)
	}
	for _, h := range hashes {
		if err := s.blobs.Unref(ctx, tx, h); err != nil {
			return err
		}
	}
	return nil
}
