package notify_test

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"plaza/cmd/plaza/smtpmail"
	"plaza/cmd/plaza/smtpmail/smtptest"
	"plaza/core/account"
	"plaza/core/coretest"
	"plaza/core/forum"
	pmail "plaza/core/mail"
	"plaza/core/notify"
	"plaza/core/space"
	"plaza/core/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func body(t *testing.T, m smtptest.Message) (string, string) {
	msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	return subj, string(b)
}

// Forum subscribers hear of a reply: at once by mail (in their
// language), in the next daily digest, or not at all when they turned
// notifications off; the author is never told of their own post.
func TestForumSubscriptionsImmediateDigestOff(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Now().UTC()}
		accounts, spaces := account.New(db, nil), space.New(db, nil)
		srv := smtptest.Start(t, smtptest.Options{})
		tr, _ := smtpmail.Parse(srv.URL(), "")
		q := pmail.New(db, pmail.Options{Transport: tr, Now: clk.Now})
		tpl, err := pmail.LoadTemplates()
		if err != nil {
			t.Fatal(err)
		}
		fo := forum.New(db, forum.Options{Now: clk.Now})
		n := notify.New(db, notify.Options{Queue: q, Templates: tpl, Forum: fo, BaseURL: "https://p.example", Now: clk.Now})
		fo.AddHook(n)
		sp, _ := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		mk := func(login, lang string) *account.Account {
			a, err := accounts.Create(ctx, account.NewAccount{Login: login, Email: login + "@example.org", Password: "a good password"})
			if err != nil {
				t.Fatal(err)
			}
			if err := spaces.SetMember(ctx, sp.ID, a.ID, space.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			p, _ := accounts.ProfileOf(ctx, a.ID)
			p.Language = lang
			if err := accounts.UpdateProfile(ctx, a.ID, p); err != nil {
				t.Fatal(err)
			}
			return a
		}
		author, now, later, off, fr := mk("author", "en"), mk("now", "en"), mk("later", "en"), mk("off", "en"), mk("fr", "fr")
		cat, err := fo.CreateCategory(ctx, author.Subject(), forum.NewCategory{SpaceID: sp.ID, Slug: "general", Name: "General"})
		if err != nil {
			t.Fatal(err)
		}
		topic, err := fo.CreateTopic(ctx, author.Subject(), cat.ContainerID, forum.NewTopic{Title: "Picnic", Body: "<p>Saturday?</p>"})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []struct {
			a *account.Account
			m forum.Mode
		}{{author, forum.Immediate}, {now, forum.Immediate}, {later, forum.Digest}, {off, forum.Immediate}, {fr, forum.Immediate}} {
			if err := fo.Subscribe(ctx, s.a.Subject(), topic.ContainerID, s.m); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.SetMode(ctx, off.Subject(), notify.Off); err != nil {
			t.Fatal(err)
		}
		if _, err := fo.Reply(ctx, author.Subject(), topic.ContainerID, forum.NewPost{Body: "<p>Bring &amp; share</p>"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := q.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		got := srv.Messages()
		to := map[string]smtptest.Message{}
		for _, m := range got {
			to[m.To[0]] = m
		}
		if len(got) != 2 || to["now@example.org"].Data == nil || to["fr@example.org"].Data == nil {
			t.Fatalf("immediate mails to %v", func() (r []string) {
				for k := range to {
					r = append(r, k)
				}
				return
			}())
		}
		subj, b := body(t, to["now@example.org"])
		if subj != "[Plaza] Re: Picnic (author)" || !strings.Contains(b, "Bring & share") || !strings.Contains(b, "https://p.example/s/team/forum/topic/") {
			t.Errorf("mail: %q\n%s", subj, b)
		}
		if _, b := body(t, to["fr@example.org"]); !strings.Contains(b, "réglages de notification") {
			t.Errorf("French mail:\n%s", b)
		}
		// The digest waits a day.
		if k, _ := n.SendDigests(ctx); k != 0 {
			t.Fatal("digest before a day")
		}
		clk.Add(notify.DigestAge)
		if k, err := n.SendDigests(ctx); k != 1 || err != nil {
			t.Fatalf("digests %d %v", k, err)
		}
		if k, _ := n.SendDigests(ctx); k != 0 {
			t.Fatal("digest sent twice")
		}
		q.RunOnce(ctx)
		got = srv.Messages()
		if len(got) != 3 || got[2].To[0] != "later@example.org" {
			t.Fatalf("digest mail: %d", len(got))
		}
		if subj, b := body(t, got[2]); !strings.Contains(subj, "daily summary (1)") || !strings.Contains(b, "Re: Picnic") {
			t.Errorf("digest %q\n%s", subj, b)
		}
	})
}
