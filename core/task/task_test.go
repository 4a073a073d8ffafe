package task_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
)

type fixture struct {
	svc                 *task.Service
	ann, bob, rita, out core.Subject
	spaceID, other      int64
	spaces              *space.Service
}

func setup(t *testing.T, db *store.DB) *fixture {
	ctx := context.Background()
	accts := account.New(db, nil)
	spaces := space.New(db, nil)
	mk := func(login string) core.Subject {
		a, err := accts.Create(ctx, account.NewAccount{Login: login, Password: "password-" + login})
		if err != nil {
			t.Fatal(err)
		}
		return a.Subject()
	}
	f := &fixture{svc: task.New(db, acl.New(db), nil), spaces: spaces}
	mk("root")
	f.ann, f.bob, f.rita, f.out = mk("ann"), mk("bob"), mk("rita"), mk("out")
	sp, _ := spaces.Create(ctx, space.NewSpace{Slug: "team"})
	other, _ := spaces.Create(ctx, space.NewSpace{Slug: "other"})
	f.spaceID, f.other = sp.ID, other.ID
	spaces.SetMember(ctx, sp.ID, f.ann.AccountID, space.RoleAdmin)
	spaces.SetMember(ctx, sp.ID, f.bob.AccountID, space.RoleMember)
	spaces.SetMember(ctx, sp.ID, f.rita.AccountID, space.RoleMember)
	spaces.SetMember(ctx, other.ID, f.bob.AccountID, space.RoleMember)
	return f
}

func TestListsAndRights(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		// Bob makes a list where members may add (limited) and rita only reads.
		list, err := f.svc.CreateList(ctx, f.bob, f.spaceID, "Launch", []acl.Grant{
			{PrincipalKind: acl.PrincipalSpace, PrincipalID: f.spaceID, Level: acl.Limited},
			{PrincipalKind: acl.PrincipalUser, PrincipalID: f.rita.AccountID, Level: acl.Read},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateList(ctx, f.out, f.spaceID, "Intruder", nil); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("non-member creates a list: %v", err)
		}
		if _, err := f.svc.CreateList(ctx, f.bob, f.spaceID, " ", nil); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("empty name: %v", err)
		}
		lists, err := f.svc.Lists(ctx, f.rita, f.spaceID)
		if err != nil || len(lists) != 1 || lists[0].Name != "Launch" || lists[0].Level != acl.Limited {
			// rita is a member too: the members grant (limited) beats her read grant.
			t.Errorf("rita's lists: %+v %v", lists, err)
		}
		if lists, _ := f.svc.Lists(ctx, f.out, f.spaceID); len(lists) != 0 {
			t.Errorf("outsider sees %+v", lists)
		}

		sts, _ := f.svc.Statuses(ctx, f.bob, list.ID)
		if len(sts) != 4 || sts[0].Name != "status.todo" || !sts[3].Done {
			t.Fatalf("default statuses: %+v", sts)
		}
		t1, err := f.svc.Add(ctx, f.bob, list.ID, task.Input{Title: "Write plan", StartDate: "2026-11-01", DueDate: "2026-11-10",
			Priority: task.High, Assignees: []int64{f.rita.AccountID}, Tags: []string{"plan", "plan", " q4 "}})
		if err != nil {
			t.Fatal(err)
		}
		if t1.StatusID != sts[0].ID || len(t1.Tags) != 2 || len(t1.Assignees) != 1 {
			t.Errorf("task: %+v", t1)
		}
		t2, err := f.svc.Add(ctx, f.rita, list.ID, task.Input{Title: "Rita's own", DueDate: "2026-12-01"})
		if err != nil {
			t.Fatal(err)
		}
		// Limited: change own task, not others'.
		in := t2.Input()
		in.Progress = 50
		if _, err := f.svc.Update(ctx, f.rita, t2.ID, in); err != nil {
			t.Errorf("rita updates her task: %v", err)
		}
		in = t1.Input()
		in.Progress = 90
		if _, err := f.svc.Update(ctx, f.rita, t1.ID, in); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("rita updates bob's task: %v, want forbidden", err)
		}
		if err := f.svc.Delete(ctx, f.rita, t1.ID); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("rita deletes bob's task: %v", err)
		}
		// The space administrator writes any task.
		in.StatusID = sts[1].ID
		if _, err := f.svc.Update(ctx, f.ann, t1.ID, in); err != nil {
			t.Errorf("space admin updates: %v", err)
		}
		if _, err := f.svc.Get(ctx, f.out, t1.ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("outsider reads a task: %v", err)
		}
		// Reorder needs write on the list.
		if err := f.svc.Reorder(ctx, f.rita, list.ID, []int64{t2.ID, t1.ID}); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("rita reorders: %v", err)
		}
		if err := f.svc.Reorder(ctx, f.bob, list.ID, []int64{t2.ID}); err != nil {
			t.Fatal(err)
		}
		ts, _ := f.svc.Tasks(ctx, f.bob, list.ID, task.Filter{})
		if len(ts) != 2 || ts[0].ID != t2.ID {
			t.Errorf("order after reorder: %v", ts)
		}
		if err := f.svc.Reorder(ctx, f.bob, list.ID, []int64{9999}); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("reorder with a foreign id: %v", err)
		}

		// Bad input.
		for _, bad := range []task.Input{
			{Title: ""}, {Title: "x", StartDate: "2026-13-01"}, {Title: "x", StartDate: "2026-05-02", DueDate: "2026-05-01"},
			{Title: "x", Priority: "urgent"}, {Title: "x", Progress: 101}, {Title: "x", Tags: []string{"this tag is far longer than thirty chars"}},
			{Title: "x", Assignees: []int64{f.out.AccountID}}, {Title: "x", StatusID: 99999},
		} {
			if _, err := f.svc.Add(ctx, f.bob, list.ID, bad); !errors.Is(err, core.ErrInvalid) {
				t.Errorf("add %+v: %v, want invalid", bad, err)
			}
		}
	})
}

