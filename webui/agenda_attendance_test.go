package webui_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

// davDo sends a DAV request as who to the DAV server of w and returns
// the status and the body with its lines unfolded.
func davDo(t *testing.T, dav *httptest.Server, who, method, path, body string, hdr ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, dav.URL+path, strings.NewReader(body))
	req.SetBasicAuth(who, "password-"+who)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.NewReplacer("\r\n ", "", "&#13;\n ", "").Replace(string(b)), resp.Header
}

// startDAV serves the CalDAV and CardDAV of w's services.
func (w *agendaWorld) startDAV(t *testing.T) *httptest.Server {
	dav := httptest.NewServer(davtest.Handler(w.db, w.accts, w.cal, w.con, t))
	t.Cleanup(dav.Close)
	return dav
}

// TestAgendaAttendance: Ann invites Rob from the event form; Rob answers
// absent with a comment on the web; Ann sees the list and exports it as
// CSV and as a spreadsheet; a CalDAV REPORT shows Rob's answer as
// ATTENDEE;PARTSTAT, and Rob's client changing it over CalDAV shows on
// the web. Rob cannot export; someone not invited cannot answer.
func TestAgendaAttendance(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAgenda(t, db)
		ctx := context.Background()
		spaces := space.New(db, nil)
		team, _ := spaces.BySlug(ctx, "team")
		if err := spaces.SetMember(ctx, team.ID, w.rob.AccountID, space.RoleMember); err != nil {
			t.Fatal(err)
		}
		offsite := fmt.Sprintf("/s/team/agenda/%d/offsite.ics", w.team.ContainerID)
		attendance := fmt.Sprintf("/s/team/attendance/%d/offsite.ics", w.team.ContainerID)
		_, body, _ := w.get(t, "ann", offsite)
		mustHave(t, "the event form", body, `name="invite" value="rob@example.org"`)
		f := url.Values{"summary": {"Team offsite"}, "date": {"2026-03-11"}, "allday": {"on"}, "last": {"2026-03-12"},
			"invite_set": {"1"}, "invite": {"ann@example.org", "rob@example.org"}}
		if code, _ := w.post(t, "ann", offsite+"/edit", f); code != 303 {
			t.Fatalf("invite: %d", code)
		}
		_, body, _ = w.get(t, "rob", offsite)
		mustHave(t, "Rob's page", body, `id="answer-form"`, "No answer yet")
		mustLack(t, "Rob's page", body, `id="export-csv"`)
		if code, _ := w.post(t, "rob", offsite+"/answer", url.Values{"answer": {"absent"}, "comment": {"on holiday, sorry"}}); code != 303 {
			t.Fatalf("answer: %d", code)
		}
		_, body, _ = w.get(t, "ann", offsite)
		mustHave(t, "Ann's list", pageText(body), "Rob OtherAbsenton holiday, sorry")
		code, csv, hdr := w.get(t, "ann", attendance+"?format=csv")
		if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") ||
			!strings.Contains(csv, `Rob Other,rob@example.org,Absent,"on holiday, sorry"`) {
			t.Errorf("CSV: %d %s\n%s", code, hdr.Get("Content-Type"), csv)
		}
		code, ods, hdr := w.get(t, "ann", attendance+"?format=ods")
		if code != 200 || hdr.Get("Content-Type") != "application/vnd.oasis.opendocument.spreadsheet" {
			t.Fatalf("ODS: %d %s", code, hdr.Get("Content-Type"))
		}
		zr, err := zip.NewReader(bytes.NewReader([]byte(ods)), int64(len(ods)))
		if err != nil || zr.File[0].Name != "mimetype" || zr.File[0].Method != zip.Store {
			t.Fatalf("not an OpenDocument package: %v", err)
		}
		for _, zf := range zr.File {
			if zf.Name == "content.xml" {
				rc, _ := zf.Open()
				b, _ := io.ReadAll(rc)
				mustHave(t, "the spreadsheet", string(b), "<text:p>rob@example.org</text:p>", "<text:p>Absent</text:p>", "<text:p>on holiday, sorry</text:p>")
			}
		}
		if code, _, _ := w.get(t, "rob", attendance+"?format=csv"); code != 403 {
			t.Errorf("Rob exports: %d", code)
		}
		if code, _ := w.post(t, "ann", fmt.Sprintf("/s/team/agenda/%d/deploy.ics/answer", w.team.ContainerID),
			url.Values{"answer": {"present"}}); code != 404 {
			t.Errorf("answer to an event one is not invited to: %d", code)
		}
		if code, _ := w.post(t, "rob", offsite+"/answer", url.Values{"answer": {"maybe"}}); code != 400 {
			t.Errorf("a bad answer: %d", code)
		}

		// CalDAV: the answer is Rob's ATTENDEE's PARTSTAT
		dav := w.startDAV(t)
		path := "/dav/calendars/ann/agenda@team/"
		code, rep, _ := davDo(t, dav, "ann", "REPORT", path, `<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>`,
			"Depth", "1", "Content-Type", "application/xml")
		if code != 207 || !strings.Contains(rep, "PARTSTAT=DECLINED") || !strings.Contains(rep, "mailto:rob@example.org") ||
			!strings.Contains(rep, `X-RESPONSE-COMMENT="on holiday, sorry"`) {
			t.Fatalf("REPORT: %d\n%s", code, rep)
		}
		code, data, hdr := davDo(t, dav, "rob", "GET", "/dav/calendars/rob/agenda@team/offsite.ics", "")
		if code != 200 {
			t.Fatalf("Rob's client reads the event: %d", code)
		}
		data = strings.Replace(data, "PARTSTAT=DECLINED", "PARTSTAT=ACCEPTED", 1)
		data = strings.Replace(data, `;X-RESPONSE-COMMENT="on holiday, sorry"`, "", 1)
		if code, msg, _ := davDo(t, dav, "rob", "PUT", "/dav/calendars/rob/agenda@team/offsite.ics", data,
			"Content-Type", "text/calendar", "If-Match", hdr.Get("ETag")); code != 204 {
			t.Fatalf("Rob's client answers: %d %s", code, msg)
		}
		_, body, _ = w.get(t, "ann", offsite)
		mustHave(t, "Ann's list after the CalDAV answer", pageText(body), "Rob OtherPresent")
	})
}

