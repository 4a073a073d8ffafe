package caldav_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/dav/principal/davtest"
)

// TestVdirsyncerTasks syncs a task list's VTODO calendar with the real
// vdirsyncer as bob, a member who may add tasks and change his own:
// tasks made on the page arrive in the local folder, a local edit, a new
// local task and a local deletion arrive on the page, and a page edit
// comes back.
func TestVdirsyncerTasks(t *testing.T) {
	bin, err := exec.LookPath("vdirsyncer")
	if err != nil {
		t.Fatal("vdirsyncer is missing: apt-get install vdirsyncer (see .ci/deps)")
	}
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newTaskWorld(t, db)
		e, ctx := w.e, t.Context()
		bob := e.Users["bob"].Subject()
		var made []*task.Task
		for i, title := range []string{"Book the room", "Print badges", "Order coffee"} {
			x, err := w.tasks.Add(ctx, bob, w.list, task.Input{Title: title, DueDate: fmt.Sprintf("2026-12-0%d", i+1)})
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, x)
		}
		dir := t.TempDir()
		local := filepath.Join(dir, "tasks")
		os.MkdirAll(local, 0o755)
		cfg := fmt.Sprintf(`[general]
status_path = "%[1]s/status/"

[pair tasks]
a = "tasks_local"
b = "tasks_remote"
collections = null
conflict_resolution = "a wins"

[storage tasks_local]
type = "filesystem"
path = "%[2]s"
fileext = ".ics"

[storage tasks_remote]
type = "caldav"
url = "%[3]s%[4]s"
username = "bob"
password = "%[5]s"
item_types = ["VTODO"]
`, dir, local, e.URL, w.coll, davtest.Password)
		run := vdirsyncer(t, bin, dir, cfg)
		run("discover")
		run("sync")
		files, _ := filepath.Glob(filepath.Join(local, "*.ics"))
		if len(files) != 3 {
			t.Fatalf("want the 3 tasks in the local folder, got %v", files)
		}
		find := func(summary string) string {
			t.Helper()
			files, _ := filepath.Glob(filepath.Join(local, "*.ics"))
			for _, f := range files {
				b, _ := os.ReadFile(f)
				if strings.Contains(string(b), "SUMMARY:"+summary+"\r\n") {
					return f
				}
			}
			t.Fatalf("no local file for %q", summary)
			return ""
		}

		// Local edits: one renamed and completed, one deleted, one added.
		f := find("Book the room")
		b, _ := os.ReadFile(f)
		edited := strings.Replace(string(b), "SUMMARY:Book the room", "SUMMARY:Book the big room", 1)
		edited = strings.Replace(edited, "STATUS:NEEDS-ACTION", "STATUS:COMPLETED", 1)
		if err := os.WriteFile(f, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(find("Print badges")); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(local, "local-1.ics"), []byte(vtodo("local-1", "SUMMARY:Test the projector\r\nDUE;VALUE=DATE:20261207\r\n")), 0o644)
		run("sync")
		if got := w.byTitle(t, "Book the big room"); got == nil || got.StatusID != w.sts[3].ID || got.Progress != 100 {
			t.Fatalf("local edit on the page: %+v", got)
		}
		if w.byTitle(t, "Print badges") != nil {
			t.Fatal("a task deleted locally is still on the page")
		}
		if got := w.byTitle(t, "Test the projector"); got == nil || got.DueDate == nil || *got.DueDate != "2026-12-07" {
			t.Fatalf("local new task on the page: %+v", got)
		}

		// A page edit comes back.
		in := made[2].Input()
		in.Title, in.Tags = "Order tea", []string{"catering"}
		if _, err := w.tasks.Update(ctx, bob, made[2].ID, in); err != nil {
			t.Fatal(err)
		}
		run("sync")
		b, _ = os.ReadFile(find("Order tea"))
		if !strings.Contains(string(b), "CATEGORIES:catering\r\n") {
			t.Fatalf("page edit in the local file:\n%s", b)
		}
		if files, _ := filepath.Glob(filepath.Join(local, "*.ics")); len(files) != 3 {
			t.Fatalf("local folder after the syncs: %v", files)
		}
	})
}
