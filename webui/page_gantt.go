package webui

import (
	"net/http"
	"time"

	"plaza/core"
	"plaza/core/task"
)

func (s *server) ganttPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "gantt.title")
	if !ok {
		return
	}
	d, ok := s.loadList(w, r, v)
	if !ok {
		return
	}
	who := core.SubjectFrom(r.Context())
	all := make([]int64, 0, len(d.Statuses))
	done := map[int64]bool{}
	for _, st := range d.Statuses {
		all = append(all, st.ID)
		done[st.ID] = st.Done
	}
	ts, err := s.Tasks.Tasks(r.Context(), who, d.List.ID, task.Filter{StatusIDs: all})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	loc := time.UTC
	if v.User != nil {
		if l, err := time.LoadLocation(v.User.Timezone); err == nil {
			loc = l
		}
	}
	d.Tasks = ts
	v.Data = map[string]any{"List": d.List, "Gantt": buildGantt(ts, done, time.Now().In(loc), dateLayout(v.User))}
	s.render(w, r, http.StatusOK, "gantt", v)
}