// TestAgendaComments: members comment on an event (Markdown rendered,
// sanitized); the author deletes their own, a space administrator any,
// a member not another's.
func TestAgendaComments(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAgenda(t, db)
		ctx := context.Background()
		spaces := space.New(db, nil)
		team, _ := spaces.BySlug(ctx, "team")
		spaces.SetMember(ctx, team.ID, w.rob.AccountID, space.RoleMember)
		// Rob reads the team's agenda only: a member who comments
		if err := acl.SetGrants(ctx, db, w.team.ContainerID, []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: team.ID, Level: acl.Read}}); err != nil {
			t.Fatal(err)
		}
		offsite := fmt.Sprintf("/s/team/agenda/%d/offsite.ics", w.team.ContainerID)
		for who, text := range map[string]string{"ann": "**Bring** boots <script>alert(1)</script>", "rob": "I bring the *tent*"} {
			if code, _ := w.post(t, who, offsite+"/comment", url.Values{"body": {text}}); code != 303 {
				t.Fatalf("%s comments: %d", who, code)
			}
		}
		_, body, _ := w.get(t, "rob", offsite)
		mustHave(t, "the comments", body, "<strong>Bring</strong> boots", "I bring the <em>tent</em>")
		mustLack(t, "the comments", body, "<script>alert(1)")
		all, err := w.cal.Comments(ctx, w.team, "offsite.ics")
		if err != nil || len(all) != 2 {
			t.Fatalf("comments: %v %v", all, err)
		}
		annsID, robsID := all[0].ID, all[1].ID
		if *all[0].AuthorID != w.ann.AccountID {
			annsID, robsID = robsID, annsID
		}
		del := func(who string, id int64) int {
			code, _ := w.post(t, who, fmt.Sprintf("%s/comment/%d/delete", offsite, id), url.Values{})
			return code
		}
		mustHave(t, "Rob's page", body, fmt.Sprintf(`id="comment-delete-%d"`, robsID))
		mustLack(t, "Rob's page", body, fmt.Sprintf(`id="comment-delete-%d"`, annsID))
		if code := del("rob", annsID); code != 403 {
			t.Errorf("Rob deletes Ann's comment: %d", code)
		}
		if code := del("rob", robsID); code != 303 {
			t.Errorf("Rob deletes his comment: %d", code)
		}
		if code, _ := w.post(t, "rob", offsite+"/comment", url.Values{"body": {"again"}}); code != 303 {
			t.Fatalf("Rob comments again: %d", code)
		}
		if code, _ := w.post(t, "rob", offsite+"/comment", url.Values{"body": {"  "}}); code != 400 {
			t.Errorf("an empty comment: %d", code)
		}
		// Ann administers the space: she deletes Rob's
		spaces.SetMember(ctx, team.ID, w.ann.AccountID, space.RoleAdmin)
		all, _ = w.cal.Comments(ctx, w.team, "offsite.ics")
		for _, m := range all {
			if *m.AuthorID == w.rob.AccountID {
				if code := del("ann", m.ID); code != 303 {
					t.Errorf("the administrator deletes Rob's comment: %d", code)
				}
			}
		}
		if all, _ = w.cal.Comments(ctx, w.team, "offsite.ics"); len(all) != 1 {
			t.Errorf("left: %+v", all)
		}
	})
}

