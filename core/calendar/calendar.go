// Package calendar is the agenda module: calendars are acl containers
// (kind "calendar") holding iCalendar objects. Every user has a personal
// calendar (which they may turn off), every space a shared one, and spaces
// may add resource calendars (rooms, vehicles) that refuse double
// bookings. One event may belong to several calendars: the same stored
// object, so an edit shows everywhere. Each collection keeps a sync
// sequence and a change log, so a client's sync returns only what changed.
//
// The Store in this package is shared with the contacts module (kind
// "addressbook"): both are collections of text objects with the same
// access rules, preconditions and change log.
package calendar

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// ICal is what the agenda needs from an iCalendar implementation
// (dav/caldav/ics.Codec: core imports no protocol library): validation
// and indexing, and the busy periods of an event in [start, end).
type ICal interface {
	Codec
	Busy(data []byte, start, end time.Time) ([][2]time.Time, error)
	Occurrences(data []byte, from, to time.Time, loc *time.Location) ([]Occurrence, error) // the agenda's view of an event (occurrences.go)
}

// Service is the agenda module.
type Service struct {
	*Store
	db   *store.DB
	ical ICal
	now  func() time.Time
}

// New returns the calendar service. now may be nil.
func New(db *store.DB, engine *acl.Engine, ical ICal, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{db: db, ical: ical, now: now}
	s.Store = NewStore(db, engine, StoreOptions{Kind: KindCalendar, Codec: ical, Check: s.checkBooking, Now: now,
		PersonalSlug: "personal", PersonalName: "Personal", SpaceSlug: "agenda"})
	return s
}

// bookingHorizon bounds the double-booking check of endless rules.
const bookingHorizon = 2 * 365 * 24 * time.Hour

// checkBooking refuses an event in a resource calendar that overlaps a
// busy event already booked there.
func (s *Service) checkBooking(ctx context.Context, tx bun.Tx, c *Collection, objectID int64, data []byte, m Meta) error {
	if !c.Resource || m.Component != "VEVENT" || !m.Busy || m.FirstStart == nil {
		return nil
	}
	from := time.Unix(*m.FirstStart, 0)
	to := from.Add(bookingHorizon)
	if m.LastEnd != nil {
		to = time.Unix(*m.LastEnd, 0)
	}
	mine, err := s.ical.Busy(data, from, to)
	if err != nil || len(mine) == 0 {
		return err
	}
	var others []Object
	err = tx.NewRaw(`SELECT o.id, m.name, o.data FROM dav_members m JOIN dav_objects o ON o.id = m.object_id
		WHERE m.collection_id = ? AND o.id <> ? AND o.busy AND o.component = 'VEVENT'
		AND (o.first_start IS NULL OR o.first_start < ?) AND (o.last_end IS NULL OR o.last_end > ?)`,
		c.ContainerID, objectID, to.Unix(), from.Unix()).Scan(ctx, &others)
	if err != nil {
		return store.Translate(err)
	}
	for _, o := range others {
		theirs, err := s.ical.Busy([]byte(o.Data), from, to)
		if err != nil {
			continue
		}
		for _, a := range mine {
			for _, b := range theirs {
				if a[0].Before(b[1]) && b[0].Before(a[1]) {
					return &Violation{Code: CodeDoubleBooking, Err: core.ErrConflict, Href: o.Name,
						Reason: fmt.Sprintf("%s is already booked from %s to %s", c.Name,
							b[0].UTC().Format(time.RFC3339), b[1].UTC().Format(time.RFC3339))}
				}
			}
		}
	}
	return nil
}

// FreeBusy returns the merged busy periods of c in r.
func (s *Service) FreeBusy(ctx context.Context, c *Collection, from, to time.Time) ([][2]time.Time, error) {
	start, end := from.Unix(), to.Unix()
	cands, err := s.Candidates(ctx, c, "VEVENT", &start, &end)
	if err != nil {
		return nil, err
	}
	var all [][2]time.Time
	for _, o := range cands {
		ps, err := s.ical.Busy([]byte(o.Data), from, to)
		if err == nil {
			all = append(all, ps...)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i][0].Before(all[j][0]) })
	var merged [][2]time.Time
	for _, p := range all {
		if n := len(merged); n > 0 && !p[0].After(merged[n-1][1]) {
			if p[1].After(merged[n-1][1]) {
				merged[n-1][1] = p[1]
			}
			continue
		}
		merged = append(merged, p)
	}
	return merged, nil
}

