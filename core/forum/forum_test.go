package forum_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/coretest"
	"plaza/core/forum"
	"plaza/core/space"
	"plaza/core/store"
)

type recorder struct{ events []forum.Event }

func (r *recorder) ForumEvent(_ context.Context, _ bun.IDB, e forum.Event) error {
	r.events = append(r.events, e)
	return nil
}

func TestForum(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		accts := account.New(db, nil)
		spaces := space.New(db, nil)
		who := map[string]core.Subject{}
		for _, l := range []string{"alice", "bob", "carol", "mallory"} {
			a, err := accts.Create(ctx, account.NewAccount{Login: l, Email: l + "@example.org", Type: core.User, Password: "password-" + l})
			must(err)
			who[l] = a.Subject()
		}
		sp, err := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		must(err)
		must(spaces.SetMember(ctx, sp.ID, who["alice"].AccountID, space.RoleAdmin))
		must(spaces.SetMember(ctx, sp.ID, who["bob"].AccountID, space.RoleMember))
		must(spaces.SetMember(ctx, sp.ID, who["carol"].AccountID, space.RoleMember))
		blobs, err := blob.New(blob.Options{Dir: t.TempDir(), DB: db})
		must(err)
		svc := forum.New(db, forum.Options{Blobs: blobs})
		rec := &recorder{}
		svc.AddHook(rec)

		if _, err := svc.CreateCategory(ctx, who["bob"], forum.NewCategory{SpaceID: sp.ID, Slug: "general", Name: "General"}); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("member creates category: %v", err)
		}
		cat, err := svc.CreateCategory(ctx, who["alice"], forum.NewCategory{SpaceID: sp.ID, Slug: "general", Name: "General"})
		must(err)
		if cat.Handle == nil || *cat.Handle != "team.general" {
			t.Fatalf("default handle %v", cat.Handle)
		}
		for _, h := range []string{"team", "bob"} {
			if _, err := svc.CreateCategory(ctx, who["alice"], forum.NewCategory{SpaceID: sp.ID, Slug: "x" + h, Name: "X", Handle: h}); !errors.Is(err, core.ErrConflict) {
				t.Fatalf("handle %q of a space or person: %v", h, err)
			}
		}
		// Members have limited: bob opens a topic, with markup sanitized.
		top, err := svc.CreateTopic(ctx, who["bob"], cat.ContainerID, forum.NewTopic{Title: "Hello",
			Body: `<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:evil()">x</a> <a href="https://example.org">ok</a></p>`})
		must(err)
		if strings.Contains(top.Body, "script") || strings.Contains(top.Body, "onclick") || strings.Contains(top.Body, "javascript") {
			t.Fatalf("body not sanitized: %s", top.Body)
		}
		if !strings.Contains(top.Body, `rel="nofollow noreferrer"`) {
			t.Fatalf("link without rel: %s", top.Body)
		}
		if nul, err := svc.Reply(ctx, who["carol"], top.ContainerID, forum.NewPost{Body: "a\x00b"}); err != nil || nul.Body != "ab" {
			t.Fatalf("NUL in a body: %v", err)
		} else {
			must(svc.DeletePost(ctx, who["carol"], nul.ID))
		}
		if top.Author.Login != "bob" {
			t.Fatalf("author %+v", top.Author)
		}
		// An outsider sees nothing and may not write.
		if _, err := svc.Topic(ctx, who["mallory"], top.ContainerID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("outsider reads topic: %v", err)
		}
		if _, err := svc.Reply(ctx, who["mallory"], top.ContainerID, forum.NewPost{Body: "spam"}); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("outsider replies: %v", err)
		}
		if ts, err := svc.Topics(ctx, who["mallory"], cat.ContainerID, 0); err != nil || len(ts) != 0 {
			t.Fatalf("outsider lists %d topics, %v", len(ts), err)
		}
		p, err := svc.Reply(ctx, who["carol"], top.ContainerID, forum.NewPost{Body: "<b>me too</b>"})
		must(err)
		// Limited: carol may not edit bob's topic, bob may not edit carol's post.
		if _, err := svc.UpdateTopic(ctx, who["carol"], top.ContainerID, forum.NewTopic{Title: "mine"}); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("limited edits another's topic: %v", err)
		}
		if _, err := svc.UpdatePost(ctx, who["bob"], p.ID, "changed"); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("limited edits another's post: %v", err)
		}
		if _, err := svc.UpdatePost(ctx, who["carol"], p.ID, "me too!"); err != nil {
			t.Fatalf("author edits own post: %v", err)
		}
		// The space administrator moderates (write).
		if _, err := svc.UpdateTopic(ctx, who["alice"], top.ContainerID, forum.NewTopic{Title: "Hello (moderated)", Body: "ok"}); err != nil {
			t.Fatalf("moderator edits: %v", err)
		}
		ps, err := svc.Posts(ctx, who["bob"], top.ContainerID)
		must(err)
		if len(ps) != 1 || ps[0].Body != "me too!" || ps[0].Author.Login != "carol" {
			t.Fatalf("posts %+v", ps)
		}
		// Subscriptions: bob follows the topic; carol's post notifies him,
		// mallory (no access) is never listed.
		must(svc.Subscribe(ctx, who["bob"], top.ContainerID, forum.Immediate))
		must(svc.Subscribe(ctx, who["carol"], cat.ContainerID, forum.Digest))
		if err := svc.Subscribe(ctx, who["mallory"], top.ContainerID, forum.Immediate); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("outsider subscribes: %v", err)
		}
		subs, err := svc.Subscribers(ctx, db, forum.Event{Kind: forum.PostCreated, Topic: top, Post: p})
		must(err)
		if len(subs) != 1 || subs[0].AccountID != who["bob"].AccountID || subs[0].Email != "bob@example.org" {
			t.Fatalf("subscribers %+v", subs)
		}
		// Attachments are blobs, readable only with the topic.
		a, err := svc.Attach(ctx, who["carol"], top.ContainerID, &p.ID, "notes.txt", "text/plain", strings.NewReader("attached"))
		must(err)
		if _, err := svc.Attach(ctx, who["bob"], top.ContainerID, &p.ID, "x.txt", "", strings.NewReader("x")); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("attach to another's post: %v", err)
		}
		_, f, err := svc.OpenAttachment(ctx, who["bob"], a.ID)
		must(err)
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) != "attached" {
			t.Fatalf("attachment %q", b)
		}
		if _, _, err := svc.OpenAttachment(ctx, who["mallory"], a.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("outsider opens attachment: %v", err)
		}
		if n, _ := blobs.Refs(ctx, a.BlobHash); n != 1 {
			t.Fatalf("refs %d", n)
		}
		// Deleting the post releases its attachment.
		must(svc.DeletePost(ctx, who["alice"], p.ID))
		if n, _ := blobs.Refs(ctx, a.BlobHash); n != 0 {
			t.Fatalf("refs after delete %d", n)
		}
		must(svc.DeleteTopic(ctx, who["bob"], top.ContainerID))
		if _, err := svc.Topic(ctx, who["bob"], top.ContainerID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("deleted topic: %v", err)
		}
		var kinds []string
		for _, e := range rec.events {
			kinds = append(kinds, string(e.Kind))
		}
		want := "topic.created post.created post.deleted post.created post.updated topic.updated post.deleted topic.deleted"
		if strings.Join(kinds, " ") != want {
			t.Fatalf("events %v, want %s", kinds, want)
		}
		// Grants decide: a read-only category refuses topics from members.
		ro, err := svc.CreateCategory(ctx, who["alice"], forum.NewCategory{SpaceID: sp.ID, Slug: "announcements", Name: "News",
			Grants: []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: sp.ID, Level: acl.Read}}})
		must(err)
		if _, err := svc.CreateTopic(ctx, who["bob"], ro.ContainerID, forum.NewTopic{Title: "x"}); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("topic in read-only category: %v", err)
		}
		if _, err := svc.CreateTopic(ctx, who["bob"], cat.ContainerID, forum.NewTopic{Title: strings.Repeat("x", 300)}); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("long title: %v", err)
		}
	})
}

