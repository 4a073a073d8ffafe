package task

import (
	"context"
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

// MaxAttachment is the largest file attached to a task.
const MaxAttachment = 100 << 20

// Attachment is a file attached to a task; its bytes are a blob.
type Attachment struct {
	bun.BaseModel `bun:"table:task_attachments"`

	ID          int64     `bun:",pk,autoincrement" json:"id"`
	TaskID      int64     `json:"task_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	BlobHash    string    `json:"-"`
	Size        int64     `json:"size"`
	AuthorID    *int64    `json:"author_id"`
	CreatedAt   time.Time `json:"created_at"`
}

// Attach stores r as a file of a task (needs write-content on the task).
// The content is streamed to the blob store first and the row committed
// after, so a failure leaves no visible partial file.
func (s *Service) Attach(ctx context.Context, blobs *blob.Store, who core.Subject, taskID int64, name, contentType string, r io.Reader) (*Attachment, error) {
	t, err := s.get(ctx, who, taskID)
	if err != nil {
		return nil, err
	}
	if !acl.Allows(t.Level, false, acl.PrivWriteContent) {
		return nil, &acl.DeniedError{Need: acl.PrivWriteContent, Have: t.Level}
	}
	name = strings.TrimSpace(path.Base(strings.ReplaceAll(name, "\\", "/")))
	if name == "" || name == "." || name == "/" || utf8.RuneCountInString(name) > 255 || strings.ContainsAny(name, "\x00\r\n") {
		return nil, invalid("a file needs a name of at most 255 characters")
	}
	if _, _, err := mime.ParseMediaType(contentType); err != nil || contentType == "" {
		contentType = "application/octet-stream"
	}
	lr := &io.LimitedReader{R: r, N: MaxAttachment + 1}
	b, err := blobs.Put(ctx, lr)
	if err != nil {
		return nil, err
	}
	if b.Size > MaxAttachment {
		return nil, fmt.Errorf("%w: files attached to tasks are at most %d MiB", core.ErrInvalid, MaxAttachment>>20)
	}
	author := who.AccountID
	a := &Attachment{TaskID: taskID, Name: name, ContentType: contentType, BlobHash: b.Hash, Size: b.Size,
		AuthorID: &author, CreatedAt: s.now().UTC()}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := blobs.Ref(ctx, tx, b); err != nil {
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

// Attachments lists the files of a task who may read.
func (s *Service) Attachments(ctx context.Context, who core.Subject, taskID int64) ([]Attachment, error) {
	if _, err := s.get(ctx, who, taskID); err != nil {
		return nil, err
	}
	var as []Attachment
	err := s.db.NewSelect().Model(&as).Where("task_id = ?", taskID).Order("id").Scan(ctx)
	return as, store.Translate(err)
}

// Attachment returns one file of a task who may read.
func (s *Service) Attachment(ctx context.Context, who core.Subject, id int64) (*Attachment, error) {
	a := new(Attachment)
	if err := s.db.NewSelect().Model(a).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("attachment %d: %w", id, store.Translate(err))
	}
	if _, err := s.get(ctx, who, a.TaskID); err != nil {
		return nil, err
	}
	return a, nil
}

// Detach removes a file of a task (needs write-content on the task).
func (s *Service) Detach(ctx context.Context, blobs *blob.Store, who core.Subject, id int64) error {
	a, err := s.Attachment(ctx, who, id)
	if err != nil {
		return err
	}
	t, err := s.get(ctx, who, a.TaskID)
	if err != nil {
		return err
	}
	if !acl.Allows(t.Level, false, acl.PrivWriteContent) {
		return &acl.DeniedError{Need: acl.PrivWriteContent, Have: t.Level}
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model(a).WherePK().Exec(ctx); err != nil {
			return err
		}
		return blobs.Unref(ctx, tx, a.BlobHash)
	})
}
