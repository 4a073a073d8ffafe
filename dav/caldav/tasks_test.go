package caldav_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/dav/caldav/ics"
	"plaza/dav/principal/davtest"
)

func vtodo(uid, extra string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:" + uid +
		"\r\nDTSTAMP:20261101T000000Z\r\n" + extra + "END:VTODO\r\nEND:VCALENDAR\r\n"
}

// taskWorld is a task list of space "team" shown as a calendar: members
// may add tasks and change their own (limited), carol is not a member.
type taskWorld struct {
	e     *davtest.Env
	tasks *task.Service
	list  int64
	coll  string // bob's path of the list's calendar
	sts   []task.Status
}

func newTaskWorld(t *testing.T, db *store.DB) *taskWorld {
	e := davtest.Start(t, db)
	w := &taskWorld{e: e, tasks: task.New(db, e.ACL, nil)}
	w.tasks.ShowAsCalendars(e.Cals.Store, ics.Codec{})
	l, err := w.tasks.CreateList(t.Context(), e.Users["alice"].Subject(), e.Team.ID, "Launch", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.list = l.ID
	w.coll = fmt.Sprintf("/dav/calendars/bob/tasks-%d@team/", l.ID)
	if w.sts, err = w.tasks.Statuses(t.Context(), e.Users["alice"].Subject(), l.ID); err != nil {
		t.Fatal(err)
	}
	return w
}

// byTitle returns the task of the list titled title (any status).
func (w *taskWorld) byTitle(t *testing.T, title string) *task.Task {
	t.Helper()
	var ids []int64
	for _, st := range w.sts {
		ids = append(ids, st.ID)
	}
	ts, err := w.tasks.Tasks(t.Context(), w.e.Users["alice"].Subject(), w.list, task.Filter{StatusIDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ts {
		if x.Title == title {
			return x
		}
	}
	return nil
}

// hrefOf finds the resource of the VTODO whose SUMMARY is summary with a
// calendar-query, as DAVx5 lists tasks.
func (w *taskWorld) hrefOf(t *testing.T, user, coll, summary string) string {
	t.Helper()
	r := w.e.Do(user, "REPORT", coll, `<C:calendar-query xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><prop><getetag/><C:calendar-data/></prop>`+
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/></C:comp-filter></C:filter></C:calendar-query>`, "Depth", "1")
	mustStatus(t, r, 207, "calendar-query VTODO")
	ms, _ := w.e.ParseMS(r.Body)
	for h, p := range ms {
		if strings.Contains(p["calendar-data"].Text, "SUMMARY:"+summary+"\r\n") {
			return h
		}
	}
	t.Fatalf("no VTODO %q in %s", summary, r.Body)
	return ""
}

func TestTaskListIsAVTODOCalendar(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newTaskWorld(t, db)
		e, ctx := w.e, t.Context()
		alice, bob := e.Users["alice"].Subject(), e.Users["bob"].Subject()

		// A task made on the page shows in the list's calendar.
		spec, err := w.tasks.Add(ctx, alice, w.list, task.Input{Title: "Write spec", Description: "Two pages, no more.",
			StatusID: w.sts[1].ID, StartDate: "2026-12-01", DueDate: "2026-12-05", Priority: task.High, Progress: 30, Tags: []string{"docs", "q4"}})
		if err != nil {
			t.Fatal(err)
		}
		r := e.Do("bob", "PROPFIND", "/dav/calendars/bob/", `<propfind xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><prop><displayname/>`+
			`<resourcetype/><C:supported-calendar-component-set/><current-user-privilege-set/></prop></propfind>`, "Depth", "1")
		mustStatus(t, r, 207, "home")
		ms, _ := e.ParseMS(r.Body)
		home, ok := ms[w.coll]
		if !ok {
			t.Fatalf("the task list is not in bob's calendar home:\n%s", r.Body)
		}
		if home["displayname"].Text != "Launch" || !strings.Contains(home["resourcetype"].Inner, "calendar") {
			t.Fatalf("task list calendar: %+v", home)
		}
		if comps := home["supported-calendar-component-set"].Inner; !strings.Contains(comps, `"VTODO"`) || strings.Contains(comps, "VEVENT") {
			t.Fatalf("component set: %s", comps)
		}
		// limited: bob may add (bind) but not change the calendar itself
		if privs := home["current-user-privilege-set"].Inner; !strings.Contains(privs, "bind") || strings.Contains(privs, "<D:all/>") {
			t.Fatalf("bob's privileges on the list: %s", privs)
		}
		specHref := w.hrefOf(t, "bob", w.coll, "Write spec")
		r = e.Do("bob", "GET", specHref, "")
		mustStatus(t, r, 200, "GET the page's task")
		for _, want := range []string{"DESCRIPTION:Two pages\\, no more.", "STATUS:IN-PROCESS", "DTSTART;VALUE=DATE:20261201",
			"DUE;VALUE=DATE:20261205", "PRIORITY:1", "PERCENT-COMPLETE:30", "CATEGORIES:docs,q4", "X-PLAZA-STATUS:status.in_progress"} {
			if !strings.Contains(r.Body, want+"\r\n") {
				t.Errorf("VTODO lacks %q:\n%s", want, r.Body)
			}
		}

		// A VTODO from a client becomes a task: dates as written in their
		// zone, progress, priority; its alarm and time of day survive a
		// later edit on the page.
		tok := syncToken(t, e, "bob", w.coll)
		cake := vtodo("cake-1", "SUMMARY:Buy cake\r\nDUE;TZID=Europe/Paris:20261210T170000\r\nSTATUS:IN-PROCESS\r\n"+
			"PERCENT-COMPLETE:40\r\nPRIORITY:9\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:cake\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n")
		r = put(t, e, "bob", w.coll+"cake-1.ics", cake, "If-None-Match", "*")
		mustStatus(t, r, 201, "PUT a VTODO")
		got := w.byTitle(t, "Buy cake")
		if got == nil || got.DueDate == nil || *got.DueDate != "2026-12-10" || got.Progress != 40 || got.Priority != task.Low ||
			got.StatusID != w.sts[1].ID || got.AuthorID == nil || *got.AuthorID != bob.AccountID {
			t.Fatalf("task from the client: %+v", got)
		}
		if hs := syncChanges(t, e, "bob", w.coll, tok); !slices.Equal(hs, []string{w.coll + "cake-1.ics"}) {
			t.Fatalf("sync after the client's PUT: %v", hs)
		}
		tok = syncToken(t, e, "bob", w.coll)
		in := got.Input()
		in.Title = "Buy a cake"
		if _, err := w.tasks.Update(ctx, bob, got.ID, in); err != nil {
			t.Fatal(err)
		}
		if hs := syncChanges(t, e, "bob", w.coll, tok); !slices.Equal(hs, []string{w.coll + "cake-1.ics"}) {
			t.Fatalf("sync after the page's edit: %v", hs)
		}
		r = e.Do("bob", "GET", w.coll+"cake-1.ics", "")
		for _, want := range []string{"SUMMARY:Buy a cake", "DUE;TZID=Europe/Paris:20261210T170000", "TRIGGER:-PT15M", "PRIORITY:9", "SEQUENCE:1"} {
			if !strings.Contains(r.Body, want+"\r\n") {
				t.Errorf("after the page's edit the VTODO lacks %q:\n%s", want, r.Body)
			}
		}
		etag := r.Header.Get("ETag")

		// Limited: bob changes his own task, not alice's.
		mustStatus(t, put(t, e, "bob", specHref, strings.Replace(mustGet(t, e, "bob", specHref), "Write spec", "Skip spec", 1)), 403, "bob rewrites alice's task")
		mustStatus(t, e.Do("bob", "DELETE", specHref, ""), 403, "bob deletes alice's task")
		if w.byTitle(t, "Write spec") == nil {
			t.Fatal("a refused write changed alice's task")
		}
		// carol is not in the space: the list is not there for her
		mustStatus(t, e.Do("carol", "PROPFIND", fmt.Sprintf("/dav/calendars/carol/tasks-%d@team/", w.list), "", "Depth", "0"), 404, "carol")

		// Completed on the phone: the list's done status, 100%.
		done := strings.Replace(mustGet(t, e, "bob", w.coll+"cake-1.ics"), "STATUS:IN-PROCESS", "STATUS:COMPLETED", 1)
		done = strings.Replace(done, "PERCENT-COMPLETE:40\r\n", "", 1)
		r = put(t, e, "bob", w.coll+"cake-1.ics", done, "If-Match", etag)
		mustStatus(t, r, 204, "complete with If-Match")
		got = w.byTitle(t, "Buy a cake")
		if got == nil || got.StatusID != w.sts[3].ID || got.Progress != 100 {
			t.Fatalf("completed task: %+v", got)
		}
		// Deleted on the phone: gone from the page.
		mustStatus(t, e.Do("bob", "DELETE", w.coll+"cake-1.ics", "", "If-Match", r.Header.Get("ETag")), 204, "DELETE with If-Match")
		if _, err := w.tasks.Get(ctx, bob, got.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("task after DELETE: %v", err)
		}
		// Deleted on the page: gone from the calendar, reported by sync.
		tok = syncToken(t, e, "alice", fmt.Sprintf("/dav/calendars/alice/tasks-%d@team/", w.list))
		if err := w.tasks.Delete(ctx, alice, spec.ID); err != nil {
			t.Fatal(err)
		}
		aliceColl := fmt.Sprintf("/dav/calendars/alice/tasks-%d@team/", w.list)
		if hs := syncChanges(t, e, "alice", aliceColl, tok); len(hs) != 1 || !strings.HasSuffix(hs[0], " 404") {
			t.Fatalf("sync after the page's delete: %v", hs)
		}
		mustStatus(t, e.Do("alice", "GET", strings.Replace(specHref, "/bob/", "/alice/", 1), ""), 404, "GET the deleted task")
	})
}

func mustGet(t *testing.T, e *davtest.Env, user, href string) string {
	t.Helper()
	r := e.Do(user, "GET", href, "")
	mustStatus(t, r, 200, "GET "+href)
	return r.Body
}

func TestTaskListCalendarRefusals(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newTaskWorld(t, db)
		e := w.e
		cases := []struct {
			name, body, want string
		}{
			{"an event", event("ev", "20261201T100000Z", "20261201T110000Z", ""), "supported-calendar-component"},
			{"no summary", vtodo("nosum", "STATUS:NEEDS-ACTION\r\n"), "SUMMARY"},
			{"a long tag", vtodo("tag", "SUMMARY:x\r\nCATEGORIES:"+strings.Repeat("t", 31)+"\r\n"), "longer than 30"},
			{"due before start", vtodo("dates", "SUMMARY:x\r\nDTSTART;VALUE=DATE:20261205\r\nDUE;VALUE=DATE:20261201\r\n"), "before the start"},
			{"a bad priority", vtodo("prio", "SUMMARY:x\r\nPRIORITY:12\r\n"), "PRIORITY"},
			{"a bad percent", vtodo("pct", "SUMMARY:x\r\nPERCENT-COMPLETE:-4\r\n"), "PERCENT-COMPLETE"},
		}
		for _, c := range cases {
			r := put(t, e, "bob", w.coll+c.name+".ics", c.body)
			if r.Status < 400 || r.Status >= 500 || !strings.Contains(r.Body, c.want) {
				t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
			}
		}
		if ts, _ := w.tasks.Tasks(t.Context(), e.Users["alice"].Subject(), w.list, task.Filter{}); len(ts) != 0 {
			t.Fatalf("refused writes left tasks: %+v", ts)
		}
		// The calendar is the list's: it goes with the list, not by DELETE.
		mustStatus(t, e.Do("alice", "DELETE", fmt.Sprintf("/dav/calendars/alice/tasks-%d@team/", w.list), ""), 403, "DELETE the list's calendar")
		// A reader sees tasks and may not add one.
		if err := acl.SetGrants(t.Context(), db, w.list, []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: e.Team.ID, Level: acl.Read}}); err != nil {
			t.Fatal(err)
		}
		r := put(t, e, "bob", w.coll+"r.ics", vtodo("r", "SUMMARY:reader\r\n"))
		if r.Status != 403 || !strings.Contains(r.Body, "need-privileges") {
			t.Fatalf("reader's PUT: %d %s", r.Status, r.Body)
		}
	})
}

// TestProjectAll: lists and tasks made while task lists were not
// calendars (an older Plaza) get their calendar and VTODOs at start.
func TestProjectAll(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		ctx := t.Context()
		alice := e.Users["alice"].Subject()
		old := task.New(db, e.ACL, nil)
		l, err := old.CreateList(ctx, alice, e.Team.ID, "Old list", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := old.Add(ctx, alice, l.ID, task.Input{Title: fmt.Sprintf("old task %d", i), DueDate: "2026-01-0" + fmt.Sprint(i+1)}); err != nil {
				t.Fatal(err)
			}
		}
		coll := fmt.Sprintf("/dav/calendars/alice/tasks-%d@team/", l.ID)
		mustStatus(t, e.Do("alice", "PROPFIND", coll, "", "Depth", "0"), 404, "before ProjectAll")
		now := task.New(db, e.ACL, nil)
		now.ShowAsCalendars(e.Cals.Store, ics.Codec{})
		for range 2 { // idempotent
			if err := now.ProjectAll(ctx); err != nil {
				t.Fatal(err)
			}
		}
		r := e.Do("alice", "PROPFIND", coll, `<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>`, "Depth", "1")
		mustStatus(t, r, 207, "after ProjectAll")
		ms, _ := e.ParseMS(r.Body)
		if len(ms) != 4 {
			t.Fatalf("want the calendar and 3 VTODOs, got %d:\n%s", len(ms), r.Body)
		}
		w := &taskWorld{e: e}
		if h := w.hrefOf(t, "alice", coll, "old task 2"); !strings.Contains(mustGet(t, e, "alice", h), "DUE;VALUE=DATE:20260103") {
			t.Fatalf("projected task: %s", mustGet(t, e, "alice", h))
		}
	})
}
