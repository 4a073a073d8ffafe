package webui_test

import (
	"bytes"
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/admin"
	"plaza/core/coretest"
	"plaza/core/poll"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/webui"
)

// syncBuffer is a log destination the test reads while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// startEmpty serves the web UI over an empty database, with the
// administration a fresh owner needs to create a space; it returns the
// server and its log.
func startEmpty(t *testing.T, db *store.DB) (*httptest.Server, *syncBuffer) {
	accts, spaces, st := account.New(db, nil), space.New(db, nil), settings.New(db)
	logs := &syncBuffer{}
	blobs := testBlobs(t, db)
	h, err := webui.New(webui.Options{Accounts: accts, Spaces: spaces, Tasks: task.New(db, acl.New(db), nil), Polls: poll.New(db, nil),
		ACL: acl.New(db), Blobs: blobs, Settings: st, Logger: slog.New(slog.NewTextHandler(logs, nil)), BaseURL: "http://plaza.example",
		Jitsi:        webui.JitsiOptions{URL: "https://meet.example"},
		AdminOptions: webui.AdminOptions{Admin: admin.New(db, admin.Options{Accounts: accts, Spaces: spaces, Settings: st, Blobs: blobs})}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, logs
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func postForm(t *testing.T, c *http.Client, u string, form url.Values, hdr ...string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(t, c, req, hdr...)
}

func getPage(t *testing.T, c *http.Client, u string, hdr ...string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	return send(t, c, req, hdr...)
}

// send does req with the extra headers and returns its status, Location
// and body.
func send(t *testing.T, c *http.Client, req *http.Request, hdr ...string) (int, string, string) {
	t.Helper()
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), b.String()
}

// First run in the browser: an empty platform sends its first visitor to
// a setup page that creates the owner and the first space, once. From
// another machine (here: a request a proxy forwarded) it needs the token
// the server logged.
func TestFirstRunSetup(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		srv, logs := startEmpty(t, db)
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: noRedirect}
		for _, p := range []string{"/", "/login"} {
			if code, loc, _ := getPage(t, c, srv.URL+p); code != 303 || loc != "/setup" {
				t.Errorf("GET %s on an empty platform: %d → %q, want the setup page", p, code, loc)
			}
		}
		if code, _, body := getPage(t, c, srv.URL+"/setup"); code != 200 || !strings.Contains(body, `name="space_slug"`) {
			t.Fatalf("setup page from loopback: %d", code)
		}
		fwd := []string{"X-Forwarded-For", "203.0.113.9"}
		if code, _, _ := getPage(t, c, srv.URL+"/setup", fwd...); code != 403 {
			t.Errorf("setup page forwarded from elsewhere without the token: %d, want 403", code)
		}
		m := regexp.MustCompile(`/setup\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(logs.String())
		if m == nil {
			t.Fatalf("no setup address in the log:\n%s", logs)
		}
		token := m[1]
		if code, _, _ := getPage(t, c, srv.URL+"/setup?token=wrong", fwd...); code != 403 {
			t.Errorf("setup page with a wrong token: %d, want 403", code)
		}
		if code, _, body := getPage(t, c, srv.URL+"/setup?token="+token, fwd...); code != 200 || !strings.Contains(body, token) {
			t.Errorf("setup page with the token: %d", code)
		}
		form := url.Values{"token": {token}, "login": {"olga"}, "name": {"Olga Owner"}, "password": {"olga-password"},
			"password2": {"other-password"}, "space_name": {"The Team"}, "space_slug": {"team"}}
		if code, _, body := postForm(t, c, srv.URL+"/setup", form, fwd...); code != 400 || !strings.Contains(body, "The two passwords differ") {
			t.Errorf("passwords that differ: %d", code)
		}
		form.Set("password2", "olga-password")
		form.Set("token", "wrong")
		if code, _, _ := postForm(t, c, srv.URL+"/setup", form, fwd...); code != 403 {
			t.Errorf("setup with a wrong token: %d, want 403", code)
		}
		form.Set("token", token)
		code, loc, body := postForm(t, c, srv.URL+"/setup", form, fwd...)
		if code != 303 || loc != "/s/team" {
			t.Fatalf("setup: %d → %q %s", code, loc, body)
		}
		if code, _, body := getPage(t, c, srv.URL+"/s/team"); code != 200 || !strings.Contains(body, "The Team") || !strings.Contains(body, "Olga Owner") {
			t.Errorf("the owner lands in the new space signed in: %d", code)
		}
		a, err := account.New(db, nil).ByLogin(context.Background(), "olga")
		if err != nil || a.Type != "owner" {
			t.Fatalf("olga: %v %+v", err, a)
		}
		// Once done, the page is gone and cannot make a second owner.
		anon := &http.Client{CheckRedirect: noRedirect}
		if code, loc, _ := getPage(t, anon, srv.URL+"/setup"); code != 303 || loc != "/login" {
			t.Errorf("setup page after setup: %d → %q", code, loc)
		}
		form.Set("login", "mallory")
		if code, loc, _ := postForm(t, anon, srv.URL+"/setup", form); code != 303 || loc != "/login" {
			t.Errorf("second setup: %d → %q", code, loc)
		}
		if _, err := account.New(db, nil).ByLogin(context.Background(), "mallory"); err == nil {
			t.Error("a second setup created an account")
		}
		if code, _, _ := getPage(t, anon, srv.URL+"/login"); code != 200 {
			t.Errorf("login page after setup: %d", code)
		}
	})
}

// A fresh owner with no space gets a form that creates one; a member of no
// space is told what to do.
func TestEmptySpacesSayWhatNext(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	srv, _ := startEmpty(t, db)
	ctx := context.Background()
	accts := account.New(db, nil)
	accts.Create(ctx, account.NewAccount{Login: "olga", Password: "olga-password"})
	accts.Create(ctx, account.NewAccount{Login: "bob", Password: "bob-password"})
	login := func(who string) *http.Client {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: noRedirect}
		if code, _, _ := postForm(t, c, srv.URL+"/login", url.Values{"login": {who}, "password": {who + "-password"}}); code != 303 {
			t.Fatalf("login %s: %d", who, code)
		}
		return c
	}
	bob := login("bob")
	if _, _, body := getPage(t, bob, srv.URL+"/spaces"); !strings.Contains(body, "Ask an administrator") || strings.Contains(body, `action="/admin/spaces"`) {
		t.Error("a member of no space is not told what to do, or sees the space form")
	}
	olga := login("olga")
	_, _, body := getPage(t, olga, srv.URL+"/spaces")
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if !strings.Contains(body, `action="/admin/spaces"`) || csrf == nil {
		t.Fatal("a fresh owner has no form to create a space")
	}
	code, loc, _ := postForm(t, olga, srv.URL+"/admin/spaces", url.Values{"_csrf": {csrf[1]}, "name": {"The Team"}, "slug": {"team"}})
	if code != 303 {
		t.Fatalf("create a space from the empty state: %d", code)
	}
	if _, _, body := getPage(t, olga, srv.URL+"/spaces"); !strings.Contains(body, `href="/s/team"`) {
		t.Errorf("the new space (%s) is not listed", loc)
	}
	if code, _, body := getPage(t, olga, srv.URL+"/favicon.ico"); code != 200 || !strings.Contains(body, "<svg") {
		t.Errorf("/favicon.ico: %d", code)
	}
}

// Error details go through the catalogue: a French reader gets the reason
// in French, and no raw English one.
func TestErrorDetailsInFrench(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	srv := start(t, db)
	ctx := context.Background()
	accts := account.New(db, nil)
	ann, _ := accts.ByLogin(ctx, "ann")
	accts.UpdateProfile(ctx, ann.ID, account.Profile{Name: "Ann", Language: "fr", Timezone: "Europe/Paris", DateFormat: "dmy"})
	sp, _ := space.New(db, nil).Create(ctx, space.NewSpace{Slug: "equipe"})
	space.New(db, nil).SetMember(ctx, sp.ID, ann.ID, space.RoleAdmin)
	list, _ := task.New(db, acl.New(db), nil).CreateList(ctx, ann.Subject(), sp.ID, "Projet", nil)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	postForm(t, c, srv.URL+"/login", url.Values{"login": {"ann"}, "password": {"ann-password"}})
	for path, want := range map[string]string{
		"/s/equipe/tasks/" + itoa(list.ID) + "?min=500": "Le filtre d'avancement va de 0 à 100.",
		"/s/equipe/tasks/99999":                         "Introuvable",
	} {
		code, _, body := getPage(t, c, srv.URL+path)
		body = html.UnescapeString(body)
		if code < 400 || !strings.Contains(body, want) || strings.Contains(body, "must be") || strings.Contains(body, "bad ") {
			t.Errorf("%s: %d, want %q and no English", path, code, want)
		}
	}
}