// TestAgendaSeveralCalendars: the event form puts Ann's Work event in
// the team's agenda as well (CalDAV clients see it in both, an edit
// through one shows in the other) and takes it out again.
func TestAgendaSeveralCalendars(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAgenda(t, db)
		ctx := context.Background()
		spaces := space.New(db, nil)
		team, _ := spaces.BySlug(ctx, "team")
		spaces.SetMember(ctx, team.ID, w.rob.AccountID, space.RoleMember)
		review := fmt.Sprintf("/s/team/agenda/%d/review.ics", w.work.ContainerID)
		_, body, _ := w.get(t, "ann", review)
		mustHave(t, "the form", body, fmt.Sprintf(`name="also" value="%d"`, w.team.ContainerID))
		f := url.Values{"summary": {"Design review"}, "date": {"2026-03-10"}, "start": {"10:00"}, "end": {"11:30"},
			"also_set": {"1"}, "also": {fmt.Sprint(w.team.ContainerID)}}
		if code, _ := w.post(t, "ann", review+"/edit", f); code != 303 {
			t.Fatalf("also in the team's agenda: %d", code)
		}
		dav := w.startDAV(t)
		code, data, hdr := davDo(t, dav, "rob", "GET", "/dav/calendars/rob/agenda@team/review.ics", "")
		if code != 200 || !strings.Contains(data, "SUMMARY:Design review") {
			t.Fatalf("Rob's client reads it in the team's agenda: %d", code)
		}
		_, body, _ = w.get(t, "rob", "/s/team/agenda?view=week&date=2026-03-10")
		mustHave(t, "Rob's week", pageText(body), "Design review")
		// an edit through the team's agenda shows in Work
		data = strings.Replace(data, "SUMMARY:Design review", "SUMMARY:Design review (moved room)", 1)
		if code, msg, _ := davDo(t, dav, "ann", "PUT", "/dav/calendars/ann/agenda@team/review.ics", data,
			"Content-Type", "text/calendar", "If-Match", hdr.Get("ETag")); code != 204 {
			t.Fatalf("Ann's client edits it in the team's agenda: %d %s", code, msg)
		}
		code, rep, _ := davDo(t, dav, "ann", "REPORT", "/dav/calendars/ann/work/", `<?xml version="1.0"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><C:calendar-data/></D:prop><D:href>/dav/calendars/ann/work/review.ics</D:href></C:calendar-multiget>`, "Depth", "1", "Content-Type", "application/xml")
		if code != 207 || !strings.Contains(rep, "Design review (moved room)") {
			t.Errorf("the Work calendar after the edit: %d\n%s", code, rep)
		}
		f.Set("summary", "Design review (moved room)")
		f.Del("also")
		if code, _ := w.post(t, "ann", review+"/edit", f); code != 303 {
			t.Fatalf("out of the team's agenda: %d", code)
		}
		if code, _, _ := davDo(t, dav, "rob", "GET", "/dav/calendars/rob/agenda@team/review.ics", ""); code != 404 {
			t.Errorf("still in the team's agenda: %d", code)
		}
		if code, _, _ := w.get(t, "ann", review); code != 200 {
			t.Errorf("gone from Work: %d", code)
		}
	})
}

