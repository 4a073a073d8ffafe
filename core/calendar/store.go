package calendar

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// Kind is the sort of collection a Store keeps.
type Kind string

const (
	KindCalendar    Kind = "calendar"
	KindAddressBook Kind = "addressbook"
)

func (k Kind) module() core.Module {
	if k == KindAddressBook {
		return core.ModContacts
	}
	return core.ModCalendar
}

// Collection is a calendar or an address book: an acl container with the
// properties DAV clients show and a sync sequence bumped by every change.
type Collection struct {
	ContainerID int64  `bun:"container_id"`
	Kind        Kind   `bun:"kind"`
	Scope       string `bun:"scope"` // "u<account id>" or "s<space id>"
	Slug        string `bun:"slug"`
	Name        string `bun:"name"` // display name (the container's name)
	Description string `bun:"description"`
	Color       string `bun:"color"`
	SortOrder   int    `bun:"sort_order"`
	Components  string `bun:"components"` // "VEVENT,VTODO"; empty: all
	Resource    bool   `bun:"resource"`   // a room or vehicle: refuses double booking
	Personal    bool   `bun:"personal"`   // the default personal collection of its owner
	Disabled    bool   `bun:"disabled"`
	SyncSeq     int64  `bun:"sync_seq"`
	SpaceID     *int64 `bun:"space_id"`
	OwnerID     *int64 `bun:"owner_id"`
	SpaceSlug   string `bun:"space_slug"`
	OwnerLogin  string `bun:"owner_login"`
	// ContainerKind is the kind of the acl container: the store's own kind,
	// or another module's whose rows the collection shows (see Backing).
	ContainerKind string    `bun:"container_kind"`
	UpdatedAt     time.Time `bun:"updated_at"`
	Level         acl.Level `bun:"level"` // of the subject that loaded it
	// AuthorRule: the author rule applies to that subject here (it
	// belongs to the collection's space, or the collection is personal).
	AuthorRule bool `bun:"author_rule"`
}

// HasComponent reports whether the collection accepts a component type.
func (c *Collection) HasComponent(name string) bool {
	if c.Components == "" {
		return true
	}
	for _, s := range strings.Split(c.Components, ",") {
		if s == name {
			return true
		}
	}
	return false
}

// Segment is the path segment naming c in the home of who: its slug for
// who's own collections, slug@space for a space's, slug~login for another
// person's.
func (c *Collection) Segment(who core.Subject) string {
	switch {
	case c.SpaceID != nil:
		return c.Slug + "@" + c.SpaceSlug
	case c.OwnerID != nil && *c.OwnerID == who.AccountID:
		return c.Slug
	default:
		return c.Slug + "~" + c.OwnerLogin
	}
}

