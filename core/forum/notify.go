package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// Mail is one notification for the mail queue.
type Mail struct {
	AccountID int64
	To        string
	Subject   string
	Text      string
}

// Mailer queues mail in the caller's transaction, so a notification is
// sent if and only if the change commits. The mail queue (its own issue)
// implements it; until then nothing is wired.
type Mailer interface {
	QueueMail(ctx context.Context, tx bun.IDB, m Mail) error
}

// Notifier returns the hook that mails immediate subscribers of a topic
// or its category when a topic is opened or a reply written. Digest
// subscribers are served by a daily job calling Digest.
func (s *Service) Notifier(m Mailer) Hook { return notifier{s: s, mail: m} }

type notifier struct {
	s    *Service
	mail Mailer
}

func (n notifier) ForumEvent(ctx context.Context, tx bun.IDB, e Event) error {
	if e.Kind != TopicCreated && e.Kind != PostCreated {
		return nil
	}
	subs, err := n.s.Subscribers(ctx, tx, e)
	if err != nil {
		return err
	}
	author, body := e.Topic.Author.Name, e.Topic.Body
	subject := fmt.Sprintf("[%s] %s", e.Category.Name, e.Topic.Title)
	if e.Post != nil {
		author, body, subject = e.Post.Author.Name, e.Post.Body, "Re: "+subject
	}
	if author == "" {
		author = e.Topic.Author.Handle
	}
	text := fmt.Sprintf("%s wrote:\n\n%s\n", author, PlainText(body))
	for _, sub := range subs {
		if sub.Mode != Immediate || sub.Email == "" {
			continue
		}
		if err := n.mail.QueueMail(ctx, tx, Mail{AccountID: sub.AccountID, To: sub.Email, Subject: subject, Text: text}); err != nil {
			return err
		}
	}
	return nil
}

// DigestItem is one topic with news for a daily digest.
type DigestItem struct {
	TopicID    int64     `json:"topic_id"`
	Title      string    `json:"title"`
	CategoryID int64     `json:"category_id"`
	NewTopic   bool      `json:"new_topic"`
	NewPosts   int       `json:"new_posts"`
	LastAt     time.Time `json:"last_at"`
}

// Digest lists the topics who follows in digest mode (directly or through
// their category) that have changed since since, among those who may read.
func (s *Service) Digest(ctx context.Context, who core.Subject, since time.Time) ([]DigestItem, error) {
	if who.IsAnonymous() {
		return nil, fmt.Errorf("%w: no subscriptions without an account", core.ErrUnauthenticated)
	}
	since = since.UTC()
	var items []DigestItem
	q := s.db.NewSelect().TableExpr("forum_topics AS ft").
		Join("JOIN containers AS c ON c.id = ft.container_id").
		ColumnExpr("ft.container_id AS topic_id, ft.title, ft.category_id").
		ColumnExpr("ft.created_at > ? AS new_topic", since).
		ColumnExpr("(SELECT COUNT(*) FROM forum_posts fp WHERE fp.topic_id = ft.container_id AND fp.created_at > ?) AS new_posts", since).
		ColumnExpr("ft.updated_at AS last_at").
		Where("EXISTS (SELECT 1 FROM forum_subscriptions fs WHERE fs.account_id = ? AND fs.mode = ? AND fs.container_id IN (ft.container_id, ft.category_id))", who.AccountID, Digest).
		Where("ft.updated_at > ?", since).
		OrderExpr("ft.updated_at DESC")
	err := acl.WhereReadableItems(q, who, "c", "ft.author_id").Scan(ctx, &items)
	return items, store.Translate(err)
}