// TestPersonalAgendaOff: with the personal agenda turned off in her
// profile, Ann's personal calendar leaves the agenda page and her DAV
// home, and its events are out of reach; turned on, all is back.
func TestPersonalAgendaOff(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAgenda(t, db)
		ctx := context.Background()
		personal, err := w.cal.Resolve(ctx, w.ann, "personal")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.cal.Put(ctx, w.ann, personal, "dentist.ics", icsEvent("dentist", "DTSTART:20260311T080000Z|DURATION:PT1H|SUMMARY:Dentist"), calendar.Conditions{}); err != nil {
			t.Fatal(err)
		}
		dav := w.startDAV(t)
		set := func(on bool) {
			if err := w.accts.UpdateProfile(ctx, w.ann.AccountID, account.Profile{Name: "Ann Agenda", Language: "en", Timezone: "Europe/Paris",
				DateFormat: "iso", PersonalCalendar: on}); err != nil {
				t.Fatal(err)
			}
		}
		for _, on := range []bool{false, true} {
			set(on)
			_, body, _ := w.get(t, "ann", "/s/team/agenda?view=week&date=2026-03-10")
			_, home, _ := davDo(t, dav, "ann", "PROPFIND", "/dav/calendars/ann/", "", "Depth", "1")
			code, _, _ := davDo(t, dav, "ann", "GET", "/dav/calendars/ann/personal/dentist.ics", "")
			if got := strings.Contains(pageText(body), "Dentist"); got != on {
				t.Errorf("personal agenda on=%v: the week shows the dentist: %v", on, got)
			}
			if got := strings.Contains(home, "/dav/calendars/ann/personal/"); got != on {
				t.Errorf("personal agenda on=%v: the DAV home lists it: %v", on, got)
			}
			if (code == 200) != on {
				t.Errorf("personal agenda on=%v: GET its event: %d", on, code)
			}
		}
	})
}