// Object is a stored calendar object or vCard; Name is its resource name
// in the collection it was loaded from.
type Object struct {
	ID        int64     `bun:"id"`
	Name      string    `bun:"name"`
	UID       string    `bun:"uid"`
	Component string    `bun:"component"`
	Data      string    `bun:"data"`
	ETag      string    `bun:"etag"` // without quotes
	AuthorID  *int64    `bun:"author_id"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// Meta is what a codec extracts from data to index it.
type Meta struct {
	UID        string
	Component  string
	FirstStart *int64 // unix seconds; nil: unbounded
	LastEnd    *int64 // nil: unbounded
	Busy       bool
}

// Codec validates and indexes the data of one object.
type Codec interface {
	Parse(data []byte) (Meta, error)
}

// Code names why a change was refused, so adapters can report the
// matching protocol precondition.
type Code string

const (
	CodeInvalidData          Code = "invalid-data"
	CodeUnsupportedComponent Code = "unsupported-component"
	CodeUIDConflict          Code = "uid-conflict"
	CodeDoubleBooking        Code = "double-booking"
	CodePrecondition         Code = "precondition-failed" // If-Match / If-None-Match
	CodeSyncToken            Code = "invalid-sync-token"
)

// Violation is a refused change: Err is the core sentinel it matches,
// Code the precondition, Href (when set) the conflicting resource.
type Violation struct {
	Code   Code
	Reason string
	Href   string // name of a conflicting resource, when known
	Err    error
}

func (v *Violation) Error() string { return v.Err.Error() + ": " + v.Reason }
func (v *Violation) Unwrap() error { return v.Err }

func violation(code Code, sentinel error, format string, a ...any) *Violation {
	return &Violation{Code: code, Err: sentinel, Reason: fmt.Sprintf(format, a...)}
}

// ViolationOf returns the violation wrapped in err.
func ViolationOf(err error) (*Violation, bool) {
	var v *Violation
	ok := errors.As(err, &v)
	return v, ok
}

// ErrPrecondition is returned when If-Match or If-None-Match fails.
var ErrPrecondition = fmt.Errorf("%w: precondition failed", core.ErrConflict)

// Conditions are the HTTP preconditions of a write.
type Conditions struct {
	IfMatch     []string // etags without quotes; "*" matches any existing
	IfNoneMatch []string // "*" : must not exist
}

func (c Conditions) check(exists bool, etag string) error {
	fail := func(why string) error {
		return &Violation{Code: CodePrecondition, Err: ErrPrecondition, Reason: why}
	}
	if len(c.IfMatch) > 0 {
		ok := false
		for _, m := range c.IfMatch {
			if exists && (m == "*" || m == etag) {
				ok = true
			}
		}
		if !ok {
			return fail("If-Match does not match the current version")
		}
	}
	for _, m := range c.IfNoneMatch {
		if exists && (m == "*" || m == etag) {
			return fail("If-None-Match: the resource exists")
		}
	}
	return nil
}

// CheckFunc lets a domain refuse a write (e.g. a double booking) inside
// the write's transaction. objectID is the object being replaced (0 for a
// new one).
type CheckFunc func(ctx context.Context, tx bun.Tx, c *Collection, objectID int64, data []byte, m Meta) error

// Store keeps collections of one kind, their objects and change logs.
type Store struct {
	db    *store.DB
	acl   *acl.Engine
	kind  Kind
	codec Codec
	check CheckFunc
	now   func() time.Time
	// backing modules by container kind (task lists)
	backing map[string]Backing
	hooks   []Hook
	// defaults for the personal collection and a space's shared one
	personalSlug, personalName string
	spaceSlug                  string
}

// StoreOptions configure a Store.
type StoreOptions struct {
	Kind         Kind
	Codec        Codec
	Check        CheckFunc // may be nil
	Now          func() time.Time
	PersonalSlug string // slug of the personal collection ("personal")
	PersonalName string
	SpaceSlug    string // slug of a space's shared collection
}

// NewStore returns a collection store.
func NewStore(db *store.DB, engine *acl.Engine, o StoreOptions) *Store {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{db: db, acl: engine, kind: o.Kind, codec: o.Codec, check: o.Check, now: o.Now,
		personalSlug: o.PersonalSlug, personalName: o.PersonalName, spaceSlug: o.SpaceSlug}
}

// Kind returns the kind of collections kept.
func (s *Store) Kind() Kind { return s.kind }

// DB returns the database.
func (s *Store) DB() *store.DB { return s.db }

const collectionCols = `dc.container_id, dc.kind, dc.scope, dc.slug, c.name, dc.description, dc.color,
	dc.sort_order, dc.components, dc.resource, dc.personal, dc.disabled, dc.sync_seq, c.space_id, c.owner_id,
	COALESCE(sp.slug, '') AS space_slug, COALESCE(ac.login, '') AS owner_login, c.updated_at, c.kind AS container_kind`

const collectionFrom = ` FROM dav_collections dc JOIN containers c ON c.id = dc.container_id
	LEFT JOIN spaces sp ON sp.id = c.space_id LEFT JOIN accounts ac ON ac.id = c.owner_id `

// ShownSQL is the condition (on dav_collections alias a) of a collection
// that is shown at all: not turned off, and not the personal calendar of
// someone whose profile turns their personal agenda off. Every listing
// (DAV, agenda, search) filters by it.
func ShownSQL(a string) string {
	return "NOT " + a + ".disabled AND NOT (" + a + ".personal AND " + a + ".kind = 'calendar' AND EXISTS (SELECT 1 FROM containers pc " +
		"JOIN accounts pa ON pa.id = pc.owner_id WHERE pc.id = " + a + ".container_id AND NOT pa.personal_calendar))"
}

// Home lists every enabled collection who may read: own ones first (the
// personal one leading), then other people's, then spaces'. It makes sure
// who's personal collection exists.
func (s *Store) Home(ctx context.Context, who core.Subject) ([]Collection, error) {
	if _, err := s.EnsurePersonal(ctx, who); err != nil {
		return nil, err
	}
	if err := s.ensureSpaces(ctx, who); err != nil {
		return nil, err
	}
	expr, args := acl.LevelSQL(who, "c", "")
	aexpr, aargs := acl.AuthorSQL(who, "c")
	q := "SELECT " + collectionCols + ", " + expr + " AS level, " + aexpr + " AS author_rule" + collectionFrom +
		"WHERE dc.kind = ? AND " + ShownSQL("dc") + " AND " + expr + " >= 1 " +
		"ORDER BY CASE WHEN c.owner_id = ? AND c.space_id IS NULL THEN 0 WHEN c.space_id IS NULL THEN 1 ELSE 2 END, " +
		"dc.personal DESC, dc.sort_order, c.id"
	all := append(append(append(append([]any{}, args...), aargs...), s.kind), args...)
	all = append(all, who.AccountID)
	var out []Collection
	if err := s.db.NewRaw(q, all...).Scan(ctx, &out); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, store.Translate(err)
	}
	return out, nil
}

// Resolve finds the collection a home segment names for who; it is
// ErrNotFound when who may not read it.
func (s *Store) Resolve(ctx context.Context, who core.Subject, segment string) (*Collection, error) {
	if !validName(segment) {
		return nil, fmt.Errorf("collection: %w", core.ErrNotFound)
	}
	var where string
	var args []any
	switch {
	case strings.Contains(segment, "@"):
		slug, sp, _ := strings.Cut(segment, "@")
		where, args = "dc.slug = ? AND sp.slug = ?", []any{slug, sp}
	case strings.Contains(segment, "~"):
		slug, login, _ := strings.Cut(segment, "~")
		where, args = "dc.slug = ? AND c.space_id IS NULL AND ac.login = ?", []any{slug, login}
	default:
		where, args = "dc.slug = ? AND dc.scope = ?", []any{segment, "u" + strconv.FormatInt(who.AccountID, 10)}
		if who.IsAnonymous() {
			return nil, fmt.Errorf("collection %q: %w", segment, core.ErrNotFound)
		}
	}
	return s.load(ctx, who, "dc.kind = ? AND "+ShownSQL("dc")+" AND "+where, append([]any{s.kind}, args...)...)
}

// ByID loads a collection for who (ErrNotFound when unreadable).
func (s *Store) ByID(ctx context.Context, who core.Subject, id int64) (*Collection, error) {
	return s.load(ctx, who, "dc.kind = ? AND "+ShownSQL("dc")+" AND dc.container_id = ?", s.kind, id)
}

func (s *Store) load(ctx context.Context, who core.Subject, where string, args ...any) (*Collection, error) {
	expr, largs := acl.LevelSQL(who, "c", "")
	aexpr, aargs := acl.AuthorSQL(who, "c")
	var out []Collection
	err := s.db.NewRaw("SELECT "+collectionCols+", "+expr+" AS level, "+aexpr+" AS author_rule"+collectionFrom+"WHERE "+where,
		append(append(largs, aargs...), args...)...).Scan(ctx, &out)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, store.Translate(err)
	}
	if len(out) == 0 || out[0].Level < acl.Read {
		return nil, fmt.Errorf("%s: %w", s.kind, core.ErrNotFound)
	}
	return &out[0], nil
}

func (s *Store) scopeOf(who core.Subject) string { return "u" + strconv.FormatInt(who.AccountID, 10) }

// EnsurePersonal returns who's personal collection, creating it the first
// time. It is ErrNotFound for anonymous visitors.
func (s *Store) EnsurePersonal(ctx context.Context, who core.Subject) (int64, error) {
	if who.IsAnonymous() {
		return 0, fmt.Errorf("%w: visitors have no personal %s", core.ErrNotFound, s.kind)
	}
	var id int64
	err := s.db.NewRaw(`SELECT container_id FROM dav_collections WHERE kind = ? AND scope = ? AND personal`,
		s.kind, s.scopeOf(who)).Scan(ctx, &id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, store.Translate(err)
	}
	c, err := s.create(ctx, nil, &who.AccountID, NewCollection{Slug: s.personalSlug, Name: s.personalName}, true, []acl.Grant{})
	if errors.Is(err, core.ErrConflict) { // created concurrently
		return s.EnsurePersonal(ctx, who)
	}
	if err != nil {
		return 0, err
	}
	return c, nil
}

// NewCollection describes a collection to create.
type NewCollection struct {
	Slug        string
	Name        string
	Description string
	Color       string
	Components  []string
	Resource    bool
}

func validSlug(s string) bool {
	if s == "" || len(s) > 200 || !utf8.ValidString(s) || s == "." || s == ".." {
		return false
	}
	return !strings.ContainsAny(s, "/@~\\\x00\r\n")
}

func validName(s string) bool {
	if s == "" || len(s) > 1000 || !utf8.ValidString(s) || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if r == '/' || r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Create makes a collection in who's own home (MKCALENDAR, extended MKCOL).
func (s *Store) Create(ctx context.Context, who core.Subject, n NewCollection) (int64, error) {
	if who.IsAnonymous() {
		return 0, fmt.Errorf("%w: sign in to create a %s", core.ErrForbidden, s.kind)
	}
	if _, err := s.EnsurePersonal(ctx, who); err != nil {
		return 0, err
	}
	return s.create(ctx, nil, &who.AccountID, n, false, []acl.Grant{})
}

// CreateInSpace makes a collection of a space; members get level members
// (write for a shared calendar or directory, limited for a resource that
// anyone books but only its managers edit).
func (s *Store) CreateInSpace(ctx context.Context, spaceID int64, n NewCollection, members acl.Level) (int64, error) {
	return s.create(ctx, &spaceID, nil, n, false,
		[]acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: spaceID, Level: members}})
}

// EnsureSpace returns the shared collection of a space, creating it (with
// write for members) the first time.
func (s *Store) EnsureSpace(ctx context.Context, spaceID int64, name string) (int64, error) {
	var id int64
	err := s.db.NewRaw(`SELECT container_id FROM dav_collections WHERE kind = ? AND scope = ? AND slug = ?`,
		s.kind, "s"+strconv.FormatInt(spaceID, 10), s.spaceSlug).Scan(ctx, &id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, store.Translate(err)
	}
	return s.CreateInSpace(ctx, spaceID, NewCollection{Slug: s.spaceSlug, Name: name}, acl.Write)
}

// ensureSpaces gives every space who belongs to its shared collection
// (the space's agenda or directory) the first time a member lists a home.
func (s *Store) ensureSpaces(ctx context.Context, who core.Subject) error {
	var missing []struct {
		ID   int64  `bun:"id"`
		Name string `bun:"name"`
	}
	err := s.db.NewRaw(`SELECT sp.id, sp.name FROM spaces sp
		WHERE `+acl.MemberOfSQL("sp.id", "?")+` AND sp.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM dav_collections dc
			WHERE dc.kind = ? AND dc.scope = 's' || CAST(sp.id AS TEXT) AND dc.slug = ?)`,
		who.AccountID, s.kind, s.spaceSlug).Scan(ctx, &missing)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return store.Translate(err)
	}
	for _, sp := range missing {
		if _, err := s.EnsureSpace(ctx, sp.ID, sp.Name); err != nil && !errors.Is(err, core.ErrConflict) {
			return err
		}
	}
	return nil
}

func (s *Store) create(ctx context.Context, spaceID, ownerID *int64, n NewCollection, personal bool, grants []acl.Grant) (int64, error) {
	if !validSlug(n.Slug) {
		return 0, fmt.Errorf("%w: a %s name must be 1 to 200 characters without '/', '@' or '~'", core.ErrInvalid, s.kind)
	}
	if n.Name == "" {
		n.Name = n.Slug
	}
	scope := ""
	if spaceID != nil {
		scope = "s" + strconv.FormatInt(*spaceID, 10)
	} else {
		scope = "u" + strconv.FormatInt(*ownerID, 10)
	}
	for _, c := range n.Components {
		if c != "VEVENT" && c != "VTODO" && c != "VJOURNAL" {
			return 0, violation(CodeUnsupportedComponent, core.ErrInvalid, "component %q is not supported", c)
		}
	}
	var id int64
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c := &acl.Container{SpaceID: spaceID, OwnerID: ownerID, Module: s.kind.module(), Kind: string(s.kind), Name: n.Name}
		if err := acl.CreateContainer(ctx, tx, c, grants, s.now()); err != nil {
			return err
		}
		id = c.ID
		_, err := tx.NewRaw(`INSERT INTO dav_collections (container_id, kind, scope, slug, description, color, components, resource, personal)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, s.kind, scope, n.Slug, n.Description, n.Color,
			strings.Join(n.Components, ","), n.Resource, personal).Exec(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", s.kind, n.Slug, store.Translate(err))
	}
	return id, nil
}

