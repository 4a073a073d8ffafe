package webui_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"plaza/core/coretest"
	"plaza/core/store"
)

// pageText is a page without its tags.
func pageText(body string) string { return regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body, "") }

// TestAgendaManageEvents: on the web an event is edited (with
// categories, shown and filtered), moved to another calendar, dragged to
// another day, and deleted; a recurring one is changed for one
// occurrence, the following ones or all; the planning lists what comes.
// Whoever may not change an event gets no form and is refused.
func TestAgendaManageEvents(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAgenda(t, db)
		paris, _ := time.LoadLocation("Europe/Paris")
		at := func(d, h, m int) string { return fmt.Sprint(time.Date(2026, 3, d, h, m, 0, 0, paris).Unix()) }
		deploy := fmt.Sprintf("/s/team/agenda/%d/deploy.ics", w.team.ContainerID)
		_, body, _ := w.get(t, "ann", deploy)
		mustHave(t, "the event page", body, `id="event-edit"`, `id="event-delete"`, `name="etag"`)

		// edit: new title, time, categories, and the Work calendar
		f := url.Values{"at": {at(12, 23, 0)}, "summary": {"Deploy v2"}, "date": {"2026-03-13"}, "start": {"20:00"}, "end": {"21:30"},
			"categories": {"ops, release"}, "calendar": {fmt.Sprint(w.work.ContainerID)}, "location": {"Server room"}}
		code, loc := w.post(t, "ann", deploy+"/edit", f)
		if want := fmt.Sprintf("/s/team/agenda/%d/deploy.ics?at=%s", w.work.ContainerID, at(13, 20, 0)); code != 303 || loc != want {
			t.Fatalf("edit: %d %s, want %s", code, loc, want)
		}
		_, body, _ = w.get(t, "ann", "/s/team/agenda?view=week&date=2026-03-10")
		text := pageText(body)
		mustHave(t, "the week", text, "20:00–21:30 Deploy v2", "ops", "release")
		mustHave(t, "the week", body, fmt.Sprintf(`data-cal="%d" title="Work"`, w.work.ContainerID))
		mustLack(t, "the week", text, "Late deploy")
		if code, _, _ := w.get(t, "ann", deploy); code != 404 {
			t.Errorf("the event is still in the team's calendar: %d", code)
		}
		// filtered by category, the week shows only the tagged event
		_, body, _ = w.get(t, "ann", "/s/team/agenda?view=week&date=2026-03-10&category=ops")
		text = pageText(body)
		mustHave(t, "the ops week", text, "Deploy v2")
		mustLack(t, "the ops week", text, "Design review", "Team offsite")
		// the planning lists the next events, day by day
		_, body, _ = w.get(t, "ann", "/s/team/agenda?view=planning&date=2026-03-10")
		text = pageText(body)
		mustHave(t, "the planning", body, `id="agenda-planning"`)
		mustHave(t, "the planning", text, "Design review", "Deploy v2", "Standup")
		if strings.Index(text, "Design review") > strings.Index(text, "Deploy v2") {
			t.Errorf("the planning is not in order:\n%s", text)
		}

		// dragged one day later (what agenda.js posts)
		moved := fmt.Sprintf("/s/team/agenda/%d/deploy.ics", w.work.ContainerID)
		if code, _ := w.post(t, "ann", moved+"/shift", url.Values{"at": {at(13, 20, 0)}, "days": {"1"}}); code != 303 {
			t.Fatalf("shift: %d", code)
		}
		_, body, _ = w.get(t, "ann", moved)
		mustHave(t, "the dragged event", pageText(body), "2026-03-14 20:00–21:30")

		// a recurring event: this occurrence, then the following ones
		standup := fmt.Sprintf("/s/team/agenda/%d/standup.ics", w.work.ContainerID)
		f = url.Values{"at": {at(9, 9, 0)}, "scope": {"this"}, "summary": {"Long standup"}, "date": {"2026-03-09"}, "start": {"09:00"},
			"end": {"10:00"}, "repeat": {"WEEKLY"}}
		if code, _ := w.post(t, "ann", standup+"/edit", f); code != 303 {
			t.Fatalf("edit one occurrence: %d", code)
		}
		_, body, _ = w.get(t, "ann", "/s/team/agenda?view=month&date=2026-03-10")
		text = pageText(body)
		if strings.Count(text, "Long standup") != 1 || strings.Count(text, "Standup") < 3 {
			t.Errorf("after editing one occurrence:\n%s", text)
		}
		if code, _ := w.post(t, "ann", standup+"/delete", url.Values{"at": {at(23, 9, 0)}, "scope": {"following"}}); code != 303 {
			t.Fatalf("delete the following: %d", code)
		}
		_, body, _ = w.get(t, "ann", "/s/team/agenda?view=month&date=2026-03-10")
		if n := strings.Count(pageText(body), "Standup"); n != 1 { // 2 March; 9 is the long one, 16 excluded, 23 and 30 gone
			t.Errorf("after deleting from 23 March on: %d standups", n)
		}
		f.Set("scope", "all")
		f.Set("summary", "Weekly")
		f.Set("at", at(2, 9, 0))
		f.Set("start", "08:30")
		f.Set("end", "09:00")
		f.Set("date", "2026-03-02")
		if code, _ := w.post(t, "ann", standup+"/edit", f); code != 303 {
			t.Fatalf("edit all: %d", code)
		}
		_, body, _ = w.get(t, "ann", "/s/team/agenda?view=month&date=2026-03-10")
		mustHave(t, "the series", pageText(body), "08:30–09:00 Weekly")

		// refusals: Rob cannot see Ann's calendar; bad input is a 400
		for _, c := range []struct {
			who, path string
			form      url.Values
			want      int
		}{
			{"rob", "/s/lab/agenda/" + fmt.Sprint(w.work.ContainerID) + "/standup.ics/delete", url.Values{}, 404},
			{"ann", standup + "/delete", url.Values{"scope": {"sometimes"}}, 400},
			{"ann", standup + "/shift", url.Values{"days": {"many"}}, 400},
			{"ann", standup + "/edit", url.Values{"summary": {"x"}, "date": {"soon"}}, 400},
			{"ann", moved + "/edit", url.Values{"summary": {"x"}, "date": {"2026-03-14"}, "start": {"10:00"}, "end": {"11:00"}, "etag": {"stale"}}, 409},
		} {
			if code, _ := w.post(t, c.who, c.path, c.form); code != c.want {
				t.Errorf("%s %s: %d, want %d", c.who, c.path, code, c.want)
			}
		}
		if code, _ := w.post(t, "ann", moved+"/delete", url.Values{}); code != 303 {
			t.Fatalf("delete: %d", code)
		}
		if code, _, _ := w.get(t, "ann", moved); code != 404 {
			t.Errorf("deleted event: %d", code)
		}
	})
}

