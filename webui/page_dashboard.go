package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	"plaza/core"
	"plaza/core/activity"
	"plaza/core/calendar"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/task"
)

// Dashboards: the personal home (the spaces page) gathers every space
// the reader belongs to; a space's dashboard only that space. Both show
// the same widgets, which each person orders and hides (core/settings).

// dashboardWidgets are the widgets, in their default order.
var dashboardWidgets = []string{"tasks", "events", "activity", "chat", "forum", "polls"}

// widgetView is a widget as the page shows it.
type widgetView struct {
	Name   string
	Hidden bool
	Items  []widgetItem
	// Off: the module is off everywhere, or its service missing; the
	// widget is left out rather than shown empty.
	Off bool
}

// widgetItem is one line of a widget.
type widgetItem struct {
	Text, URL, Where string
	// When it is: a day (Day), a moment (At), or already written (When).
	Day   *string
	At    time.Time
	When  string
	Verb  string // an activity entry's
	Late  bool
	Count int
}

const widgetLines = 6

// dashboard builds the widgets of scope over spaces for the reader.
func (s *server) dashboard(r *http.Request, v *view, scope string, spaces []space.Space) ([]widgetView, error) {
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	layout, err := s.Settings.Widgets(ctx, who.AccountID, scope, dashboardWidgets)
	if err != nil {
		return nil, err
	}
	on := map[core.Module][]space.Space{}
	if scope == settings.ScopeSpace && v.Space != nil {
		// What the reader can reach in this space (a public space's
		// reader is no member of it).
		for _, l := range v.Nav {
			on[l.Module] = spaces
		}
		spaces = nil
	}
	for _, sp := range spaces {
		mods, err := s.Spaces.Modules(ctx, sp.ID)
		if err != nil {
			return nil, err
		}
		for m, ok := range mods {
			if ok {
				on[m] = append(on[m], sp)
			}
		}
	}
	all := spaces
	if v.Space != nil && scope == settings.ScopeSpace {
		all = []space.Space{*v.Space}
	}
	var out []widgetView
	for _, w := range layout {
		wv := widgetView{Name: w.Name, Hidden: w.Hidden}
		if !w.Hidden {
			var err error
			switch w.Name {
			case "tasks":
				wv.Items, wv.Off, err = s.myTasks(r, on[core.ModTasks])
			case "events":
				wv.Items, wv.Off, err = s.nextEvents(r, v, on[core.ModCalendar])
			case "activity":
				wv.Items, wv.Off, err = s.latest(r, all, nil)
			case "forum":
				wv.Items, wv.Off, err = s.unreadForum(r, on[core.ModForum])
			case "chat":
				wv.Items, wv.Off, err = s.unreadChat(r, on[core.ModChat])
			case "polls":
				wv.Items, wv.Off, err = s.openPolls(r, on[core.ModPolls])
			}
			if err != nil {
				return nil, fmt.Errorf("widget %s: %w", w.Name, err)
			}
		}
		out = append(out, wv)
	}
	return out, nil
}

// myTasks: the reader's unfinished tasks that are late or due within a
// week, soonest first.
func (s *server) myTasks(r *http.Request, spaces []space.Space) ([]widgetItem, bool, error) {
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	today := time.Now().Format(time.DateOnly)
	soon := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	type dated struct {
		t    *task.Task
		slug string
	}
	var found []dated
	for _, sp := range spaces {
		lists, err := s.Tasks.Lists(ctx, who, sp.ID)
		if err != nil {
			return nil, false, err
		}
		for _, l := range lists {
			ts, err := s.Tasks.Tasks(ctx, who, l.ID, task.Filter{Assignee: who.AccountID, MaxProgress: 99})
			if err != nil {
				return nil, false, err
			}
			for _, t := range ts {
				if t.DueDate != nil && *t.DueDate <= soon {
					found = append(found, dated{t, sp.Slug})
				}
			}
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return *found[i].t.DueDate < *found[j].t.DueDate })
	var out []widgetItem
	for _, d := range found[:min(len(found), widgetLines)] {
		out = append(out, widgetItem{Text: d.t.Title, URL: fmt.Sprintf("/s/%s/task/%d", d.slug, d.t.ID),
			Day: d.t.DueDate, Late: *d.t.DueDate < today, Where: d.slug})
	}
	return out, len(spaces) == 0, nil
}

