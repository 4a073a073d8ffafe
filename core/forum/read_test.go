package forum_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/coretest"
	"plaza/core/forum"
	"plaza/core/space"
	"plaza/core/store"
)

// Markdown is rendered and kept as the source; a topic is unread until
// opened and again after a reply; pages of topics and posts count all.
func TestMarkdownReadStatePaging(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		now := func() time.Time { clk = clk.Add(time.Second); return clk }
		accts, spaces := account.New(db, nil), space.New(db, nil)
		sp, _ := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		mk := func(login string, role space.Role) core.Subject {
			a, err := accts.Create(ctx, account.NewAccount{Login: login, Password: "password-" + login})
			if err != nil {
				t.Fatal(err)
			}
			if err := spaces.SetMember(ctx, sp.ID, a.ID, role); err != nil {
				t.Fatal(err)
			}
			return a.Subject()
		}
		fo := forum.New(db, forum.Options{Now: now})
		ann, bob := mk("ann", space.RoleAdmin), mk("bob", space.RoleMember)
		cat, err := fo.CreateCategory(ctx, ann, forum.NewCategory{SpaceID: sp.ID, Slug: "general", Name: "General"})
		if err != nil {
			t.Fatal(err)
		}
		top, err := fo.CreateTopic(ctx, ann, cat.ContainerID, forum.NewTopic{Title: "Plan", Markdown: "**bold** <script>x</script>"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(top.Body, "<strong>bold</strong>") || strings.Contains(top.Body, "<script") || top.Source == nil || *top.Source != "**bold** <script>x</script>" {
			t.Errorf("topic body %q source %v", top.Body, top.Source)
		}
		unread := func(who core.Subject) int {
			ts, err := fo.Unread(ctx, who, sp.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			return len(ts)
		}
		if unread(bob) != 1 {
			t.Error("a new topic is not unread")
		}
		if err := fo.MarkRead(ctx, bob, top.ContainerID); err != nil {
			t.Fatal(err)
		}
		if unread(bob) != 0 {
			t.Error("still unread once read")
		}
		for i := 0; i < 3; i++ {
			if _, err := fo.Reply(ctx, ann, top.ContainerID, forum.NewPost{Markdown: fmt.Sprintf("reply _%d_", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if unread(bob) != 1 {
			t.Error("not unread after a reply")
		}
		ts, total, err := fo.TopicsPage(ctx, bob, cat.ContainerID, 0, 10)
		if err != nil || total != 1 || len(ts) != 1 || !ts[0].Unread {
			t.Errorf("topics page: %d %+v %v", total, ts, err)
		}
		ps, total, err := fo.PostsPage(ctx, bob, top.ContainerID, 2, 2)
		if err != nil || total != 3 || len(ps) != 1 || ps[0].Body != "<p>reply <em>2</em></p>" {
			t.Fatalf("posts page: %d %+v %v", total, ps, err)
		}
		p, err := fo.EditPost(ctx, ann, ps[0].ID, forum.NewPost{Markdown: "| a |\n|---|\n| 1 |"})
		if err != nil || !strings.Contains(p.Body, "<table>") || *p.Source != "| a |\n|---|\n| 1 |" {
			t.Errorf("edit: %+v %v", p, err)
		}
	})
}