// TestAgendaResourcesAndFeeds: a space administrator adds a room from
// the agenda page, members book it and a double booking is refused; a
// member gets a subscription address for a calendar, an external agenda
// reads it, and revoking ends it.
func TestAgendaResourcesAndFeeds(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAgenda(t, db)
		ctx := context.Background()
		spaces := space.New(db, nil)
		team, _ := spaces.BySlug(ctx, "team")
		spaces.SetMember(ctx, team.ID, w.rob.AccountID, space.RoleMember)
		_, body, _ := w.get(t, "rob", "/s/team/agenda")
		mustLack(t, "a member's agenda", body, `id="resource-name"`)
		if code, _ := w.post(t, "rob", "/s/team/agenda/resource", url.Values{"name": {"Room Ada"}}); code != 403 {
			t.Errorf("a member adds a resource: %d", code)
		}
		spaces.SetMember(ctx, team.ID, w.ann.AccountID, space.RoleAdmin)
		if code, _ := w.post(t, "ann", "/s/team/agenda/resource", url.Values{"name": {" "}}); code != 400 {
			t.Errorf("a resource without a name: %d", code)
		}
		if code, _ := w.post(t, "ann", "/s/team/agenda/resource", url.Values{"name": {"Room Ada"}}); code != 303 {
			t.Fatalf("the administrator adds a resource: %d", code)
		}
		home, _ := w.cal.Home(ctx, w.rob)
		var room int64
		for _, c := range home {
			if c.Resource && c.Name == "Room Ada" {
				room = c.ContainerID
			}
		}
		if room == 0 {
			t.Fatalf("Rob does not see the room: %+v", home)
		}
		book := func(who, start, end string) int {
			code, _ := w.post(t, who, "/s/team/agenda", url.Values{"calendar": {fmt.Sprint(room)}, "date": {"2026-03-20"},
				"summary": {"Meeting of " + who}, "start": {start}, "end": {end}})
			return code
		}
		if code := book("rob", "10:00", "11:00"); code != 303 {
			t.Fatalf("Rob books the room: %d", code)
		}
		if code := book("ann", "11:30", "12:30"); code != 409 {
			t.Errorf("a double booking: %d", code)
		}
		if code := book("ann", "12:00", "13:00"); code != 303 { // Paris: Rob's 10:00 UTC ends at 12:00 there
			t.Errorf("the next slot: %d", code)
		}

		dav := w.startDAV(t)
		req, _ := http.NewRequest("POST", w.srv.URL+"/s/team/agenda/feed", strings.NewReader(url.Values{"calendar": {fmt.Sprint(w.team.ContainerID)}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("rob", "password-rob")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		i := strings.Index(string(page), "/dav/ical/")
		if resp.StatusCode != 200 || i < 0 {
			t.Fatalf("feed: %d %s", resp.StatusCode, page)
		}
		path := string(page[i:])
		path = path[:strings.Index(path, ".ics")+4]
		code, ics, _ := davDo(t, dav, "", "GET", path, "")
		if code != 200 || !strings.Contains(ics, "SUMMARY:Team offsite") {
			t.Fatalf("the subscription: %d\n%s", code, ics)
		}
		if code, _ := w.post(t, "rob", "/s/team/agenda/feed", url.Values{"calendar": {fmt.Sprint(w.team.ContainerID)}, "revoke": {"1"}}); code != 200 {
			t.Errorf("revoke: %d", code)
		}
		if code, _, _ := davDo(t, dav, "", "GET", path, ""); code != 404 {
			t.Errorf("a revoked subscription: %d", code)
		}
		if code, _ := w.post(t, "rob", "/s/team/agenda/feed", url.Values{"calendar": {fmt.Sprint(w.work.ContainerID)}}); code != 404 {
			t.Errorf("a feed of a calendar Rob cannot read: %d", code)
		}
	})
}

// TestAgendaFollow: Rob follows the team's agenda from the agenda page;
// an event Ann adds on the web, one her CalDAV client changes and one
// she deletes reach his notification list; after he stops following,
// nothing more does. Ann, who made the changes, is not told.
func TestAgendaFollow(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAgenda(t, db)
		ctx := context.Background()
		spaces := space.New(db, nil)
		team, _ := spaces.BySlug(ctx, "team")
		spaces.SetMember(ctx, team.ID, w.rob.AccountID, space.RoleMember)
		_, body, _ := w.get(t, "rob", "/s/team/agenda")
		mustHave(t, "Rob's agenda", body, fmt.Sprintf(`id="follow-%d"`, w.team.ContainerID))
		follow := func(on string) {
			t.Helper()
			if code, _ := w.post(t, "rob", "/s/team/agenda/follow", url.Values{"calendar": {fmt.Sprint(w.team.ContainerID)}, "on": {on}}); code != 303 {
				t.Fatalf("follow %s: %d", on, code)
			}
		}
		follow("1")
		if code, _ := w.post(t, "ann", "/s/team/agenda", url.Values{"calendar": {fmt.Sprint(w.team.ContainerID)}, "date": {"2026-03-20"},
			"summary": {"Budget meeting"}, "start": {"10:00"}, "end": {"11:00"}}); code != 303 {
			t.Fatal(code)
		}
		dav := w.startDAV(t)
		code, data, hdr := davDo(t, dav, "ann", "GET", "/dav/calendars/ann/agenda@team/offsite.ics", "")
		if code != 200 {
			t.Fatal(code)
		}
		data = strings.Replace(data, "SUMMARY:Team offsite", "SUMMARY:Team offsite in the Alps", 1)
		if code, _, _ := davDo(t, dav, "ann", "PUT", "/dav/calendars/ann/agenda@team/offsite.ics", data, "Content-Type", "text/calendar",
			"If-Match", hdr.Get("ETag")); code != 204 {
			t.Fatal(code)
		}
		if code, _ := w.post(t, "ann", fmt.Sprintf("/s/team/agenda/%d/deploy.ics/delete", w.team.ContainerID), url.Values{}); code != 303 {
			t.Fatal(code)
		}
		inbox := func(who core.Subject) string {
			ns, err := w.notify.Inbox(ctx, who, 50, 0)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, n := range ns {
				b.WriteString(n.Title + "\n")
			}
			return b.String()
		}
		got := inbox(w.rob)
		mustHave(t, "Rob's notifications", got, "new event — Budget meeting (Ann Agenda)", "event changed — Team offsite in the Alps",
			"event removed — Late deploy")
		if a := inbox(w.ann); a != "" {
			t.Errorf("Ann is told of her own changes: %s", a)
		}
		follow("0")
		w.post(t, "ann", "/s/team/agenda", url.Values{"calendar": {fmt.Sprint(w.team.ContainerID)}, "date": {"2026-03-21"},
			"summary": {"After unfollowing"}, "start": {"10:00"}, "end": {"11:00"}})
		if strings.Contains(inbox(w.rob), "After unfollowing") {
			t.Errorf("told after unfollowing")
		}
		if code, _ := w.post(t, "rob", "/s/team/agenda/follow", url.Values{"calendar": {fmt.Sprint(w.work.ContainerID)}, "on": {"1"}}); code != 404 {
			t.Errorf("following a calendar Rob cannot read: %d", code)
		}
	})
}