// Props are collection properties a client may change; nil leaves one as
// it is.
type Props struct {
	Name        *string
	Description *string
	Color       *string
	SortOrder   *int
}

// SetProps changes the properties of a collection (PROPPATCH); it needs
// write-properties.
func (s *Store) SetProps(ctx context.Context, who core.Subject, c *Collection, p Props) error {
	if err := s.acl.Decide(ctx, who, acl.Target{ContainerID: c.ContainerID}, acl.PrivWriteProperties); err != nil {
		return err
	}
	if p.Name != nil && (*p.Name == "" || utf8.RuneCountInString(*p.Name) > 255 || !utf8.ValidString(*p.Name)) {
		return fmt.Errorf("%w: a display name has 1 to 255 characters", core.ErrInvalid)
	}
	if p.Name != nil && strings.ContainsRune(*p.Name, 0) {
		return fmt.Errorf("%w: a display name has no NUL", core.ErrInvalid)
	}
	for _, v := range []*string{p.Description, p.Color} {
		if v != nil && (len(*v) > 4096 || !utf8.ValidString(*v) || strings.ContainsRune(*v, 0)) {
			return fmt.Errorf("%w: property value too long", core.ErrInvalid)
		}
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now().UTC()
		if p.Name != nil {
			if _, err := tx.NewRaw(`UPDATE containers SET name = ?, updated_at = ? WHERE id = ?`, *p.Name, now, c.ContainerID).Exec(ctx); err != nil {
				return err
			}
		}
		set := func(col string, v any) error {
			_, err := tx.NewRaw(`UPDATE dav_collections SET `+col+` = ? WHERE container_id = ?`, v, c.ContainerID).Exec(ctx)
			return err
		}
		if p.Description != nil {
			if err := set("description", *p.Description); err != nil {
				return err
			}
		}
		if p.Color != nil {
			if err := set("color", *p.Color); err != nil {
				return err
			}
		}
		if p.SortOrder != nil {
			if err := set("sort_order", *p.SortOrder); err != nil {
				return err
			}
		}
		_, err := tx.NewRaw(`UPDATE containers SET updated_at = ? WHERE id = ?`, now, c.ContainerID).Exec(ctx)
		return err
	})
}

