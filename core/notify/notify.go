// Package notify tells people of what they follow, by mail and in an
// in-app list with unread counts (inbox.go): forum subscriptions (a
// forum.Hook), generic follows of a wiki page, news article, folder, task
// status or calendar (follow.go: Follow, Announce), task assignments and
// status changes, and calendar reminders. Each person chooses immediate mail, a daily digest
// or nothing; a forum subscription's own mode (immediate or digest) is
// honoured unless the person turned notifications off.
package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/forum"
	"plaza/core/mail"
	"plaza/core/markup"
	"plaza/core/store"
)

// Mode is how a person hears of things.
type Mode string

const (
	Immediate Mode = "immediate"
	Digest    Mode = "digest"
	Off       Mode = "off"
)

// Options configure the notifier.
type Options struct {
	Queue     *mail.Queue
	Templates *mail.Templates
	Forum     *forum.Service // for subscribers; nil: no forum notifications
	BaseURL   string
	Platform  func(ctx context.Context) string
	Now       func() time.Time
}

// Service sends notifications.
type Service struct {
	db *store.DB
	o  Options
}

// New returns the notifier.
func New(db *store.DB, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Platform == nil {
		o.Platform = func(context.Context) string { return "Plaza" }
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	return &Service{db: db, o: o}
}

type pref struct {
	bun.BaseModel `bun:"table:notify_prefs"`

	AccountID int64 `bun:",pk"`
	Mode      Mode
}

// ModeOf returns a person's choice (immediate when never set).
func (s *Service) ModeOf(ctx context.Context, accountID int64) (Mode, error) {
	p := new(pref)
	err := store.Translate(s.db.NewSelect().Model(p).Where("account_id = ?", accountID).Scan(ctx))
	if errors.Is(err, core.ErrNotFound) {
		return Immediate, nil
	}
	return p.Mode, err
}

// SetMode records a person's choice.
func (s *Service) SetMode(ctx context.Context, who core.Subject, m Mode) error {
	if who.IsAnonymous() {
		return core.ErrUnauthenticated
	}
	if m != Immediate && m != Digest && m != Off {
		return fmt.Errorf("%w: mode is immediate, digest or off", core.ErrInvalid)
	}
	_, err := s.db.NewInsert().Model(&pref{AccountID: who.AccountID, Mode: m}).
		On("CONFLICT (account_id) DO UPDATE").Set("mode = EXCLUDED.mode").Exec(ctx)
	return store.Translate(err)
}

// Note is one thing to tell someone.
type Note struct {
	AccountID int64
	Title     string // one line
	Text      string
	Path      string // below the base URL, e.g. /s/team/tasks/3
	// Mode overrides the person's choice (a forum subscription's); empty: theirs.
	Mode Mode
}

type digestLine struct {
	bun.BaseModel `bun:"table:notify_digest"`

	ID        int64 `bun:",pk,autoincrement"`
	AccountID int64
	Line      string
	CreatedAt time.Time
}

// Notify adds notes to their people's in-app lists and mails them at
// once or keeps them for the digest, inside tx (so nothing is sent for a
// change that rolls back). Disabled people get nothing; people without
// an address, or who turned mail off, only the in-app line.
func (s *Service) Notify(ctx context.Context, tx bun.IDB, notes ...Note) error {
	for _, n := range notes {
		var acc struct {
			Email    string
			Language string
			Disabled bool
			Mode     *string
		}
		err := tx.NewRaw(`SELECT a.email, a.language, a.disabled, p.mode FROM accounts a
			LEFT JOIN notify_prefs p ON p.account_id = a.id WHERE a.id = ?`, n.AccountID).
			Scan(ctx, &acc.Email, &acc.Language, &acc.Disabled, &acc.Mode)
		if err != nil {
			return store.Translate(err)
		}
		mode := Immediate
		if acc.Mode != nil {
			mode = Mode(*acc.Mode)
		}
		if mode != Off && n.Mode != "" {
			mode = n.Mode
		}
		if acc.Disabled {
			continue
		}
		title := strings.Join(strings.Fields(n.Title), " ")
		n.Title = title
		if err := s.keep(ctx, tx, n); err != nil {
			return err
		}
		if acc.Email == "" || mode == Off {
			continue
		}
		if mode == Digest {
			line := title
			if n.Path != "" {
				line += " — " + s.o.BaseURL + n.Path
			}
			if _, err := tx.NewInsert().Model(&digestLine{AccountID: n.AccountID, Line: line, CreatedAt: s.o.Now().UTC()}).Exec(ctx); err != nil {
				return store.Translate(err)
			}
			continue
		}
		subj, body, err := s.o.Templates.Render(acc.Language, "notify", map[string]any{
			"Platform": s.o.Platform(ctx), "Title": title, "Text": n.Text, "Link": s.o.BaseURL + n.Path})
		if err != nil {
			return err
		}
		if err := s.o.Queue.Enqueue(ctx, tx, mail.Message{To: acc.Email, Subject: subj, Text: body}); err != nil {
			return err
		}
	}
	return nil
}

// DigestAge is how old a person's oldest pending line must be before
// their digest goes: one digest a day at most.
const DigestAge = 24 * time.Hour

// SendDigests queues one digest for each person whose oldest pending
// line is a day old, and returns how many. Safe to run from several
// processes at once (rows are taken with SKIP LOCKED on PostgreSQL).
func (s *Service) SendDigests(ctx context.Context) (int, error) {
	sent := 0
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var due []int64
		err := tx.NewSelect().Model((*digestLine)(nil)).Column("account_id").Group("account_id").
			Having("MIN(created_at) <= ?", s.o.Now().UTC().Add(-DigestAge)).Scan(ctx, &due)
		if err != nil || len(due) == 0 {
			return err
		}
		var lines []digestLine
		q := tx.NewSelect().Model(&lines).Where("account_id IN (?)", bun.In(due)).Order("account_id", "id")
		if s.db.Kind == store.Postgres {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		byAccount := map[int64][]string{}
		var ids []int64
		for _, l := range lines {
			byAccount[l.AccountID] = append(byAccount[l.AccountID], l.Line)
			ids = append(ids, l.ID)
		}
		for id, ls := range byAccount {
			var email, lang string
			if err := tx.NewRaw(`SELECT email, language FROM accounts WHERE id = ?`, id).Scan(ctx, &email, &lang); err != nil {
				return err
			}
			if email == "" {
				continue
			}
			subj, body, err := s.o.Templates.Render(lang, "digest", map[string]any{"Platform": s.o.Platform(ctx), "Lines": ls})
			if err != nil {
				return err
			}
			if err := s.o.Queue.Enqueue(ctx, tx, mail.Message{To: email, Subject: subj, Text: body}); err != nil {
				return err
			}
			sent++
		}
		if len(ids) == 0 {
			return nil
		}
		_, err = tx.NewDelete().Model((*digestLine)(nil)).Where("id IN (?)", bun.In(ids)).Exec(ctx)
		return err
	})
	return sent, err
}

