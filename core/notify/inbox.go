package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// Notification is one line of a person's in-app list. Every note Notify
// handles lands there, whatever the person chose for mail.
type Notification struct {
	bun.BaseModel `bun:"table:notifications"`

	ID        int64      `bun:",pk,autoincrement" json:"id"`
	AccountID int64      `json:"-"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Path      string     `json:"path"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}

// maxBody bounds the text kept with a notification.
const maxBody = 500

// Inbox lists who's notifications, newest first: at most limit (1 to
// 200), older than the notification before when it is not 0.
func (s *Service) Inbox(ctx context.Context, who core.Subject, limit int, before int64) ([]Notification, error) {
	if who.IsAnonymous() {
		return nil, core.ErrUnauthenticated
	}
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	var out []Notification
	q := s.db.NewSelect().Model(&out).Where("account_id = ?", who.AccountID).OrderExpr("id DESC").Limit(int64(limit))
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	return out, store.Translate(q.Scan(ctx))
}

// Unread counts who's unread notifications.
func (s *Service) Unread(ctx context.Context, who core.Subject) (int, error) {
	if who.IsAnonymous() {
		return 0, nil
	}
	n, err := s.db.NewSelect().Model((*Notification)(nil)).Where("account_id = ? AND read_at IS NULL", who.AccountID).Count(ctx)
	return int(n), store.Translate(err)
}

// MarkRead marks who's notifications ids read; no ids: all of them.
func (s *Service) MarkRead(ctx context.Context, who core.Subject, ids ...int64) error {
	if who.IsAnonymous() {
		return core.ErrUnauthenticated
	}
	q := s.db.NewUpdate().Model((*Notification)(nil)).Set("read_at = ?", s.o.Now().UTC()).
		Where("account_id = ? AND read_at IS NULL", who.AccountID)
	if len(ids) > 0 {
		q = q.Where("id IN (?)", bun.In(ids))
	}
	_, err := q.Exec(ctx)
	return store.Translate(err)
}

// Open marks one of who's notifications read and returns it (the page
// then leads to its Path).
func (s *Service) Open(ctx context.Context, who core.Subject, id int64) (*Notification, error) {
	if err := s.MarkRead(ctx, who, id); err != nil {
		return nil, err
	}
	n := new(Notification)
	err := s.db.NewSelect().Model(n).Where("id = ? AND account_id = ?", id, who.AccountID).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("notification %d: %w", id, store.Translate(err))
	}
	return n, nil
}

// keep adds n to its person's list, inside tx.
func (s *Service) keep(ctx context.Context, tx bun.IDB, n Note) error {
	body := []rune(n.Text)
	if len(body) > maxBody {
		body = append(body[:maxBody], '…')
	}
	_, err := tx.NewInsert().Model(&Notification{AccountID: n.AccountID, Title: n.Title, Body: string(body), Path: n.Path,
		CreatedAt: s.o.Now().UTC()}).Exec(ctx)
	return store.Translate(err)
}
