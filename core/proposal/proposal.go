// Package proposal lets visitors of a public space propose a calendar
// event. A proposal waits in the space's queue until a space
// administrator accepts it (it then becomes an event of the space's
// agenda) or rejects it.
package proposal

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
	"plaza/core/calendar"
	"plaza/core/mail"
	"plaza/core/secret"
	"plaza/core/space"
	"plaza/core/store"
)

// Status of a proposal.
const (
	Pending  = "pending"
	Accepted = "accepted"
	Rejected = "rejected"
)

// Proposal is a proposed event.
type Proposal struct {
	bun.BaseModel `bun:"table:event_proposals"`

	ID            int64      `bun:",pk,autoincrement" json:"id"`
	SpaceID       int64      `json:"space_id"`
	Summary       string     `json:"summary"`
	Description   string     `json:"description"`
	StartsAt      time.Time  `json:"starts_at"`
	EndsAt        time.Time  `json:"ends_at"`
	ProposerName  string     `json:"proposer_name"`
	ProposerEmail string     `json:"proposer_email"`
	Status        string     `json:"status"`
	DecidedBy     *int64     `json:"decided_by"`
	DecidedAt     *time.Time `json:"decided_at"`
	CreatedAt     time.Time  `json:"created_at"`
}

// Agenda is what accepting needs of the calendar module
// (calendar.Service): the space's shared agenda, and a way to add an
// iCalendar object to it.
type Agenda interface {
	EnsureSpace(ctx context.Context, spaceID int64, name string) (int64, error)
	ByID(ctx context.Context, who core.Subject, id int64) (*calendar.Collection, error)
	Put(ctx context.Context, who core.Subject, c *calendar.Collection, name string, data []byte, cond calendar.Conditions) (string, bool, error)
}

// Limits.
const (
	MaxPending = 200 // per space: a flood of proposals stops here
	MaxLength  = 31 * 24 * time.Hour
)

// Service keeps the queue.
type Service struct {
	db     *store.DB
	spaces *space.Service
	agenda Agenda
	now    func() time.Time
}

// New returns the service. now may be nil.
func New(db *store.DB, spaces *space.Service, agenda Agenda, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, spaces: spaces, agenda: agenda, now: now}
}

// Input is what a visitor fills in.
type Input struct {
	Summary     string
	Description string
	Start, End  time.Time
	Name        string
	Email       string // optional
}

// Propose queues a proposal in a space: anyone who may see the space
// (a visitor of a public space, after its password if it has one; a
// member) when its calendar module is on.
func (s *Service) Propose(ctx context.Context, who core.Subject, spaceID int64, in Input) (*Proposal, error) {
	sp, err := s.spaces.Get(ctx, spaceID)
	if err != nil {
		return nil, err
	}
	if err := s.mayPropose(ctx, who, sp); err != nil {
		return nil, err
	}
	in.Summary = strings.TrimSpace(in.Summary)
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.TrimSpace(in.Email)
	switch {
	case in.Summary == "" || utf8.RuneCountInString(in.Summary) > 200 || strings.ContainsAny(in.Summary, "\x00\r\n"):
		return nil, fmt.Errorf("%w: a title is 1 to 200 characters on one line", core.ErrInvalid)
	case in.Name == "" || utf8.RuneCountInString(in.Name) > 200 || strings.ContainsAny(in.Name, "\x00\r\n"):
		return nil, fmt.Errorf("%w: give your name (200 characters at most)", core.ErrInvalid)
	case utf8.RuneCountInString(in.Description) > 5000 || !utf8.ValidString(in.Description) || strings.ContainsRune(in.Description, 0):
		return nil, fmt.Errorf("%w: a description is at most 5000 characters", core.ErrInvalid)
	case in.Start.IsZero() || !in.End.After(in.Start) || in.End.Sub(in.Start) > MaxLength:
		return nil, fmt.Errorf("%w: the end must follow the start, within 31 days", core.ErrInvalid)
	}
	if in.Email != "" {
		if err := mail.CheckAddress(in.Email); err != nil {
			return nil, err
		}
	}
	p := &Proposal{SpaceID: spaceID, Summary: in.Summary, Description: in.Description, StartsAt: in.Start.UTC(),
		EndsAt: in.End.UTC(), ProposerName: in.Name, ProposerEmail: in.Email, Status: Pending, CreatedAt: s.now().UTC()}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*Proposal)(nil)).Where("space_id = ? AND status = ?", spaceID, Pending).Count(ctx)
		if err != nil {
			return err
		}
		if n >= MaxPending {
			return fmt.Errorf("%w: this space has too many proposals waiting", core.ErrConflict)
		}
		_, err = tx.NewInsert().Model(p).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Service) mayPropose(ctx context.Context, who core.Subject, sp *space.Space) error {
	hidden := fmt.Errorf("space %d: %w", sp.ID, core.ErrNotFound)
	if sp.ArchivedAt != nil {
		return hidden
	}
	mods, err := s.spaces.Modules(ctx, sp.ID)
	if err != nil {
		return err
	}
	if !mods[core.ModCalendar] {
		return fmt.Errorf("%w: the agenda is off in this space", core.ErrForbidden)
	}
	if who.Type.PlatformAdmin() {
		return nil
	}
	if !who.IsAnonymous() {
		role, err := s.roleIn(ctx, sp.ID, who.AccountID)
		if err != nil {
			return err
		}
		if role != "" {
			return nil
		}
	}
	if !sp.Public {
		return hidden
	}
	if sp.HasPassword() && !slices.Contains(who.UnlockedSpaces, sp.ID) {
		return fmt.Errorf("%w: give the space's visitor password first", core.ErrForbidden)
	}
	return nil
}