// ForumEvent implements forum.Hook: subscribers of a topic or its
// category hear of new topics and replies.
func (s *Service) ForumEvent(ctx context.Context, tx bun.IDB, e forum.Event) error {
	if s.o.Forum == nil || (e.Kind != forum.PostCreated && e.Kind != forum.TopicCreated) {
		return nil
	}
	subs, err := s.o.Forum.Subscribers(ctx, tx, e)
	if err != nil {
		return err
	}
	var slug string
	if err := tx.NewRaw(`SELECT slug FROM spaces WHERE id = ?`, e.Category.SpaceID).Scan(ctx, &slug); err != nil {
		return store.Translate(err)
	}
	author := e.Topic.Author.Name
	text := e.Topic.Body
	title := e.Topic.Title
	if e.Post != nil {
		author, text = e.Post.Author.Name, e.Post.Body
		title = "Re: " + title
	}
	if author != "" {
		title += " (" + author + ")"
	}
	var notes []Note
	for _, sub := range subs {
		m := Immediate
		if sub.Mode == forum.Digest {
			m = Digest
		}
		notes = append(notes, Note{AccountID: sub.AccountID, Title: title, Text: forumText(text), Mode: m,
			Path: fmt.Sprintf("/s/%s/forum/topic/%d", slug, e.Topic.ContainerID)})
	}
	return s.Notify(ctx, tx, notes...)
}

func forumText(h string) string {
	t := []rune(markup.Text(h))
	if len(t) > 2000 {
		return string(t[:2000]) + "…"
	}
	return string(t)
}
