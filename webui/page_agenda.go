package webui

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/contacts"
)

// AgendaOptions are the services of the agenda and contacts pages
// (page_agenda.go, page_contacts.go). A nil service leaves its page out.
type AgendaOptions struct {
	Calendar *calendar.Service
	Contacts *contacts.Service
	// MapURL is the OpenStreetMap site that shows addresses; empty:
	// https://www.openstreetmap.org.
	MapURL string
}

// agendaRoutes registers the agenda and contacts pages.
func (s *server) agendaRoutes(mux *http.ServeMux) {
	if s.Calendar != nil {
		mux.HandleFunc("GET /s/{slug}/agenda", s.agendaPage)
		mux.HandleFunc("POST /s/{slug}/agenda", s.agendaEventCreate)
		mux.HandleFunc("POST /s/{slug}/agenda/resource", s.agendaResourceCreate)
		mux.HandleFunc("POST /s/{slug}/agenda/feed", s.agendaFeedCreate)
		mux.HandleFunc("POST /s/{slug}/agenda/follow", s.agendaFollow)
		mux.HandleFunc("GET /s/{slug}/agenda/{cal}/{name}", s.agendaEventPage)
		mux.HandleFunc("POST /s/{slug}/agenda/{cal}/{name}/edit", s.agendaEventEdit)
		mux.HandleFunc("POST /s/{slug}/agenda/{cal}/{name}/delete", s.agendaEventDelete)
		mux.HandleFunc("POST /s/{slug}/agenda/{cal}/{name}/shift", s.agendaEventShift)
		mux.HandleFunc("POST /s/{slug}/agenda/{cal}/{name}/answer", s.agendaEventAnswer)
		mux.HandleFunc("POST /s/{slug}/agenda/{cal}/{name}/comment", s.agendaCommentAdd)
		mux.HandleFunc("POST /s/{slug}/agenda/{cal}/{name}/comment/{id}/delete", s.agendaCommentDelete)
		mux.HandleFunc("GET /s/{slug}/attendance/{cal}/{name}", s.agendaAttendanceExport)
		mux.HandleFunc("GET /s/{slug}/agenda/{cal}/object/{id}", s.davObjectOpen)
	}
	if s.Contacts != nil {
		mux.HandleFunc("GET /s/{slug}/contacts", s.contactsPage)
		mux.HandleFunc("POST /s/{slug}/contacts", s.contactCreate)
		mux.HandleFunc("GET /s/{slug}/contacts/{book}/{name}", s.contactsPage)
		mux.HandleFunc("POST /s/{slug}/contacts/{book}/{name}/edit", s.contactEdit)
		mux.HandleFunc("POST /s/{slug}/contacts/{book}/{name}/delete", s.contactDelete)
		mux.HandleFunc("GET /s/{slug}/contacts/{book}/object/{id}", s.davObjectOpen)
	}
}

// readerZone is the zone of the signed-in reader's profile (UTC when it
// has none that loads).
func readerZone(v *view) *time.Location {
	if v.User != nil {
		if l, err := time.LoadLocation(v.User.Timezone); err == nil {
			return l
		}
	}
	return time.UTC
}

