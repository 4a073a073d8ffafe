package notify_test

import (
	"context"
	"mime"
	"net/mail"
	"strconv"
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

// TestTaskStatusFollows: who follows a list's new tasks hears of each new
// one, and who follows a status ("notify me when a task reaches To
// validate") hears when a task reaches it; subjects name the status by
// its label, never the raw key (issue 18).
func TestTaskStatusFollows(t *testing.T) {
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
			spaces.SetMember(ctx, sp.ID, a.ID, space.RoleMember)
			return a
		}
		ann, bob := mk("ann"), mk("bob")
		tasks := task.New(db, acl.New(db), nil)
		list, err := tasks.CreateList(ctx, ann.Subject(), sp.ID, "Plans", nil)
		if err != nil {
			t.Fatal(err)
		}
		sts, _ := tasks.Statuses(ctx, ann.Subject(), list.ID)
		validate := sts[2]
		if validate.Name != "status.to_validate" {
			t.Fatalf("statuses: %+v", sts)
		}
		for _, key := range []string{notify.TaskNew, strconv.FormatInt(validate.ID, 10)} {
			if err := n.Follow(ctx, ann.Subject(), notify.Target{Kind: notify.KindTaskStatus, ID: list.ID, Key: key}, list.ID); err != nil {
				t.Fatal(err)
			}
		}
		n.WatchTasks(ctx) //nolint:errcheck // the first scan records the state
		tk, err := tasks.Add(ctx, bob.Subject(), list.ID, task.Input{Title: "Print the flyers"})
		if err != nil {
			t.Fatal(err)
		}
		if k, err := n.WatchTasks(ctx); k != 1 || err != nil {
			t.Fatalf("after a new task: %d notes, %v", k, err)
		}
		time.Sleep(5 * time.Millisecond)
		in := tk.Input()
		in.StatusID = sts[1].ID
		tasks.Update(ctx, bob.Subject(), tk.ID, in) //nolint:errcheck
		if k, err := n.WatchTasks(ctx); k != 0 || err != nil {
			t.Fatalf("a status nobody follows: %d notes, %v", k, err)
		}
		time.Sleep(5 * time.Millisecond)
		in.StatusID = validate.ID
		if _, err := tasks.Update(ctx, bob.Subject(), tk.ID, in); err != nil {
			t.Fatal(err)
		}
		if k, err := n.WatchTasks(ctx); k != 1 || err != nil {
			t.Fatalf("after reaching To validate: %d notes, %v", k, err)
		}
		q.RunOnce(ctx)
		var subjects []string
		for _, m := range srv.Messages() {
			msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
			if err != nil {
				t.Fatal(err)
			}
			subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if m.To[0] == "ann@example.org" {
				subjects = append(subjects, subj)
			}
		}
		all := strings.Join(subjects, "\n")
		if !strings.Contains(all, "New task: Print the flyers") || !strings.Contains(all, "Print the flyers: To validate") || strings.Contains(all, "to_validate") {
			t.Errorf("ann's mail subjects:\n%s", all)
		}
	})
}
