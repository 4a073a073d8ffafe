package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core/store"
	"plaza/core/task"
)

// Task notifications come from watching the tasks table rather than
// from a hook in the tasks module: every change bumps a task's
// updated_at, and WatchTasks compares what changed since its cursor with
// the state it saw last (notify_task_state). New assignees hear they were
// assigned; on a status change the task's assignees and author hear of
// it; the one who made the change (tasks.updated_by) is not told. The cursor
// row is locked for the scan, so processes take turns; comparing with
// the stored state makes a repeated scan send nothing twice.

type taskState struct {
	bun.BaseModel `bun:"table:notify_task_state"`

	TaskID    int64 `bun:",pk"`
	StatusID  int64
	Assignees string // sorted ids, comma-separated
}

const taskCursor = "tasks"

// TaskNew is the key of a follow of a task list's new tasks
// (KindTaskStatus); a status's id is the key of a follow of that status.
const TaskNew = "new"

// WatchTasks notifies of the task changes since the last call and
// returns how many notes it made. The first call on a database only
// records the current state.
func (s *Service) WatchTasks(ctx context.Context) (int, error) {
	notes := 0
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var at []time.Time
		q := tx.NewSelect().Table("notify_cursors").Column("at").Where("name = ?", taskCursor)
		if s.db.Kind == store.Postgres {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx, &at); err != nil {
			return err
		}
		first := len(at) == 0
		since := time.Time{}
		if !first {
			since = at[0]
		}
		var rows []struct {
			ID       int64
			ListID   int64
			Title    string
			StatusID int64
			AuthorID *int64
			ByID     *int64
			Updated  time.Time
			Status   string
			Slug     string
		}
		err := tx.NewRaw(`SELECT t.id, t.container_id AS list_id, t.title, t.status_id, t.author_id, t.updated_by AS by_id, t.updated_at AS updated, st.name AS status, sp.slug
			FROM tasks t JOIN task_statuses st ON st.id = t.status_id JOIN containers c ON c.id = t.container_id
			JOIN spaces sp ON sp.id = c.space_id
			WHERE t.updated_at >= ? ORDER BY t.updated_at, t.id LIMIT 1000`, since).Scan(ctx, &rows)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			if first {
				err = insertCursor(ctx, tx, taskCursor, since)
			}
			return err
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		var as []struct{ TaskID, AccountID int64 }
		if err := tx.NewRaw(`SELECT task_id, account_id FROM task_assignees WHERE task_id IN (?) ORDER BY task_id, account_id`,
			bun.In(ids)).Scan(ctx, &as); err != nil {
			return err
		}
		assignees := map[int64][]int64{}
		for _, a := range as {
			assignees[a.TaskID] = append(assignees[a.TaskID], a.AccountID)
		}
		var old []taskState
		if err := tx.NewSelect().Model(&old).Where("task_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
			return err
		}
		before := map[int64]taskState{}
		for _, o := range old {
			before[o.TaskID] = o
		}
		var out []Note
		var states []taskState
		announced := 0
		for _, r := range rows {
			now := taskState{TaskID: r.ID, StatusID: r.StatusID, Assignees: joinIDs(assignees[r.ID])}
			states = append(states, now)
			prev, seen := before[r.ID]
			if first || (seen && prev == now) {
				continue
			}
			path := fmt.Sprintf("/s/%s/tasks", r.Slug)
			had := splitIDs(prev.Assignees)
			for _, a := range assignees[r.ID] {
				if slices.Contains(had, a) || (r.ByID != nil && *r.ByID == a) || (!seen && r.AuthorID != nil && *r.AuthorID == a) {
					continue
				}
				out = append(out, Note{AccountID: a, Title: "Task assigned to you: " + r.Title,
					Text: "You were assigned the task \"" + r.Title + "\".", Path: path})
			}
			by := int64(0)
			if r.ByID != nil {
				by = *r.ByID
			}
			if !seen {
				// A new task: whoever follows the list's new tasks hears of it.
				k, err := s.Announce(ctx, tx, Target{Kind: KindTaskStatus, ID: r.ListID, Key: TaskNew}, r.ListID, by,
					Note{Title: "New task: " + r.Title, Text: "A task was added: \"" + r.Title + "\".", Path: path})
				if err != nil {
					return err
				}
				announced += k
			}
			if !seen || prev.StatusID != r.StatusID {
				// Reaching a status (also by being created in it) tells
				// whoever follows that status of the list.
				status := task.StatusLabel(r.Status)
				k, err := s.Announce(ctx, tx, Target{Kind: KindTaskStatus, ID: r.ListID, Key: strconv.FormatInt(r.StatusID, 10)}, r.ListID, by,
					Note{Title: "Task " + r.Title + ": " + status, Text: "The task \"" + r.Title + "\" reached the status " + status + ".", Path: path})
				if err != nil {
					return err
				}
				announced += k
			}
			if seen && prev.StatusID != r.StatusID {
				status := task.StatusLabel(r.Status)
				tell := append([]int64(nil), assignees[r.ID]...)
				if r.AuthorID != nil && !slices.Contains(tell, *r.AuthorID) {
					tell = append(tell, *r.AuthorID)
				}
				for _, a := range tell {
					if r.ByID != nil && *r.ByID == a {
						continue
					}
					out = append(out, Note{AccountID: a, Title: "Task " + r.Title + ": " + status,
						Text: "The task \"" + r.Title + "\" is now: " + status + ".", Path: path})
				}
			}
		}
		if _, err := tx.NewInsert().Model(&states).On("CONFLICT (task_id) DO UPDATE").
			Set("status_id = EXCLUDED.status_id").Set("assignees = EXCLUDED.assignees").Exec(ctx); err != nil {
			return err
		}
		last := rows[len(rows)-1].Updated
		if first {
			err = insertCursor(ctx, tx, taskCursor, last)
		} else {
			_, err = tx.NewRaw(`UPDATE notify_cursors SET at = ? WHERE name = ?`, last, taskCursor).Exec(ctx)
		}
		if err != nil {
			return err
		}
		notes = len(out) + announced
		return s.Notify(ctx, tx, out...)
	})
	if errors.Is(err, errCursorTaken) {
		return 0, nil
	}
	return notes, err
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

func splitIDs(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}