// SetDisabled turns who's personal collection off (hidden from every
// listing, its content kept) or back on.
func (s *Store) SetDisabled(ctx context.Context, who core.Subject, disabled bool) error {
	id, err := s.EnsurePersonal(ctx, who)
	if err != nil {
		return err
	}
	_, err = s.db.NewRaw(`UPDATE dav_collections SET disabled = ? WHERE container_id = ?`, disabled, id).Exec(ctx)
	return store.Translate(err)
}

// DeleteCollection removes a collection and what only it holds; it needs
// full on it. A personal collection is turned off instead.
func (s *Store) DeleteCollection(ctx context.Context, who core.Subject, c *Collection) error {
	if err := s.acl.Decide(ctx, who, acl.Target{ContainerID: c.ContainerID}, acl.PrivAll); err != nil {
		return err
	}
	if c.Personal {
		return fmt.Errorf("%w: the personal %s cannot be deleted, only turned off", core.ErrForbidden, s.kind)
	}
	if s.backedBy(c) != nil {
		return fmt.Errorf("%w: this collection shows a %s; delete it where it lives", core.ErrForbidden, c.ContainerKind)
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewRaw(`DELETE FROM containers WHERE id = ?`, c.ContainerID).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewRaw(`DELETE FROM dav_objects WHERE NOT EXISTS (SELECT 1 FROM dav_members m WHERE m.object_id = dav_objects.id)`).Exec(ctx)
		return err
	})
}

