// Package task holds the tasks module: task lists (objectives) are access
// containers with their own ordered statuses; tasks carry dates, priority,
// progress, assignees, tags and comments.
package task

import (
	"context"
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

// KindList is the container kind of a task list.
const KindList = "tasklist"

// Status is one column of a list's workflow.
type Status struct {
	bun.BaseModel `bun:"table:task_statuses"`

	ID          int64  `bun:",pk,autoincrement" json:"id"`
	ContainerID int64  `json:"-"`
	Name        string `json:"name"`
	Position    int    `json:"position"`
	Visible     bool   `json:"visible"` // shown when no status filter is chosen
	Done        bool   `json:"done"`
}

// DefaultStatuses are those of a new list; their names are message keys
// the web UI translates.
func DefaultStatuses() []Status {
	return []Status{
		{Name: "status.todo", Visible: true},
		{Name: "status.in_progress", Visible: true},
		{Name: "status.to_validate", Visible: true},
		{Name: "status.done", Visible: true, Done: true},
	}
}

// Priority of a task.
type Priority string

const (
	Low    Priority = "low"
	Normal Priority = "normal"
	High   Priority = "high"
)

// Task is one task of a list.
type Task struct {
	bun.BaseModel `bun:"table:tasks,alias:t"`

	ID          int64     `bun:",pk,autoincrement" json:"id"`
	ContainerID int64     `json:"list_id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	StatusID    int64     `json:"status_id"`
	StartDate   *string   `json:"start_date"` // YYYY-MM-DD
	DueDate     *string   `json:"due_date"`
	Priority    Priority  `json:"priority"`
	Progress    int       `json:"progress"`
	Position    int64     `json:"position"`
	AuthorID    *int64    `json:"author_id"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// ObjectID is the VTODO that shows the task in its list's calendar.
	ObjectID *int64 `json:"-"`
	// UpdatedBy made the last change (not told of it by notifications).
	UpdatedBy *int64 `json:"-"`

	Assignees   []int64      `bun:"-" json:"assignees"`
	Tags        []string     `bun:"-" json:"tags"`
	Attachments []Attachment `bun:"-" json:"attachments"`
	// Level is what the caller may do on this task.
	Level acl.Level `bun:"-" json:"-"`
}

// Start and Due parse the task's dates (zero when unset).
func (t *Task) Start() time.Time { return parseDay(t.StartDate) }
func (t *Task) Due() time.Time   { return parseDay(t.DueDate) }

func parseDay(s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	d, _ := time.Parse(time.DateOnly, *s)
	return d
}

// List is a task list as its reader sees it.
type List = acl.Readable

// Service runs the tasks module.
type Service struct {
	db  *store.DB
	acl *acl.Engine
	now func() time.Time
	dav *davView // nil until ShowAsCalendars
}

// New returns the tasks service; now may be nil.
func New(db *store.DB, engine *acl.Engine, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, acl: engine, now: now}
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{core.ErrInvalid}, a...)...)
}

// CreateList makes a task list in a space. Members of the space (and
// platform administrators) may create lists; the creator owns it (full)
// and grants decide for the others. With grants nil all members of the
// space get limited: they may add tasks and change their own.
func (s *Service) CreateList(ctx context.Context, who core.Subject, spaceID int64, name string, grants []acl.Grant) (*acl.Container, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, invalid("a task list needs a name of at most 200 characters")
	}
	if err := acl.RequireMember(ctx, s.db, who, spaceID, core.ModTasks); err != nil {
		return nil, err
	}
	if grants == nil {
		grants = []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: spaceID, Level: acl.Limited}}
	}
	owner := who.AccountID
	c := &acl.Container{SpaceID: &spaceID, Module: core.ModTasks, Kind: KindList, Name: name, OwnerID: &owner}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := acl.CreateContainer(ctx, tx, c, grants, s.now()); err != nil {
			return err
		}
		sts := DefaultStatuses()
		for i := range sts {
			sts[i].ContainerID, sts[i].Position = c.ID, i
		}
		if _, err := tx.NewInsert().Model(&sts).Exec(ctx); err != nil {
			return err
		}
		return s.attach(ctx, tx, c.ID, spaceID)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Lists returns the task lists of a space who may read, with their level.
