package task

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/calendar"
	"plaza/core/store"
)

// Todo is what a VTODO says that a task maps to.
type Todo struct {
	UID         string
	Summary     string
	Description string
	// Status is NEEDS-ACTION, IN-PROCESS, COMPLETED, CANCELLED or "".
	Status string
	// StatusName (X-PLAZA-STATUS) names the list's own status, which
	// STATUS can only approximate.
	StatusName string
	Start, Due string // YYYY-MM-DD as written (in the value's own zone); "" when absent
	Priority   int    // RFC 5545: 0 undefined, 1 highest to 9 lowest
	Percent    int    // PERCENT-COMPLETE; -1 when absent
	Categories []string
	Modified   time.Time // LAST-MODIFIED to write
}

// TodoCodec reads and writes VTODOs for task lists' calendars
// (dav/caldav/ics: core imports no iCalendar library).
type TodoCodec interface {
	DecodeTodo(data []byte) (Todo, error)
	// EncodeTodo writes t into prev, the stored object (nil for a new
	// one), touching only the properties whose decoded value differs,
	// so what a client stored beyond them (alarms, times of day) stays.
	EncodeTodo(prev []byte, t Todo) ([]byte, error)
}

// davView shows task lists as calendars of VTODO.
type davView struct {
	cal   *calendar.Store
	codec TodoCodec
}

// SlugPrefix starts the slug of a task list's calendar: the list 12 of
// space "team" is /dav/calendars/LOGIN/tasks-12@team/.
const SlugPrefix = "tasks"

// ShowAsCalendars makes every task list a CalDAV calendar of VTODO in
// cals, under the list's own ACL: a task changed on the page shows in
// Thunderbird or DAVx5 and the other way round. Call it while wiring,
// then ProjectAll once.
func (s *Service) ShowAsCalendars(cals *calendar.Store, codec TodoCodec) {
	s.dav = &davView{cal: cals, codec: codec}
	cals.Back(KindList, s)
}

