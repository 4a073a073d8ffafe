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

// Limits on what a task carries.
const (
	MaxTagLen   = 30
	MaxTags     = 20
	MaxTitleLen = 200
	MaxDescLen  = 20000
)

// Input is what a person sets on a task. StatusID 0 picks the list's first
// status.
type Input struct {
	Title       string
	Description string
	StatusID    int64
	StartDate   string // YYYY-MM-DD or empty
	DueDate     string
	Priority    Priority
	Progress    int
	Assignees   []int64
	Tags        []string
}

func day(s string) (*string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return nil, invalid("date %q is not YYYY-MM-DD", s)
	}
	return &s, nil
}

// normalize checks in and fills t with it.
func (in Input) apply(t *Task) error {
	t.Title = strings.TrimSpace(in.Title)
	if n := utf8.RuneCountInString(t.Title); n == 0 || n > MaxTitleLen {
		return invalid("a task needs a title of at most %d characters", MaxTitleLen)
	}
	if utf8.RuneCountInString(in.Description) > MaxDescLen || !utf8.ValidString(in.Description) {
		return invalid("description too long")
	}
	t.Description = in.Description
	var err error
	if t.StartDate, err = day(in.StartDate); err != nil {
		return err
	}
	if t.DueDate, err = day(in.DueDate); err != nil {
		return err
	}
	if t.StartDate != nil && t.DueDate != nil && *t.DueDate < *t.StartDate {
		return invalid("the due date is before the start date")
	}
	switch in.Priority {
	case "":
		t.Priority = Normal
	case Low, Normal, High:
		t.Priority = in.Priority
	default:
		return invalid("priority must be low, normal or high")
	}
	if in.Progress < 0 || in.Progress > 100 {
		return invalid("progress must be 0 to 100")
	}
	t.Progress = in.Progress
	t.Tags = nil
	for _, tag := range in.Tags {
		tag = strings.TrimSpace(tag)
		if tag == "" || slices.Contains(t.Tags, tag) {
			continue
		}
		if utf8.RuneCountInString(tag) > MaxTagLen {
			return invalid("tag %q is longer than %d characters", tag, MaxTagLen)
		}
		t.Tags = append(t.Tags, tag)
	}
	if len(t.Tags) > MaxTags {
		return invalid("at most %d tags", MaxTags)
	}
	t.Assignees = slices.Compact(slices.Sorted(slices.Values(in.Assignees)))
	return nil
}

