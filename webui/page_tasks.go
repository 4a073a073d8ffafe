package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/task"
)

// member is a person of the space, for assignee lists.
type member struct {
	ID   int64
	Name string
}

func (s *server) members(r *http.Request, spaceID int64) ([]member, error) {
	ms, err := s.Spaces.Members(r.Context(), spaceID)
	if err != nil {
		return nil, err
	}
	out := make([]member, 0, len(ms))
	for _, m := range ms {
		a, err := s.Accounts.Get(r.Context(), m.AccountID)
		if err != nil {
			return nil, err
		}
		out = append(out, member{ID: a.ID, Name: a.Name})
	}
	return out, nil
}

// tasksView loads the space and checks the tasks module is on.
func (s *server) tasksView(w http.ResponseWriter, r *http.Request, title string) (*view, bool) {
	return s.moduleView(w, r, core.ModTasks, title)
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: bad %s id", core.ErrNotFound, name)
	}
	return id, nil
}

func (s *server) taskListsPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	lists, err := s.Tasks.Lists(r.Context(), core.SubjectFrom(r.Context()), v.Space.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"Lists": lists}
	s.render(w, r, http.StatusOK, "tasklists", v)
}

func (s *server) taskListCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	who := core.SubjectFrom(r.Context())
	var grants []acl.Grant
	if lvl, ok := acl.ParseLevel(r.PostForm.Get("members")); ok {
		grants = []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: v.Space.ID, Level: lvl}}
	} else if r.PostForm.Get("members") != "" {
		s.pageError(w, r, invalid("members level must be read, limited, write or full"))
		return
	}
	c, err := s.Tasks.CreateList(r.Context(), who, v.Space.ID, r.PostForm.Get("name"), grants)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/tasks/%d", v.Space.Slug, c.ID), http.StatusSeeOther)
}

// tasksPerPage is how many tasks a list page shows: each row is light
// (no form; a task's controls are on its own page), so 500 tasks stay
// fast, but a screen holds a few dozen anyway.
const tasksPerPage = 50

// listData is what the task list page shows.
type listData struct {
	List     *task.List
	Statuses []task.Status
	Tasks    []*task.Task
	Members  []member
	Others   []task.List
	Filter   url.Values
	// Total is the number of tasks the filter keeps; Tasks is one page
	// of them, Before the ids of the earlier pages (so that reordering a
	// page keeps them in front).
	Total       int
	Page, Pages int
	Pager       *pager
	Before      string
	CanAdd      bool
	CanOrder    bool
	Names       map[int64]string
	StatusOf    map[int64]string
	// CalDAVURL is the list's calendar of VTODO for tasks apps.
	CalDAVURL string
}

func parseFilter(q url.Values) (task.Filter, error) {
	f := task.Filter{From: q.Get("from"), To: q.Get("to"), Tag: strings.TrimSpace(q.Get("tag"))}
	for _, raw := range q["status"] {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return f, invalid("bad status filter")
		}
		f.StatusIDs = append(f.StatusIDs, id)
	}
	for name, dst := range map[string]*int{"min": &f.MinProgress, "max": &f.MaxProgress} {
		if raw := q.Get(name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 0 || n > 100 {
				return f, invalid("progress filter must be 0 to 100")
			}
			*dst = n
		}
	}
	if raw := q.Get("assignee"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return f, invalid("bad assignee filter")
		}
		f.Assignee = id
	}
	return f, nil
}

func (s *server) loadList(w http.ResponseWriter, r *http.Request, v *view) (*listData, bool) {
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	id, err := pathID(r, "list")
	if err == nil {
		var l *task.List
		if l, err = s.Tasks.List(ctx, who, id); err == nil && (l.SpaceID == nil || *l.SpaceID != v.Space.ID) {
			err = fmt.Errorf("list %d: %w", id, core.ErrNotFound)
		}
		if err == nil {
			d := &listData{List: l, CanAdd: acl.Allows(l.Level, true, acl.PrivBind),
				CanOrder: acl.Allows(l.Level, true, acl.PrivWrite), Names: map[int64]string{}, StatusOf: map[int64]string{},
				CalDAVURL: fmt.Sprintf("%s/dav/calendars/%s/%s-%d@%s/", strings.TrimRight(s.BaseURL, "/"),
					url.PathEscape(who.Login), task.SlugPrefix, l.ID, url.PathEscape(v.Space.Slug))}
			if d.Statuses, err = s.Tasks.Statuses(ctx, who, id); err == nil {
				d.Members, err = s.members(r, v.Space.ID)
			}
			for _, m := range d.Members {
				d.Names[m.ID] = m.Name
			}
			for _, st := range d.Statuses {
				d.StatusOf[st.ID] = st.Name
			}
			if err == nil {
				return d, true
			}
		}
	}
	s.pageError(w, r, err)
	return nil, false
}

