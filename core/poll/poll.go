// Package poll holds the polls module: a question with single or multiple
// choice, an optional closing date, one ballot per account, and results
// shown always, to those who voted, or once the poll is closed. A poll
// carries its own grants (container of kind "item", module polls): read
// lets a person see it and vote, write lets them see results at any time
// and close it.
package poll

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// KindItem is the container kind of a poll.
const KindItem = "item"

// Visibility says who sees results.
type Visibility string

const (
	Always      Visibility = "always" // everyone who may read the poll
	AfterVote   Visibility = "voted"  // those who voted, and everyone once closed
	AfterClose  Visibility = "closed" // everyone once closed
	maxOptions             = 50
	maxQuestion            = 500
)

// Poll is a question.
type Poll struct {
	bun.BaseModel `bun:"table:polls,alias:pl"`

	ContainerID int64      `bun:",pk" json:"id"`
	SpaceID     int64      `json:"space_id"`
	Question    string     `json:"question"`
	Multiple    bool       `json:"multiple"`
	ClosesAt    *time.Time `json:"closes_at"`
	Results     Visibility `json:"results"`
	AuthorID    *int64     `json:"author_id"`
	CreatedAt   time.Time  `json:"created_at"`

	Options []Option `bun:"-" json:"options"`
}

// Closed reports whether voting has ended at now.
func (p *Poll) Closed(now time.Time) bool { return p.ClosesAt != nil && !now.Before(*p.ClosesAt) }

// Option is one answer.
type Option struct {
	bun.BaseModel `bun:"table:poll_options,alias:po"`

	ID       int64  `bun:",pk,autoincrement" json:"id"`
	PollID   int64  `json:"-"`
	Label    string `json:"label"`
	Position int    `json:"position"`
	Votes    *int   `bun:",scanonly" json:"votes,omitempty"` // set when results are visible
}

// EventKind says what changed.
type EventKind string

const (
	Created EventKind = "poll.created"
	Closed  EventKind = "poll.closed"
)

// Hook is told of each change inside its transaction (federation
// publishes public polls as Question).
type Hook interface {
	PollEvent(ctx context.Context, tx bun.IDB, k EventKind, p *Poll) error
}

// Service is the polls module.
type Service struct {
	db    *store.DB
	eng   *acl.Engine
	now   func() time.Time
	hooks []Hook
}

// AddHook registers h. Call it while wiring the program, before serving.
func (s *Service) AddHook(h Hook) { s.hooks = append(s.hooks, h) }

func (s *Service) emit(ctx context.Context, tx bun.IDB, k EventKind, p *Poll) error {
	for _, h := range s.hooks {
		if err := h.PollEvent(ctx, tx, k, p); err != nil {
			return err
		}
	}
	return nil
}

// New returns the polls service. now may be nil.
func New(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, eng: acl.New(db), now: now}
}

// NewPoll describes a poll. Grants nil: the space's members read (and so vote).
type NewPoll struct {
	SpaceID  int64
	Question string
	Options  []string
	Multiple bool
	ClosesAt *time.Time
	Results  Visibility
	Grants   []acl.Grant
}

