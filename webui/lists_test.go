package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/coretest"
	"plaza/core/files"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
)

// Long lists come in pages, and a task list carries no form per row: a
// task's controls are on its own page.
func TestLongListsArePaged(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		srv := start(t, db)
		ctx := context.Background()
		accts := account.New(db, nil)
		ann, _ := accts.ByLogin(ctx, "ann")
		spaces := space.New(db, nil)
		sp, _ := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		spaces.SetMember(ctx, sp.ID, ann.ID, space.RoleAdmin)
		tasks := task.New(db, acl.New(db), nil)
		list, err := tasks.CreateList(ctx, ann.Subject(), sp.ID, "Big", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 120 {
			if _, err := tasks.Add(ctx, ann.Subject(), list.ID, task.Input{Title: fmt.Sprintf("Task %03d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		bs, _ := blob.New(blob.Options{Dir: t.TempDir(), DB: db})
		fs := files.New(files.Options{DB: db, Blobs: bs})
		root, _ := fs.SpaceRoot(ctx, sp.ID)
		for i := range 130 {
			if _, _, err := fs.Put(ctx, ann.Subject(), root, files.Path{fmt.Sprintf("f%03d.txt", i)}, strings.NewReader("x"), files.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		if resp, err := c.PostForm(srv.URL+"/login", url.Values{"login": {"ann"}, "password": {"ann-password"}}); err != nil {
			t.Fatal(err)
		} else {
			resp.Body.Close()
		}
		_, _, body := getPage(t, c, fmt.Sprintf("%s/s/team/tasks/%d", srv.URL, list.ID))
		rows := regexp.MustCompile(`(?s)<li class="task[^"]*".*?</li>`).FindAllString(body, -1)
		if len(rows) != 50 {
			t.Fatalf("first page: %d tasks, want 50", len(rows))
		}
		for _, row := range rows {
			if strings.Contains(row, "<form") || strings.Contains(row, "<input") {
				t.Fatalf("a task row carries a form: %s", row)
			}
		}
		if !strings.Contains(body, "120 tasks") || !strings.Contains(body, `href="/s/team/tasks/`+fmt.Sprint(list.ID)+`?page=2"`) {
			t.Error("no count or no link to the next page")
		}
		_, _, body = getPage(t, c, fmt.Sprintf("%s/s/team/tasks/%d?page=3", srv.URL, list.ID))
		if n := strings.Count(body, `<li class="task`); n != 20 || !strings.Contains(body, "Task 119") || strings.Contains(body, "Task 099") {
			t.Errorf("third page: %d tasks", n)
		}
		// The earlier pages' tasks are named so reordering page 3 keeps them first.
		if m := regexp.MustCompile(`data-before="([0-9,]*)"`).FindStringSubmatch(body); m == nil || strings.Count(m[1], ",") != 99 {
			t.Errorf("page 3 does not name the 100 tasks before it")
		}
		// The task's own page has its controls.
		id := regexp.MustCompile(`data-id="([0-9]+)"`).FindStringSubmatch(body)[1]
		code, _, page := getPage(t, c, srv.URL+"/s/team/task/"+id)
		if code != 200 || !strings.Contains(page, `id="st-`+id+`"`) || !strings.Contains(page, `action="/s/team/task/`+id+`/comment"`) {
			t.Errorf("task page: %d, no status or comment form", code)
		}
		_, _, body = getPage(t, c, srv.URL+"/s/team/files")
		if n := strings.Count(body, `<tr data-id=`); n != 100 || !strings.Contains(body, "?page=2") {
			t.Errorf("files first page: %d rows", n)
		}
		_, _, body = getPage(t, c, srv.URL+"/s/team/files?page=2")
		if n := strings.Count(body, `<tr data-id=`); n != 30 || !strings.Contains(body, "f129.txt") {
			t.Errorf("files second page: %d rows", n)
		}
	})
}
