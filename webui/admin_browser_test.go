package webui_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"plaza/core/coretest"
	"plaza/core/store"
)

// In Chromium: the owner imports users from a CSV file and sees the
// rejected row, creates a space, makes an invitation link there; a
// newcomer opens the link in another browser, chooses a login and a
// password and lands in the space. Leaves admin.png and invite.png.
func TestBrowserAdminImportAndInvitation(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no Chromium")
	}
	w := startAdmin(t, coretest.OpenDB(t, store.SQLite))
	csvFile := filepath.Join(t.TempDir(), "people.csv")
	os.WriteFile(csvFile, []byte("login,email,name,type\nbea,bea@example.org,Bea,user\nNOT VALID,x@example.org,X,user\n"), 0o600)
	ctx := browser(t)
	var report, link, heading string
	var shot []byte
	run(t, ctx, "sign in",
		chromedp.Navigate(w.srv.URL+"/login"),
		chromedp.WaitVisible("#login", chromedp.ByID),
		chromedp.SendKeys("#login", "ann", chromedp.ByID),
		chromedp.SendKeys("#password", "ann-password", chromedp.ByID),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`a[href="/admin"]`, chromedp.ByQuery),
	)
	run(t, ctx, "import users",
		chromedp.Click(`a[href="/admin"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#ic", chromedp.ByID),
		chromedp.SetUploadFiles("#ic", []string{csvFile}, chromedp.ByID),
		chromedp.Submit("#ic", chromedp.ByID),
		chromedp.WaitVisible("#import-report", chromedp.ByID),
		chromedp.Text("#import-report", &report, chromedp.ByID),
		chromedp.FullScreenshot(&shot, 100),
	)
	if !strings.Contains(report, "1 accounts created") || !strings.Contains(report, "not valid") && !strings.Contains(report, "login must be") {
		t.Errorf("report: %q", report)
	}
	os.WriteFile(filepath.Join(screenshotDir(t), "admin.png"), shot, 0o644)
	run(t, ctx, "create a space and an invitation link",
		chromedp.Navigate(w.srv.URL+"/admin/spaces"),
		chromedp.WaitVisible("#ss", chromedp.ByID),
		chromedp.SendKeys("#ss", "garden", chromedp.ByID),
		chromedp.SendKeys("#sn", "Garden club", chromedp.ByID),
		chromedp.Submit("#ss", chromedp.ByID),
		chromedp.WaitVisible("#ie", chromedp.ByID),
		chromedp.Submit("#ie", chromedp.ByID),
		chromedp.WaitVisible("#invite-link", chromedp.ByID),
		chromedp.Text("#invite-link", &link, chromedp.ByID),
	)
	path := strings.TrimPrefix(link, "https://plaza.example")
	if !strings.HasPrefix(path, "/invite/") {
		t.Fatalf("link %q", link)
	}
	other := browser(t)
	run(t, other, "join",
		chromedp.Navigate(w.srv.URL+path),
		chromedp.WaitVisible("#il", chromedp.ByID),
		chromedp.SendKeys("#il", "newbie", chromedp.ByID),
		chromedp.SendKeys("#in", "New Bie", chromedp.ByID),
		chromedp.SendKeys("#ie", "newbie@example.org", chromedp.ByID),
		chromedp.SendKeys("#ip", "newbie-password", chromedp.ByID),
		chromedp.SendKeys("#ip2", "newbie-password", chromedp.ByID),
		chromedp.FullScreenshot(&shot, 100),
		chromedp.Submit("#il", chromedp.ByID),
		chromedp.WaitVisible(`details.switcher`, chromedp.ByQuery),
		chromedp.Text("details.switcher summary", &heading, chromedp.ByQuery),
	)
	os.WriteFile(filepath.Join(screenshotDir(t), "invite.png"), shot, 0o644)
	if !strings.Contains(heading, "Garden club") {
		t.Errorf("landed in %q", heading)
	}
}
