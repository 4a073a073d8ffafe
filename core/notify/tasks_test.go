package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"plaza/cmd/plaza/smtpmail"
	"plaza/cmd/plaza/smtpmail/smtptest"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/coretest"
	pmail "plaza/core/mail"
	"plaza/core/notify"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
)

// Assignment and status changes of tasks reach the people concerned by
// mail, once, whichever process scans, except the one who made them.
func TestTaskNotifications(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accounts, spaces := account.New(db, nil), space.New(db, nil)
		srv := smtptest.Start(t, smtptest.Options{})
		tr, _ := smtpmail.Parse(srv.URL(), "")
		q := pmail.New(db, pmail.Options{Transport: tr})
		tpl, _ := pmail.LoadTemplates()
		n := notify.New(db, notify.Options{Queue: q, Templates: tpl, BaseURL: "https://p.example"})
		sp, _ := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		mk := func(login string) *account.Account {
			a, err := accounts.Create(ctx, account.NewAccount{Login: login, Email: login + "@example.org", Password: "a good password"})
			if err != nil {
				t.Fatal(err)
			}
			spaces.SetMember(ctx, sp.ID, a.ID, space.RoleAdmin)
			return a
		}
		ann, bob, cy := mk("ann"), mk("bob"), mk("cy")
		tasks := task.New(db, acl.New(db), nil)
		list, err := tasks.CreateList(ctx, ann.Subject(), sp.ID, "Plans", nil)
		if err != nil {
			t.Fatal(err)
		}
		if k, err := n.WatchTasks(ctx); k != 0 || err != nil {
			t.Fatalf("first scan: %d %v", k, err)
		}
		tk, err := tasks.Add(ctx, ann.Subject(), list.ID, task.Input{Title: "Book the room", Assignees: []int64{ann.ID, bob.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if k, err := n.WatchTasks(ctx); k != 1 || err != nil {
			t.Fatalf("after assignment: %d notes, %v", k, err)
		}
		if k, _ := notify.New(db, notify.Options{Queue: q, Templates: tpl}).WatchTasks(ctx); k != 0 {
			t.Fatalf("another process notified again: %d", k)
		}
		time.Sleep(5 * time.Millisecond)
		sts, _ := tasks.Statuses(ctx, ann.Subject(), list.ID)
		in := tk.Input()
		in.StatusID = sts[1].ID
		in.Assignees = []int64{ann.ID, bob.ID, cy.ID}
		if _, err := tasks.Update(ctx, bob.Subject(), tk.ID, in); err != nil {
			t.Fatal(err)
		}
		// cy is newly assigned; ann (author) and cy hear of the status, not
		// bob, who changed it.
		if k, err := n.WatchTasks(ctx); k != 3 || err != nil {
			t.Fatalf("after status change: %d notes, %v", k, err)
		}
		q.RunOnce(ctx)
		got := map[string][]string{}
		for _, m := range srv.Messages() {
			got[m.To[0]] = append(got[m.To[0]], string(m.Data))
		}
		if len(got["bob@example.org"]) != 1 || len(got["ann@example.org"]) != 1 || len(got["cy@example.org"]) != 2 {
			t.Fatalf("mails: bob %d, ann %d, cy %d", len(got["bob@example.org"]), len(got["ann@example.org"]), len(got["cy@example.org"]))
		}
		if !strings.Contains(got["bob@example.org"][0], "Task assigned to you: Book the room") {
			t.Errorf("assignment mail:\n%s", got["bob@example.org"][0])
		}
	})
}
