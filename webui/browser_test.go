package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/files"
	"plaza/core/forum"
	"plaza/core/news"
	"plaza/core/notify"
	"plaza/core/poll"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/webui"
)

// chromium is Debian's browser, which make test installs.
const chromium = "/usr/bin/chromium"

// screenshotDir is where the browser test leaves its screenshots.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("PLAZA_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fakeJitsi stands for a Jitsi Meet server: it records the rooms opened.
type fakeJitsi struct {
	mu    sync.Mutex
	rooms []string
}

func (f *fakeJitsi) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.rooms = append(f.rooms, r.URL.Path)
	f.mu.Unlock()
	fmt.Fprintf(w, "<!doctype html><title>meeting</title><h1 id=room>%s</h1>", r.URL.Path)
}

type uiWorld struct {
	srv      *httptest.Server
	jitsi    *fakeJitsi
	team     *space.Space
	readList int64
}

func startUI(t *testing.T) *uiWorld {
	t.Helper()
	if _, err := exec.LookPath(chromium); err != nil {
		t.Fatalf("%s is missing (make test installs Debian's chromium): %v", chromium, err)
	}
	db := coretest.OpenDB(t, store.SQLite)
	ctx := context.Background()
	accts := account.New(db, nil)
	spaces := space.New(db, nil)
	engine := acl.New(db)
	tasks := task.New(db, engine, nil)
	mk := func(login, name string) *account.Account {
		a, err := accts.Create(ctx, account.NewAccount{Login: login, Name: name, Password: "password-" + login})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	ann, rita := mk("ann", "Ann Admin"), mk("rita", "Rita Reader")
	team, _ := spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "The Team"})
	lab, _ := spaces.Create(ctx, space.NewSpace{Slug: "lab", Name: "The Lab"})
	spaces.SetMember(ctx, team.ID, ann.ID, space.RoleAdmin)
	spaces.SetMember(ctx, lab.ID, ann.ID, space.RoleAdmin)
	spaces.SetMember(ctx, team.ID, rita.ID, space.RoleMember)
	// A list members may only read, with one task, for the reader test.
	list, err := tasks.CreateList(ctx, ann.Subject(), team.ID, "Read-only plan",
		[]acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: team.ID, Level: acl.Read}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tasks.Add(ctx, ann.Subject(), list.ID, task.Input{Title: "Frozen task", DueDate: "2026-12-01"}); err != nil {
		t.Fatal(err)
	}
	fj := &fakeJitsi{}
	jsrv := httptest.NewServer(fj)
	t.Cleanup(jsrv.Close)
	bs := testBlobs(t, db)
	h, err := webui.New(webui.Options{Accounts: accts, Spaces: spaces, Tasks: tasks, Polls: poll.New(db, nil), ACL: engine, Blobs: bs, Files: files.New(files.Options{DB: db, Blobs: bs}),
		Forum: forum.New(db, forum.Options{Blobs: bs}), News: news.New(db, news.Options{Blobs: bs}), Settings: settings.New(db), AdminOptions: webui.AdminOptions{Notify: notify.New(db, notify.Options{})},
		Logger: coretest.Logger(t), BaseURL: "http://127.0.0.1", Jitsi: webui.JitsiOptions{URL: jsrv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &uiWorld{srv: srv, jitsi: fj, team: team, readList: list.ID}
}

func browser(t *testing.T) context.Context {
	t.Helper()
	// Not t.TempDir: Chromium may still write its profile while the
	// test's cleanup runs, which would fail the test; this one is removed
	// best-effort once the browser is stopped.
	profile, err := os.MkdirTemp("", "plaza-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA(); os.RemoveAll(profile) })
	return ctx
}

// run performs a step's actions in order. An action that fails because
// the node it found was replaced by a navigation still under way (the
// previous click's) did nothing: it alone is tried again on the new page.
func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action) {
	t.Helper()
	for _, a := range actions {
		var err error
		for attempt := 0; attempt < 10; attempt++ {
			if err = chromedp.Run(ctx, a); err == nil || !strings.Contains(err.Error(), "Could not find node with given id") {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
}

func login(t *testing.T, ctx context.Context, base, user string) {
	run(t, ctx, "log in as "+user,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible("#login", chromedp.ByID),
		chromedp.SendKeys("#login", user, chromedp.ByID),
		chromedp.SendKeys("#password", "password-"+user, chromedp.ByID),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`details.switcher`, chromedp.ByQuery),
	)
}

func TestBrowserTasksGanttVideo(t *testing.T) {
	w := startUI(t)
	ctx := browser(t)
	base := w.srv.URL
	shots := screenshotDir(t)
	login(t, ctx, base, "ann")

	// Switch between spaces with the switcher.
	var loc string
	run(t, ctx, "switch to the lab",
		chromedp.Click(`details.switcher summary`, chromedp.ByQuery),
		chromedp.Click(`//details[contains(@class,"switcher")]//a[text()="The Lab"]`, chromedp.BySearch),
		chromedp.WaitVisible(`nav.modules`, chromedp.ByQuery),
		chromedp.Location(&loc),
	)
	if !strings.HasSuffix(loc, "/s/lab") {
		t.Fatalf("after switching: %s", loc)
	}
	run(t, ctx, "switch back to the team",
		chromedp.Click(`details.switcher summary`, chromedp.ByQuery),
		chromedp.Click(`//details[contains(@class,"switcher")]//a[text()="The Team"]`, chromedp.BySearch),
		chromedp.WaitVisible(`//nav[contains(@class,"modules")]//a[text()="Tasks"]`, chromedp.BySearch),
		chromedp.Click(`//nav[contains(@class,"modules")]//a[text()="Tasks"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#list-name`, chromedp.ByID),
	)

	// A new task list, and three tasks around today.
	day := func(offset int) string { return time.Now().AddDate(0, 0, offset).Format("2006-01-02") }
	run(t, ctx, "create a task list",
		chromedp.SendKeys(`#list-name`, "Launch", chromedp.ByID),
		chromedp.Click(`//button[text()="Create the list"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#ti-new`, chromedp.ByID),
		chromedp.Location(&loc),
	)
	listURL := loc
	for _, tk := range []struct{ title, start, due string }{
		{"Write the plan", day(-5), day(2)},
		{"Build the stage", day(1), day(9)},
		{"Opening night", "", day(12)},
	} {
		run(t, ctx, "add task "+tk.title,
			chromedp.SendKeys(`#ti-new`, tk.title, chromedp.ByID),
			chromedp.SetValue(`#sd-new`, tk.start, chromedp.ByID),
			chromedp.SetValue(`#dd-new`, tk.due, chromedp.ByID),
			chromedp.Click(`//button[text()="Add the task"]`, chromedp.BySearch),
			chromedp.WaitVisible(fmt.Sprintf(`//a[@class="task-title" and text()=%q]`, tk.title), chromedp.BySearch),
		)
	}

	// Change status and progress of the first task, on its own page (the
	// list carries no per-row forms).
	var taskID string
	run(t, ctx, "find the first task",
		chromedp.AttributeValue(`//li[.//a[text()="Write the plan"]]`, "data-id", &taskID, nil, chromedp.BySearch))
	var statusValue string
	run(t, ctx, "open the task and read its statuses",
		chromedp.Click(`//a[@class="task-title" and text()="Write the plan"]`, chromedp.BySearch),
		chromedp.WaitVisible("#st-"+taskID, chromedp.ByID),
		chromedp.Value(fmt.Sprintf(`//select[@id="st-%s"]/option[text()="In progress"]`, taskID), &statusValue, chromedp.BySearch),
	)
	run(t, ctx, "save status and progress",
		chromedp.SetValue("#st-"+taskID, statusValue, chromedp.ByID),
		chromedp.SetValue("#pr-"+taskID, "60", chromedp.ByID),
		chromedp.Click(fmt.Sprintf(`//form[@action="/s/team/task/%s"]//button`, taskID), chromedp.BySearch),
		// The page comes back with the task changed.
		chromedp.WaitVisible(fmt.Sprintf(`//li[@data-id=%q]//span[@class="pct" and text()="60%%"]`, taskID), chromedp.BySearch),
	)
	var badge, pct string
	run(t, ctx, "read the changed task",
		chromedp.Text(fmt.Sprintf(`//li[@data-id=%q]//span[contains(@class,"status")]`, taskID), &badge, chromedp.BySearch),
		chromedp.Text(fmt.Sprintf(`//li[@data-id=%q]//span[@class="pct"]`, taskID), &pct, chromedp.BySearch),
	)
	if badge != "In progress" || pct != "60%" {
		t.Errorf("after the change: status %q progress %q", badge, pct)
	}
	// Attach a file to the task and download it back.
	upload := filepath.Join(t.TempDir(), "brief.txt")
	os.WriteFile(upload, []byte("the launch brief"), 0o644)
	var fileHref string
	run(t, ctx, "attach a file",
		chromedp.Click(`//a[@class="task-title" and text()="Write the plan"]`, chromedp.BySearch),
		chromedp.WaitVisible("#fi-"+taskID, chromedp.ByID),
		chromedp.SetUploadFiles("#fi-"+taskID, []string{upload}, chromedp.ByID),
		chromedp.Click(fmt.Sprintf(`//form[@action="/s/team/task/%s/attach"]//button`, taskID), chromedp.BySearch),
		chromedp.WaitVisible(`//ul[@class="files"]/li/a[text()="brief.txt"]`, chromedp.BySearch),
		chromedp.AttributeValue(`//ul[@class="files"]/li/a`, "href", &fileHref, nil, chromedp.BySearch),
	)
	var downloaded string
	run(t, ctx, "download the file", chromedp.Evaluate(fmt.Sprintf(`(async () => await (await fetch(%q)).text())()`, fileHref), &downloaded,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if downloaded != "the launch brief" {
		t.Errorf("downloaded %q", downloaded)
	}
	var shot []byte
	run(t, ctx, "screenshot the tasks page",
		chromedp.Navigate(listURL),
		chromedp.WaitVisible(`#tasks`, chromedp.ByID),
		chromedp.FullScreenshot(&shot, 100))
	os.WriteFile(filepath.Join(shots, "tasks.png"), shot, 0o644)

	// The Gantt timeline shows dated tasks, progress and today's line.
	var bars, milestones, progress int
	var labels string
	run(t, ctx, "open the Gantt timeline",
		chromedp.Click(`//a[text()="Gantt timeline"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#gantt`, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("#gantt rect.bar").length`, &bars),
		chromedp.Evaluate(`document.querySelectorAll("#gantt rect.milestone").length`, &milestones),
		chromedp.Evaluate(`Math.round(document.querySelector("#gantt g.row rect.bar-progress").getBBox().width / document.querySelector("#gantt g.row rect.bar").getBBox().width * 100)`, &progress),
		chromedp.Evaluate(`document.querySelector("#gantt").textContent`, &labels),
		chromedp.WaitVisible(`#today`, chromedp.ByID),
	)
	if bars != 2 || milestones != 1 || progress != 60 {
		t.Errorf("gantt: %d bars, %d milestones, first bar %d%% done", bars, milestones, progress)
	}
	for _, title := range []string{"Write the plan", "Build the stage", "Opening night", "Today"} {
		if !strings.Contains(labels, title) {
			t.Errorf("gantt lacks %q", title)
		}
	}
	run(t, ctx, "screenshot the Gantt page", chromedp.FullScreenshot(&shot, 100))
	os.WriteFile(filepath.Join(shots, "gantt.png"), shot, 0o644)

	// A poll: create it, vote, see the results as bars.
	run(t, ctx, "create a poll",
		chromedp.Navigate(base+"/s/team/polls"),
		chromedp.WaitVisible(`#pq`, chromedp.ByID),
		chromedp.SendKeys(`#pq`, "Which day for the launch?", chromedp.ByID),
		chromedp.SendKeys(`#po`, "Friday\nSaturday\nSunday", chromedp.ByID),
		chromedp.Click(`//button[text()="Create the poll"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#vote`, chromedp.ByID),
	)
	var results string
	run(t, ctx, "vote",
		chromedp.Click(`//label[contains(., "Saturday")]/input`, chromedp.BySearch),
		chromedp.Click(`//button[text()="Vote"]`, chromedp.BySearch),
		chromedp.WaitVisible(`//p[@role="status" and text()="Your vote is counted."]`, chromedp.BySearch),
		chromedp.Text(`#results`, &results, chromedp.ByID),
	)
	if !strings.Contains(results, "Results (1 votes)") || !regexp.MustCompile(`Saturday\s*1 · 100%`).MatchString(results) {
		t.Errorf("poll results: %q", results)
	}
	var again int
	run(t, ctx, "no second ballot", chromedp.Evaluate(`document.querySelectorAll("#vote").length`, &again))
	if again != 0 {
		t.Error("the vote form is offered again after voting")
	}

	// The video call opens the space's room on the Jitsi server, the same
	// room every time; the guest link names the same room.
	var join, guest, room string
	run(t, ctx, "open the video call",
		chromedp.Navigate(base+"/s/team/video"),
		chromedp.AttributeValue(`#join`, "href", &join, nil, chromedp.ByID),
		chromedp.Value(`#guest-link`, &guest, chromedp.ByID),
		// Follow the link in this tab rather than a new one.
		chromedp.Evaluate(`document.getElementById("join").removeAttribute("target")`, nil),
		chromedp.Click(`#join`, chromedp.ByID),
		chromedp.WaitVisible(`#room`, chromedp.ByID),
		chromedp.Text(`#room`, &room, chromedp.ByID),
	)
	if !regexp.MustCompile(`^/plaza-[a-z2-7]{24}$`).MatchString(room) || !strings.Contains(guest, room) {
		t.Errorf("jitsi room %q, join %q, guest %q", room, join, guest)
	}
	var join2 string
	run(t, ctx, "video call again",
		chromedp.Navigate(base+"/s/team/video"),
		chromedp.AttributeValue(`#join`, "href", &join2, nil, chromedp.ByID))
	if join2 != join {
		t.Errorf("room changed between visits: %s, %s", join, join2)
	}
	_ = listURL
}

func TestBrowserReaderSeesNoEditControls(t *testing.T) {
	w := startUI(t)
	ctx := browser(t)
	base := w.srv.URL
	login(t, ctx, base, "rita")
	listURL := fmt.Sprintf("%s/s/team/tasks/%d", base, w.readList)
	var quick, add, titles int
	var csrf, taskID string
	run(t, ctx, "open the read-only list",
		chromedp.Navigate(listURL),
		chromedp.WaitVisible(`#tasks`, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("form.quick, details.edit").length`, &quick),
		chromedp.Evaluate(`document.querySelectorAll("#ti-new").length`, &add),
		chromedp.Evaluate(`document.querySelectorAll(".task-title").length`, &titles),
		chromedp.AttributeValue(`#tasks`, "data-csrf", &csrf, nil, chromedp.ByID),
		chromedp.AttributeValue(`li.task`, "data-id", &taskID, nil, chromedp.ByQuery),
	)
	if titles != 1 || quick != 0 || add != 0 {
		t.Errorf("reader sees %d tasks, %d edit controls, %d add forms", titles, quick, add)
	}
	var onPage, comment int
	run(t, ctx, "open the read-only task",
		chromedp.Click(`.task-title`, chromedp.ByQuery),
		chromedp.WaitVisible(`form.comment`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("form.quick, details.edit, #fi-`+taskID+`").length`, &onPage),
		chromedp.Evaluate(`document.querySelectorAll("form.comment").length`, &comment),
	)
	if onPage != 0 || comment != 1 {
		t.Errorf("reader's task page: %d edit controls, %d comment forms", onPage, comment)
	}
	// The server is the guard: a forged POST with rita's own valid session
	// and CSRF token is refused.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// Log the HTTP client in too (the cookie is HttpOnly, so not readable).
	resp, err := c.PostForm(base+"/login", url.Values{"login": {"rita"}, "password": {"password-rita"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	page, _ := c.Get(listURL)
	body := new(strings.Builder)
	buf := make([]byte, 1<<16)
	for {
		n, err := page.Body.Read(buf)
		body.WriteString(string(buf[:n]))
		if err != nil {
			break
		}
	}
	page.Body.Close()
	m := regexp.MustCompile(`data-csrf="([^"]+)"`).FindStringSubmatch(body.String())
	if m == nil {
		t.Fatal("no CSRF token on the page")
	}
	for _, forged := range []struct{ path string }{
		{fmt.Sprintf("/s/team/task/%s", taskID)},
		{fmt.Sprintf("/s/team/task/%s/delete", taskID)},
		{fmt.Sprintf("/s/team/tasks/%d", w.readList)},
	} {
		resp, err := c.PostForm(base+forged.path, url.Values{"_csrf": {m[1]}, "title": {"Hacked"}, "progress": {"100"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("forged POST %s by a reader: %d, want 403", forged.path, resp.StatusCode)
		}
	}
	var title string
	run(t, ctx, "the task is unchanged", chromedp.Navigate(listURL), chromedp.Text(`.task-title`, &title, chromedp.ByQuery))
	if title != "Frozen task" {
		t.Errorf("task title now %q", title)
	}
}

// waitReload waits until the page marked with window.plazaOldPage has
// been replaced by a new, loaded one.
func waitReload(t *testing.T, ctx context.Context) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var fresh bool
		err := chromedp.Run(ctx, chromedp.Evaluate(`window.plazaOldPage === undefined && document.readyState === "complete"`, &fresh))
		if err == nil && fresh {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the page was not reloaded")
}

func TestBrowserFiles(t *testing.T) {
	w := startUI(t)
	ctx := browser(t)
	base := w.srv.URL
	login(t, ctx, base, "ann")
	dir := t.TempDir()
	photo := filepath.Join(dir, "photo.png")
	// A 1x1 PNG, so the page shows an image preview.
	png := []byte{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1,
		8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
		0x1f, 0, 0x05, 0, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82}
	os.WriteFile(photo, png, 0o644)
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("first draft"), 0o644)

	run(t, ctx, "upload two files with progress",
		chromedp.Navigate(base+"/s/team/files"),
		chromedp.WaitVisible(`#upload-file`, chromedp.ByID),
		chromedp.SetUploadFiles(`#upload-file`, []string{photo, notes}, chromedp.ByID),
		chromedp.Click(`#upload button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`//a[@class="file" and text()="notes.txt"]`, chromedp.BySearch),
		chromedp.WaitVisible(`//a[@class="file" and text()="photo.png"]`, chromedp.BySearch),
	)
	var imgOK bool
	run(t, ctx, "the image previews",
		chromedp.WaitVisible(`tr.thumb img`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector("tr.thumb img").complete && document.querySelector("tr.thumb img").naturalWidth === 1`, &imgOK, chromedp.WithPollingTimeout(10*time.Second)),
	)
	// A second upload of notes.txt keeps the first as a version.
	os.WriteFile(notes, []byte("second draft"), 0o644)
	var versions int
	run(t, ctx, "upload a new version",
		chromedp.Evaluate(`window.plazaOldPage = true`, nil),
		chromedp.SetUploadFiles(`#upload-file`, []string{notes}, chromedp.ByID),
		chromedp.Click(`#upload button[type=submit]`, chromedp.ByQuery))
	waitReload(t, ctx)
	run(t, ctx, "open the versions",
		chromedp.Click(`//tr[.//a[text()="notes.txt"]]//a[text()="Versions"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#versions`, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("#versions tbody tr").length`, &versions),
	)
	if versions != 1 {
		t.Fatalf("%d versions after one overwrite", versions)
	}
	var text string
	run(t, ctx, "restore the first version",
		chromedp.Click(`#versions button`, chromedp.ByQuery),
		// The replaced content (the 12-byte second draft) is now the version.
		chromedp.WaitVisible(`//table[@id="versions"]//td[text()="12 B"]`, chromedp.BySearch),
		chromedp.Navigate(base+"/s/team/files"),
		chromedp.WaitVisible(`//a[@class="file" and text()="notes.txt"]`, chromedp.BySearch),
		chromedp.Evaluate(`(async () => await (await fetch(document.evaluate('//a[text()="notes.txt"]', document).iterateNext().href)).text())()`, &text,
			func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	if text != "first draft" {
		t.Errorf("after restoring version 1: %q", text)
	}
	var trashed int
	run(t, ctx, "delete to the trash and restore",
		chromedp.Click(`//tr[.//a[text()="photo.png"]]//button[text()="Delete"]`, chromedp.BySearch),
		chromedp.WaitNotPresent(`//a[text()="photo.png"]`, chromedp.BySearch),
		chromedp.Navigate(base+"/s/team/files/trash"),
		chromedp.WaitVisible(`#trash`, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("#trash tbody tr").length`, &trashed),
		chromedp.Click(`#trash button`, chromedp.ByQuery),
		chromedp.WaitVisible(`//p[text()="The trash is empty."]`, chromedp.BySearch),
		chromedp.Navigate(base+"/s/team/files"),
		chromedp.WaitVisible(`//a[@class="file" and text()="photo.png"]`, chromedp.BySearch),
	)
	if trashed != 1 {
		t.Errorf("%d items in the trash", trashed)
	}
}

func TestBrowserForumAndNews(t *testing.T) {
	w := startUI(t)
	ctx := browser(t)
	base := w.srv.URL
	login(t, ctx, base, "ann")
	run(t, ctx, "create a category",
		chromedp.Navigate(base+"/s/team/forum"),
		chromedp.Click(`details.card summary`, chromedp.ByQuery),
		chromedp.SendKeys(`#fc-name`, "Events", chromedp.ByID),
		chromedp.SendKeys(`#fc-slug`, "events", chromedp.ByID),
		chromedp.Click(`//button[text()="Create the category"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#ft-title`, chromedp.ByID),
	)
	var body, replies string
	run(t, ctx, "open a topic and reply",
		chromedp.SendKeys(`#ft-title`, "Summer party", chromedp.ByID),
		chromedp.SendKeys(`#ft-body`, "Bring <b>snacks</b>\n\nand music", chromedp.ByID),
		chromedp.Click(`//button[text()="Open the topic"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#fr-body`, chromedp.ByID),
		chromedp.InnerHTML(`#topic .body`, &body, chromedp.ByQuery),
		chromedp.SendKeys(`#fr-body`, "Count me in", chromedp.ByID),
		chromedp.Click(`//button[text()="Reply"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#posts`, chromedp.ByID),
		chromedp.Text(`#posts`, &replies, chromedp.ByID),
	)
	// Text is Markdown: typed HTML is dropped, never run.
	if !strings.Contains(body, "<p>Bring snacks</p>") || !strings.Contains(body, "<p>and music</p>") {
		t.Errorf("topic body %q", body)
	}
	if !strings.Contains(replies, "Count me in") || !strings.Contains(replies, "Ann Admin") {
		t.Errorf("replies %q", replies)
	}
	var article string
	run(t, ctx, "publish a news article",
		chromedp.Navigate(base+"/s/team/news"),
		chromedp.Click(`details.card summary`, chromedp.ByQuery),
		chromedp.SendKeys(`#na-title`, "We moved", chromedp.ByID),
		chromedp.SendKeys(`#na-summary`, "New office", chromedp.ByID),
		chromedp.SendKeys(`#na-body`, "Third floor, left.", chromedp.ByID),
		chromedp.Click(`//button[text()="Publish"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#article`, chromedp.ByID),
		chromedp.Text(`#article`, &article, chromedp.ByID),
	)
	if !strings.Contains(article, "We moved") || !strings.Contains(article, "Third floor, left.") {
		t.Errorf("article %q", article)
	}
}