const objectCols = `o.id, m.name, o.uid, o.component, o.etag, o.author_id, o.updated_at`

// List returns every object of c without its data, ordered by name.
func (s *Store) List(ctx context.Context, c *Collection) ([]Object, error) {
	var out []Object
	err := s.db.NewRaw(`SELECT `+objectCols+` FROM dav_members m JOIN dav_objects o ON o.id = m.object_id
		WHERE m.collection_id = ? ORDER BY m.name`, c.ContainerID).Scan(ctx, &out)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, store.Translate(err)
	}
	return out, nil
}

// Count returns the number of objects in c.
func (s *Store) Count(ctx context.Context, c *Collection) (int, error) {
	var n int
	err := s.db.NewRaw(`SELECT COUNT(*) FROM dav_members WHERE collection_id = ?`, c.ContainerID).Scan(ctx, &n)
	return n, store.Translate(err)
}

// Get returns one object with its data.
func (s *Store) Get(ctx context.Context, c *Collection, name string) (*Object, error) {
	if !validName(name) {
		return nil, fmt.Errorf("%q: %w", name, core.ErrNotFound)
	}
	var out []Object
	err := s.db.NewRaw(`SELECT `+objectCols+`, o.data FROM dav_members m JOIN dav_objects o ON o.id = m.object_id
		WHERE m.collection_id = ? AND m.name = ?`, c.ContainerID, name).Scan(ctx, &out)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, store.Translate(err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q: %w", name, core.ErrNotFound)
	}
	return &out[0], nil
}

// GetMany returns the objects of c among names, with their data.
func (s *Store) GetMany(ctx context.Context, c *Collection, names []string) ([]Object, error) {
	var out []Object
	valid := names[:0:0]
	for _, n := range names {
		if validName(n) {
			valid = append(valid, n)
		}
	}
	names = valid
	for len(names) > 0 {
		n := min(len(names), 500)
		var part []Object
		err := s.db.NewRaw(`SELECT `+objectCols+`, o.data FROM dav_members m JOIN dav_objects o ON o.id = m.object_id
			WHERE m.collection_id = ? AND m.name IN (?)`, c.ContainerID, bun.In(names[:n])).Scan(ctx, &part)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, store.Translate(err)
		}
		out = append(out, part...)
		names = names[n:]
	}
	return out, nil
}

// Candidates returns the objects of c with their data whose component is
// comp (any when empty) and whose indexed span may meet [start, end)
// (unix seconds; nil is open). Callers match exactly afterwards.
func (s *Store) Candidates(ctx context.Context, c *Collection, comp string, start, end *int64) ([]Object, error) {
	q := `SELECT ` + objectCols + `, o.data FROM dav_members m JOIN dav_objects o ON o.id = m.object_id WHERE m.collection_id = ?`
	args := []any{c.ContainerID}
	if comp != "" {
		q += ` AND o.component = ?`
		args = append(args, comp)
	}
	if end != nil {
		q += ` AND (o.first_start IS NULL OR o.first_start <= ?)`
		args = append(args, *end)
	}
	if start != nil {
		q += ` AND (o.last_end IS NULL OR o.last_end >= ?)`
		args = append(args, *start)
	}
	var out []Object
	err := s.db.NewRaw(q+` ORDER BY m.name`, args...).Scan(ctx, &out)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, store.Translate(err)
	}
	return out, nil
}

func etagOf(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:16])
}

// Put stores data under name in c. created tells whether the resource is
// new. An object shared by several collections changes in all of them.
func (s *Store) Put(ctx context.Context, who core.Subject, c *Collection, name string, data []byte, cond Conditions) (etag string, created bool, err error) {
	return s.put(ctx, who, c, name, data, cond, false)
}

