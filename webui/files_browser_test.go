package webui_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserManageFiles: in Chromium, a member renames and moves a file
// into a folder, copies it, tags it, comments on it and deletes the
// comment, deletes the copy, follows a folder, and uses their own files on the web (issue
// 18: until now only creation and WebDAV).
func TestBrowserManageFiles(t *testing.T) {
	w := startUI(t)
	ctx := browser(t)
	base := w.srv.URL
	login(t, ctx, base, "ann")
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("meeting notes"), 0o644)

	row := func(name string) string { return fmt.Sprintf(`//tr[.//a[text()=%q]]`, name) }
	run(t, ctx, "make a folder and upload a file",
		chromedp.Navigate(base+"/s/team/files"),
		chromedp.WaitVisible(`#mkdir-name`, chromedp.ByID),
		chromedp.SendKeys(`#mkdir-name`, "Reports", chromedp.ByID),
		chromedp.Click(`//form[contains(@action,"/mkdir")]//button`, chromedp.BySearch),
		chromedp.WaitVisible(`//a[text()="Reports/"]`, chromedp.BySearch),
		chromedp.SetUploadFiles(`#upload-file`, []string{notes}, chromedp.ByID),
		chromedp.Click(`#upload button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(row("notes.txt"), chromedp.BySearch),
	)
	run(t, ctx, "rename and move it into the folder",
		chromedp.Click(row("notes.txt")+`//a[text()="Manage"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#move-name`, chromedp.ByID),
		chromedp.SetValue(`#move-folder`, "/Reports", chromedp.ByID),
		chromedp.SetValue(`#move-name`, "minutes.txt", chromedp.ByID),
		chromedp.Click(`#move button`, chromedp.ByQuery),
		chromedp.WaitVisible(row("minutes.txt"), chromedp.BySearch),
	)
	var loc string
	run(t, ctx, "where it went", chromedp.Location(&loc))
	if !strings.Contains(loc, "path=%2FReports") {
		t.Errorf("after the move the page is %s", loc)
	}
	run(t, ctx, "copy it back to the root",
		chromedp.Click(row("minutes.txt")+`//a[text()="Manage"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#copy-name`, chromedp.ByID),
		chromedp.SetValue(`#copy-folder`, "/", chromedp.ByID),
		chromedp.SetValue(`#copy-name`, "minutes-copy.txt", chromedp.ByID),
		chromedp.Click(`#copy button`, chromedp.ByQuery),
		chromedp.WaitVisible(row("minutes-copy.txt"), chromedp.BySearch),
		chromedp.WaitVisible(`//a[text()="Reports/"]`, chromedp.BySearch),
	)
	var tags string
	run(t, ctx, "tag the copy",
		chromedp.Click(row("minutes-copy.txt")+`//a[text()="Manage"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#tags-input`, chromedp.ByID),
		chromedp.SetValue(`#tags-input`, "Budget,  Q4 , budget", chromedp.ByID),
		chromedp.Click(`#tags button`, chromedp.ByQuery),
		chromedp.WaitVisible(`//section[@id="tags"]/p[@class="meta"]`, chromedp.BySearch),
		chromedp.Text(`//section[@id="tags"]/p[@class="meta"]`, &tags, chromedp.BySearch),
	)
	if tags != "budget, q4" {
		t.Errorf("tags shown: %q", tags)
	}
	run(t, ctx, "comment on it",
		chromedp.SendKeys(`#comment-body`, "Numbers checked", chromedp.ByID),
		chromedp.Click(`//section[@id="comments"]//form[contains(@action,"/comment")]//button`, chromedp.BySearch),
		chromedp.WaitVisible(`//ul[@class="comments"]/li[contains(., "Numbers checked") and contains(., "Ann Admin")]`, chromedp.BySearch),
	)
	var left int
	run(t, ctx, "delete the comment",
		chromedp.Click(`//ul[@class="comments"]/li[contains(., "Numbers checked")]//button`, chromedp.BySearch),
		chromedp.WaitVisible(`//section[@id="comments"]/p[@class="muted"]`, chromedp.BySearch),
		chromedp.Evaluate(`document.querySelectorAll("ul.comments li").length`, &left),
	)
	if left != 0 {
		t.Errorf("%d comments left after deleting", left)
	}
	run(t, ctx, "delete the copy",
		chromedp.Click(`//a[text()="Back to the files"]`, chromedp.BySearch),
		chromedp.WaitVisible(row("minutes-copy.txt"), chromedp.BySearch),
		chromedp.Click(row("minutes-copy.txt")+`//button[text()="Delete"]`, chromedp.BySearch),
		chromedp.WaitNotPresent(row("minutes-copy.txt"), chromedp.BySearch),
		chromedp.Navigate(base+"/s/team/files/trash"),
		chromedp.WaitVisible(`//table[@id="trash"]//td[text()="/minutes-copy.txt"]`, chromedp.BySearch),
	)

	run(t, ctx, "follow the folder",
		chromedp.Navigate(base+"/s/team/files?path=/Reports"),
		chromedp.Click(`//form[@id="follow"]/button[text()="Notify me of new files here"]`, chromedp.BySearch),
		chromedp.WaitVisible(`//form[@id="follow"]/button[text()="Stop notifying me of new files"]`, chromedp.BySearch),
	)

	// Personal files, on the web as over WebDAV.
	var dav string
	run(t, ctx, "personal files",
		chromedp.Navigate(base+"/s/team/files"),
		chromedp.Click(`//a[text()="My files"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#upload-file`, chromedp.ByID),
		chromedp.SetUploadFiles(`#upload-file`, []string{notes}, chromedp.ByID),
		chromedp.Click(`#upload button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(row("notes.txt"), chromedp.BySearch),
		chromedp.Text(`//p[@class="actions"]/code`, &dav, chromedp.BySearch),
		chromedp.Location(&loc),
	)
	if !strings.HasSuffix(dav, "/dav/files/ann/") || !strings.HasPrefix(loc, base+"/files") {
		t.Errorf("personal files at %s show the WebDAV address %q", loc, dav)
	}
}