// TestContactsManage: a member adds a contact to the space's directory
// on the web, edits it (what the form does not show stays) and deletes
// it; a reader of a shared book gets no form and is refused.
func TestContactsManage(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAgenda(t, db)
		_, body, _ := w.get(t, "ann", "/s/team/contacts")
		mustHave(t, "the contacts page", body, `id="contact-new"`, fmt.Sprintf(`<option value="%d">`, w.dir.ContainerID))
		code, loc := w.post(t, "ann", "/s/team/contacts", url.Values{"book": {fmt.Sprint(w.dir.ContainerID)}, "given": {"Grace"},
			"family": {"Hopper"}, "org": {"Navy"}, "emails": {"grace@example.org\r\ng@example.net"}, "phones": {"+1 555 0100"}})
		if code != 303 || !strings.HasPrefix(loc, fmt.Sprintf("/s/team/contacts/%d/", w.dir.ContainerID)) {
			t.Fatalf("create: %d %s", code, loc)
		}
		_, body, _ = w.get(t, "ann", loc)
		mustHave(t, "the new card", body, "Grace Hopper", "Navy", "g@example.net", "+1 555 0100", `id="contact-edit"`)

		// Ada's card keeps its GEO and second line when edited
		ada := fmt.Sprintf("/s/team/contacts/%d/ada.vcf", w.dir.ContainerID)
		if code, _ := w.post(t, "ann", ada+"/edit", url.Values{"fullname": {"Ada King"}, "given": {"Ada"}, "family": {"King"},
			"emails": {"ada@example.org"}, "phones": {"+44 20 7946 0000"}, "address": {"12 St James's Square, London, SW1Y 4JH, United Kingdom"},
			"note": {"Countess of Lovelace"}}); code != 303 {
			t.Fatalf("edit: %d", code)
		}
		_, body, _ = w.get(t, "ann", ada)
		mustHave(t, "the edited card", body, "Ada King", "Countess of Lovelace", `id="contact-map"`)
		mustLack(t, "the edited card", body, "Analytical Engines")
		for _, c := range []struct {
			who, path string
			form      url.Values
			want      int
		}{
			{"ann", ada + "/edit", url.Values{"fullname": {" "}}, 400},
			{"ann", ada + "/edit", url.Values{"fullname": {"x"}, "emails": {"not-an-address"}}, 400},
			{"ann", "/s/team/contacts", url.Values{"book": {"x"}, "fullname": {"x"}}, 400},
			{"rob", fmt.Sprintf("/s/lab/contacts/%d/ada.vcf/delete", w.dir.ContainerID), url.Values{}, 404},
		} {
			if code, _ := w.post(t, c.who, c.path, c.form); code != c.want {
				t.Errorf("%s %s: %d, want %d", c.who, c.path, code, c.want)
			}
		}
		if code, _ := w.post(t, "ann", ada+"/delete", url.Values{}); code != 303 {
			t.Fatalf("delete: %d", code)
		}
		if code, _, _ := w.get(t, "ann", ada); code != 404 {
			t.Errorf("deleted card: %d", code)
		}
	})
}
