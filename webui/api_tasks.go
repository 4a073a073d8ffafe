package webui

import (
	"net/http"
	"strconv"

	"plaza/core"
	"plaza/core/task"
)

// apiTasks lists the tasks of a list as JSON (filters as on the page).
func (s *server) apiTasks(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("list"), 10, 64)
	if err != nil {
		s.fail(w, r, core.ErrNotFound)
		return
	}
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ts, err := s.Tasks.Tasks(r.Context(), who, id, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ts == nil {
		ts = []*task.Task{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": ts})
}

// apiReorder sets the order of a list's tasks: {"order": [id, …]}.
func (s *server) apiReorder(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("list"), 10, 64)
	if err != nil {
		s.fail(w, r, core.ErrNotFound)
		return
	}
	var body struct {
		Order []int64 `json:"order"`
	}
	if err := readJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Tasks.Reorder(r.Context(), who, id, body.Order); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
