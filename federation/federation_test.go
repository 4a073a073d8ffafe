package federation_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/forum"
	"plaza/core/news"
	"plaza/core/store"
)

// TestTwoInstances is the acceptance scenario of issue 4: a person of B
// follows a forum category of A found by WebFinger; topics, replies, edits
// and deletions travel both ways; news of A reaches B.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, dbA *store.DB) {
		ctx := context.Background()
		a := newInstance(t, dbA, "", instOpts{})
		b := newInstance(t, coretest.OpenDB(t, dbA.Kind), "", instOpts{})

		alice := a.user("alice")
		pub := a.space("pub", true, alice)
		general := a.publicCategory(alice, pub, "general")

		bob := b.user("bob")
		carol := b.user("carol")
		team := b.space("team", false, bob)
		must(t, b.spaces.SetMember(ctx, team.ID, carol.AccountID, "member"))

		// bob follows general@A into B's team space.
		followed, err := b.fed.Follow(ctx, bob, team.ID, "general@"+a.host)
		must(t, err)
		if followed.Type != "Group" || followed.ActorID != a.base+"/ap/groups/general" || followed.CategoryID == 0 {
			t.Fatalf("followed %+v", followed)
		}
		if _, err := b.fed.Follow(ctx, carol, team.ID, "general@"+a.host); err == nil {
			t.Fatal("a member who is not space administrator followed")
		}
		eventually(t, "A accepts the follow", func() bool {
			ok, err := b.fed.FollowAccepted(ctx, bob, followed.ActorID)
			return err == nil && ok
		})

		// A topic created on A appears on B, with its author.
		topA, err := a.forum.CreateTopic(ctx, alice, general.ContainerID, forum.NewTopic{Title: "Hello fediverse", Body: "<p>First <b>post</b></p>"})
		must(t, err)
		var topB forum.Topic
		eventually(t, "the topic reaches B", func() bool {
			ts, err := b.forum.Topics(ctx, carol, followed.CategoryID, 0)
			if err != nil || len(ts) != 1 {
				return false
			}
			topB = ts[0]
			return true
		})
		if topB.Title != "Hello fediverse" || topB.Body != "<p>First <b>post</b></p>" || topB.Author.Handle != "alice@"+a.host ||
			topB.APID == nil || *topB.APID != a.base+"/ap/topics/"+itoa(topA.ContainerID) {
			t.Fatalf("topic on B: %+v", topB)
		}
		// B's ACL applies to the copy: an outsider of team sees nothing.
		dave := b.user("dave")
		if ts, _ := b.forum.Topics(ctx, dave, followed.CategoryID, 0); len(ts) != 0 {
			t.Fatal("an outsider of the space reads the mirrored topic")
		}

		// A reply written on B appears in the topic on A, with its author;
		// its HTML is sanitized on arrival.
		replyB, err := b.forum.Reply(ctx, carol, topB.ContainerID, forum.NewPost{Body: "<p>Hi from B</p>"})
		must(t, err)
		var replyA forum.Post
		eventually(t, "the reply reaches A", func() bool {
			ps, err := a.forum.Posts(ctx, core.AnonymousSubject, topA.ContainerID)
			if err != nil || len(ps) != 1 {
				return false
			}
			replyA = ps[0]
			return true
		})
		if replyA.Body != "<p>Hi from B</p>" || replyA.Author.Handle != "carol@"+b.host || replyA.Author.Name != "Carol" ||
			replyA.APID == nil || *replyA.APID != b.base+"/ap/posts/"+itoa(replyB.ID) {
			t.Fatalf("reply on A: %+v", replyA)
		}

		// Edits propagate both ways.
		_, err = a.forum.UpdateTopic(ctx, alice, topA.ContainerID, forum.NewTopic{Title: "Hello fediverse (edited)", Body: "<p>Edited</p>"})
		must(t, err)
		eventually(t, "the topic edit reaches B", func() bool {
			tp, err := b.forum.Topic(ctx, carol, topB.ContainerID)
			return err == nil && tp.Title == "Hello fediverse (edited)" && tp.Body == "<p>Edited</p>"
		})
		_, err = b.forum.UpdatePost(ctx, carol, replyB.ID, "<p>Hi from B, edited</p>")
		must(t, err)
		eventually(t, "the reply edit reaches A", func() bool {
			p, err := a.forum.Post(ctx, core.AnonymousSubject, replyA.ID)
			return err == nil && p.Body == "<p>Hi from B, edited</p>"
		})

		// Deletions propagate both ways.
		must(t, b.forum.DeletePost(ctx, carol, replyB.ID))
		eventually(t, "the reply deletion reaches A", func() bool {
			ps, err := a.forum.Posts(ctx, core.AnonymousSubject, topA.ContainerID)
			return err == nil && len(ps) == 0
		})
		must(t, a.forum.DeleteTopic(ctx, alice, topA.ContainerID))
		eventually(t, "the topic deletion reaches B", func() bool {
			ts, err := b.forum.Topics(ctx, carol, followed.CategoryID, 0)
			return err == nil && len(ts) == 0
		})

		// News: bob follows A's space pub; a public article reaches B's team.
		fn, err := b.fed.Follow(ctx, bob, team.ID, "pub@"+a.host)
		must(t, err)
		if fn.Type != "Organization" {
			t.Fatalf("space actor type %q", fn.Type)
		}
		eventually(t, "A accepts the news follow", func() bool {
			ok, err := b.fed.FollowAccepted(ctx, bob, fn.ActorID)
			return err == nil && ok
		})
		// An article for members only is not federated.
		_, err = a.news.Create(ctx, alice, news.NewArticle{SpaceID: pub.ID, Title: "Internal"})
		must(t, err)
		artA, err := a.news.Create(ctx, alice, news.NewArticle{SpaceID: pub.ID, Title: "Big news", Summary: "short",
			Body: "<p>Plaza federates</p>", Grants: []acl.Grant{{PrincipalKind: acl.PrincipalAnonymous, Level: acl.Read},
				{PrincipalKind: acl.PrincipalSpace, PrincipalID: pub.ID, Level: acl.Read}}})
		must(t, err)
		eventually(t, "the article reaches B", func() bool {
			as, err := b.news.List(ctx, carol, team.ID, 0)
			return err == nil && len(as) == 1 && as[0].Title == "Big news" && as[0].Body == "<p>Plaza federates</p>"
		})
		if as, _ := b.news.List(ctx, dave, team.ID, 0); len(as) != 0 {
			t.Fatal("an outsider reads the federated article")
		}
		_, err = a.news.Update(ctx, alice, artA.ContainerID, news.NewArticle{Title: "Bigger news", Body: "<p>Updated</p>"})
		must(t, err)
		eventually(t, "the article edit reaches B", func() bool {
			as, err := b.news.List(ctx, carol, team.ID, 0)
			return err == nil && len(as) == 1 && as[0].Title == "Bigger news" && as[0].Body == "<p>Updated</p>"
		})
		must(t, a.news.Delete(ctx, alice, artA.ContainerID))
		eventually(t, "the article deletion reaches B", func() bool {
			as, err := b.news.List(ctx, carol, team.ID, 0)
			return err == nil && len(as) == 0
		})
		fl, err := b.fed.Follows(ctx, bob)
		must(t, err)
		if len(fl) != 2 || fl[0].Handle != "general@"+a.host || fl[0].CategoryID != followed.CategoryID || !fl[0].Accepted ||
			fl[1].Handle != "pub@"+a.host || fl[1].Type != "Organization" || fl[1].SpaceID != team.ID {
			t.Fatalf("follows: %+v", fl)
		}
		// bob unfollows the group: A forgets the follower.
		must(t, b.fed.Unfollow(ctx, bob, followed.ActorID))
		eventually(t, "the Undo reaches A", func() bool {
			n, err := a.db.NewSelect().Table("ap_follows").Where("direction = 'in' AND local_actor LIKE 'group:%'").Count(ctx)
			return err == nil && n == 0
		})
		// Nothing A sent was refused (the last row may still be marked).
		eventually(t, "A's queue drained without dead letters", func() bool {
			st, err := a.fed.Queue().Stats(ctx)
			return err == nil && st["dead"] == 0 && st["pending"] == 0 && st["done"] > 0
		})
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestNamedHostsWithPorts: two Plaza servers whose base URLs carry a
// host name and a port (http://a.test:PORT), reached through the
// test-only resolver, follow and post to each other.
func TestNamedHostsWithPorts(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, dbA *store.DB) {
		ctx := context.Background()
		lnA, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		lnB, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		resolve := map[string]string{"a.test": "127.0.0.1", "b.test": "127.0.0.1"}
		baseA := "http://a.test:" + strconv.Itoa(lnA.Addr().(*net.TCPAddr).Port)
		baseB := "http://b.test:" + strconv.Itoa(lnB.Addr().(*net.TCPAddr).Port)
		a := newInstance(t, dbA, baseA, instOpts{listener: lnA, resolve: resolve})
		b := newInstance(t, coretest.OpenDB(t, dbA.Kind), baseB, instOpts{listener: lnB, resolve: resolve})
		alice := a.user("alice")
		general := a.publicCategory(alice, a.space("pub", true, alice), "general")
		bob := b.user("bob")
		team := b.space("team", false, bob)
		followed, err := b.fed.Follow(ctx, bob, team.ID, "general@"+strings.TrimPrefix(baseA, "http://"))
		must(t, err)
		eventually(t, "A accepts the follow", func() bool {
			ok, err := b.fed.FollowAccepted(ctx, bob, followed.ActorID)
			return err == nil && ok
		})
		_, err = a.forum.CreateTopic(ctx, alice, general.ContainerID, forum.NewTopic{Title: "Named hosts", Body: "<p>hi</p>"})
		must(t, err)
		eventually(t, "the topic reaches B", func() bool {
			ts, err := b.forum.Topics(ctx, bob, followed.CategoryID, 0)
			return err == nil && len(ts) == 1 && ts[0].Author.Handle == "alice@"+strings.TrimPrefix(baseA, "http://")
		})
	})
}
