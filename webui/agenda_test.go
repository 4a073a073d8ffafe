package webui_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/contacts"
	"plaza/core/coretest"
	pmail "plaza/core/mail"
	"plaza/core/notify"
	"plaza/core/poll"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/dav/caldav/ics"
	"plaza/dav/carddav/vcf"
	"plaza/webui"
)

// fakeMap stands for openstreetmap.org: tests make no outgoing calls.
type fakeMap struct {
	mu    sync.Mutex
	paths []string
}

func (f *fakeMap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.RequestURI())
	f.mu.Unlock()
	fmt.Fprintf(w, "<!doctype html><title>map</title><p id=marker>%s</p>", html.EscapeString(r.URL.Query().Get("marker")))
}

func (f *fakeMap) seen(part string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.paths {
		if strings.Contains(p, part) {
			return true
		}
	}
	return false
}

// agendaWorld: Ann, in Paris, belongs to the team and the lab. She has a
// "Work" calendar of her own; the team's agenda and directory are shared.
type agendaWorld struct {
	db       *store.DB
	srv      *httptest.Server
	maps     *fakeMap
	mapsURL  string
	accts    *account.Service
	cal      *calendar.Service
	con      *contacts.Service
	ann, rob core.Subject
	work     *calendar.Collection // Ann's, blue
	team     *calendar.Collection // the team's agenda
	lab      *calendar.Collection // another space's agenda
	robs     *calendar.Collection // Rob's personal calendar, not shared
	dir      *calendar.Collection // the team's directory
	notify   *notify.Service
}

func icsEvent(uid, props string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\n" +
		strings.ReplaceAll(props, "|", "\r\n") + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}