// Add creates a task in a list (needs bind: limited or more).
func (s *Service) Add(ctx context.Context, who core.Subject, listID int64, in Input) (*Task, error) {
	if err := s.acl.Decide(ctx, who, acl.Target{ContainerID: listID}, acl.PrivBind); err != nil {
		return nil, err
	}
	t := &Task{ContainerID: listID}
	if err := in.apply(t); err != nil {
		return nil, err
	}
	author := who.AccountID
	t.AuthorID = &author
	now := s.now().UTC()
	t.CreatedAt, t.UpdatedAt, t.UpdatedBy = now, now, &author
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkRefs(ctx, tx, listID, in.StatusID, t); err != nil {
			return err
		}
		if err := tx.NewRaw(`SELECT COALESCE(MAX(position), 0) + 1 FROM tasks WHERE container_id = ?`, listID).Scan(ctx, &t.Position); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return err
		}
		if err := writeSets(ctx, tx, t); err != nil {
			return err
		}
		return s.project(ctx, tx, t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// checkRefs resolves the status (0: the first) and checks that assignees
// are members of the list's space.
func (s *Service) checkRefs(ctx context.Context, tx bun.Tx, listID, statusID int64, t *Task) error {
	sts, err := s.statuses(ctx, tx, listID)
	if err != nil {
		return err
	}
	if len(sts) == 0 {
		return fmt.Errorf("%w: the list has no status", core.ErrConflict)
	}
	t.StatusID = sts[0].ID
	if statusID != 0 {
		if !slices.ContainsFunc(sts, func(st Status) bool { return st.ID == statusID }) {
			return invalid("status %d is not one of this list", statusID)
		}
		t.StatusID = statusID
	}
	if len(t.Assignees) == 0 {
		return nil
	}
	var n int
	err = tx.NewRaw(`SELECT COUNT(*) FROM accounts a JOIN containers c ON c.id = ?
		WHERE a.id IN (?) AND `+acl.MemberOfSQL("c.space_id", "a.id"), listID, bun.In(t.Assignees)).Scan(ctx, &n)
	if err != nil {
		return err
	}
	if n != len(t.Assignees) {
		return invalid("assignees must be members of the space")
	}
	return nil
}

func writeSets(ctx context.Context, tx bun.Tx, t *Task) error {
	if _, err := tx.NewRaw(`DELETE FROM task_assignees WHERE task_id = ?`, t.ID).Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewRaw(`DELETE FROM task_tags WHERE task_id = ?`, t.ID).Exec(ctx); err != nil {
		return err
	}
	for _, a := range t.Assignees {
		if _, err := tx.NewRaw(`INSERT INTO task_assignees (task_id, account_id) VALUES (?, ?)`, t.ID, a).Exec(ctx); err != nil {
			return err
		}
	}
	for _, tag := range t.Tags {
		if _, err := tx.NewRaw(`INSERT INTO task_tags (task_id, tag) VALUES (?, ?)`, t.ID, tag).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// get loads a task and the caller's level on it.
func (s *Service) get(ctx context.Context, who core.Subject, id int64) (*Task, error) {
	t := new(Task)
	if err := s.db.NewSelect().Model(t).Where("t.id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("task %d: %w", id, store.Translate(err))
	}
	var author int64
	if t.AuthorID != nil {
		author = *t.AuthorID
	}
	l, err := s.acl.Level(ctx, who, acl.Target{ContainerID: t.ContainerID, AuthorID: author, Item: true})
	if err != nil {
		return nil, err
	}
	if l < acl.Read {
		return nil, fmt.Errorf("task %d: %w", id, core.ErrNotFound)
	}
	t.Level = l
	if err := s.loadSets(ctx, []*Task{t}); err != nil {
		return nil, err
	}
	return t, nil
}

// Get returns one task who may read.
func (s *Service) Get(ctx context.Context, who core.Subject, id int64) (*Task, error) {
	return s.get(ctx, who, id)
}

// Update replaces what a task carries (needs write-content on it: its
// author, or write on the list).
func (s *Service) Update(ctx context.Context, who core.Subject, id int64, in Input) (*Task, error) {
	t, err := s.get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !acl.Allows(t.Level, false, acl.PrivWriteContent) {
		return nil, &acl.DeniedError{Need: acl.PrivWriteContent, Have: t.Level}
	}
	if err := in.apply(t); err != nil {
		return nil, err
	}
	t.UpdatedAt, t.UpdatedBy = s.now().UTC(), &who.AccountID
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkRefs(ctx, tx, t.ContainerID, in.StatusID, t); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(t).WherePK().
			Column("title", "description", "status_id", "start_date", "due_date", "priority", "progress", "updated_at", "updated_by").
			Exec(ctx); err != nil {
			return err
		}
		if err := writeSets(ctx, tx, t); err != nil {
			return err
		}
		return s.project(ctx, tx, t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Input returns what t carries, to change part of it and Update.
func (t *Task) Input() Input {
	in := Input{Title: t.Title, Description: t.Description, StatusID: t.StatusID, Priority: t.Priority,
		Progress: t.Progress, Assignees: t.Assignees, Tags: t.Tags}
	if t.StartDate != nil {
		in.StartDate = *t.StartDate
	}
	if t.DueDate != nil {
		in.DueDate = *t.DueDate
	}
	return in
}

// Delete removes a task (needs unbind on it: its author, or write).
func (s *Service) Delete(ctx context.Context, who core.Subject, id int64) error {
	t, err := s.get(ctx, who, id)
	if err != nil {
		return err
	}
	if !acl.Allows(t.Level, false, acl.PrivUnbind) {
		return &acl.DeniedError{Need: acl.PrivUnbind, Have: t.Level}
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.unproject(ctx, tx, t); err != nil {
			return err
		}
		return s.deleteTx(ctx, tx, t.ID)
	})
}

// deleteTx removes task id and what hangs on it.
func (s *Service) deleteTx(ctx context.Context, tx bun.Tx, id int64) error {
	// Files attached to the task give their blob references back.
	if _, err := tx.NewRaw(`UPDATE blobs SET refs = refs - 1, updated_at = ?
		WHERE hash IN (SELECT blob_hash FROM task_attachments WHERE task_id = ?) AND refs > 0`,
		s.now().UTC(), id).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewRaw(`DELETE FROM tasks WHERE id = ?`, id).Exec(ctx)
	return err
}

// Filter selects tasks of a list. Zero fields do not filter; with no
// status given, only statuses marked visible are shown.
type Filter struct {
	StatusIDs   []int64
	From, To    string // tasks whose [start, due] meets [From, To]
	MinProgress int
	MaxProgress int // 0 means 100
	Assignee    int64
	Tag         string
}

// Tasks lists the tasks of a list who may read, in their order.
func (s *Service) Tasks(ctx context.Context, who core.Subject, listID int64, f Filter) ([]*Task, error) {
	list, err := s.List(ctx, who, listID)
	if err != nil {
		return nil, err
	}
	var out []*Task
	q := s.db.NewSelect().Model(&out).Where("t.container_id = ?", listID).Order("t.position", "t.id")
	if len(f.StatusIDs) > 0 {
		q = q.Where("t.status_id IN (?)", bun.In(f.StatusIDs))
	} else {
		q = q.Where("t.status_id IN (SELECT id FROM task_statuses WHERE container_id = ? AND visible)", listID)
	}
	if f.From != "" {
		if _, err := day(f.From); err != nil {
			return nil, err
		}
		q = q.Where("COALESCE(t.due_date, t.start_date) >= ?", f.From)
	}
	if f.To != "" {
		if _, err := day(f.To); err != nil {
			return nil, err
		}
		q = q.Where("COALESCE(t.start_date, t.due_date) <= ?", f.To)
	}
	if f.MinProgress > 0 {
		q = q.Where("t.progress >= ?", f.MinProgress)
	}
	if f.MaxProgress > 0 && f.MaxProgress < 100 {
		q = q.Where("t.progress <= ?", f.MaxProgress)
	}
	if f.Assignee != 0 {
		q = q.Where("EXISTS (SELECT 1 FROM task_assignees a WHERE a.task_id = t.id AND a.account_id = ?)", f.Assignee)
	}
	if f.Tag != "" {
		q = q.Where("EXISTS (SELECT 1 FROM task_tags g WHERE g.task_id = t.id AND g.tag = ?)", f.Tag)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	for _, t := range out {
		t.Level = list.ItemLevel(who, t.AuthorID)
	}
	return out, s.loadSets(ctx, out)
}

// loadSets fills assignees, tags and attachments of tasks.
func (s *Service) loadSets(ctx context.Context, ts []*Task) error {
	return s.loadSetsTx(ctx, s.db, ts)
}

func (s *Service) loadSetsTx(ctx context.Context, db bun.IDB, ts []*Task) error {
	if len(ts) == 0 {
		return nil
	}
	byID := map[int64]*Task{}
	ids := make([]int64, 0, len(ts))
	for _, t := range ts {
		byID[t.ID] = t
		ids = append(ids, t.ID)
	}
	var as []struct {
		TaskID    int64
		AccountID int64
	}
	if err := db.NewRaw(`SELECT task_id, account_id FROM task_assignees WHERE task_id IN (?) ORDER BY account_id`, bun.In(ids)).Scan(ctx, &as); err != nil {
		return store.Translate(err)
	}
	for _, a := range as {
		byID[a.TaskID].Assignees = append(byID[a.TaskID].Assignees, a.AccountID)
	}
	var tags []struct {
		TaskID int64
		Tag    string
	}
	if err := db.NewRaw(`SELECT task_id, tag FROM task_tags WHERE task_id IN (?) ORDER BY tag`, bun.In(ids)).Scan(ctx, &tags); err != nil {
		return store.Translate(err)
	}
	for _, g := range tags {
		byID[g.TaskID].Tags = append(byID[g.TaskID].Tags, g.Tag)
	}
	var files []Attachment
	if err := db.NewSelect().Model(&files).Where("task_id IN (?)", bun.In(ids)).Order("id").Scan(ctx); err != nil {
		return store.Translate(err)
	}
	for _, f := range files {
		byID[f.TaskID].Attachments = append(byID[f.TaskID].Attachments, f)
	}
	return nil
}

// Reorder sets the order of a list's tasks (needs write on the list: it
// moves others' tasks). ids must be tasks of the list; those not named
// keep their relative order after them.
func (s *Service) Reorder(ctx context.Context, who core.Subject, listID int64, ids []int64) error {
	if err := s.acl.Decide(ctx, who, acl.Target{ContainerID: listID}, acl.PrivWrite); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var all []int64
		if err := tx.NewRaw(`SELECT id FROM tasks WHERE container_id = ? ORDER BY position, id`, listID).Scan(ctx, &all); err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, id := range ids {
			if !slices.Contains(all, id) || seen[id] {
				return invalid("task %d is not in this list or named twice", id)
			}
			seen[id] = true
		}
		order := append([]int64{}, ids...)
		for _, id := range all {
			if !seen[id] {
				order = append(order, id)
			}
		}
		for i, id := range order {
			if _, err := tx.NewRaw(`UPDATE tasks SET position = ? WHERE id = ?`, i+1, id).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// Import copies the tasks of another list who may read into a list where
// they may add tasks. Statuses map by position (the last one when the
// target has fewer); who becomes the author of the copies. It returns how
// many tasks were copied.
func (s *Service) Import(ctx context.Context, who core.Subject, fromID, toID int64) (int, error) {
	if fromID == toID {
		return 0, invalid("a list cannot import itself")
	}
	src, err := s.Tasks(ctx, who, fromID, Filter{StatusIDs: nil})
	if err != nil {
		return 0, err
	}
	srcSts, err := s.statuses(ctx, s.db, fromID)
	if err != nil {
		return 0, err
	}
	// Hidden statuses too: an import copies everything.
	var hidden []*Task
	if err := s.db.NewSelect().Model(&hidden).Where("t.container_id = ? AND t.status_id IN (SELECT id FROM task_statuses WHERE container_id = ? AND NOT visible)", fromID, fromID).
		Order("t.position").Scan(ctx); err != nil {
		return 0, store.Translate(err)
	}
	if err := s.loadSets(ctx, hidden); err != nil {
		return 0, err
	}
	src = append(src, hidden...)
	dstSts, err := s.statuses(ctx, s.db, toID)
	if err != nil {
		return 0, err
	}
	pos := map[int64]int{}
	for i, st := range srcSts {
		pos[st.ID] = i
	}
	n := 0
	for _, t := range src {
		in := t.Input()
		in.StatusID = dstSts[min(pos[t.StatusID], len(dstSts)-1)].ID
		in.Assignees = nil // people of another space may not belong here
		if _, err := s.Add(ctx, who, toID, in); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Comment is a remark on a task.
type Comment struct {
	bun.BaseModel `bun:"table:task_comments"`

	ID        int64     `bun:",pk,autoincrement" json:"id"`
	TaskID    int64     `json:"task_id"`
	AuthorID  *int64    `json:"author_id"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// AddComment adds a comment to a task; anyone who may read the task and
// has an account may comment (DocSpace's commenter is a reader).
func (s *Service) AddComment(ctx context.Context, who core.Subject, taskID int64, body string) (*Comment, error) {
	if who.IsAnonymous() {
		return nil, fmt.Errorf("%w: sign in to comment", core.ErrUnauthenticated)
	}
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > 5000 {
		return nil, invalid("a comment has 1 to 5000 characters")
	}
	if _, err := s.get(ctx, who, taskID); err != nil {
		return nil, err
	}
	author := who.AccountID
	c := &Comment{TaskID: taskID, AuthorID: &author, Body: body, CreatedAt: s.now().UTC()}
	_, err := s.db.NewInsert().Model(c).Exec(ctx)
	return c, store.Translate(err)
}

// Comments lists the comments of a task who may read.
func (s *Service) Comments(ctx context.Context, who core.Subject, taskID int64) ([]Comment, error) {
	if _, err := s.get(ctx, who, taskID); err != nil {
		return nil, err
	}
	var cs []Comment
	err := s.db.NewSelect().Model(&cs).Where("task_id = ?", taskID).Order("id").Scan(ctx)
	return cs, store.Translate(err)
}