// Feed is a private subscription URL token of one calendar.
type Feed struct {
	Token        string // shown once, at creation
	CollectionID int64
	AccountID    int64
	CreatedAt    time.Time
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// CreateFeed makes a subscription token for a calendar who may read. The
// token reads the calendar as who, for as long as who may read it and the
// token is not revoked.
func (s *Service) CreateFeed(ctx context.Context, who core.Subject, c *Collection) (string, error) {
	if who.IsAnonymous() || c.Level < acl.Read {
		return "", fmt.Errorf("%w: sign in to subscribe", core.ErrForbidden)
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	_, err := s.db.NewRaw(`INSERT INTO calendar_feeds (token_hash, collection_id, account_id, created_at) VALUES (?, ?, ?, ?)`,
		hashToken(tok), c.ContainerID, who.AccountID, s.now().UTC()).Exec(ctx)
	return tok, store.Translate(err)
}

// RevokeFeeds ends every subscription token who made for calendar c.
func (s *Service) RevokeFeeds(ctx context.Context, who core.Subject, c *Collection) error {
	_, err := s.db.NewRaw(`DELETE FROM calendar_feeds WHERE account_id = ? AND collection_id = ?`, who.AccountID, c.ContainerID).Exec(ctx)
	return store.Translate(err)
}

// RevokeFeed ends one subscription token.
func (s *Service) RevokeFeed(ctx context.Context, who core.Subject, token string) error {
	res, err := s.db.NewRaw(`DELETE FROM calendar_feeds WHERE token_hash = ? AND account_id = ?`, hashToken(token), who.AccountID).Exec(ctx)
	if err != nil {
		return store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("feed: %w", core.ErrNotFound)
	}
	return nil
}

// ByFeed resolves a subscription token to the calendar and the subject it
// reads as; ErrNotFound for an unknown or revoked token, or when the
// subject lost read access.
func (s *Service) ByFeed(ctx context.Context, token string) (*Collection, core.Subject, error) {
	var row struct {
		CollectionID int64            `bun:"collection_id"`
		AccountID    int64            `bun:"account_id"`
		Login        string           `bun:"login"`
		Type         core.AccountType `bun:"type"`
		Disabled     bool             `bun:"disabled"`
	}
	err := s.db.NewRaw(`SELECT f.collection_id, f.account_id, a.login, a.type, a.disabled FROM calendar_feeds f
		JOIN accounts a ON a.id = f.account_id WHERE f.token_hash = ?`, hashToken(token)).Scan(ctx, &row)
	if err != nil {
		return nil, core.Subject{}, fmt.Errorf("feed: %w", store.Translate(err))
	}
	if row.Disabled {
		return nil, core.Subject{}, fmt.Errorf("feed: %w", core.ErrNotFound)
	}
	who := core.Subject{AccountID: row.AccountID, Login: row.Login, Type: row.Type}
	c, err := s.ByID(ctx, who, row.CollectionID)
	if err != nil {
		return nil, core.Subject{}, err
	}
	return c, who, nil
}

// NameFor returns a resource name for a UID, as clients name them.
func NameFor(uid, ext string) string {
	safe := strings.Map(func(r rune) rune {
		if r == '/' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, uid)
	return safe + ext
}

// CreateResource makes a resource calendar (a room, a vehicle) in a
// space: its administrators create one; members book it (limited: they
// add events and change their own) and it refuses double bookings.
func (s *Service) CreateResource(ctx context.Context, who core.Subject, spaceID int64, name string) (int64, error) {
	ok, err := acl.SpaceAdmin(ctx, s.db, who, spaceID)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%w: the space's administrators add resources", core.ErrForbidden)
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 255 {
		return 0, fmt.Errorf("%w: a resource needs a name of at most 255 characters", core.ErrInvalid)
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return 0, err
	}
	return s.CreateInSpace(ctx, spaceID, NewCollection{Slug: "resource-" + hex.EncodeToString(b), Name: name,
		Components: []string{"VEVENT"}, Resource: true}, acl.Limited)
}
