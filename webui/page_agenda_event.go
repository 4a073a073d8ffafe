package webui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/markup"
)

// eventForm reads the event fields of the agenda's forms: a title, a day,
// and either "all day" (with an optional last day) or a start and end
// time in the reader's zone (an end at or before the start is on the
// next day), place, description, categories (comma separated) and
// repetition.
func eventForm(f url.Values, loc *time.Location) (calendar.NewEvent, error) {
	day, err := time.ParseInLocation(time.DateOnly, f.Get("date"), loc)
	if err != nil || day.Year() < 1900 || day.Year() > 9000 {
		return calendar.NewEvent{}, invalid("date must be YYYY-MM-DD")
	}
	e := calendar.NewEvent{Summary: f.Get("summary"), Location: f.Get("location"), Description: f.Get("description"),
		Repeat: strings.ToUpper(f.Get("repeat"))}
	if c := f.Get("categories"); c != "" {
		e.Categories = strings.Split(c, ",")
	}
	if f.Get("allday") != "" {
		e.AllDay, e.Start, e.End = true, day, day.AddDate(0, 0, 1)
		if last := f.Get("last"); last != "" {
			l, err := time.ParseInLocation(time.DateOnly, last, loc)
			if err != nil || l.Before(day) {
				return e, invalid("the last day is a date on or after the first")
			}
			e.End = l.AddDate(0, 0, 1)
		}
		return e, nil
	}
	at := func(field string) (time.Time, error) {
		hm, err := time.Parse("15:04", f.Get(field))
		if err != nil {
			return time.Time{}, invalid(field + " must be HH:MM")
		}
		return time.Date(day.Year(), day.Month(), day.Day(), hm.Hour(), hm.Minute(), 0, 0, loc), nil
	}
	if e.Start, err = at("start"); err == nil {
		e.End, err = at("end")
	}
	if err != nil {
		return e, err
	}
	if !e.End.After(e.Start) {
		e.End = time.Date(day.Year(), day.Month(), day.Day()+1, e.End.Hour(), e.End.Minute(), 0, 0, loc)
	}
	return e, nil
}

// agendaEvent is the event a request's path names, at one occurrence.
type agendaEvent struct {
	cal  *calendar.Collection
	name string
	occ  calendar.Occurrence
	obj  *calendar.Object
}

