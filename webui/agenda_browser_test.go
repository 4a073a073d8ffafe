package webui_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"plaza/core/coretest"
	"plaza/core/store"
)

// TestBrowserAgendaContacts: in Chromium, the agenda's week and month
// views show the events of two calendars, its form adds one, turning a
// calendar off hides its events, an event offers its video call, and
// the contacts page shows a card's address with its map.
func TestBrowserAgendaContacts(t *testing.T) {
	if _, err := exec.LookPath(chromium); err != nil {
		t.Fatalf("%s is missing (make test installs Debian's chromium): %v", chromium, err)
	}
	w := startAgenda(t, coretest.OpenDB(t, store.SQLite))
	ctx := browser(t)
	base := w.srv.URL
	login(t, ctx, base, "ann")

	var loc string
	run(t, ctx, "open the agenda from the space's navigation",
		chromedp.Navigate(base+"/s/team"),
		chromedp.WaitVisible(`//nav[contains(@class,"modules")]//a[text()="Agenda"]`, chromedp.BySearch),
		chromedp.Click(`//nav[contains(@class,"modules")]//a[text()="Agenda"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#agenda-week`, chromedp.ByQuery),
		chromedp.Location(&loc),
	)
	if !strings.HasSuffix(loc, "/s/team/agenda") {
		t.Fatalf("the navigation led to %s", loc)
	}

	var week, month string
	run(t, ctx, "the week of 9 March",
		chromedp.Navigate(base+"/s/team/agenda?view=week&date=2026-03-10"),
		chromedp.WaitVisible(`#agenda-week a.ev`, chromedp.ByQuery),
		chromedp.Text(`#agenda-week`, &week, chromedp.ByQuery),
	)
	for _, s := range []string{"Design review", "Standup", "Team offsite", "Late deploy"} {
		if !strings.Contains(week, s) {
			t.Errorf("the week lacks %q:\n%s", s, week)
		}
	}
	run(t, ctx, "add an event with the agenda's form",
		chromedp.Click(`#agenda-new summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ne-summary`, chromedp.ByQuery),
		chromedp.SendKeys(`#ne-summary`, "Made in the browser", chromedp.ByQuery),
		chromedp.Click(`#ne-create`, chromedp.ByQuery),
		chromedp.WaitVisible(`//div[@id="agenda-week"]//a[contains(., "Made in the browser")]`, chromedp.BySearch),
	)
	work := fmt.Sprintf(`#agenda-month a[data-cal="%d"]`, w.work.ContainerID)
	team := fmt.Sprintf(`#agenda-month a[data-cal="%d"]`, w.team.ContainerID)
	run(t, ctx, "the month view",
		chromedp.Click(`#view-month`, chromedp.ByQuery),
		chromedp.WaitVisible(`#agenda-month`, chromedp.ByQuery),
		chromedp.WaitVisible(work, chromedp.ByQuery),
		chromedp.WaitVisible(team, chromedp.ByQuery),
		chromedp.Text(`#agenda-month`, &month, chromedp.ByQuery),
	)
	if !strings.Contains(month, "Design review") || !strings.Contains(month, "Team offsite") {
		t.Errorf("the month lacks an event of a calendar:\n%s", month)
	}
	screenshot(t, ctx, "agenda.png")

	box := fmt.Sprintf(`#cal-%d`, w.work.ContainerID)
	run(t, ctx, "turn the Work calendar off",
		chromedp.Click(box, chromedp.ByQuery),
		chromedp.WaitNotPresent(work, chromedp.ByQuery),
		chromedp.WaitVisible(team, chromedp.ByQuery),
		chromedp.Text(`#agenda-month`, &month, chromedp.ByQuery),
	)
	if strings.Contains(month, "Design review") || !strings.Contains(month, "Team offsite") {
		t.Errorf("with Work off:\n%s", month)
	}
	var ticked []string
	run(t, ctx, "read the boxes", chromedp.Evaluate(`[...document.querySelectorAll("#agenda-cals input:checked")].map(e => e.id)`, &ticked))
	if strings.Contains(","+strings.Join(ticked, ",")+",", fmt.Sprintf(",cal-%d,", w.work.ContainerID)) ||
		!strings.Contains(","+strings.Join(ticked, ",")+",", fmt.Sprintf(",cal-%d,", w.team.ContainerID)) {
		t.Errorf("boxes ticked after turning Work off: %v", ticked)
	}
	var join string
	run(t, ctx, "open an event and its video call",
		chromedp.Click(`//table[@id="agenda-month"]//a[contains(., "Team offsite")]`, chromedp.BySearch),
		chromedp.WaitVisible(`#event-join`, chromedp.ByQuery),
		chromedp.AttributeValue(`#event-join`, "href", &join, nil, chromedp.ByQuery),
	)
	if !strings.HasPrefix(join, "https://meet.example/plaza-") {
		t.Errorf("video call link: %q", join)
	}

	var card, search, mapLink, frame string
	run(t, ctx, "the contacts page",
		chromedp.Navigate(base+"/s/team/contacts"),
		chromedp.WaitVisible(`#contact-list`, chromedp.ByQuery),
		chromedp.Click(`//ul[@id="contact-list"]//a[text()="Ada Lovelace"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#contact-card`, chromedp.ByQuery),
		chromedp.Text(`#contact-card`, &card, chromedp.ByQuery),
		chromedp.AttributeValue(`#contact-card a.map-link`, "href", &search, nil, chromedp.ByQuery),
		chromedp.AttributeValue(`#contact-map-link`, "href", &mapLink, nil, chromedp.ByQuery),
		chromedp.AttributeValue(`#contact-map`, "src", &frame, nil, chromedp.ByQuery),
	)
	for _, s := range []string{"12 St James's Square", "SW1Y 4JH London", "United Kingdom", "ada@example.org"} {
		if !strings.Contains(card, s) {
			t.Errorf("the card lacks %q:\n%s", s, card)
		}
	}
	if !strings.HasPrefix(search, w.mapsURL+"/search?query=12+St+James") {
		t.Errorf("the address's map link: %q", search)
	}
	if !strings.HasPrefix(mapLink, w.mapsURL+"/?mlat=51.507400") {
		t.Errorf("map link: %q", mapLink)
	}
	if !strings.Contains(frame, "marker=51.507400%2C-0.127800") {
		t.Errorf("map frame: %q", frame)
	}
	// the browser loaded the framed map (the page's CSP allows it)
	deadline := time.Now().Add(30 * time.Second)
	for !w.maps.seen("marker=51.507400") {
		if time.Now().After(deadline) {
			t.Fatal("the map was never loaded")
		}
		time.Sleep(100 * time.Millisecond)
	}
	screenshot(t, ctx, "contacts.png")
}

// screenshot leaves a picture of the page in the screenshot folder.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var shot []byte
	run(t, ctx, "screenshot "+name, chromedp.FullScreenshot(&shot, 100))
	if err := os.WriteFile(filepath.Join(screenshotDir(t), name), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}