func TestFiltersStatusesImportComments(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		list, _ := f.svc.CreateList(ctx, f.bob, f.spaceID, "Main", nil)
		sts, _ := f.svc.Statuses(ctx, f.bob, list.ID)
		add := func(in task.Input) *task.Task {
			t.Helper()
			tk, err := f.svc.Add(ctx, f.bob, list.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		a := add(task.Input{Title: "A", StartDate: "2026-01-01", DueDate: "2026-01-31", Progress: 10, Tags: []string{"x"}})
		b := add(task.Input{Title: "B", StartDate: "2026-03-01", DueDate: "2026-03-05", Progress: 80, Assignees: []int64{f.rita.AccountID}})
		c := add(task.Input{Title: "C", StatusID: sts[3].ID})
		count := func(fl task.Filter) []string {
			ts, err := f.svc.Tasks(ctx, f.bob, list.ID, fl)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, tk := range ts {
				out = append(out, tk.Title)
			}
			return out
		}
		check := func(name string, got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: %v, want %v", name, got, want)
				return
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: %v, want %v", name, got, want)
				}
			}
		}
		check("all", count(task.Filter{}), "A", "B", "C")
		check("status", count(task.Filter{StatusIDs: []int64{sts[3].ID}}), "C")
		check("dates", count(task.Filter{From: "2026-02-15", To: "2026-03-02"}), "B")
		check("progress", count(task.Filter{MinProgress: 50}), "B")
		check("assignee", count(task.Filter{Assignee: f.rita.AccountID}), "B")
		check("tag", count(task.Filter{Tag: "x"}), "A")
		if _, err := f.svc.Tasks(ctx, f.bob, list.ID, task.Filter{From: "yesterday"}); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("bad date filter: %v", err)
		}

		// Custom statuses: rename, hide "done", add one; a status with tasks
		// cannot go.
		sts[0].Name = "Backlog"
		sts[3].Visible = false
		custom := append(sts, task.Status{Name: "Blocked", Visible: true})
		if err := f.svc.SetStatuses(ctx, f.bob, list.ID, custom); err != nil {
			t.Fatal(err)
		}
		check("hidden done", count(task.Filter{}), "A", "B")
		if err := f.svc.SetStatuses(ctx, f.bob, list.ID, custom[1:]); !errors.Is(err, core.ErrConflict) {
			t.Errorf("removing a status with tasks: %v", err)
		}
		if err := f.svc.SetStatuses(ctx, f.rita, list.ID, custom); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("member changes statuses: %v", err)
		}

		// Import into a list of another space: everything copied, assignees dropped.
		dst, _ := f.svc.CreateList(ctx, f.bob, f.other, "Copy", nil)
		n, err := f.svc.Import(ctx, f.bob, list.ID, dst.ID)
		if err != nil || n != 3 {
			t.Fatalf("import: %d %v", n, err)
		}
		ts, _ := f.svc.Tasks(ctx, f.bob, dst.ID, task.Filter{})
		if len(ts) != 3 || len(ts[1].Assignees) != 0 || ts[0].Tags[0] != "x" {
			t.Errorf("imported: %+v", ts)
		}
		if _, err := f.svc.Import(ctx, f.rita, dst.ID, list.ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("import from a list rita cannot read: %v", err)
		}

		if _, err := f.svc.AddComment(ctx, f.rita, a.ID, "Looks good"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddComment(ctx, f.out, a.ID, "spam"); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("outsider comments: %v", err)
		}
		cs, _ := f.svc.Comments(ctx, f.bob, a.ID)
		if len(cs) != 1 || cs[0].Body != "Looks good" {
			t.Errorf("comments: %+v", cs)
		}
		_, _ = b, c
	})
}

