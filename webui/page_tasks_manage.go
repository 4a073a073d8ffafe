package webui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/notify"
	"plaza/core/task"
)

// Managing tasks beyond creating them: deleting comments, moving a task
// to another list, a list's own statuses (add, rename, order, hidden by
// default) and following its new tasks or a status.

func (s *server) taskManageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /s/{slug}/task/{task}/comment/{c}/delete", s.taskCommentDelete)
	mux.HandleFunc("POST /s/{slug}/task/{task}/move", s.taskMove)
	mux.HandleFunc("GET /s/{slug}/tasks/{list}/settings", s.taskListSettings)
	mux.HandleFunc("POST /s/{slug}/tasks/{list}/statuses", s.taskStatusesSave)
	mux.HandleFunc("POST /s/{slug}/tasks/{list}/follow", s.taskFollow)
}

// taskPageExtras is what the task page shows to manage the task: which
// comments the reader may delete and the lists it may move to.
func (s *server) taskPageExtras(r *http.Request, v *view, t *task.Task, comments []task.Comment) (map[int64]bool, []task.List, error) {
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	del := map[int64]bool{}
	for i := range comments {
		ok, err := s.Tasks.CanDeleteComment(ctx, who, t, &comments[i])
		if err != nil {
			return nil, nil, err
		}
		del[comments[i].ID] = ok
	}
	if !acl.Allows(t.Level, false, acl.PrivUnbind) {
		return del, nil, nil
	}
	lists, err := s.Tasks.Lists(ctx, who, v.Space.ID)
	if err != nil {
		return nil, nil, err
	}
	var to []task.List
	for _, l := range lists {
		if l.ID != t.ContainerID && acl.Allows(l.Level, true, acl.PrivBind) {
			to = append(to, l)
		}
	}
	return del, to, nil
}

func (s *server) taskCommentDelete(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	t, ok := s.taskFromPath(w, r, v)
	if !ok {
		return
	}
	id, err := pathID(r, "c")
	if err == nil {
		err = s.Tasks.DeleteComment(r.Context(), core.SubjectFrom(r.Context()), t.ID, id)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/task/%d", v.Space.Slug, t.ID), http.StatusSeeOther)
}

func (s *server) taskMove(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	t, ok := s.taskFromPath(w, r, v)
	if !ok {
		return
	}
	to, err := strconv.ParseInt(r.PostForm.Get("list"), 10, 64)
	if err != nil {
		s.pageError(w, r, invalid("choose a list to move the task to"))
		return
	}
	if l, err := s.Tasks.List(r.Context(), core.SubjectFrom(r.Context()), to); err != nil || l.SpaceID == nil || *l.SpaceID != v.Space.ID {
		s.pageError(w, r, fmt.Errorf("list %d: %w", to, core.ErrNotFound))
		return
	}
	if _, err := s.Tasks.Move(r.Context(), core.SubjectFrom(r.Context()), t.ID, to); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/task/%d", v.Space.Slug, t.ID), http.StatusSeeOther)
}

// followChoice is one thing of a list the reader may follow.
type followChoice struct {
	Key, Label string
	Status     bool // Label is a status name (translated by "label")
	On         bool
}

func (s *server) taskListSettings(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	d, ok := s.loadList(w, r, v)
	if !ok {
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	var follows []followChoice
	if s.Notify != nil {
		follows = append(follows, followChoice{Key: notify.TaskNew, Label: "tasks.follow_new"})
		for _, st := range d.Statuses {
			follows = append(follows, followChoice{Key: strconv.FormatInt(st.ID, 10), Label: st.Name, Status: true})
		}
		for i := range follows {
			on, err := s.Notify.Following(ctx, who, notify.Target{Kind: notify.KindTaskStatus, ID: d.List.ID, Key: follows[i].Key})
			if err != nil {
				s.pageError(w, r, err)
				return
			}
			follows[i].On = on
		}
	}
	v.Title = "tasks.settings"
	v.Data = map[string]any{"List": d.List, "Statuses": d.Statuses, "Follows": follows,
		"CanManage": acl.Allows(d.List.Level, true, acl.PrivWriteACL)}
	s.render(w, r, http.StatusOK, "tasksettings", v)
}

func (s *server) backToSettings(w http.ResponseWriter, r *http.Request, v *view, listID int64) {
	http.Redirect(w, r, fmt.Sprintf("/s/%s/tasks/%d/settings", v.Space.Slug, listID), http.StatusSeeOther)
}

// taskStatusesSave reads the statuses form: rows 0..n-1 (id, name,
// position, visible, done) and a new row, sorted by position.
func (s *server) taskStatusesSave(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	d, ok := s.loadList(w, r, v)
	if !ok {
		return
	}
	f := r.PostForm
	type row struct {
		st  task.Status
		pos int
	}
	var rows []row
	for i := 0; i <= len(d.Statuses); i++ {
		k := strconv.Itoa(i)
		name := strings.TrimSpace(f.Get("name-" + k))
		if i == len(d.Statuses) && name == "" {
			break // no new status
		}
		var st task.Status
		if i < len(d.Statuses) {
			id, err := strconv.ParseInt(f.Get("id-"+k), 10, 64)
			if err != nil {
				s.pageError(w, r, invalid("bad status id"))
				return
			}
			st.ID = id
			if f.Get("remove-"+k) != "" {
				continue
			}
			// A default status shown by its label keeps its message key.
			if old := d.Statuses[i].Name; strings.HasPrefix(old, "status.") && name == s.catalog.translate(v.Lang, old) {
				name = old
			}
		}
		st.Name, st.Visible, st.Done = name, f.Get("visible-"+k) != "", f.Get("done-"+k) != ""
		pos, err := strconv.Atoi(f.Get("pos-" + k))
		if err != nil {
			pos = i + 1
		}
		pos *= 2
		if st.ID == 0 {
			pos-- // a new status goes before the one whose place it takes
		}
		rows = append(rows, row{st, pos})
	}
	// Stable: equal positions keep the form's order.
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].pos < rows[j-1].pos; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
	sts := make([]task.Status, len(rows))
	for i, rw := range rows {
		sts[i] = rw.st
	}
	if err := s.Tasks.SetStatuses(r.Context(), core.SubjectFrom(r.Context()), d.List.ID, sts); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.backToSettings(w, r, v, d.List.ID)
}

func (s *server) taskFollow(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	d, ok := s.loadList(w, r, v)
	if !ok {
		return
	}
	if s.Notify == nil {
		s.pageError(w, r, fmt.Errorf("%w: notifications are off on this server", core.ErrNotFound))
		return
	}
	key := r.PostForm.Get("key")
	if key != notify.TaskNew {
		id, _ := strconv.ParseInt(key, 10, 64)
		if _, ok := d.StatusOf[id]; !ok {
			s.pageError(w, r, invalid("choose a status of this list"))
			return
		}
	}
	who := core.SubjectFrom(r.Context())
	tg := notify.Target{Kind: notify.KindTaskStatus, ID: d.List.ID, Key: key}
	var err error
	if r.PostForm.Get("on") == "1" {
		err = s.Notify.Follow(r.Context(), who, tg, d.List.ID)
	} else {
		err = s.Notify.Unfollow(r.Context(), who, tg)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.backToSettings(w, r, v, d.List.ID)
}

// commentAuthors names the author of each comment, by comment id.
func commentAuthors(names map[int64]string, cs []task.Comment) map[int64]string {
	out := make(map[int64]string, len(cs))
	for _, c := range cs {
		if c.AuthorID != nil {
			out[c.ID] = names[*c.AuthorID]
		}
	}
	return out
}