// Create adds a poll; any member of the space may.
func (s *Service) Create(ctx context.Context, who core.Subject, n NewPoll) (*Poll, error) {
	q := strings.TrimSpace(n.Question)
	if q == "" || utf8.RuneCountInString(q) > maxQuestion || !utf8.ValidString(q) || strings.ContainsRune(q, 0) {
		return nil, fmt.Errorf("%w: a question is 1 to %d characters", core.ErrInvalid, maxQuestion)
	}
	if len(n.Options) < 2 || len(n.Options) > maxOptions {
		return nil, fmt.Errorf("%w: a poll has 2 to %d options", core.ErrInvalid, maxOptions)
	}
	var labels []string
	for _, o := range n.Options {
		o = strings.TrimSpace(o)
		if o == "" || utf8.RuneCountInString(o) > 200 || strings.ContainsAny(o, "\x00\r\n") || slices.Contains(labels, o) {
			return nil, fmt.Errorf("%w: options are distinct, 1 to 200 characters on one line", core.ErrInvalid)
		}
		labels = append(labels, o)
	}
	switch n.Results {
	case "":
		n.Results = Always
	case Always, AfterVote, AfterClose:
	default:
		return nil, fmt.Errorf("%w: results are shown always, voted or closed", core.ErrInvalid)
	}
	if n.Results == AfterClose && n.ClosesAt == nil {
		return nil, fmt.Errorf("%w: results shown after closing need a closing date", core.ErrInvalid)
	}
	if n.ClosesAt != nil && !n.ClosesAt.After(s.now()) {
		return nil, fmt.Errorf("%w: the closing date is in the past", core.ErrInvalid)
	}
	if who.IsAnonymous() {
		return nil, fmt.Errorf("%w: sign in to create a poll", core.ErrForbidden)
	}
	if err := acl.RequireSpace(ctx, s.db, who, n.SpaceID, acl.SpaceNeed{Change: true}); err != nil {
		return nil, err
	}
	grants := n.Grants
	if grants == nil {
		grants = []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: n.SpaceID, Level: acl.Read}}
	}
	author := who.AccountID
	p := &Poll{SpaceID: n.SpaceID, Question: q, Multiple: n.Multiple, Results: n.Results, AuthorID: &author, CreatedAt: s.now().UTC()}
	if n.ClosesAt != nil {
		c := n.ClosesAt.UTC()
		p.ClosesAt = &c
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sp := n.SpaceID
		name := q
		if utf8.RuneCountInString(name) > 255 {
			name = string([]rune(name)[:255])
		}
		cont := &acl.Container{SpaceID: &sp, Module: core.ModPolls, Kind: KindItem, Name: name, OwnerID: p.AuthorID}
		if err := acl.CreateContainer(ctx, tx, cont, grants, p.CreatedAt); err != nil {
			return err
		}
		p.ContainerID = cont.ID
		if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
			return err
		}
		for i, l := range labels {
			p.Options = append(p.Options, Option{PollID: p.ContainerID, Label: l, Position: i})
		}
		if _, err := tx.NewInsert().Model(&p.Options).Exec(ctx); err != nil {
			return err
		}
		return s.emit(ctx, tx, Created, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Get returns a poll who may read, with vote counts when who may see them.
func (s *Service) Get(ctx context.Context, who core.Subject, id int64) (*Poll, error) {
	var ps []Poll
	q := s.db.NewSelect().Model(&ps).ColumnExpr("pl.*").Join("JOIN containers AS c ON c.id = pl.container_id").
		Where("pl.container_id = ?", id)
	if err := acl.WhereReadableItems(q, who, "c", "pl.author_id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("poll %d: %w", id, core.ErrNotFound)
	}
	p := &ps[0]
	show, err := s.resultsVisible(ctx, who, p)
	if err != nil {
		return nil, err
	}
	oq := s.db.NewSelect().Model(&p.Options).ColumnExpr("po.*").Where("po.poll_id = ?", id).Order("po.position")
	if show {
		oq = oq.ColumnExpr("(SELECT COUNT(*) FROM poll_votes v WHERE v.option_id = po.id) AS votes")
	}
	if err := oq.Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return p, nil
}

func (s *Service) resultsVisible(ctx context.Context, who core.Subject, p *Poll) (bool, error) {
	if p.Results == Always || p.Closed(s.now()) {
		return true, nil
	}
	l, err := s.eng.Level(ctx, who, acl.Target{ContainerID: p.ContainerID, AuthorID: deref(p.AuthorID), Item: true})
	if err != nil {
		return false, err
	}
	if l >= acl.Write {
		return true, nil
	}
	if p.Results == AfterVote && !who.IsAnonymous() {
		return s.voted(ctx, p.ContainerID, who.AccountID)
	}
	return false, nil
}

func (s *Service) voted(ctx context.Context, pollID, accountID int64) (bool, error) {
	n, err := s.db.NewSelect().Table("poll_ballots").Where("poll_id = ? AND account_id = ?", pollID, accountID).Count(ctx)
	return n > 0, store.Translate(err)
}

// Voted reports whether who has voted.
func (s *Service) Voted(ctx context.Context, who core.Subject, id int64) (bool, error) {
	if who.IsAnonymous() {
		return false, nil
	}
	return s.voted(ctx, id, who.AccountID)
}

// Vote casts who's one ballot: one option, or several on a multiple
// choice poll. A second ballot is a conflict.
func (s *Service) Vote(ctx context.Context, who core.Subject, id int64, options []int64) error {
	p, err := s.Get(ctx, who, id)
	if err != nil {
		return err
	}
	if who.IsAnonymous() {
		return fmt.Errorf("%w: sign in to vote", core.ErrForbidden)
	}
	if p.Closed(s.now()) {
		return fmt.Errorf("%w: the poll is closed", core.ErrForbidden)
	}
	slices.Sort(options)
	options = slices.Compact(options)
	if len(options) == 0 || (!p.Multiple && len(options) > 1) {
		return fmt.Errorf("%w: choose one option (several on a multiple choice poll)", core.ErrInvalid)
	}
	for _, o := range options {
		if !slices.ContainsFunc(p.Options, func(x Option) bool { return x.ID == o }) {
			return fmt.Errorf("%w: option %d is not in this poll", core.ErrInvalid, o)
		}
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewRaw("INSERT INTO poll_ballots (poll_id, account_id, created_at) VALUES (?, ?, ?)",
			id, who.AccountID, s.now().UTC()).Exec(ctx); err != nil {
			if err := store.Translate(err); errors.Is(err, core.ErrConflict) {
				return fmt.Errorf("%w: you have already voted", core.ErrConflict)
			}
			return err
		}
		for _, o := range options {
			if _, err := tx.NewRaw("INSERT INTO poll_votes (poll_id, account_id, option_id) VALUES (?, ?, ?)",
				id, who.AccountID, o).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close ends voting now: the author or whoever has write on the poll.
func (s *Service) Close(ctx context.Context, who core.Subject, id int64) error {
	p, err := s.Get(ctx, who, id)
	if err != nil {
		return err
	}
	if err := s.eng.Decide(ctx, who, acl.Target{ContainerID: id, AuthorID: deref(p.AuthorID), Item: true}, acl.PrivWriteContent); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now().UTC()
		if _, err := tx.NewUpdate().Table("polls").Set("closes_at = ?", now).Where("container_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		p.ClosesAt = &now
		return s.emit(ctx, tx, Closed, p)
	})
}

// List returns the polls of a space who may read, newest first (without
// results: Get gives them).
func (s *Service) List(ctx context.Context, who core.Subject, spaceID int64) ([]Poll, error) {
	var ps []Poll
	q := s.db.NewSelect().Model(&ps).ColumnExpr("pl.*").Join("JOIN containers AS c ON c.id = pl.container_id").
		Where("pl.space_id = ?", spaceID).OrderExpr("pl.created_at DESC, pl.container_id DESC")
	err := acl.WhereReadableItems(q, who, "c", "pl.author_id").Scan(ctx)
	return ps, store.Translate(err)
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
