package webui_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/files"
	"plaza/core/forum"
	pmail "plaza/core/mail"
	"plaza/core/news"
	"plaza/core/newsletter"
	"plaza/core/notify"
	"plaza/core/poll"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/core/wiki"
	"plaza/webui"
)

// writingWorld is a server with the writing modules (forum, news, wiki,
// newsletter) and notifications: ann administers "team", rita and bob
// are members, eve is in no space.
type writingWorld struct {
	srv    *httptest.Server
	db     *store.DB
	team   *space.Space
	notify *notify.Service
	forum  *forum.Service
	news   *news.Service
	wiki   *wiki.Service
	people map[string]*account.Account
}

func startWriting(t *testing.T, db *store.DB) *writingWorld {
	t.Helper()
	ctx := context.Background()
	accts := account.New(db, nil)
	spaces := space.New(db, nil)
	engine := acl.New(db)
	w := &writingWorld{db: db, people: map[string]*account.Account{}}
	for _, p := range []struct{ login, name string }{{"ann", "Ann Admin"}, {"rita", "Rita Member"}, {"bob", "Bob Member"}, {"eve", "Eve Outsider"}} {
		a, err := accts.Create(ctx, account.NewAccount{Login: p.login, Name: p.name, Email: p.login + "@example.org", Password: "password-" + p.login})
		if err != nil {
			t.Fatal(err)
		}
		w.people[p.login] = a
	}
	w.team, _ = spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "The Team"})
	spaces.SetMember(ctx, w.team.ID, w.people["ann"].ID, space.RoleAdmin)
	spaces.SetMember(ctx, w.team.ID, w.people["rita"].ID, space.RoleMember)
	spaces.SetMember(ctx, w.team.ID, w.people["bob"].ID, space.RoleMember)
	bs := testBlobs(t, db)
	q := pmail.New(db, pmail.Options{})
	tpl, err := pmail.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	w.forum = forum.New(db, forum.Options{Blobs: bs})
	w.news = news.New(db, news.Options{Blobs: bs})
	w.wiki = wiki.New(db, engine, nil)
	w.notify = notify.New(db, notify.Options{Queue: q, Templates: tpl, Forum: w.forum, BaseURL: "http://127.0.0.1"})
	w.forum.AddHook(w.notify)
	w.wiki.AddHook(w.notify)
	w.news.AddCommentHook(w.notify)
	o := webui.Options{Accounts: accts, Spaces: spaces, Tasks: task.New(db, engine, nil), Polls: poll.New(db, nil), ACL: engine, Blobs: bs,
		Files: files.New(files.Options{DB: db, Blobs: bs}), Forum: w.forum, News: w.news, Settings: settings.New(db),
		Logger: coretest.Logger(t), BaseURL: "http://127.0.0.1", Jitsi: webui.JitsiOptions{URL: "https://meet.example"}}
	o.Notify, o.Mail = w.notify, q
	o.Newsletters = newsletter.New(db, newsletter.Options{Spaces: spaces, Queue: q, Blobs: bs})
	o.Wiki = w.wiki
	h, err := webui.New(o)
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(h)
	t.Cleanup(w.srv.Close)
	return w
}

func (w *writingWorld) as(t *testing.T, login string) *client {
	return &client{t, w.srv.URL, &http.Client{Transport: basicAuth{login, "password-" + login}}}
}

// announce makes a notification for login's followers of a category.
func (w *writingWorld) tell(t *testing.T, login, title string) {
	t.Helper()
	err := w.db.Tx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		return w.notify.Notify(ctx, tx, notify.Note{AccountID: w.people[login].ID, Title: title, Path: "/s/team"})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The notification list over JSON: unread count, items newest first,
// marking read; each person sees only their own.
func TestInboxAPI(t *testing.T) {
	w := startWriting(t, coretest.OpenDB(t, store.SQLite))
	w.tell(t, "rita", "First")
	w.tell(t, "rita", "Second")
	rita := w.as(t, "rita")
	code, body := rita.do("GET", "/api/v1/notifications", "")
	if code != 200 || !strings.Contains(body, `"unread":2`) || strings.Index(body, "Second") > strings.Index(body, "First") {
		t.Fatalf("list: %d %s", code, body)
	}
	if code, body := w.as(t, "bob").do("GET", "/api/v1/notifications", ""); code != 200 || !strings.Contains(body, `{"items":[],"unread":0}`) {
		t.Errorf("bob's list: %d %s", code, body)
	}
	if code, _ := rita.do("POST", "/api/v1/notifications/read", `{"ids":"x"}`); code != 400 {
		t.Errorf("bad ids: %d", code)
	}
	if code, _ := rita.do("GET", "/api/v1/notifications?before=-1", ""); code != 400 {
		t.Errorf("bad before: %d", code)
	}
	if code, _ := rita.do("POST", "/api/v1/notifications/read", `{}`); code != 204 {
		t.Errorf("read all: %d", code)
	}
	if _, body := rita.do("GET", "/api/v1/notifications", ""); !strings.Contains(body, `"unread":0`) {
		t.Errorf("after reading: %s", body)
	}
	if code, _ := (&client{t, w.srv.URL, http.DefaultClient}).do("GET", "/api/v1/notifications", ""); code != 401 {
		t.Errorf("anonymous: %d", code)
	}
}