func (s *Service) Lists(ctx context.Context, who core.Subject, spaceID int64) ([]List, error) {
	return s.acl.ReadableIn(ctx, who, spaceID, core.ModTasks, KindList)
}

// List returns one list who may read.
func (s *Service) List(ctx context.Context, who core.Subject, listID int64) (*List, error) {
	return s.acl.ReadableByID(ctx, who, listID, KindList)
}

// Statuses returns the statuses of a list in order.
func (s *Service) Statuses(ctx context.Context, who core.Subject, listID int64) ([]Status, error) {
	if _, err := s.List(ctx, who, listID); err != nil {
		return nil, err
	}
	return s.statuses(ctx, s.db, listID)
}

func (s *Service) statuses(ctx context.Context, db bun.IDB, listID int64) ([]Status, error) {
	var sts []Status
	err := db.NewSelect().Model(&sts).Where("container_id = ?", listID).Order("position", "id").Scan(ctx)
	return sts, store.Translate(err)
}

// SetStatuses replaces the workflow of a list (needs full on it). Statuses
// with an id keep it (and their tasks); new ones get one; a status that
// still has tasks cannot be removed.
func (s *Service) SetStatuses(ctx context.Context, who core.Subject, listID int64, sts []Status) error {
	if err := s.acl.Decide(ctx, who, acl.Target{ContainerID: listID}, acl.PrivWriteACL); err != nil {
		return err
	}
	if len(sts) == 0 || len(sts) > 20 {
		return invalid("a list has 1 to 20 statuses")
	}
	for _, st := range sts {
		if n := utf8.RuneCountInString(strings.TrimSpace(st.Name)); n == 0 || n > 50 {
			return invalid("a status needs a name of at most 50 characters")
		}
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		old, err := s.statuses(ctx, tx, listID)
		if err != nil {
			return err
		}
		keep := map[int64]bool{}
		for i, st := range sts {
			st.ContainerID, st.Position, st.Name = listID, i, strings.TrimSpace(st.Name)
			if st.ID != 0 {
				if !slices.ContainsFunc(old, func(o Status) bool { return o.ID == st.ID }) {
					return invalid("status %d is not one of this list", st.ID)
				}
				keep[st.ID] = true
				if _, err := tx.NewUpdate().Model(&st).WherePK().Column("name", "position", "visible", "done").Exec(ctx); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.NewInsert().Model(&st).Exec(ctx); err != nil {
				return err
			}
		}
		for _, o := range old {
			if keep[o.ID] {
				continue
			}
			var n int
			if err := tx.NewRaw(`SELECT COUNT(*) FROM tasks WHERE status_id = ?`, o.ID).Scan(ctx, &n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%w: status %q still has %d task(s)", core.ErrConflict, o.Name, n)
			}
			if _, err := tx.NewDelete().Model(&o).WherePK().Exec(ctx); err != nil {
				return err
			}
		}
		return s.reproject(ctx, tx, listID)
	})
}

// reproject rewrites the VTODOs of a list whose statuses changed.
func (s *Service) reproject(ctx context.Context, tx bun.Tx, listID int64) error {
	if s.dav == nil {
		return nil
	}
	var ts []*Task
	if err := tx.NewSelect().Model(&ts).Where("t.container_id = ?", listID).Order("t.id").Scan(ctx); err != nil {
		return err
	}
	if len(ts) == 0 {
		return nil
	}
	if err := s.loadSetsTx(ctx, tx, ts); err != nil {
		return err
	}
	for _, t := range ts {
		if err := s.project(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}