// put is Put; reply says data changes only who's own attendance (the
// caller made it so), which reading the object allows.
func (s *Store) put(ctx context.Context, who core.Subject, c *Collection, name string, data []byte, cond Conditions, reply bool) (etag string, created bool, err error) {
	if !validName(name) {
		return "", false, fmt.Errorf("%w: invalid resource name", core.ErrInvalid)
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return "", false, violation(CodeInvalidData, core.ErrInvalid, "data must be UTF-8 text without NUL characters")
	}
	m, err := s.codec.Parse(data)
	if err != nil {
		return "", false, err
	}
	if s.kind == KindCalendar && !c.HasComponent(m.Component) {
		return "", false, violation(CodeUnsupportedComponent, core.ErrForbidden, "this calendar does not hold %s", m.Component)
	}
	etag = etagOf(data)
	now := s.now().UTC()
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var cur []Object
		q := `SELECT ` + objectCols + ` FROM dav_members m JOIN dav_objects o ON o.id = m.object_id
			WHERE m.collection_id = ? AND m.name = ?`
		if s.db.Kind == store.Postgres {
			q += ` FOR UPDATE OF o`
		}
		if err := tx.NewRaw(q, c.ContainerID, name).Scan(ctx, &cur); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		exists := len(cur) > 0
		curTag := ""
		if exists {
			curTag = cur[0].ETag
		}
		if err := cond.check(exists, curTag); err != nil {
			return err
		}
		var objectID int64
		if exists {
			o := cur[0]
			objectID = o.ID
			var author int64
			if o.AuthorID != nil {
				author = *o.AuthorID
			}
			if reply {
				if err := decide(who, c, author, true, acl.PrivRead); err != nil {
					return err
				}
			} else {
				if err := decide(who, c, author, true, acl.PrivWriteContent); err != nil {
					return err
				}
				if err := writableEverywhere(ctx, tx, who, objectID); err != nil {
					return err
				}
			}
			if o.UID != m.UID {
				return &Violation{Code: CodeUIDConflict, Err: core.ErrConflict, Href: name,
					Reason: "a resource keeps its UID; store a new UID under a new name"}
			}
		} else {
			if reply {
				return fmt.Errorf("%q: %w", name, core.ErrNotFound)
			}
			if err := decide(who, c, 0, false, acl.PrivBind); err != nil {
				return err
			}
		}
		if s.check != nil {
			if err := s.check(ctx, tx, c, objectID, data, m); err != nil {
				return err
			}
		}
		if exists {
			if err := updateObject(ctx, tx, objectID, data, etag, m, now); err != nil {
				return err
			}
			// every collection holding the object sees the change
			var members []struct {
				CollectionID int64  `bun:"collection_id"`
				Name         string `bun:"name"`
			}
			if err := tx.NewRaw(`SELECT collection_id, name FROM dav_members WHERE object_id = ? ORDER BY collection_id`, objectID).
				Scan(ctx, &members); err != nil {
				return err
			}
			for _, mb := range members {
				if err := logChange(ctx, tx, mb.CollectionID, mb.Name, false); err != nil {
					return err
				}
			}
			if err := s.emit(ctx, tx, Change{Kind: EventChanged, Collection: c, Name: name, Summary: summaryOf(string(data)), By: who.AccountID}); err != nil {
				return err
			}
			if b := s.backedBy(c); b != nil {
				return b.PutItem(ctx, tx, who, c, objectID, data)
			}
			return nil
		}
		var author any
		if !who.IsAnonymous() {
			author = who.AccountID
		}
		id, err := insertObject(ctx, tx, data, etag, m, author, now)
		if err != nil {
			return err
		}
		objectID = id
		if err := addMember(ctx, tx, c.ContainerID, name, objectID, m.UID); err != nil {
			if errors.Is(store.Translate(err), core.ErrConflict) {
				// UNIQUE (collection_id, uid): named after the transaction
				return &Violation{Code: CodeUIDConflict, Err: core.ErrConflict,
					Reason: "another resource of this collection has the same UID"}
			}
			return err
		}
		created = true
		if err := logChange(ctx, tx, c.ContainerID, name, false); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, Change{Kind: EventAdded, Collection: c, Name: name, Summary: summaryOf(string(data)), By: who.AccountID}); err != nil {
			return err
		}
		if b := s.backedBy(c); b != nil {
			return b.PutItem(ctx, tx, who, c, objectID, data)
		}
		return nil
	})
	if v, ok := ViolationOf(err); ok && v.Code == CodeUIDConflict && v.Href == "" {
		var other []string
		if e := s.db.NewRaw(`SELECT name FROM dav_members WHERE collection_id = ? AND uid = ?`, c.ContainerID, m.UID).
			Scan(ctx, &other); e == nil && len(other) > 0 {
			v.Href = other[0]
		}
	}
	if err != nil {
		return "", false, store.Translate(err)
	}
	return etag, created, nil
}