// inSpace keeps the collections a space's page shows: the reader's own
// and those people share with them (no space), and the space's.
func inSpace(all []calendar.Collection, spaceID int64, component string) []calendar.Collection {
	var out []calendar.Collection
	for _, c := range all {
		if c.SpaceID != nil && *c.SpaceID != spaceID {
			continue
		}
		if component != "" && !c.HasComponent(component) {
			continue
		}
		out = append(out, c)
	}
	return out
}

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$`)

// colorOf is the colour a page paints a calendar with: the one DAV
// clients see (#RRGGBB or #RRGGBBAA, the alpha dropped).
func colorOf(c *calendar.Collection) string {
	if s := c.ShownColor(); hexColor.MatchString(s) {
		return strings.ToLower(s[:7])
	}
	return calendar.DefaultColor
}

// agendaCal is a calendar in the agenda's legend.
type agendaCal struct {
	ID       int64
	Name     string
	Color    string
	On       bool
	CanAdd   bool // the reader may add events to it
	Resource bool // a room or vehicle: no double booking
	Shared   bool // a calendar of the space (one may follow it)
}

// agendaItem is an occurrence placed on one day.
type agendaItem struct {
	calendar.Occurrence
	Color     string
	Calendar  string
	When      string // "10:00–11:00", "all day", "⋯–02:00" over midnight
	Href      string
	Shift     string // where dragging it to another day posts ("" when the reader may not)
	Untitled  bool
	Continued bool // began on an earlier day
}

// agendaDay is one day of a view.
type agendaDay struct {
	Date    time.Time
	Label   string // "Mon 9"
	Long    string // the date in the reader's format, with the weekday
	ISO     string
	Href    string // the day view of this day
	Today   bool
	Outside bool // a day of the month grid outside the month
	Items   []agendaItem
}

// agendaColumn is one calendar's column of the day view.
type agendaColumn struct {
	agendaCal
	Items []agendaItem
}

// agendaState is what the agenda's links carry: view, date and the
// calendars turned on.
type agendaState struct {
	View string
	Date time.Time
	Sel  bool    // the reader chose calendars
	On   []int64 // the calendars chosen
	Cat  string  // the category shown ("" for all)
}

func (st agendaState) query(view string, date time.Time) string {
	q := url.Values{}
	q.Set("view", view)
	q.Set("date", date.Format(time.DateOnly))
	if st.Sel {
		q.Set("sel", "1")
		for _, id := range st.On {
			q.Add("cal", strconv.FormatInt(id, 10))
		}
	}
	if st.Cat != "" {
		q.Set("category", st.Cat)
	}
	return "?" + q.Encode()
}

// agendaRange is the span a view shows around date: the day, the week
// from Monday, or the weeks that hold the month.
func agendaRange(view string, date time.Time) (from, to time.Time) {
	y, m, d := date.Date()
	loc := date.Location()
	monday := func(t time.Time) time.Time {
		back := (int(t.Weekday()) + 6) % 7
		return time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, loc)
	}
	switch view {
	case "day":
		from = time.Date(y, m, d, 0, 0, 0, 0, loc)
		return from, from.AddDate(0, 0, 1)
	case "month":
		first := time.Date(y, m, 1, 0, 0, 0, 0, loc)
		last := time.Date(y, m+1, 0, 0, 0, 0, 0, loc)
		return monday(first), monday(last).AddDate(0, 0, 7)
	case "planning":
		from = time.Date(y, m, d, 0, 0, 0, 0, loc)
		return from, from.AddDate(0, 0, planningDays)
	default:
		from = monday(date)
		return from, from.AddDate(0, 0, 7)
	}
}

// planningDays is the span of the planning: the next events of two
// months, day by day.
const planningDays = 60

// step moves date by one view forwards (n=1) or backwards (n=-1).
func step(view string, date time.Time, n int) time.Time {
	switch view {
	case "day":
		return date.AddDate(0, 0, n)
	case "month":
		first := time.Date(date.Year(), date.Month(), 1, 0, 0, 0, 0, date.Location())
		return first.AddDate(0, n, 0)
	case "planning":
		return date.AddDate(0, 0, planningDays*n)
	default:
		from, _ := agendaRange("week", date)
		return from.AddDate(0, 0, 7*n)
	}
}

func (s *server) agendaPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.title")
	if !ok {
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	tr := func(key string, args ...any) string { return s.catalog.translate(v.Lang, key, args...) }
	loc := readerZone(v)
	q := r.URL.Query()
	st := agendaState{View: q.Get("view"), Sel: q.Get("sel") == "1", Cat: strings.TrimSpace(q.Get("category"))}
	if st.View != "day" && st.View != "month" && st.View != "planning" {
		st.View = "week"
	}
	today := time.Now().In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	st.Date = today
	if d := q.Get("date"); d != "" {
		day, err := time.ParseInLocation(time.DateOnly, d, loc)
		if err != nil || day.Year() < 1900 || day.Year() > 9000 {
			s.pageError(w, r, invalid("date must be YYYY-MM-DD"))
			return
		}
		st.Date = day
	}
	home, err := s.Calendar.Home(ctx, who)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	cals := inSpace(home, v.Space.ID, "VEVENT")
	chosen := map[int64]bool{}
	for _, c := range q["cal"] {
		if id, err := strconv.ParseInt(c, 10, 64); err == nil {
			chosen[id] = true
		}
	}
	var legend, writable []agendaCal
	var shown []calendar.Collection
	byID := map[int64]agendaCal{}
	for i := range cals {
		c := &cals[i]
		ac := agendaCal{ID: c.ContainerID, Name: c.Name, Color: colorOf(c), On: !st.Sel || chosen[c.ContainerID],
			CanAdd: acl.Allows(c.Level, true, acl.PrivBind), Resource: c.Resource, Shared: c.SpaceID != nil}
		legend = append(legend, ac)
		if ac.CanAdd {
			writable = append(writable, ac)
		}
		byID[ac.ID] = ac
		if ac.On {
			shown = append(shown, *c)
			st.On = append(st.On, ac.ID)
		}
	}
	var spaceCals []int64
	for _, c := range legend {
		if c.Shared {
			spaceCals = append(spaceCals, c.ID)
		}
	}
	following, err := s.followed(ctx, spaceCals)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var follows []map[string]any
	for _, c := range legend {
		if c.Shared && s.Notify != nil {
			follows = append(follows, map[string]any{"ID": c.ID, "Name": c.Name, "On": following[c.ID]})
		}
	}
	from, to := agendaRange(st.View, st.Date)
	ag, err := s.Calendar.Occurrences(ctx, shown, from, to, loc)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	// the categories of the range, to filter by; then the filter
	cats := map[string]string{}
	kept := ag.Occurrences[:0]
	for _, o := range ag.Occurrences {
		in := st.Cat == ""
		for _, c := range o.Categories {
			cats[strings.ToLower(c)] = c
			in = in || strings.EqualFold(c, st.Cat)
		}
		if in {
			kept = append(kept, o)
		}
	}
	ag.Occurrences = kept
	var catLinks []map[string]any
	for _, c := range slices.Sorted(maps.Keys(cats)) {
		f := st
		f.Cat = cats[c]
		catLinks = append(catLinks, map[string]any{"Name": cats[c], "Href": f.query(st.View, st.Date), "On": strings.EqualFold(c, st.Cat)})
	}
	all := st
	all.Cat = ""
	layout := dateLayout(v.User)
	var days []agendaDay
	for d := from; d.Before(to); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc) {
		wd := (int(d.Weekday())+6)%7 + 1
		day := agendaDay{Date: d, ISO: d.Format(time.DateOnly), Today: d.Equal(today),
			Label:   tr(fmt.Sprintf("agenda.wd.%d", wd)) + " " + strconv.Itoa(d.Day()),
			Long:    tr(fmt.Sprintf("agenda.weekday.%d", wd)) + " " + d.Format(layout),
			Outside: st.View == "month" && d.Month() != st.Date.Month(), Href: st.query("day", d)}
		next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		for _, o := range ag.Occurrences {
			if !o.Overlaps(d, next) {
				continue
			}
			c := byID[o.CalendarID]
			it := agendaItem{Occurrence: o, Color: c.Color, Calendar: c.Name, Untitled: o.Summary == "",
				Continued: o.Start.Before(d),
				Href:      fmt.Sprintf("/s/%s/agenda/%d/%s?at=%d", v.Space.Slug, o.CalendarID, url.PathEscape(o.Name), o.Start.Unix())}
			if c.CanAdd && !it.Continued {
				it.Shift = fmt.Sprintf("/s/%s/agenda/%d/%s/shift", v.Space.Slug, o.CalendarID, url.PathEscape(o.Name))
			}
			switch {
			case o.AllDay:
				it.When = tr("agenda.all_day")
			case o.End.Equal(o.Start):
				it.When = o.Start.Format("15:04")
			default:
				start, end := o.Start.Format("15:04"), o.End.Format("15:04")
				if it.Continued {
					start = "⋯"
				}
				if o.End.After(next) {
					end = "⋯"
				}
				it.When = start + "–" + end
			}
			day.Items = append(day.Items, it)
		}
		days = append(days, day)
	}
	var title string
	switch st.View {
	case "day":
		title = days[0].Long
	case "month":
		title = tr(fmt.Sprintf("agenda.month.%d", int(st.Date.Month()))) + " " + strconv.Itoa(st.Date.Year())
	case "planning":
		title = tr("agenda.planning_from", from.Format(layout))
		var busy []agendaDay
		for _, d := range days {
			if len(d.Items) > 0 {
				busy = append(busy, d)
			}
		}
		days = busy
	default:
		title = from.Format(layout) + " – " + to.AddDate(0, 0, -1).Format(layout)
	}
	data := map[string]any{
		"View": st.View, "Date": st.Date.Format(time.DateOnly), "Title": title, "Days": days,
		"Calendars": legend, "Writable": writable, "Unreadable": ag.Unreadable, "Zone": loc.String(),
		"Prev": st.query(st.View, step(st.View, st.Date, -1)), "Next": st.query(st.View, step(st.View, st.Date, 1)),
		"Today": st.query(st.View, today),
		"Views": map[string]string{"day": st.query("day", st.Date), "week": st.query("week", st.Date), "month": st.query("month", st.Date),
			"planning": st.query("planning", st.Date)},
		"SpaceAdmin": v.SpaceAdmin(), "Follows": follows, "Categories": catLinks, "Category": st.Cat, "Repeats": calendar.Repeats, "AllCategories": all.query(st.View, st.Date),
	}
	if st.View == "day" {
		var cols []agendaColumn
		for _, c := range legend {
			if !c.On {
				continue
			}
			col := agendaColumn{agendaCal: c}
			for _, it := range days[0].Items {
				if it.CalendarID == c.ID {
					col.Items = append(col.Items, it)
				}
			}
			cols = append(cols, col)
		}
		data["Columns"] = cols
	}
	if st.View == "month" {
		var weeks [][]agendaDay
		for i := 0; i+7 <= len(days); i += 7 {
			weeks = append(weeks, days[i:i+7])
		}
		data["Weeks"] = weeks
		var heads []string
		for wd := 1; wd <= 7; wd++ {
			heads = append(heads, tr(fmt.Sprintf("agenda.wd.%d", wd)))
		}
		data["Heads"] = heads
	}
	v.Data = data
	s.render(w, r, http.StatusOK, "agenda", v)
}

// agendaEventCreate adds a simple event from the agenda's form: a title,
// a day, and either "all day" or a start and end time in the reader's
// zone (an end at or before the start is on the next day).
func (s *server) agendaEventCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	loc := readerZone(v)
	f := r.PostForm
	id, err := strconv.ParseInt(f.Get("calendar"), 10, 64)
	if err != nil {
		s.pageError(w, r, invalid("choose a calendar"))
		return
	}
	c, err := s.Calendar.ByID(ctx, who, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if c.SpaceID != nil && *c.SpaceID != v.Space.ID {
		s.pageError(w, r, fmt.Errorf("calendar: %w", core.ErrNotFound))
		return
	}
	e, err := eventForm(f, loc)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if _, err := s.Calendar.AddEvent(ctx, who, c, e); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/s/"+v.Space.Slug+"/agenda"+agendaState{}.query("week", e.Start), http.StatusSeeOther)
}