func (s *Service) roleIn(ctx context.Context, spaceID, accountID int64) (space.Role, error) {
	role, err := acl.RoleIn(ctx, s.db, spaceID, accountID)
	return space.Role(role), err
}

func (s *Service) requireSpaceAdmin(ctx context.Context, who core.Subject, spaceID int64) error {
	if who.Type.PlatformAdmin() {
		return nil
	}
	if who.IsAnonymous() {
		return core.ErrUnauthenticated
	}
	role, err := s.roleIn(ctx, spaceID, who.AccountID)
	if err != nil {
		return err
	}
	if role != space.RoleAdmin {
		return fmt.Errorf("%w: space administrators decide on proposals", core.ErrForbidden)
	}
	return nil
}

// List returns a space's proposals with a status (empty: all), oldest
// first (space administrators).
func (s *Service) List(ctx context.Context, who core.Subject, spaceID int64, status string) ([]Proposal, error) {
	if err := s.requireSpaceAdmin(ctx, who, spaceID); err != nil {
		return nil, err
	}
	var out []Proposal
	q := s.db.NewSelect().Model(&out).Where("space_id = ?", spaceID).Order("id").Limit(500)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	return out, store.Translate(q.Scan(ctx))
}

// Decide accepts (the event joins the space's agenda) or rejects a
// pending proposal (space administrators). A proposal is decided once.
func (s *Service) Decide(ctx context.Context, who core.Subject, id int64, accept bool) (*Proposal, error) {
	p := new(Proposal)
	if err := s.db.NewSelect().Model(p).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("proposal %d: %w", id, store.Translate(err))
	}
	if err := s.requireSpaceAdmin(ctx, who, p.SpaceID); err != nil {
		if errors.Is(err, core.ErrForbidden) {
			return nil, fmt.Errorf("proposal %d: %w", id, core.ErrNotFound)
		}
		return nil, err
	}
	status := Rejected
	if accept {
		status = Accepted
	}
	now := s.o()
	res, err := s.db.NewUpdate().Model(p).Set("status = ?", status).Set("decided_by = ?", who.AccountID).
		Set("decided_at = ?", now).WherePK().Where("status = ?", Pending).Exec(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("%w: this proposal was decided already", core.ErrConflict)
	}
	if accept {
		if err := s.addToAgenda(ctx, who, p); err != nil {
			// Put it back in the queue: the event could not be added.
			s.db.NewUpdate().Model(p).Set("status = ?", Pending).Set("decided_by = NULL").Set("decided_at = NULL"). //nolint:errcheck
																WherePK().Exec(context.WithoutCancel(ctx))
			return nil, err
		}
	}
	p.Status, p.DecidedBy, p.DecidedAt = status, &who.AccountID, &now
	return p, nil
}

func (s *Service) o() time.Time { return s.now().UTC() }

func (s *Service) addToAgenda(ctx context.Context, who core.Subject, p *Proposal) error {
	if s.agenda == nil {
		return fmt.Errorf("no agenda to add the event to")
	}
	id, err := s.agenda.EnsureSpace(ctx, p.SpaceID, "Agenda")
	if err != nil {
		return err
	}
	c, err := s.agenda.ByID(ctx, who, id)
	if err != nil {
		return err
	}
	uid := "proposal-" + secret.Token(12) + "@plaza"
	_, _, err = s.agenda.Put(ctx, who, c, uid+".ics", ICS(uid, p, s.o()), calendar.Conditions{IfNoneMatch: []string{"*"}})
	return err
}

// ICS is the iCalendar object of an accepted proposal.
func ICS(uid string, p *Proposal, now time.Time) []byte {
	const stamp = "20060102T150405Z"
	desc := p.Description
	if desc != "" {
		desc += "\n\n"
	}
	desc += "Proposed by " + p.ProposerName
	if p.ProposerEmail != "" {
		desc += " <" + p.ProposerEmail + ">"
	}
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Plaza//Proposals//EN", "BEGIN:VEVENT",
		"UID:" + uid, "DTSTAMP:" + now.UTC().Format(stamp), "DTSTART:" + p.StartsAt.UTC().Format(stamp),
		"DTEND:" + p.EndsAt.UTC().Format(stamp), "SUMMARY:" + escapeText(p.Summary), "DESCRIPTION:" + escapeText(desc),
		"END:VEVENT", "END:VCALENDAR"}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(fold(l))
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// fold cuts a content line at 75 octets without splitting a character.
func fold(l string) string {
	var b strings.Builder
	n := 0
	for _, r := range l {
		w := utf8.RuneLen(r)
		if n+w > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += w
	}
	return b.String()
}