// eventAt loads the event of the path (/agenda/{cal}/{name}) at its
// occurrence starting at unix second at, else the next one from today,
// else the last one.
func (s *server) eventAt(ctx context.Context, r *http.Request, loc *time.Location, atParam string) (*agendaEvent, error) {
	who := core.SubjectFrom(ctx)
	id, err := pathID(r, "cal")
	if err != nil {
		return nil, err
	}
	c, err := s.Calendar.ByID(ctx, who, id)
	if err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	var occ []calendar.Occurrence
	var at time.Time
	if sec, err := strconv.ParseInt(atParam, 10, 64); err == nil && sec > -62135596800 && sec < 253402300799 {
		at = time.Unix(sec, 0).In(loc)
		if occ, err = s.Calendar.EventOccurrences(ctx, c, name, at, at.Add(time.Second), loc); err != nil {
			return nil, err
		}
	}
	if len(occ) == 0 {
		now := time.Now().In(loc)
		at = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
		occ, err = s.Calendar.EventOccurrences(ctx, c, name, at, at.AddDate(1, 0, 0), loc)
		if err == nil && len(occ) == 0 {
			occ, err = s.Calendar.EventOccurrences(ctx, c, name, at.AddDate(-1, 0, 0), at, loc)
			if len(occ) > 0 {
				occ = occ[len(occ)-1:]
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if len(occ) == 0 {
		return nil, fmt.Errorf("no occurrence near this date: %w", core.ErrNotFound)
	}
	o := occ[0]
	for _, x := range occ {
		if x.Start.Equal(at) {
			o = x
		}
	}
	obj, err := s.Calendar.Get(ctx, c, name)
	if err != nil {
		return nil, err
	}
	return &agendaEvent{cal: c, name: name, occ: o, obj: obj}, nil
}

// canEdit tells whether the reader may change the event.
func (s *server) canEdit(who core.Subject, e *agendaEvent) bool {
	return acl.Allows(s.Calendar.ItemLevel(e.cal, who, e.obj), false, acl.PrivWriteContent)
}

// eventWhen writes when an occurrence is, in the reader's date layout.
func eventWhen(o calendar.Occurrence, layout, allDay string) string {
	switch {
	case o.AllDay:
		last := o.End.AddDate(0, 0, -1)
		when := o.Start.Format(layout)
		if last.After(o.Start) {
			when += " – " + last.Format(layout)
		}
		return when + " · " + allDay
	case o.Start.YearDay() == o.End.YearDay() && o.Start.Year() == o.End.Year():
		return o.Start.Format(layout+" 15:04") + "–" + o.End.Format("15:04")
	default:
		return o.Start.Format(layout+" 15:04") + " – " + o.End.Format(layout+" 15:04")
	}
}

// agendaEventPage shows one event: its occurrence at ?at= (unix seconds
// of its start), else the next one from today, with a video call whose
// room is the event's own, and, for whoever may change it, the forms
// that edit, move and delete it.
func (s *server) agendaEventPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.event")
	if !ok {
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	loc := readerZone(v)
	ev, err := s.eventAt(ctx, r, loc, r.URL.Query().Get("at"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	o, c := ev.occ, ev.cal
	room, err := s.jitsi.Room(ctx, "event", o.ObjectID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	tr := func(key string, args ...any) string { return s.catalog.translate(v.Lang, key, args...) }
	data := map[string]any{
		"Event": o, "Calendar": c.Name, "Color": colorOf(c), "When": eventWhen(o, dateLayout(v.User), tr("agenda.all_day")),
		"Zone":     loc.String(),
		"Back":     agendaState{}.query("week", o.Start),
		"Join":     s.jitsi.Link(room, v.User.Name, v.User.Email, false),
		"Guest":    s.jitsi.Link(room, "", "", true),
		"PlaceMap": s.mapSearch(o.Location),
		"Action":   fmt.Sprintf("/s/%s/agenda/%d/%s", v.Space.Slug, c.ContainerID, url.PathEscape(ev.name)),
		"At":       o.Start.Unix(),
		"Export":   fmt.Sprintf("/s/%s/attendance/%d/%s", v.Space.Slug, c.ContainerID, url.PathEscape(ev.name)),
	}
	for i, cat := range o.Categories {
		if i == 0 {
			data["CategoryLinks"] = []map[string]string{}
		}
		data["CategoryLinks"] = append(data["CategoryLinks"].([]map[string]string), map[string]string{"Name": cat,
			"Href": "/s/" + v.Space.Slug + "/agenda" + agendaState{Cat: cat}.query("planning", o.Start)})
	}
	canEdit := s.canEdit(who, ev)
	att, err := s.attendanceData(ctx, v, ev, canEdit)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	data["Attendance"] = att
	if data["Comments"], err = s.eventComments(r, ev); err != nil {
		s.pageError(w, r, err)
		return
	}
	data["DescriptionHTML"] = trusted(markup.Render(o.Description))
	v.frameSrc = richFrames()
	if canEdit {
		home, err := s.Calendar.Home(ctx, who)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		held, err := s.Calendar.HeldIn(ctx, ev.obj.ID)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		var cals, also []agendaCal
		for _, x := range inSpace(home, v.Space.ID, "VEVENT") {
			if x.ContainerID == c.ContainerID || acl.Allows(x.Level, true, acl.PrivBind) {
				cals = append(cals, agendaCal{ID: x.ContainerID, Name: x.Name, On: x.ContainerID == c.ContainerID})
				if x.ContainerID != c.ContainerID {
					also = append(also, agendaCal{ID: x.ContainerID, Name: x.Name, On: slices.Contains(held, x.ContainerID)})
				}
			}
		}
		last := o.End
		if o.AllDay {
			last = o.End.AddDate(0, 0, -1)
		}
		data["Edit"] = map[string]any{
			"ETag": ev.obj.ETag, "Date": o.Start.Format(time.DateOnly), "Last": last.Format(time.DateOnly),
			"Start": o.Start.Format("15:04"), "End": o.End.Format("15:04"), "Categories": strings.Join(o.Categories, ", "),
			"Calendars": cals, "Also": also, "Repeats": calendar.Repeats,
		}
	}
	v.Data = data
	s.render(w, r, http.StatusOK, "agendaevent", v)
}

// agendaEventEdit saves the event form: the fields, for the occurrence,
// the following ones or the whole series, and the calendar it lives in.
func (s *server) agendaEventEdit(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.event")
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
	ev, err := s.eventAt(ctx, r, loc, f.Get("at"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	scope, ok := calendar.ParseScope(f.Get("scope"))
	if !ok {
		s.pageError(w, r, invalid("scope is this, following or all"))
		return
	}
	e, err := eventForm(f, loc)
	if err == nil {
		err = s.inviteForm(ctx, v, f, &e)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	to := ev.cal
	if id, err := strconv.ParseInt(f.Get("calendar"), 10, 64); err == nil && id != ev.cal.ContainerID {
		if to, err = s.spaceCalendar(ctx, v, id); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	name, err := s.Calendar.EditEvent(ctx, who, ev.cal, ev.name, f.Get("etag"), calendar.EventChange{NewEvent: e, Scope: scope,
		RecurrenceID: ev.occ.RecurrenceID, OrigStart: ev.occ.Start})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if to != ev.cal {
		if err := s.Calendar.Move(ctx, who, ev.cal, name, to); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	if f.Get("also_set") != "" && name == ev.name {
		if err := s.alsoIn(ctx, v, to, name, ev.obj.ID, f["also"]); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/agenda/%d/%s?at=%d", v.Space.Slug, to.ContainerID, url.PathEscape(name), e.Start.Unix()), http.StatusSeeOther)
}

// spaceCalendar loads calendar id for the reader, if a page of the space
// may show it (the reader's own, or the space's).
func (s *server) spaceCalendar(ctx context.Context, v *view, id int64) (*calendar.Collection, error) {
	c, err := s.Calendar.ByID(ctx, core.SubjectFrom(ctx), id)
	if err != nil {
		return nil, err
	}
	if c.SpaceID != nil && *c.SpaceID != v.Space.ID {
		return nil, fmt.Errorf("calendar: %w", core.ErrNotFound)
	}
	return c, nil
}

// agendaEventDelete deletes the event, the occurrence or it and the
// following ones.
func (s *server) agendaEventDelete(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.event")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	ev, err := s.eventAt(ctx, r, readerZone(v), r.PostForm.Get("at"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	scope, ok := calendar.ParseScope(r.PostForm.Get("scope"))
	if !ok {
		s.pageError(w, r, invalid("scope is this, following or all"))
		return
	}
	if err := s.Calendar.DeleteEvent(ctx, who, ev.cal, ev.name, scope, ev.occ.RecurrenceID); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/s/"+v.Space.Slug+"/agenda"+agendaState{}.query("week", ev.occ.Start), http.StatusSeeOther)
}

// agendaEventShift moves one occurrence by whole days (days=N): what
// dragging an event to another day of the week view sends. A recurring
// event moves that occurrence only.
func (s *server) agendaEventShift(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.event")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	days, err := strconv.Atoi(r.PostForm.Get("days"))
	if err != nil || days < -366 || days > 366 {
		s.pageError(w, r, invalid("days is a whole number of days, at most a year"))
		return
	}
	ev, err := s.eventAt(ctx, r, readerZone(v), r.PostForm.Get("at"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	o := ev.occ
	e := calendar.NewEvent{Summary: o.Summary, Location: o.Location, Description: o.Description, Categories: o.Categories,
		Attendees: o.Attendees,
		Repeat:    o.Repeat, AllDay: o.AllDay, Start: o.Start.AddDate(0, 0, days), End: o.End.AddDate(0, 0, days)}
	scope := calendar.ScopeThis
	if o.RecurrenceID == 0 {
		scope = calendar.ScopeAll
	}
	if e.Summary == "" {
		e.Summary = s.catalog.translate(v.Lang, "agenda.untitled")
	}
	if _, err := s.Calendar.EditEvent(ctx, who, ev.cal, ev.name, "", calendar.EventChange{NewEvent: e, Scope: scope,
		RecurrenceID: o.RecurrenceID, OrigStart: o.Start}); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/s/"+v.Space.Slug+"/agenda"+agendaState{}.query("week", e.Start), http.StatusSeeOther)
}

// alsoIn makes the event stored as name in c held by exactly c and the
// calendars ids (among those the reader sees in the space): one event in
// several calendars, bound as CalDAV's BIND does.
func (s *server) alsoIn(ctx context.Context, v *view, c *calendar.Collection, name string, objectID int64, ids []string) error {
	who := core.SubjectFrom(ctx)
	want := map[int64]bool{}
	for _, x := range ids {
		id, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return invalid("also: calendar ids")
		}
		if id != c.ContainerID {
			want[id] = true
		}
	}
	held, err := s.Calendar.HeldIn(ctx, objectID)
	if err != nil {
		return err
	}
	home, err := s.Calendar.Home(ctx, who)
	if err != nil {
		return err
	}
	for _, x := range inSpace(home, v.Space.ID, "VEVENT") {
		if x.ContainerID == c.ContainerID {
			continue
		}
		switch in := slices.Contains(held, x.ContainerID); {
		case want[x.ContainerID] && !in:
			err = s.Calendar.Link(ctx, who, c, name, &x)
		case !want[x.ContainerID] && in:
			err = s.Calendar.Delete(ctx, who, &x, name, calendar.Conditions{})
		}
		if err != nil {
			return err
		}
		delete(want, x.ContainerID)
	}
	if len(want) > 0 {
		return fmt.Errorf("calendar: %w", core.ErrNotFound)
	}
	return nil
}