func startAgenda(t *testing.T, db *store.DB) *agendaWorld {
	t.Helper()
	ctx := context.Background()
	w := &agendaWorld{db: db, maps: &fakeMap{}}
	msrv := httptest.NewServer(w.maps)
	t.Cleanup(msrv.Close)
	w.mapsURL = msrv.URL
	w.accts = account.New(db, nil)
	spaces := space.New(db, nil)
	engine := acl.New(db)
	mk := func(login, name string) core.Subject {
		a, err := w.accts.Create(ctx, account.NewAccount{Login: login, Name: name, Email: login + "@example.org", Password: "password-" + login})
		if err != nil {
			t.Fatal(err)
		}
		return a.Subject()
	}
	w.ann, w.rob = mk("ann", "Ann Agenda"), mk("rob", "Rob Other")
	if err := w.accts.UpdateProfile(ctx, w.ann.AccountID, account.Profile{Name: "Ann Agenda", Language: "en", Timezone: "Europe/Paris", DateFormat: "iso", PersonalCalendar: true}); err != nil {
		t.Fatal(err)
	}
	team, _ := spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "The Team"})
	lab, _ := spaces.Create(ctx, space.NewSpace{Slug: "lab", Name: "The Lab"})
	spaces.SetMember(ctx, team.ID, w.ann.AccountID, space.RoleMember)
	spaces.SetMember(ctx, lab.ID, w.ann.AccountID, space.RoleMember)
	spaces.SetMember(ctx, lab.ID, w.rob.AccountID, space.RoleMember)
	// a space without agenda nor contacts
	quiet, _ := spaces.Create(ctx, space.NewSpace{Slug: "quiet", Name: "Quiet"})
	spaces.SetMember(ctx, quiet.ID, w.ann.AccountID, space.RoleMember)
	spaces.SetModule(ctx, quiet.ID, core.ModCalendar, false)
	spaces.SetModule(ctx, quiet.ID, core.ModContacts, false)

	w.cal = calendar.New(db, engine, ics.Codec{}, nil)
	w.con = contacts.New(db, engine, vcf.Codec{}, nil)
	workID, err := w.cal.Create(ctx, w.ann, calendar.NewCollection{Slug: "work", Name: "Work", Color: "#1E88E5FF"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.cal.Home(ctx, w.ann); err != nil { // the spaces' agendas
		t.Fatal(err)
	}
	if _, err := w.cal.Home(ctx, w.rob); err != nil {
		t.Fatal(err)
	}
	w.work, _ = w.cal.ByID(ctx, w.ann, workID)
	if w.team, err = w.cal.Resolve(ctx, w.ann, "agenda@team"); err != nil {
		t.Fatal(err)
	}
	if w.lab, err = w.cal.Resolve(ctx, w.ann, "agenda@lab"); err != nil {
		t.Fatal(err)
	}
	if w.robs, err = w.cal.Resolve(ctx, w.rob, "personal"); err != nil {
		t.Fatal(err)
	}
	put := func(who core.Subject, c *calendar.Collection, name string, data []byte) {
		t.Helper()
		if _, _, err := w.cal.Put(ctx, who, c, name, data, calendar.Conditions{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	put(w.ann, w.work, "review.ics", icsEvent("review", "DTSTART;TZID=Europe/Paris:20260310T100000|DTEND;TZID=Europe/Paris:20260310T113000|SUMMARY:Design review|LOCATION:Room Ada|DESCRIPTION:Bring the mock-ups"))
	put(w.ann, w.work, "standup.ics", icsEvent("standup", "DTSTART;TZID=Europe/Paris:20260302T090000|DURATION:PT15M|SUMMARY:Standup|RRULE:FREQ=WEEKLY;BYDAY=MO|EXDATE;TZID=Europe/Paris:20260316T090000"))
	put(w.ann, w.team, "offsite.ics", icsEvent("offsite", "DTSTART;VALUE=DATE:20260311|DTEND;VALUE=DATE:20260313|SUMMARY:Team offsite"))
	put(w.ann, w.team, "deploy.ics", icsEvent("deploy", "DTSTART:20260312T220000Z|DTEND:20260313T020000Z|SUMMARY:Late deploy"))
	put(w.ann, w.lab, "lab.ics", icsEvent("lab", "DTSTART:20260310T120000Z|DURATION:PT1H|SUMMARY:Lab secret"))
	put(w.rob, w.robs, "rob.ics", icsEvent("rob", "DTSTART:20260310T120000Z|DURATION:PT1H|SUMMARY:Rob private"))
	rawObject(t, db, w.team.ContainerID, "broken.ics", "VEVENT", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:broken")

	dirID, err := w.con.EnsureSpace(ctx, team.ID, "Directory")
	if err != nil {
		t.Fatal(err)
	}
	if w.dir, err = w.con.ByID(ctx, w.ann, dirID); err != nil {
		t.Fatal(err)
	}
	card := func(name string, lines ...string) {
		t.Helper()
		data := "BEGIN:VCARD\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCARD\r\n"
		if _, _, err := w.con.Put(ctx, w.ann, w.dir, name, []byte(data), calendar.Conditions{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	card("ada.vcf", "VERSION:3.0", "UID:ada", "FN:Ada Lovelace", "ORG:Analytical Engines", "EMAIL:ada@example.org",
		"TEL:+44 20 7946 0000", "ADR;TYPE=WORK:;;12 St James's Square;London;;SW1Y 4JH;United Kingdom", "GEO:51.5074;-0.1278")
	card("acme.vcf", "VERSION:4.0", "UID:acme", "FN:ACME", "KIND:org", "ADR:;;Champ de Mars;Paris;;75007;France")
	rawObject(t, db, w.dir.ContainerID, "bad.vcf", "VCARD", "BEGIN:VCARD\r\nFN:nobody")

	blobs := testBlobs(t, db)
	tpl, err := pmail.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	w.notify = notify.New(db, notify.Options{Queue: pmail.New(db, pmail.Options{Blobs: blobs}), Templates: tpl})
	w.cal.AddHook(w.notify)
	h, err := webui.New(webui.Options{Accounts: w.accts, Spaces: spaces, Tasks: task.New(db, engine, nil), Polls: poll.New(db, nil),
		ACL: engine, Blobs: blobs, Settings: settings.New(db), Logger: coretest.Logger(t), BaseURL: "http://127.0.0.1",
		AdminOptions:  webui.AdminOptions{Notify: w.notify},
		Jitsi:         webui.JitsiOptions{URL: "https://meet.example"},
		AgendaOptions: webui.AgendaOptions{Calendar: w.cal, Contacts: w.con, MapURL: w.mapsURL}})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(h)
	t.Cleanup(w.srv.Close)
	return w
}

// rawObject stores data the codecs refuse, as an older Plaza or a bug
// might have left it: pages must show the rest.
func rawObject(t *testing.T, db *store.DB, collection int64, name, comp, data string) {
	t.Helper()
	ctx := context.Background()
	var id int64
	now := time.Now().UTC()
	if err := db.NewRaw(`INSERT INTO dav_objects (uid, component, data, etag, busy, created_at, updated_at)
		VALUES (?, ?, ?, 'raw', FALSE, ?, ?) RETURNING id`, name, comp, data, now, now).Scan(ctx, &id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewRaw(`INSERT INTO dav_members (collection_id, name, object_id, uid) VALUES (?, ?, ?, ?)`,
		collection, name, id, name).Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func (w *agendaWorld) get(t *testing.T, who, path string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", w.srv.URL+path, nil)
	req.SetBasicAuth(who, "password-"+who)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, html.UnescapeString(string(b)), resp.Header
}

func mustHave(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, s := range wants {
		if !strings.Contains(body, s) {
			t.Errorf("%s lacks %q", what, s)
		}
	}
}

func mustLack(t *testing.T, what, body string, nots ...string) {
	t.Helper()
	for _, s := range nots {
		if strings.Contains(body, s) {
			t.Errorf("%s shows %q", what, s)
		}
	}
}

// TestAgendaPage: the week, month and day views of the agenda show the
// calendars a member reads in the space, each in its colour, in her
// zone; turning one off hides its events; an unreadable object is
// reported, not fatal; another space's and another person's events stay
// out.
func TestAgendaPage(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAgenda(t, db)
		code, body, hdr := w.get(t, "ann", "/s/team/agenda?view=week&date=2026-03-10")
		if code != 200 {
			t.Fatalf("week: %d %s", code, body)
		}
		mustHave(t, "week", body, "Design review", "Standup", "Team offsite", "Late deploy", "2026-03-09 – 2026-03-15",
			`fill="#1e88e5"`, "10:00–11:30", "all day", "23:00–⋯", "⋯–03:00", "Events that could not be read and are not shown: 1",
			"Times in Europe/Paris", `aria-current="page">Week`)
		mustLack(t, "week", body, "Lab secret", "Rob private")
		if strings.Contains(hdr.Get("Content-Security-Policy"), "frame-src") {
			t.Errorf("the agenda frames nothing: %s", hdr.Get("Content-Security-Policy"))
		}
		// the offsite covers two days, the deploy crosses midnight
		if n := strings.Count(body, ">Team offsite<"); n != 2 {
			t.Errorf("offsite shown %d times, want 2", n)
		}
		if n := strings.Count(body, ">Late deploy<"); n != 2 {
			t.Errorf("deploy shown %d times, want 2", n)
		}
		// links keep the view: previous and next weeks, the day views
		mustHave(t, "week", body, "?date=2026-03-02&view=week", "?date=2026-03-16&view=week", "?date=2026-03-12&view=day")

		// only the team's agenda
		_, body, _ = w.get(t, "ann", fmt.Sprintf("/s/team/agenda?view=week&date=2026-03-10&sel=1&cal=%d", w.team.ContainerID))
		mustHave(t, "team only", body, "Team offsite", fmt.Sprintf(`id="cal-%d" checked`, w.team.ContainerID),
			fmt.Sprintf("cal=%d&date=2026-03-16&sel=1&view=week", w.team.ContainerID))
		mustLack(t, "team only", body, "Design review", "Standup", fmt.Sprintf(`id="cal-%d" checked`, w.work.ContainerID))
		// none: the form sent nothing ticked
		_, body, _ = w.get(t, "ann", "/s/team/agenda?view=day&date=2026-03-10&sel=1")
		mustHave(t, "none", body, "No calendar is shown")
		mustLack(t, "none", body, "Design review")

		// month: every Monday's standup but the excluded one
		_, body, _ = w.get(t, "ann", "/s/team/agenda?view=month&date=2026-03-20")
		mustHave(t, "month", body, "March 2026", "Design review", "Team offsite")
		if n := strings.Count(body, ">Standup<"); n != 4 { // 2, 9, 23 and 30 March (the grid ends on 5 April)
			t.Errorf("standups in the month grid: %d, want 4", n)
		}
		// day: one column a calendar, side by side
		_, body, _ = w.get(t, "ann", "/s/team/agenda?view=day&date=2026-03-12")
		mustHave(t, "day", body, "Thursday 2026-03-12", fmt.Sprintf(`id="col-%d"`, w.work.ContainerID),
			fmt.Sprintf(`id="col-%d"`, w.team.ContainerID), "Late deploy", "Team offsite")
		mustLack(t, "day", body, "Design review")

		// bad input
		if code, _, _ := w.get(t, "ann", "/s/team/agenda?date=tomorrow"); code != 400 {
			t.Errorf("bad date: %d", code)
		}
		if code, _, _ := w.get(t, "ann", "/s/quiet/agenda"); code != 404 {
			t.Errorf("a space without the agenda module: %d", code)
		}
		if code, _, _ := w.get(t, "rob", "/s/team/agenda"); code != 404 {
			t.Errorf("a non-member: %d", code)
		}

		// French, in the reader's own format
		w.accts.UpdateProfile(context.Background(), w.ann.AccountID, account.Profile{Name: "Ann", Language: "fr", Timezone: "Europe/Paris", DateFormat: "dmy", PersonalCalendar: true})
		_, body, _ = w.get(t, "ann", "/s/team/agenda?view=month&date=2026-03-20")
		mustHave(t, "month in French", body, "mars 2026", "toute la journée", "Semaine", "Événements illisibles", "lun.")
		if regexp.MustCompile(`\[[a-z_]+\.[a-z_.0-9]+\]`).MatchString(body) {
			t.Error("a message key is missing in French")
		}
		_, body, _ = w.get(t, "ann", "/s/team/agenda?view=day&date=2026-03-12")
		mustHave(t, "day in French", body, "jeudi 12/03/2026")
	})
}

// TestAgendaEventPage: an event's page shows its occurrence with a video
// call of its own (a stable room per event); an unreadable object is a
// 400 and someone else's calendar a 404.
func TestAgendaEventPage(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAgenda(t, db)
		_, week, _ := w.get(t, "ann", "/s/team/agenda?view=week&date=2026-03-10")
		href := regexp.MustCompile(`href="(/s/team/agenda/\d+/review\.ics\?at=\d+)"`).FindStringSubmatch(week)
		if href == nil {
			t.Fatal("no link to the review's page")
		}
		code, body, _ := w.get(t, "ann", href[1])
		if code != 200 {
			t.Fatalf("event page: %d %s", code, body)
		}
		mustHave(t, "event", body, "Design review", "2026-03-10 10:00–11:30", "Room Ada", "Bring the mock-ups", "Work",
			w.mapsURL+"/search?query=Room+Ada", "https://meet.example/plaza-")
		room := regexp.MustCompile(`https://meet\.example/(plaza-[a-z0-9]+)#`).FindStringSubmatch(body)
		if room == nil {
			t.Fatal("no room")
		}
		_, again, _ := w.get(t, "ann", href[1])
		mustHave(t, "event again", again, room[1])
		// a recurring event's later instance, same room for every instance
		at := time.Date(2026, 3, 23, 9, 0, 0, 0, time.FixedZone("CET", 3600)).Unix()
		_, body, _ = w.get(t, "ann", fmt.Sprintf("/s/team/agenda/%d/standup.ics?at=%d", w.work.ContainerID, at))
		mustHave(t, "standup", body, "2026-03-23 09:00–09:15", "Recurring")
		if strings.Contains(body, room[1]) {
			t.Error("two events share a room")
		}
		// no ?at=: the next or last occurrence
		if code, body, _ := w.get(t, "ann", fmt.Sprintf("/s/team/agenda/%d/review.ics", w.work.ContainerID)); code != 200 || !strings.Contains(body, "Design review") {
			t.Errorf("without at: %d", code)
		}
		if code, _, _ := w.get(t, "ann", fmt.Sprintf("/s/team/agenda/%d/broken.ics", w.team.ContainerID)); code != 400 {
			t.Errorf("broken event: %d", code)
		}
		if code, _, _ := w.get(t, "ann", fmt.Sprintf("/s/team/agenda/%d/nothing.ics", w.team.ContainerID)); code != 404 {
			t.Errorf("missing event: %d", code)
		}
		if code, _, _ := w.get(t, "ann", fmt.Sprintf("/s/team/agenda/%d/rob.ics", w.robs.ContainerID)); code != 404 {
			t.Errorf("someone else's calendar: %d", code)
		}
	})
}

// TestContactsPage: the directory lists the space's and the reader's
// cards, searches them, and shows a card's addresses on OpenStreetMap: a
// framed map at its GEO position (allowed by the page's CSP), a search
// link for an address without one.
func TestContactsPage(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAgenda(t, db)
		code, body, _ := w.get(t, "ann", "/s/team/contacts")
		if code != 200 {
			t.Fatalf("contacts: %d %s", code, body)
		}
		mustHave(t, "list", body, "Ada Lovelace", "ACME", "Contacts: 2", "Cards that could not be read and are not shown: 1")
		_, body, _ = w.get(t, "ann", "/s/team/contacts?q=london")
		mustHave(t, "search", body, "Ada Lovelace", "Contacts: 1")
		mustLack(t, "search", body, ">ACME<")

		code, body, hdr := w.get(t, "ann", fmt.Sprintf("/s/team/contacts/%d/ada.vcf?q=london", w.dir.ContainerID))
		if code != 200 {
			t.Fatalf("ada: %d", code)
		}
		mustHave(t, "ada", body, "12 St James's Square", "SW1Y 4JH London", "mailto:ada@example.org", "+44 20 7946 0000", "work",
			w.mapsURL+"/export/embed.html?bbox=-0.132800%2C51.502400%2C-0.122800%2C51.512400&layer=mapnik&marker=51.507400%2C-0.127800",
			w.mapsURL+"/?mlat=51.507400&mlon=-0.127800#map=16/51.507400/-0.127800", `aria-current="page"`)
		if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-src 'self' "+w.mapsURL) {
			t.Errorf("the map may not be framed: %s", csp)
		}
		_, body, hdr = w.get(t, "ann", fmt.Sprintf("/s/team/contacts/%d/acme.vcf", w.dir.ContainerID))
		mustHave(t, "acme", body, "Organisation", w.mapsURL+"/search?query="+url.QueryEscape("Champ de Mars, 75007 Paris, France"))
		mustLack(t, "acme", body, "<iframe")
		if strings.Contains(hdr.Get("Content-Security-Policy"), "frame-src") {
			t.Error("a page without a map allows frames")
		}
		if code, _, _ := w.get(t, "ann", fmt.Sprintf("/s/team/contacts/%d/bad.vcf", w.dir.ContainerID)); code != 400 {
			t.Errorf("unreadable card: %d", code)
		}
		if code, _, _ := w.get(t, "ann", fmt.Sprintf("/s/team/contacts/%d/ada.vcf", w.work.ContainerID)); code != 404 {
			t.Errorf("a calendar is no address book: %d", code)
		}
		if code, _, _ := w.get(t, "rob", fmt.Sprintf("/s/lab/contacts/%d/ada.vcf", w.dir.ContainerID)); code != 404 {
			t.Errorf("another space's directory: %d", code)
		}
		if code, _, _ := w.get(t, "ann", "/s/quiet/contacts"); code != 404 {
			t.Errorf("a space without the contacts module: %d", code)
		}
		w.accts.UpdateProfile(context.Background(), w.ann.AccountID, account.Profile{Name: "Ann", Language: "fr", Timezone: "Europe/Paris", DateFormat: "dmy"})
		_, body, _ = w.get(t, "ann", fmt.Sprintf("/s/team/contacts/%d/ada.vcf", w.dir.ContainerID))
		mustHave(t, "ada in French", body, "Voir sur OpenStreetMap", "travail", "Carnet d'adresses")
	})
}

// post sends a form as who (Basic authentication: no session, so no
// CSRF token is involved) and returns the status and the redirect.
func (w *agendaWorld) post(t *testing.T, who, path string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", w.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(who, "password-"+who)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// TestAgendaCreateEvent: the agenda's form adds an event to a calendar
// the reader may add to, in her zone; the server refuses the others,
// whatever the page offered.
func TestAgendaCreateEvent(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAgenda(t, db)
		ctx := context.Background()
		// Rob shares his calendar with Ann, read only
		if err := acl.SetGrants(ctx, db, w.robs.ContainerID, []acl.Grant{{PrincipalKind: acl.PrincipalUser, PrincipalID: w.ann.AccountID, Level: acl.Read}}); err != nil {
			t.Fatal(err)
		}
		_, body, _ := w.get(t, "ann", "/s/team/agenda?view=week&date=2026-03-10")
		mustHave(t, "week", body, "Rob private", fmt.Sprintf(`<option value="%d">`, w.team.ContainerID))
		create := body[strings.Index(body, `id="ne-calendar"`):]
		create = create[:strings.Index(create, "</select>")]
		mustLack(t, "the new event's calendars", create, fmt.Sprintf(`<option value="%d">`, w.robs.ContainerID))

		form := func(cal int64, kv ...string) url.Values {
			f := url.Values{"calendar": {fmt.Sprint(cal)}, "date": {"2026-03-12"}, "summary": {"Retro"}, "start": {"16:00"}, "end": {"17:00"}}
			for i := 0; i+1 < len(kv); i += 2 {
				f.Set(kv[i], kv[i+1])
			}
			return f
		}
		code, loc := w.post(t, "ann", "/s/team/agenda", form(w.team.ContainerID))
		if code != 303 || loc != "/s/team/agenda?date=2026-03-12&view=week" {
			t.Fatalf("create: %d %s", code, loc)
		}
		w.post(t, "ann", "/s/team/agenda", form(w.work.ContainerID, "summary", "Holiday", "allday", "on", "date", "2026-03-13"))
		w.post(t, "ann", "/s/team/agenda", form(w.work.ContainerID, "summary", "Night watch", "start", "23:00", "end", "01:00", "date", "2026-03-14"))
		_, body, _ = w.get(t, "ann", "/s/team/agenda?view=week&date=2026-03-10")
		text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body, "")
		mustHave(t, "week", text, "16:00–17:00 Retro", "all day Holiday", "23:00–⋯ Night watch", "⋯–01:00 Night watch")
		// the event is a CalDAV object like any other
		team, _ := w.cal.ByID(ctx, w.ann, w.team.ContainerID)
		objs, _ := w.cal.List(ctx, team)
		found := false
		for _, o := range objs {
			if strings.HasSuffix(o.Name, "@plaza.ics") {
				found = true
			}
		}
		if !found {
			t.Errorf("no object for the new event among %+v", objs)
		}

		for _, c := range []struct {
			name string
			who  string
			form url.Values
			want int
		}{
			{"a calendar shared read-only", "ann", form(w.robs.ContainerID), 403},
			{"another space's calendar", "ann", form(w.lab.ContainerID), 404},
			{"someone else's unshared calendar", "rob", form(w.work.ContainerID), 404},
			{"no title", "ann", form(w.team.ContainerID, "summary", " "), 400},
			{"bad time", "ann", form(w.team.ContainerID, "start", "25:00"), 400},
			{"bad day", "ann", form(w.team.ContainerID, "date", "12/03/2026"), 400},
			{"no calendar", "ann", form(0, "calendar", "x"), 400},
		} {
			if code, _ := w.post(t, c.who, "/s/"+map[string]string{"ann": "team", "rob": "lab"}[c.who]+"/agenda", c.form); code != c.want {
				t.Errorf("%s: %d, want %d", c.name, code, c.want)
			}
		}
	})
}