// ProjectAll gives lists and tasks made before (or without)
// ShowAsCalendars their calendar and VTODOs. It is idempotent.
func (s *Service) ProjectAll(ctx context.Context) error {
	if s.dav == nil {
		return nil
	}
	var lists []struct {
		ID      int64 `bun:"id"`
		SpaceID int64 `bun:"space_id"`
	}
	if err := s.db.NewRaw(`SELECT c.id, c.space_id FROM containers c WHERE c.kind = ? AND c.space_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM dav_collections dc WHERE dc.container_id = c.id)`, KindList).Scan(ctx, &lists); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return store.Translate(err)
	}
	for _, l := range lists {
		if err := s.dav.cal.Attach(ctx, s.db, l.ID, l.SpaceID, calendar.BackedSlug(SlugPrefix, l.ID), "VTODO"); err != nil {
			return err
		}
	}
	for {
		var ts []*Task
		if err := s.db.NewSelect().Model(&ts).Where("t.object_id IS NULL").Order("t.id").Limit(200).Scan(ctx); err != nil {
			return store.Translate(err)
		}
		if len(ts) == 0 {
			return nil
		}
		if err := s.loadSets(ctx, ts); err != nil {
			return err
		}
		err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			for _, t := range ts {
				if err := s.project(ctx, tx, t); err != nil {
					return fmt.Errorf("task %d: %w", t.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
}

// attach gives a new list its calendar.
func (s *Service) attach(ctx context.Context, tx bun.Tx, listID, spaceID int64) error {
	if s.dav == nil {
		return nil
	}
	return s.dav.cal.Attach(ctx, tx, listID, spaceID, calendar.BackedSlug(SlugPrefix, listID), "VTODO")
}

func newUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) + "@plaza"
}

// statusClass is what STATUS a list status maps to: a done status is
// COMPLETED, the first one NEEDS-ACTION, the others IN-PROCESS.
func statusClass(sts []Status, id int64) string {
	i := slices.IndexFunc(sts, func(st Status) bool { return st.ID == id })
	switch {
	case i < 0:
		return ""
	case sts[i].Done:
		return "COMPLETED"
	case i == 0:
		return "NEEDS-ACTION"
	}
	return "IN-PROCESS"
}

func todoClass(status string) string {
	if status == "CANCELLED" {
		return "COMPLETED"
	}
	return status
}

// statusFor picks the list status a VTODO's STATUS means: the one it
// names when that agrees, else the current one when it agrees, else the
// first of its class.
func statusFor(sts []Status, td Todo, current int64) int64 {
	want := todoClass(td.Status)
	if want == "" {
		want = "NEEDS-ACTION"
		if td.Percent > 0 {
			want = "IN-PROCESS"
		}
	}
	for _, st := range sts {
		if st.Name == td.StatusName && statusClass(sts, st.ID) == want {
			return st.ID
		}
	}
	if current != 0 && statusClass(sts, current) == want {
		return current
	}
	for _, st := range sts {
		if statusClass(sts, st.ID) == want {
			return st.ID
		}
	}
	if want == "IN-PROCESS" && len(sts) > 0 { // a list of "to do" and "done" only
		return sts[0].ID
	}
	return sts[len(sts)-1].ID
}

func priorityOf(p int) Priority {
	switch {
	case p >= 1 && p <= 4:
		return High
	case p >= 6 && p <= 9:
		return Low
	}
	return Normal
}

func icalPriority(p Priority) int {
	switch p {
	case High:
		return 1
	case Low:
		return 9
	}
	return 5
}

// todoOf says in a VTODO what t carries, starting from old (what the
// stored object says) so values with the same meaning keep their form.
func todoOf(t *Task, sts []Status, old Todo) Todo {
	td := old
	td.Summary, td.Description = t.Title, t.Description
	if cls := statusClass(sts, t.StatusID); todoClass(old.Status) != cls {
		td.Status = cls
	}
	if i := slices.IndexFunc(sts, func(st Status) bool { return st.ID == t.StatusID }); i >= 0 {
		td.StatusName = sts[i].Name
	}
	td.Start, td.Due = "", ""
	if t.StartDate != nil {
		td.Start = *t.StartDate
	}
	if t.DueDate != nil {
		td.Due = *t.DueDate
	}
	if old.Priority == 0 && t.Priority == Normal {
		td.Priority = 0
	} else if priorityOf(old.Priority) != t.Priority {
		td.Priority = icalPriority(t.Priority)
	}
	if !(old.Percent < 0 && t.Progress == 0) {
		td.Percent = t.Progress
	}
	td.Categories = t.Tags
	td.Modified = t.UpdatedAt
	return td
}

// project writes the VTODO of t (with its tags loaded) into its list's
// calendar, inside the transaction that changed t.
func (s *Service) project(ctx context.Context, tx bun.Tx, t *Task) error {
	if s.dav == nil {
		return nil
	}
	sts, err := s.statuses(ctx, tx, t.ContainerID)
	if err != nil {
		return err
	}
	var prev []byte
	old := Todo{Percent: -1}
	var objectID int64
	if t.ObjectID != nil {
		objectID = *t.ObjectID
		data, err := s.dav.cal.ProjectedData(ctx, tx, objectID)
		if err != nil {
			return err
		}
		if data != "" {
			if o, err := s.dav.codec.DecodeTodo([]byte(data)); err == nil {
				prev, old = []byte(data), o
			}
		}
	}
	if old.UID == "" {
		old.UID = newUID()
	}
	data, err := s.dav.codec.EncodeTodo(prev, todoOf(t, sts, old))
	if err != nil {
		return err
	}
	if prev != nil && bytes.Equal(prev, data) {
		return nil
	}
	id, err := s.dav.cal.Project(ctx, tx, t.ContainerID, objectID, calendar.NameFor(old.UID, ".ics"), data, t.AuthorID)
	if err != nil {
		return err
	}
	if id != objectID {
		t.ObjectID = &id
		if _, err := tx.NewRaw(`UPDATE tasks SET object_id = ? WHERE id = ?`, id, t.ID).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// unproject removes the VTODO of t.
func (s *Service) unproject(ctx context.Context, tx bun.Tx, t *Task) error {
	if s.dav == nil || t.ObjectID == nil {
		return nil
	}
	return s.dav.cal.Unproject(ctx, tx, *t.ObjectID)
}

// PutItem implements calendar.Backing: a VTODO stored by a DAV client
// (who was allowed by the calendar store) becomes a task or changes one.
func (s *Service) PutItem(ctx context.Context, tx bun.Tx, who core.Subject, c *calendar.Collection, objectID int64, data []byte) error {
	if s.dav == nil {
		return fmt.Errorf("%w: task lists are not calendars here", core.ErrForbidden)
	}
	td, err := s.dav.codec.DecodeTodo(data)
	if err != nil {
		return err
	}
	sts, err := s.statuses(ctx, tx, c.ContainerID)
	if err != nil {
		return err
	}
	if len(sts) == 0 {
		return fmt.Errorf("%w: the list has no status", core.ErrConflict)
	}
	var cur []*Task
	if err := tx.NewSelect().Model(&cur).Where("t.object_id = ?", objectID).Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	t := &Task{ContainerID: c.ContainerID, ObjectID: &objectID}
	in := Input{Progress: 0}
	if len(cur) > 0 {
		t = cur[0]
		if t.ContainerID != c.ContainerID {
			return fmt.Errorf("%w: the task belongs to another list", core.ErrConflict)
		}
		if err := s.loadSetsTx(ctx, tx, []*Task{t}); err != nil {
			return err
		}
		in = t.Input()
	}
	if td.Summary == "" {
		return invalid("a task needs a SUMMARY")
	}
	in.Title, in.Description = td.Summary, td.Description
	in.StartDate, in.DueDate = td.Start, td.Due
	in.Priority = priorityOf(td.Priority)
	switch {
	case td.Percent >= 0:
		in.Progress = min(td.Percent, 100)
	case todoClass(td.Status) == "COMPLETED":
		in.Progress = 100
	}
	in.Tags = td.Categories
	in.StatusID = statusFor(sts, td, t.StatusID)
	if err := in.apply(t); err != nil {
		return err
	}
	t.StatusID = in.StatusID
	now := s.now().UTC()
	t.UpdatedAt, t.UpdatedBy = now, &who.AccountID
	if len(cur) == 0 {
		author := who.AccountID
		t.AuthorID, t.CreatedAt = &author, now
		if err := tx.NewRaw(`SELECT COALESCE(MAX(position), 0) + 1 FROM tasks WHERE container_id = ?`, c.ContainerID).Scan(ctx, &t.Position); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return err
		}
	} else if _, err := tx.NewUpdate().Model(t).WherePK().
		Column("title", "description", "status_id", "start_date", "due_date", "priority", "progress", "updated_at", "updated_by").
		Exec(ctx); err != nil {
		return err
	}
	return writeSets(ctx, tx, t)
}

// DeleteItem implements calendar.Backing: a VTODO deleted by a DAV client
// deletes its task.
func (s *Service) DeleteItem(ctx context.Context, tx bun.Tx, who core.Subject, c *calendar.Collection, objectID int64) error {
	var ids []int64
	if err := tx.NewRaw(`SELECT id FROM tasks WHERE object_id = ? AND container_id = ?`, objectID, c.ContainerID).Scan(ctx, &ids); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return err
	}
	for _, id := range ids {
		if err := s.deleteTx(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}
