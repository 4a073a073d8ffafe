//go:build bench

package webui_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/files"
	"plaza/core/poll"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/webui"
)

// TestBenchPagesInteractive loads the pages of long lists in Chromium, as
// a team would have them (a list of 500 tasks with dates, tags and four
// assignees; a folder of 1,000 files), and prints for each the median of
// five loads: the time until the DOM is interactive and until the load
// event ends (layout included), and the number of elements. Target: every
// page interactive in under a second.
func TestBenchPagesInteractive(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	ctx := context.Background()
	accts := account.New(db, nil)
	spaces := space.New(db, nil)
	engine := acl.New(db)
	tasks := task.New(db, engine, nil)
	team, _ := spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "The Team"})
	var ids []int64
	var ann *account.Account
	for _, login := range []string{"ann", "bob", "cho", "dee"} {
		a, err := accts.Create(ctx, account.NewAccount{Login: login, Name: strings.ToUpper(login[:1]) + login[1:] + " Person", Password: "password-" + login})
		if err != nil {
			t.Fatal(err)
		}
		spaces.SetMember(ctx, team.ID, a.ID, space.RoleAdmin)
		ids = append(ids, a.ID)
		if ann == nil {
			ann = a
		}
	}
	list, err := tasks.CreateList(ctx, ann.Subject(), team.ID, "Launch", nil)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now()
	for i := range 500 {
		in := task.Input{Title: fmt.Sprintf("Task number %d of the launch", i), Description: "Some words about what to do.",
			StartDate: day.AddDate(0, 0, i%30-10).Format(time.DateOnly), DueDate: day.AddDate(0, 0, i%30).Format(time.DateOnly),
			Progress: i % 100, Tags: []string{"launch", fmt.Sprintf("t%d", i%7)}, Assignees: ids[:1+i%4]}
		if _, err := tasks.Add(ctx, ann.Subject(), list.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	bs := testBlobs(t, db)
	fs := files.New(files.Options{DB: db, Blobs: bs})
	root, _ := fs.SpaceRoot(ctx, team.ID)
	for i := range 1000 {
		if _, _, err := fs.Put(ctx, ann.Subject(), root, files.Path{fmt.Sprintf("report-%04d.txt", i)}, strings.NewReader("x"), files.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := webui.New(webui.Options{Accounts: accts, Spaces: spaces, Tasks: tasks, Polls: poll.New(db, nil), ACL: engine, Blobs: bs, Files: fs,
		Settings: settings.New(db), Logger: coretest.Logger(t), BaseURL: "http://127.0.0.1", Jitsi: webui.JitsiOptions{URL: "https://meet.example"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	bctx := browser(t)
	login(t, bctx, srv.URL, "ann")
	type timing struct{ Interactive, Load, Elements float64 }
	t.Logf("%-28s %14s %10s %9s", "page", "interactive ms", "load ms", "elements")
	for _, p := range []struct{ name, path string }{
		{"500-task list", fmt.Sprintf("/s/team/tasks/%d", list.ID)},
		{"1,000-file folder", "/s/team/files"},
		{"task lists", "/s/team/tasks"},
	} {
		var ints, loads []float64
		var elems float64
		for range 5 {
			var tm timing
			run(t, bctx, "load "+p.name,
				chromedp.Navigate(srv.URL+p.path),
				chromedp.Poll(`document.readyState === "complete" && performance.getEntriesByType("navigation")[0].loadEventEnd > 0`, nil),
				chromedp.Evaluate(`(() => { const n = performance.getEntriesByType("navigation")[0];
					return {Interactive: n.domInteractive, Load: n.loadEventEnd, Elements: document.getElementsByTagName("*").length}; })()`, &tm),
			)
			ints, loads, elems = append(ints, tm.Interactive), append(loads, tm.Load), tm.Elements
		}
		slices.Sort(ints)
		slices.Sort(loads)
		t.Logf("%-28s %14.0f %10.0f %9.0f", p.name, ints[2], loads[2], elems)
		if loads[2] > 1000 {
			t.Errorf("%s: %.0f ms to load, want under 1 s", p.name, loads[2])
		}
	}
}
