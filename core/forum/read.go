package forum

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// Read state: a topic is unread for a person when it changed (a reply,
// an edit) after they last opened it, or when they never did.

type readMark struct {
	bun.BaseModel `bun:"table:forum_reads"`

	AccountID int64 `bun:",pk"`
	TopicID   int64 `bun:",pk"`
	ReadAt    time.Time
}

// MarkRead records that who has just read a topic (anonymous readers
// keep no state).
func (s *Service) MarkRead(ctx context.Context, who core.Subject, topicID int64) error {
	if who.IsAnonymous() {
		return nil
	}
	_, err := s.db.NewInsert().Model(&readMark{AccountID: who.AccountID, TopicID: topicID, ReadAt: s.now().UTC()}).
		On("CONFLICT (account_id, topic_id) DO UPDATE").Set("read_at = EXCLUDED.read_at").Exec(ctx)
	return store.Translate(err)
}

// unreadExpr selects, as column "unread", whether who has not read the
// topic ft since its last change.
func unreadExpr(q *bun.SelectQuery, who core.Subject) *bun.SelectQuery {
	return q.ColumnExpr(`NOT EXISTS (SELECT 1 FROM forum_reads AS fr WHERE fr.account_id = ? AND fr.topic_id = ft.container_id
		AND fr.read_at >= ft.updated_at) AS unread`, who.AccountID)
}

// TopicsPage lists a page of a category's topics who may read (pinned
// first, then the most recently active), each marked unread or not, with
// the number of topics in all.
func (s *Service) TopicsPage(ctx context.Context, who core.Subject, categoryID int64, offset, limit int) ([]Topic, int, error) {
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	var ts []Topic
	q := s.selectTopics(s.db, &ts).Where("ft.category_id = ?", categoryID)
	q = acl.WhereReadableItems(q, who, "c", "ft.author_id")
	total, err := q.Count(ctx)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	err = unreadExpr(q, who).OrderExpr("ft.pinned DESC, ft.updated_at DESC, ft.container_id DESC").
		Offset(int64(offset)).Limit(int64(limit)).Scan(ctx)
	return ts, int(total), store.Translate(err)
}

// Unread lists the topics of a space that who may read and has not read
// since their last change, most recently active first.
func (s *Service) Unread(ctx context.Context, who core.Subject, spaceID int64, limit int) ([]Topic, error) {
	if who.IsAnonymous() {
		return nil, nil
	}
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	var ts []Topic
	q := s.selectTopics(s.db, &ts).Join("JOIN forum_categories AS fcat ON fcat.container_id = ft.category_id").
		Where("fcat.space_id = ?", spaceID).
		Where(`NOT EXISTS (SELECT 1 FROM forum_reads AS fr WHERE fr.account_id = ? AND fr.topic_id = ft.container_id
			AND fr.read_at >= ft.updated_at)`, who.AccountID)
	q = acl.WhereReadableItems(q, who, "c", "ft.author_id")
	err := q.ColumnExpr("TRUE AS unread").OrderExpr("ft.updated_at DESC, ft.container_id DESC").Limit(int64(limit)).Scan(ctx)
	return ts, store.Translate(err)
}

// PostsPage lists a page of a topic's replies who may read, oldest
// first, with the number of replies in all.
func (s *Service) PostsPage(ctx context.Context, who core.Subject, topicID int64, offset, limit int) ([]Post, int, error) {
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	var ps []Post
	q := s.selectPosts(s.db, &ps).Where("fp.topic_id = ?", topicID)
	q = acl.WhereReadableItems(q, who, "c", "fp.author_id")
	total, err := q.Count(ctx)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	err = q.Order("fp.id").Offset(int64(offset)).Limit(int64(limit)).Scan(ctx)
	return ps, int(total), store.Translate(err)
}