// nextEvents: the next events of the coming two weeks in the reader's
// calendars and the spaces' agendas.
func (s *server) nextEvents(r *http.Request, v *view, spaces []space.Space) ([]widgetItem, bool, error) {
	if s.Calendar == nil || len(spaces) == 0 {
		return nil, true, nil
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	home, err := s.Calendar.Home(ctx, who)
	if err != nil {
		return nil, false, err
	}
	slugOf := map[int64]string{}
	for _, sp := range spaces {
		slugOf[sp.ID] = sp.Slug
	}
	var cals []calendar.Collection
	calSlug := map[int64]string{}
	for _, c := range home {
		if !c.HasComponent("VEVENT") {
			continue
		}
		slug := spaces[0].Slug // a personal calendar shows in every space's agenda
		if c.SpaceID != nil {
			var ok bool
			if slug, ok = slugOf[*c.SpaceID]; !ok {
				continue
			}
		}
		cals = append(cals, c)
		calSlug[c.ContainerID] = slug
	}
	loc := readerZone(v)
	now := time.Now().In(loc)
	ag, err := s.Calendar.Occurrences(ctx, cals, now, now.AddDate(0, 0, 14), loc)
	if err != nil {
		return nil, false, err
	}
	occ := ag.Occurrences
	sort.SliceStable(occ, func(i, j int) bool { return occ[i].Start.Before(occ[j].Start) })
	var out []widgetItem
	seen := map[string]bool{}
	for _, o := range occ {
		key := o.UID + strconv.FormatInt(o.Start.Unix(), 10)
		if seen[key] || len(out) == widgetLines {
			continue
		}
		seen[key] = true
		slug := calSlug[o.CalendarID]
		it := widgetItem{Text: o.Summary, At: o.Start, Where: slug}
		if o.AllDay {
			it.At, it.When = time.Time{}, o.Start.Format(dateLayout(v.User))
		}
		it.URL = fmt.Sprintf("/s/%s/agenda/%d/%s?at=%d", slug, o.CalendarID, url.PathEscape(o.Name), o.Start.Unix())
		out = append(out, it)
	}
	return out, false, nil
}

// latest: the newest activity in spaces, of modules (all when nil).
func (s *server) latest(r *http.Request, spaces []space.Space, mods []core.Module) ([]widgetItem, bool, error) {
	if s.Activity == nil || len(spaces) == 0 {
		return nil, true, nil
	}
	f := activity.Filter{Modules: mods, Limit: widgetLines}
	for _, sp := range spaces {
		f.SpaceIDs = append(f.SpaceIDs, sp.ID)
	}
	evs, err := s.Activity.List(r.Context(), core.SubjectFrom(r.Context()), f)
	if err != nil {
		return nil, false, err
	}
	var out []widgetItem
	for _, e := range evs {
		it := widgetItem{Text: e.Title, At: e.At}
		if e.Verb != activity.Delete {
			it.URL = s.itemURL(r, e.Kind, e.RefID, e.SpaceID, e.ContainerID)
		}
		it.Verb = string(e.Verb)
		out = append(out, it)
	}
	return out, false, nil
}

// unreadChat: the spaces whose conversations have messages the reader
// has not read, with how many.
func (s *server) unreadChat(r *http.Request, spaces []space.Space) ([]widgetItem, bool, error) {
	if s.Chat == nil || len(spaces) == 0 {
		return nil, true, nil
	}
	var out []widgetItem
	for _, sp := range spaces {
		n, err := s.Chat.Unread(r.Context(), core.SubjectFrom(r.Context()), sp.ID)
		if err != nil {
			return nil, false, err
		}
		if n > 0 {
			out = append(out, widgetItem{Text: sp.Name, URL: "/s/" + sp.Slug + "/chat", Count: n})
		}
	}
	return out, false, nil
}

// unreadForum: the topics with activity since the reader last opened
// them, most recent first.
func (s *server) unreadForum(r *http.Request, spaces []space.Space) ([]widgetItem, bool, error) {
	if s.Forum == nil || len(spaces) == 0 {
		return nil, true, nil
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	var out []widgetItem
	for _, sp := range spaces {
		ts, err := s.Forum.Unread(ctx, who, sp.ID, widgetLines)
		if err != nil {
			return nil, false, err
		}
		for _, t := range ts {
			out = append(out, widgetItem{Text: t.Title, URL: fmt.Sprintf("/s/%s/forum/topic/%d", sp.Slug, t.ContainerID), Where: sp.Slug, At: t.UpdatedAt})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out[:min(len(out), widgetLines)], false, nil
}

// openPolls: polls still open that the reader has not answered.
func (s *server) openPolls(r *http.Request, spaces []space.Space) ([]widgetItem, bool, error) {
	if s.Polls == nil || len(spaces) == 0 {
		return nil, true, nil
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	var out []widgetItem
	for _, sp := range spaces {
		ps, err := s.Polls.List(ctx, who, sp.ID)
		if err != nil {
			return nil, false, err
		}
		for _, p := range ps {
			if p.Closed(time.Now()) || len(out) == widgetLines {
				continue
			}
			voted, err := s.Polls.Voted(ctx, who, p.ContainerID)
			if err != nil {
				return nil, false, err
			}
			if !voted {
				out = append(out, widgetItem{Text: p.Question, URL: fmt.Sprintf("/s/%s/polls/%d", sp.Slug, p.ContainerID), Where: sp.Slug})
			}
		}
	}
	return out, false, nil
}

// dashboardSave stores the reader's layout from the dashboard's one
// form: a position (pos_NAME) and a shown box (show_NAME) per widget.
func (s *server) dashboardSave(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	type placed struct {
		settings.Widget
		pos int
	}
	var ws []placed
	for i, name := range dashboardWidgets {
		pos, err := strconv.Atoi(f.Get("pos_" + name))
		if err != nil {
			pos = 100 + i
		}
		ws = append(ws, placed{settings.Widget{Name: name, Hidden: f.Get("show_"+name) != "on"}, pos})
	}
	slices.SortStableFunc(ws, func(a, b placed) int { return a.pos - b.pos })
	layout := make([]settings.Widget, 0, len(ws))
	for _, p := range ws {
		layout = append(layout, p.Widget)
	}
	if err := s.Settings.SetWidgets(r.Context(), who.AccountID, f.Get("scope"), layout); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, safeNext(f.Get("back")), http.StatusSeeOther)
}
