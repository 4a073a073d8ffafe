package webui_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"plaza/core/coretest"
	"plaza/core/store"
)

// TestBrowserAgendaManage: in Chromium, an event is edited and moved to
// another calendar with its form; Ann invites herself, answers present
// and comments; an event is dragged to another day in the week
// view (agenda.js), and deleted; a contact is added, edited and deleted.
func TestBrowserAgendaManage(t *testing.T) {
	if _, err := exec.LookPath(chromium); err != nil {
		t.Fatalf("%s is missing (make test installs Debian's chromium): %v", chromium, err)
	}
	w := startAgenda(t, coretest.OpenDB(t, store.SQLite))
	ctx := browser(t)
	base := w.srv.URL
	login(t, ctx, base, "ann")

	var cal string
	run(t, ctx, "edit the deploy and move it to Work",
		chromedp.Navigate(fmt.Sprintf("%s/s/team/agenda/%d/deploy.ics", base, w.team.ContainerID)),
		chromedp.WaitVisible(`#event-edit summary`, chromedp.ByQuery),
		chromedp.Click(`#event-edit summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ee-summary`, chromedp.ByQuery),
		chromedp.SetValue(`#ee-summary`, "Deploy v2", chromedp.ByQuery),
		chromedp.SetValue(`#ee-categories`, "ops", chromedp.ByQuery),
		chromedp.SetValue(`#ee-calendar`, fmt.Sprint(w.work.ContainerID), chromedp.ByQuery),
		chromedp.Click(`#ee-save`, chromedp.ByQuery),
		chromedp.WaitVisible(`//h1[@id="event-title" and text()="Deploy v2"]`, chromedp.BySearch),
		chromedp.Text(`#event-calendar`, &cal, chromedp.ByQuery),
	)
	if strings.TrimSpace(cal) != "Work" {
		t.Errorf("the edited event is in %q", cal)
	}

	var list string
	run(t, ctx, "invite herself to the offsite, answer present, comment and delete the comment",
		chromedp.Navigate(fmt.Sprintf("%s/s/team/agenda/%d/offsite.ics", base, w.team.ContainerID)),
		chromedp.WaitVisible(`#event-edit summary`, chromedp.ByQuery),
		chromedp.Click(`#event-edit summary`, chromedp.ByQuery),
		chromedp.Click(`//fieldset[@id="ee-invite"]//input[@value="ann@example.org"]`, chromedp.BySearch),
		chromedp.Click(`#ee-save`, chromedp.ByQuery),
		chromedp.WaitVisible(`#answer-form`, chromedp.ByQuery),
		chromedp.Click(`#answer-present`, chromedp.ByQuery),
		chromedp.SendKeys(`#answer-comment`, "with the van", chromedp.ByQuery),
		chromedp.Click(`#answer-send`, chromedp.ByQuery),
		chromedp.WaitVisible(`//table[@id="attendance-list"]//td[text()="Present"]`, chromedp.BySearch),
		chromedp.Text(`#attendance-list`, &list, chromedp.ByQuery),
		chromedp.WaitVisible(`#export-csv`, chromedp.ByQuery),
		chromedp.SendKeys(`#comment-body`, "Who brings **coffee**?", chromedp.ByQuery),
		chromedp.Click(`#comment-send`, chromedp.ByQuery),
		chromedp.WaitVisible(`//ol[@id="comment-list"]//strong[text()="coffee"]`, chromedp.BySearch),
		chromedp.Click(`//ol[@id="comment-list"]//button`, chromedp.BySearch),
		chromedp.WaitVisible(`//section[@id="comments"]//p[@class="muted" and text()="No comment yet."]`, chromedp.BySearch),
	)
	if !strings.Contains(list, "Ann Agenda") || !strings.Contains(list, "with the van") {
		t.Errorf("the attendance list: %s", list)
	}

	run(t, ctx, "drag the design review from Tuesday to Thursday",
		chromedp.Navigate(base+"/s/team/agenda?view=week&date=2026-03-10"),
		chromedp.WaitVisible(`//section[@data-day="2026-03-10"]//a[contains(., "Design review")]`, chromedp.BySearch),
		chromedp.Evaluate(`(() => {
			const li = [...document.querySelectorAll('#agenda-week li[data-shift]')].find((l) => l.textContent.includes('Design review'));
			const to = document.querySelector('#agenda-week section[data-day="2026-03-12"]');
			const dt = new DataTransfer();
			li.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: dt}));
			to.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
			to.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
		})()`, nil),
		chromedp.WaitVisible(`//section[@data-day="2026-03-12"]//a[contains(., "Design review")]`, chromedp.BySearch),
		chromedp.WaitNotPresent(`//section[@data-day="2026-03-10"]//a[contains(., "Design review")]`, chromedp.BySearch),
	)

	run(t, ctx, "delete the design review",
		chromedp.Click(`//section[@data-day="2026-03-12"]//a[contains(., "Design review")]`, chromedp.BySearch),
		chromedp.WaitVisible(`#event-delete summary`, chromedp.ByQuery),
		chromedp.Click(`#event-delete summary`, chromedp.ByQuery),
		chromedp.Click(`#ed-delete`, chromedp.ByQuery),
		chromedp.WaitVisible(`#agenda-week`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`//div[@id="agenda-week"]//a[contains(., "Design review")]`, chromedp.BySearch),
	)

	var card string
	run(t, ctx, "add, edit and delete a contact",
		chromedp.Navigate(base+"/s/team/contacts"),
		chromedp.Click(`#contact-new summary`, chromedp.ByQuery),
		chromedp.SendKeys(`#nc-fullname`, "Grace Hopper", chromedp.ByQuery),
		chromedp.SendKeys(`#nc-emails`, "grace@example.org", chromedp.ByQuery),
		chromedp.Click(`#nc-create`, chromedp.ByQuery),
		chromedp.WaitVisible(`//h2[@id="contact-name" and contains(., "Grace Hopper")]`, chromedp.BySearch),
		chromedp.Click(`#contact-edit summary`, chromedp.ByQuery),
		chromedp.SetValue(`#ec-org`, "US Navy", chromedp.ByQuery),
		chromedp.Click(`#ec-save`, chromedp.ByQuery),
		chromedp.WaitVisible(`//article[@id="contact-card"]//p[contains(., "US Navy")]`, chromedp.BySearch),
		chromedp.Text(`#contact-card`, &card, chromedp.ByQuery),
		chromedp.Click(`#contact-edit summary`, chromedp.ByQuery),
		chromedp.Click(`#ec-delete`, chromedp.ByQuery),
		chromedp.WaitVisible(`#contact-list`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`//ul[@id="contact-list"]//a[text()="Grace Hopper"]`, chromedp.BySearch),
	)
	if !strings.Contains(card, "grace@example.org") {
		t.Errorf("the card: %s", card)
	}
}