func TestAttachments(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		blobs, err := blob.New(blob.Options{Dir: t.TempDir(), DB: db})
		if err != nil {
			t.Fatal(err)
		}
		list, _ := f.svc.CreateList(ctx, f.bob, f.spaceID, "Files", nil)
		tk, _ := f.svc.Add(ctx, f.bob, list.ID, task.Input{Title: "with files"})
		a, err := f.svc.Attach(ctx, blobs, f.bob, tk.ID, `..\..\evil/report.pdf`, "application/pdf", strings.NewReader("%PDF-1.4 hello"))
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != "report.pdf" || a.Size != 14 {
			t.Errorf("attachment %+v", a)
		}
		if _, err := f.svc.Attach(ctx, blobs, f.rita, tk.ID, "x.txt", "text/plain", strings.NewReader("x")); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("rita attaches to bob's task: %v", err)
		}
		if _, err := f.svc.Attachment(ctx, f.out, a.ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("outsider reads an attachment: %v", err)
		}
		got, _ := f.svc.Get(ctx, f.rita, tk.ID)
		if len(got.Attachments) != 1 || got.Attachments[0].Name != "report.pdf" {
			t.Errorf("task attachments %+v", got.Attachments)
		}
		if n, _ := blobs.Refs(ctx, a.BlobHash); n != 1 {
			t.Errorf("refs %d", n)
		}
		// Deleting the task gives the blob reference back.
		if err := f.svc.Delete(ctx, f.bob, tk.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := blobs.Refs(ctx, a.BlobHash); n != 0 {
			t.Errorf("refs after deleting the task: %d", n)
		}
		tk2, _ := f.svc.Add(ctx, f.bob, list.ID, task.Input{Title: "again"})
		a2, _ := f.svc.Attach(ctx, blobs, f.bob, tk2.ID, "a.txt", "", strings.NewReader("abc"))
		if a2.ContentType != "application/octet-stream" {
			t.Errorf("content type %q", a2.ContentType)
		}
		if err := f.svc.Detach(ctx, blobs, f.bob, a2.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := blobs.Refs(ctx, a2.BlobHash); n != 0 {
			t.Errorf("refs after detach: %d", n)
		}
	})
}