// mailbox is a Mailer keeping what it is given.
type mailbox struct{ mails []forum.Mail }

func (m *mailbox) QueueMail(_ context.Context, _ bun.IDB, mail forum.Mail) error {
	m.mails = append(m.mails, mail)
	return nil
}

func TestNotifications(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		accts := account.New(db, nil)
		spaces := space.New(db, nil)
		who := map[string]core.Subject{}
		sp, err := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		must(err)
		for _, l := range []string{"alice", "bob", "carol", "dave"} {
			a, err := accts.Create(ctx, account.NewAccount{Login: l, Email: l + "@example.org", Type: core.User, Password: "password-" + l})
			must(err)
			who[l] = a.Subject()
			role := space.RoleMember
			if l == "alice" {
				role = space.RoleAdmin
			}
			must(spaces.SetMember(ctx, sp.ID, a.ID, role))
		}
		svc := forum.New(db, forum.Options{})
		box := &mailbox{}
		svc.AddHook(svc.Notifier(box))
		cat, err := svc.CreateCategory(ctx, who["alice"], forum.NewCategory{SpaceID: sp.ID, Slug: "general", Name: "General"})
		must(err)
		must(svc.Subscribe(ctx, who["bob"], cat.ContainerID, forum.Immediate))
		must(svc.Subscribe(ctx, who["carol"], cat.ContainerID, forum.Digest))
		start := time.Now().Add(-time.Second)
		top, err := svc.CreateTopic(ctx, who["alice"], cat.ContainerID, forum.NewTopic{Title: "Plans", Body: "<p>Q3 <b>plans</b></p>"})
		must(err)
		if len(box.mails) != 1 || box.mails[0].To != "bob@example.org" || box.mails[0].Subject != "[General] Plans" ||
			!strings.Contains(box.mails[0].Text, "Q3 plans") {
			t.Fatalf("mails after topic: %+v", box.mails)
		}
		// bob's own reply does not mail him; dave's reply does.
		_, err = svc.Reply(ctx, who["bob"], top.ContainerID, forum.NewPost{Body: "ok"})
		must(err)
		_, err = svc.Reply(ctx, who["dave"], top.ContainerID, forum.NewPost{Body: "me too"})
		must(err)
		if len(box.mails) != 2 || box.mails[1].Subject != "Re: [General] Plans" || box.mails[1].To != "bob@example.org" {
			t.Fatalf("mails after replies: %+v", box.mails)
		}
		// carol's digest lists the topic with its two replies.
		items, err := svc.Digest(ctx, who["carol"], start)
		must(err)
		if len(items) != 1 || items[0].TopicID != top.ContainerID || !items[0].NewTopic || items[0].NewPosts != 2 {
			t.Fatalf("digest %+v", items)
		}
		// Removed from the space, carol's digest is empty (the ACL filters).
		must(spaces.RemoveMember(ctx, sp.ID, who["carol"].AccountID))
		if items, err := svc.Digest(ctx, who["carol"], start); err != nil || len(items) != 0 {
			t.Fatalf("digest after leaving: %+v %v", items, err)
		}
	})
}
