package notify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/coretest"
	"plaza/core/forum"
	pmail "plaza/core/mail"
	"plaza/core/notify"
	"plaza/core/space"
	"plaza/core/store"
)

// A follower who may read the target hears of a change in the in-app
// list (and the mail queue); the one who made it, strangers and people
// who lost access do not; unread counts fall as lines are read.
func TestFollowAnnounceInbox(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accounts, spaces := account.New(db, nil), space.New(db, nil)
		q := pmail.New(db, pmail.Options{})
		tpl, err := pmail.LoadTemplates()
		if err != nil {
			t.Fatal(err)
		}
		n := notify.New(db, notify.Options{Queue: q, Templates: tpl, BaseURL: "https://p.example"})
		sp, _ := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		mk := func(login string, member bool) *account.Account {
			a, err := accounts.Create(ctx, account.NewAccount{Login: login, Email: login + "@example.org", Password: "a good password"})
			if err != nil {
				t.Fatal(err)
			}
			if member {
				if err := spaces.SetMember(ctx, sp.ID, a.ID, space.RoleAdmin); err != nil {
					t.Fatal(err)
				}
			}
			return a
		}
		ann, bob, eve := mk("ann", true), mk("bob", true), mk("eve", false)
		cat, err := forum.New(db, forum.Options{}).CreateCategory(ctx, ann.Subject(), forum.NewCategory{SpaceID: sp.ID, Slug: "c", Name: "C"})
		if err != nil {
			t.Fatal(err)
		}
		target := notify.Target{Kind: notify.KindFolder, ID: cat.ContainerID}
		for _, who := range []*account.Account{ann, bob} {
			if err := n.Follow(ctx, who.Subject(), target, cat.ContainerID); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.Follow(ctx, bob.Subject(), target, cat.ContainerID); err != nil {
			t.Errorf("following twice: %v", err)
		}
		if err := n.Follow(ctx, eve.Subject(), target, cat.ContainerID); !errors.Is(err, core.ErrNotFound) && !errors.Is(err, core.ErrForbidden) {
			t.Errorf("a stranger follows: %v", err)
		}
		if err := n.Follow(ctx, bob.Subject(), notify.Target{Kind: "nonsense", ID: 1}, cat.ContainerID); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("unknown kind: %v", err)
		}
		if ok, _ := n.Following(ctx, bob.Subject(), target); !ok {
			t.Error("bob does not follow")
		}
		announce := func() int {
			var told int
			err := db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				var err error
				told, err = n.Announce(ctx, tx, target, cat.ContainerID, ann.ID, notify.Note{Title: "New file  plan.odt", Path: "/s/team/files"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return told
		}
		if told := announce(); told != 1 {
			t.Errorf("told %d, want bob only", told)
		}
		if u, _ := n.Unread(ctx, ann.Subject()); u != 0 {
			t.Errorf("the author has %d unread", u)
		}
		if u, _ := n.Unread(ctx, bob.Subject()); u != 1 {
			t.Errorf("bob has %d unread", u)
		}
		announce()
		list, err := n.Inbox(ctx, bob.Subject(), 10, 0)
		if err != nil || len(list) != 2 || list[0].Title != "New file plan.odt" || list[0].Path != "/s/team/files" || list[0].ReadAt != nil {
			t.Fatalf("bob's inbox: %+v %v", list, err)
		}
		if got, err := n.Open(ctx, bob.Subject(), list[0].ID); err != nil || got.ReadAt == nil {
			t.Errorf("open: %+v %v", got, err)
		}
		if _, err := n.Open(ctx, ann.Subject(), list[1].ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("ann opens bob's line: %v", err)
		}
		if u, _ := n.Unread(ctx, bob.Subject()); u != 1 {
			t.Errorf("after opening one, bob has %d unread", u)
		}
		if err := n.MarkRead(ctx, bob.Subject()); err != nil {
			t.Fatal(err)
		}
		if u, _ := n.Unread(ctx, bob.Subject()); u != 0 {
			t.Errorf("after reading all, bob has %d unread", u)
		}
		var mails int
		if err := db.NewSelect().Table("mail_queue").ColumnExpr("COUNT(*)").Scan(ctx, &mails); err != nil {
			t.Fatal(err)
		}
		if mails != 2 {
			t.Errorf("%d mails queued, want bob's 2", mails)
		}
		// Bob leaves the space: he still follows, but hears nothing.
		if err := spaces.RemoveMember(ctx, sp.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		if told := announce(); told != 0 {
			t.Errorf("told %d after bob left", told)
		}
		if err := n.Unfollow(ctx, bob.Subject(), target); err != nil {
			t.Fatal(err)
		}
		if ok, _ := n.Following(ctx, bob.Subject(), target); ok {
			t.Error("bob still follows")
		}
	})
}