// updateObject replaces the data of object id and its index.
func updateObject(ctx context.Context, tx bun.Tx, id int64, data []byte, etag string, m Meta, now time.Time) error {
	_, err := tx.NewRaw(`UPDATE dav_objects SET data = ?, etag = ?, component = ?, first_start = ?, last_end = ?,
		busy = ?, updated_at = ? WHERE id = ?`, string(data), etag, m.Component, m.FirstStart, m.LastEnd, m.Busy, now, id).Exec(ctx)
	return err
}

// insertObject stores a new object (author may be nil) and returns its id.
func insertObject(ctx context.Context, tx bun.Tx, data []byte, etag string, m Meta, author any, now time.Time) (int64, error) {
	var id int64
	err := tx.NewRaw(`INSERT INTO dav_objects (uid, component, data, etag, first_start, last_end, busy, author_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, m.UID, m.Component, string(data), etag, m.FirstStart, m.LastEnd,
		m.Busy, author, now, now).Scan(ctx, &id)
	return id, err
}

// addMember puts object id into a collection under name.
func addMember(ctx context.Context, tx bun.Tx, collectionID int64, name string, id int64, uid string) error {
	_, err := tx.NewRaw(`INSERT INTO dav_members (collection_id, name, object_id, uid) VALUES (?, ?, ?, ?)`,
		collectionID, name, id, uid).Exec(ctx)
	return err
}

// decide applies the one access rule (acl.ItemLevel, acl.Allows) to the
// level who was found to have on c when c was loaded, sparing a query per
// write: the level already carries every grant and the module switch.
func decide(who core.Subject, c *Collection, authorID int64, item bool, p acl.Privilege) error {
	l := c.Level
	if item {
		l = acl.ItemLevel(l, c.AuthorRule && authorID != 0 && authorID == who.AccountID && !who.IsAnonymous())
	}
	if l < acl.Read {
		return fmt.Errorf("%w: no access", core.ErrNotFound)
	}
	if !acl.Allows(l, !item, p) {
		return &acl.DeniedError{Need: p, Have: l}
	}
	return nil
}

// logChange bumps the sync sequence of a collection and records that name
// changed (or went) at the new sequence.
func logChange(ctx context.Context, tx bun.Tx, collectionID int64, name string, deleted bool) error {
	var seq int64
	if err := tx.NewRaw(`UPDATE dav_collections SET sync_seq = sync_seq + 1 WHERE container_id = ? RETURNING sync_seq`,
		collectionID).Scan(ctx, &seq); err != nil {
		return err
	}
	_, err := tx.NewRaw(`INSERT INTO dav_changes (collection_id, name, seq, deleted) VALUES (?, ?, ?, ?)
		ON CONFLICT (collection_id, name) DO UPDATE SET seq = EXCLUDED.seq, deleted = EXCLUDED.deleted`,
		collectionID, name, seq, deleted).Exec(ctx)
	return err
}

// Delete removes name from c; the object goes when no collection holds it
// any more.
func (s *Store) Delete(ctx context.Context, who core.Subject, c *Collection, name string, cond Conditions) error {
	if !validName(name) {
		return fmt.Errorf("%q: %w", name, core.ErrNotFound)
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var cur []Object
		if err := tx.NewRaw(`SELECT `+objectCols+`, o.data FROM dav_members m JOIN dav_objects o ON o.id = m.object_id
			WHERE m.collection_id = ? AND m.name = ?`, c.ContainerID, name).Scan(ctx, &cur); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if len(cur) == 0 {
			if err := cond.check(false, ""); err != nil {
				return err
			}
			return fmt.Errorf("%q: %w", name, core.ErrNotFound)
		}
		o := cur[0]
		if err := cond.check(true, o.ETag); err != nil {
			return err
		}
		var author int64
		if o.AuthorID != nil {
			author = *o.AuthorID
		}
		if err := decide(who, c, author, true, acl.PrivUnbind); err != nil {
			return err
		}
		if b := s.backedBy(c); b != nil {
			if err := b.DeleteItem(ctx, tx, who, c, o.ID); err != nil {
				return err
			}
		}
		if _, err := tx.NewRaw(`DELETE FROM dav_members WHERE collection_id = ? AND name = ?`, c.ContainerID, name).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewRaw(`DELETE FROM dav_objects WHERE id = ? AND NOT EXISTS (SELECT 1 FROM dav_members WHERE object_id = ?)`,
			o.ID, o.ID).Exec(ctx); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, Change{Kind: EventRemoved, Collection: c, Name: name, Summary: summaryOf(o.Data), By: who.AccountID}); err != nil {
			return err
		}
		return logChange(ctx, tx, c.ContainerID, name, true)
	})
}

// writableEverywhere refuses who unless it has write-content on object id
// in every collection that holds it: an object shared by several
// collections is one resource, and a change made through one binding shows
// in all of them, so it needs the right to change it in each.
func writableEverywhere(ctx context.Context, db bun.IDB, who core.Subject, id int64) error {
	expr, args := acl.LevelSQL(who, "c", "o.author_id")
	var levels []acl.Level
	err := db.NewRaw("SELECT "+expr+` FROM dav_members m JOIN containers c ON c.id = m.collection_id
		JOIN dav_objects o ON o.id = m.object_id WHERE m.object_id = ?`, append(args, id)...).Scan(ctx, &levels)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	for _, l := range levels {
		// LevelSQL with the author column holds the author rule already.
		if l = acl.ItemLevel(l, false); !acl.Allows(l, false, acl.PrivWriteContent) {
			return &acl.DeniedError{Need: acl.PrivWriteContent, Have: l}
		}
	}
	return nil
}

// Link puts the object stored under name in from into to as well, under
// the same name: one event in several calendars, an edit in one shows in
// all. It needs bind on to and, since the binding is one more way to
// change the object, write-content on the object wherever it is held:
// reading an event is not enough to bind it (RFC 5842's bindings share one
// resource, so whoever may bind it could then rewrite it).
func (s *Store) Link(ctx context.Context, who core.Subject, from *Collection, name string, to *Collection) error {
	if s.backedBy(from) != nil || s.backedBy(to) != nil {
		return fmt.Errorf("%w: an item shown from another module belongs to its collection alone", core.ErrForbidden)
	}
	if err := s.acl.Decide(ctx, who, acl.Target{ContainerID: to.ContainerID}, acl.PrivBind); err != nil {
		return err
	}
	o, err := s.Get(ctx, from, name)
	if err != nil {
		return err
	}
	var author int64
	if o.AuthorID != nil {
		author = *o.AuthorID
	}
	if err := decide(who, from, author, true, acl.PrivWriteContent); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := writableEverywhere(ctx, tx, who, o.ID); err != nil {
			return err
		}
		if s.check != nil {
			m, err := s.codec.Parse([]byte(o.Data))
			if err != nil {
				return err
			}
			if err := s.check(ctx, tx, to, o.ID, []byte(o.Data), m); err != nil {
				return err
			}
		}
		if _, err := tx.NewRaw(`INSERT INTO dav_members (collection_id, name, object_id, uid) VALUES (?, ?, ?, ?)`,
			to.ContainerID, name, o.ID, o.UID).Exec(ctx); err != nil {
			if errors.Is(store.Translate(err), core.ErrConflict) {
				return &Violation{Code: CodeUIDConflict, Err: core.ErrConflict, Href: name,
					Reason: "the target already has a resource with this name or UID"}
			}
			return err
		}
		return logChange(ctx, tx, to.ContainerID, name, false)
	})
}

// Changes returns what changed in c after sequence since: the objects
// changed or added (without data) and the names removed, and the current
// sequence. since 0 lists every object.
func (s *Store) Changes(ctx context.Context, c *Collection, since int64) (changed []Object, deleted []string, seq int64, err error) {
	// No transaction: SQLite's are IMMEDIATE (a write lock). Reading the
	// sequence first and the log up to it is consistent: a change made
	// meanwhile has a higher sequence and comes with the next sync.
	if err := s.db.NewRaw(`SELECT sync_seq FROM dav_collections WHERE container_id = ?`, c.ContainerID).Scan(ctx, &seq); err != nil {
		return nil, nil, 0, store.Translate(err)
	}
	if since < 0 || since > seq {
		return nil, nil, 0, violation(CodeSyncToken, core.ErrForbidden, "unknown sync token")
	}
	if since == 0 {
		err := s.db.NewRaw(`SELECT `+objectCols+` FROM dav_members m JOIN dav_objects o ON o.id = m.object_id
			WHERE m.collection_id = ? ORDER BY m.name`, c.ContainerID).Scan(ctx, &changed)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, 0, store.Translate(err)
		}
		return changed, nil, seq, nil
	}
	var rows []struct {
		Name    string `bun:"name"`
		Deleted bool   `bun:"deleted"`
	}
	if err := s.db.NewRaw(`SELECT name, deleted FROM dav_changes WHERE collection_id = ? AND seq > ? AND seq <= ? ORDER BY seq`,
		c.ContainerID, since, seq).Scan(ctx, &rows); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, nil, 0, store.Translate(err)
	}
	var names []string
	for _, r := range rows {
		if r.Deleted {
			deleted = append(deleted, r.Name)
		} else {
			names = append(names, r.Name)
		}
	}
	for len(names) > 0 {
		n := min(len(names), 500)
		var part []Object
		if err := s.db.NewRaw(`SELECT `+objectCols+` FROM dav_members m JOIN dav_objects o ON o.id = m.object_id
			WHERE m.collection_id = ? AND m.name IN (?) ORDER BY m.name`, c.ContainerID, bun.In(names[:n])).Scan(ctx, &part); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, 0, store.Translate(err)
		}
		changed = append(changed, part...)
		names = names[n:]
	}
	return changed, deleted, seq, nil
}

// ItemLevel returns the level who has on object o of c.
func (s *Store) ItemLevel(c *Collection, who core.Subject, o *Object) acl.Level {
	author := c.AuthorRule && o.AuthorID != nil && *o.AuthorID == who.AccountID && !who.IsAnonymous()
	return acl.ItemLevel(c.Level, author)
}