func (s *server) taskListPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	d, ok := s.loadList(w, r, v)
	if !ok {
		return
	}
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	who := core.SubjectFrom(r.Context())
	all, err := s.Tasks.Tasks(r.Context(), who, d.List.ID, f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d.Total = len(all)
	d.Pager = paginate(r, len(all), tasksPerPage)
	d.Page, d.Pages = d.Pager.Page, d.Pager.Pages
	lo, hi := d.Pager.Bounds()
	d.Tasks = all[lo:hi]
	ids := make([]string, 0, lo)
	for _, t := range all[:lo] {
		ids = append(ids, strconv.FormatInt(t.ID, 10))
	}
	d.Before = strings.Join(ids, ",")
	lists, err := s.Tasks.Lists(r.Context(), who, v.Space.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, l := range lists {
		if l.ID != d.List.ID {
			d.Others = append(d.Others, l)
		}
	}
	d.Filter = r.URL.Query()
	v.Data = d
	s.render(w, r, http.StatusOK, "tasklist", v)
}

// taskInput reads a task form over base (fields absent from the form keep
// base's value, so a form may change only status and progress).
func taskInput(form url.Values, base task.Input) (task.Input, error) {
	in := base
	if _, ok := form["title"]; ok {
		in.Title = form.Get("title")
	}
	if _, ok := form["description"]; ok {
		in.Description = form.Get("description")
	}
	for key, dst := range map[string]*string{"start": &in.StartDate, "due": &in.DueDate} {
		if _, ok := form[key]; ok {
			*dst = form.Get(key)
		}
	}
	if raw := form.Get("status"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return in, invalid("bad status")
		}
		in.StatusID = id
	}
	if raw := form.Get("priority"); raw != "" {
		in.Priority = task.Priority(raw)
	}
	if raw := form.Get("progress"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return in, invalid("progress must be a number from 0 to 100")
		}
		in.Progress = n
	}
	if _, ok := form["tags"]; ok {
		in.Tags = nil
		for _, t := range strings.Split(form.Get("tags"), ",") {
			if t = strings.TrimSpace(t); t != "" {
				in.Tags = append(in.Tags, t)
			}
		}
	}
	if _, ok := form["assignees_sent"]; ok {
		in.Assignees = nil
		for _, raw := range form["assignees"] {
			id, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				return in, invalid("bad assignee")
			}
			in.Assignees = append(in.Assignees, id)
		}
	}
	return in, nil
}

func (s *server) parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return invalid("malformed form")
	}
	return nil
}

func (s *server) taskCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	d, ok := s.loadList(w, r, v)
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	in, err := taskInput(r.PostForm, task.Input{})
	if err == nil {
		_, err = s.Tasks.Add(r.Context(), core.SubjectFrom(r.Context()), d.List.ID, in)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/tasks/%d", v.Space.Slug, d.List.ID), http.StatusSeeOther)
}

func (s *server) taskImport(w http.ResponseWriter, r *http.Request) {
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
	from, err := strconv.ParseInt(r.PostForm.Get("from"), 10, 64)
	if err != nil {
		s.pageError(w, r, invalid("choose a list to import from"))
		return
	}
	if _, err := s.Tasks.Import(r.Context(), core.SubjectFrom(r.Context()), from, d.List.ID); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/tasks/%d", v.Space.Slug, d.List.ID), http.StatusSeeOther)
}

// taskFromPath loads the task of the path and checks it is in the space.
func (s *server) taskFromPath(w http.ResponseWriter, r *http.Request, v *view) (*task.Task, bool) {
	id, err := pathID(r, "task")
	var t *task.Task
	if err == nil {
		t, err = s.Tasks.Get(r.Context(), core.SubjectFrom(r.Context()), id)
	}
	if err == nil {
		var l *task.List
		l, err = s.Tasks.List(r.Context(), core.SubjectFrom(r.Context()), t.ContainerID)
		if err == nil && (l.SpaceID == nil || *l.SpaceID != v.Space.ID) {
			err = fmt.Errorf("task %d: %w", id, core.ErrNotFound)
		}
	}
	if err != nil {
		s.pageError(w, r, err)
		return nil, false
	}
	return t, true
}

func (s *server) backToList(w http.ResponseWriter, r *http.Request, v *view, listID int64) {
	http.Redirect(w, r, fmt.Sprintf("/s/%s/tasks/%d", v.Space.Slug, listID), http.StatusSeeOther)
}

func (s *server) taskUpdate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	t, ok := s.taskFromPath(w, r, v)
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	in, err := taskInput(r.PostForm, t.Input())
	if err == nil {
		_, err = s.Tasks.Update(r.Context(), core.SubjectFrom(r.Context()), t.ID, in)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.backToList(w, r, v, t.ContainerID)
}

func (s *server) taskDelete(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	t, ok := s.taskFromPath(w, r, v)
	if !ok {
		return
	}
	if err := s.Tasks.Delete(r.Context(), core.SubjectFrom(r.Context()), t.ID); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.backToList(w, r, v, t.ContainerID)
}

// taskPage shows one task with its controls: status and progress, the
// full edit form, attachments, comments, deletion. The list page shows
// rows only, so that long lists stay fast.
func (s *server) taskPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	t, ok := s.taskFromPath(w, r, v)
	if !ok {
		return
	}
	r.SetPathValue("list", strconv.FormatInt(t.ContainerID, 10))
	d, ok := s.loadList(w, r, v)
	if !ok {
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	atts, err := s.Tasks.Attachments(ctx, who, t.ID)
	var comments []task.Comment
	if err == nil {
		comments, err = s.Tasks.Comments(ctx, who, t.ID)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	del, moveTo, err := s.taskPageExtras(r, v, t, comments)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	t.Attachments = atts
	v.Title = "task.page"
	v.Data = map[string]any{"Task": t, "List": d.List, "Statuses": d.Statuses, "Members": d.Members,
		"Names": d.Names, "StatusOf": d.StatusOf, "Comments": comments, "CanDeleteComment": del, "MoveTo": moveTo, "CommentAuthor": commentAuthors(d.Names, comments)}
	s.render(w, r, http.StatusOK, "task", v)
}

func (s *server) taskComment(w http.ResponseWriter, r *http.Request) {
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
	if _, err := s.Tasks.AddComment(r.Context(), core.SubjectFrom(r.Context()), t.ID, r.PostForm.Get("body")); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/task/%d", v.Space.Slug, t.ID), http.StatusSeeOther)
}
