package webui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/coretest"
	"plaza/core/files"
	"plaza/core/poll"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/webui"
)

func start(t testing.TB, db *store.DB) *httptest.Server {
	accts := account.New(db, nil)
	if _, err := accts.Create(context.Background(), account.NewAccount{Login: "ann", Password: "ann-password"}); err != nil {
		t.Fatal(err)
	}
	h, err := webui.New(webui.Options{Accounts: accts, Spaces: space.New(db, nil), Tasks: task.New(db, acl.New(db), nil), Polls: poll.New(db, nil), ACL: acl.New(db), Blobs: testBlobs(t, db), Files: files.New(files.Options{DB: db, Blobs: testBlobs(t, db)}),
		Settings: settings.New(db), Logger: coretest.Logger(t), BaseURL: "http://localhost",
		Jitsi: webui.JitsiOptions{URL: "https://meet.example"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func (c *client) do(method, path, body string, hdr ...string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSessionLoginCSRFLogout(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		srv := start(t, db)
		jar, _ := cookiejar.New(nil)
		c := &client{t, srv.URL, &http.Client{Jar: jar}}

		if code, _ := c.do("GET", "/api/v1/me", ""); code != 401 {
			t.Errorf("me without credentials: %d", code)
		}
		if code, _ := c.do("POST", "/api/v1/session", `{"login":"ann","password":"wrong-password"}`); code != 401 {
			t.Errorf("login with a wrong password: %d", code)
		}
		code, body := c.do("POST", "/api/v1/session", `{"login":"ann","password":"ann-password"}`)
		if code != 200 {
			t.Fatalf("login: %d %s", code, body)
		}
		var sess struct {
			CSRFToken string `json:"csrf_token"`
		}
		json.Unmarshal([]byte(body), &sess)
		if sess.CSRFToken == "" {
			t.Fatal("no CSRF token")
		}
		if code, body := c.do("GET", "/api/v1/me", ""); code != 200 || !strings.Contains(body, `"login":"ann"`) {
			t.Errorf("me with the cookie: %d %s", code, body)
		}
		// An unsafe request with the cookie but without the token: refused.
		if code, _ := c.do("DELETE", "/api/v1/session", ""); code != 403 {
			t.Errorf("logout without CSRF token: %d, want 403", code)
		}
		if code, _ := c.do("DELETE", "/api/v1/session", "", "X-CSRF-Token", "forged"); code != 403 {
			t.Errorf("logout with a forged CSRF token: %d, want 403", code)
		}
		// A cross-site request is refused whatever it carries.
		if code, _ := c.do("DELETE", "/api/v1/session", "", "X-CSRF-Token", sess.CSRFToken, "Sec-Fetch-Site", "cross-site"); code != 403 {
			t.Errorf("cross-site logout: %d, want 403", code)
		}
		if code, _ := c.do("DELETE", "/api/v1/session", "", "X-CSRF-Token", sess.CSRFToken); code != 204 {
			t.Errorf("logout: %d", code)
		}
		if code, _ := c.do("GET", "/api/v1/me", ""); code != 401 {
			t.Errorf("me after logout: %d", code)
		}
	})
}

func TestBadInput(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	srv := start(t, db)
	c := &client{t, srv.URL, http.DefaultClient}
	for _, tc := range []struct {
		body, ctype string
		want        int
	}{
		{`{"login":"ann"`, "application/json", 400},
		{`{"login":"ann","password":"ann-password","extra":1}`, "application/json", 400},
		{`{"login":"ann","password":"ann-password"} {}`, "application/json", 400},
		{`login=ann`, "application/x-www-form-urlencoded", 400},
		{`{"login":"` + strings.Repeat("a", 2<<20) + `"}`, "application/json", 413},
	} {
		code, body := c.do("POST", "/api/v1/session", tc.body, "Content-Type", tc.ctype)
		if code != tc.want || !strings.Contains(body, `"error"`) {
			t.Errorf("body %.40q: %d %s, want %d with a reason", tc.body, code, body, tc.want)
		}
	}
	if code, _ := c.do("GET", "/api/v1/nothing-here", ""); code != 404 {
		t.Errorf("unknown API path: %d", code)
	}
	// The reason comes twice: in English for scripts, and for a person
	// in the browser's language, through the catalogue.
	for lang, want := range map[string]string{
		"fr-FR,fr;q=0.9": `"message":"Données en trop après la valeur JSON."`,
		"en":             `"message":"Trailing data after the JSON value."`,
	} {
		code, body := c.do("POST", "/api/v1/session", `{"login":"ann","password":"ann-password"} {}`, "Accept-Language", lang)
		if code != 400 || !strings.Contains(body, want) || !strings.Contains(body, `"error":"trailing data after the JSON value"`) {
			t.Errorf("reason in %s: %d %s, want %s", lang, code, body, want)
		}
	}
	if code, body := c.do("GET", "/api/v1/me", "", "Accept-Language", "fr"); code != 401 || !strings.Contains(body, `"message":"Connexion requise"`) {
		t.Errorf("401 in French: %d %s", code, body)
	}
	if code, _ := c.do("GET", "/api/v1/spaces", ""); code != 200 {
		t.Errorf("anonymous space list: %d", code)
	}
}

func TestPagesInFrench(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	srv := start(t, db)
	ctx := context.Background()
	accts := account.New(db, nil)
	ann, _ := accts.ByLogin(ctx, "ann")
	accts.UpdateProfile(ctx, ann.ID, account.Profile{Name: "Ann", Language: "fr", Timezone: "Europe/Paris", DateFormat: "dmy"})
	sp, _ := space.New(db, nil).Create(ctx, space.NewSpace{Slug: "equipe", Name: "Équipe"})
	space.New(db, nil).SetMember(ctx, sp.ID, ann.ID, space.RoleAdmin)
	list, _ := task.New(db, acl.New(db), nil).CreateList(ctx, ann.Subject(), sp.ID, "Projet", nil)
	task.New(db, acl.New(db), nil).Add(ctx, ann.Subject(), list.ID, task.Input{Title: "Rédiger", DueDate: "2026-12-24"})

	jar, _ := cookiejar.New(nil)
	c := &client{t, srv.URL, &http.Client{Jar: jar}}
	form := "login=ann&password=ann-password"
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for path, want := range map[string][]string{
		"/spaces":         {"Vos espaces", "Équipe"},
		"/s/equipe":       {"Tableau de bord", "Administrateur de l'espace"},
		"/s/equipe/tasks": {"Nouvelle liste de tâches"},
		fmt.Sprintf("/s/equipe/tasks/%d", list.ID):       {"À faire", "24/12/2026", "Ajouter la tâche"},
		fmt.Sprintf("/s/equipe/tasks/%d/gantt", list.ID): {"Chronologie"},
		"/s/equipe/video": {"Rejoindre l'appel"},
		"/profile":        {"Fuseau horaire"},
		"/s/nowhere":      {"Introuvable"},
	} {
		_, body := c.do("GET", path, "")
		for _, w := range want {
			if !strings.Contains(html.UnescapeString(body), w) {
				t.Errorf("%s lacks %q", path, w)
			}
		}
		if strings.Contains(body, "[") && regexp.MustCompile(`\[[a-z_]+\.[a-z_.]+\]`).MatchString(body) {
			t.Errorf("%s shows a missing key", path)
		}
		if !strings.Contains(body, `<html lang="fr">`) {
			t.Errorf("%s is not marked French", path)
		}
	}
}

func TestTaskAPI(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		srv := start(t, db)
		ctx := context.Background()
		accts := account.New(db, nil)
		ann, _ := accts.ByLogin(ctx, "ann")
		rita, _ := accts.Create(ctx, account.NewAccount{Login: "rita", Password: "rita-password"})
		spaces := space.New(db, nil)
		sp, _ := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		spaces.SetMember(ctx, sp.ID, ann.ID, space.RoleMember)
		spaces.SetMember(ctx, sp.ID, rita.ID, space.RoleMember)
		tasks := task.New(db, acl.New(db), nil)
		list, _ := tasks.CreateList(ctx, ann.Subject(), sp.ID, "L", nil) // members: limited
		a, _ := tasks.Add(ctx, ann.Subject(), list.ID, task.Input{Title: "a"})
		b, _ := tasks.Add(ctx, ann.Subject(), list.ID, task.Input{Title: "b"})

		basic := func(user, pass string) *client {
			return &client{t, srv.URL, &http.Client{Transport: basicAuth{user, pass}}}
		}
		order := fmt.Sprintf(`{"order":[%d,%d]}`, b.ID, a.ID)
		path := fmt.Sprintf("/api/v1/tasklists/%d/order", list.ID)
		if code, body := basic("rita", "rita-password").do("PUT", path, order); code != 403 {
			t.Errorf("limited member reorders: %d %s", code, body)
		}
		if code, body := basic("ann", "ann-password").do("PUT", path, order); code != 204 {
			t.Errorf("owner reorders: %d %s", code, body)
		}
		code, body := basic("rita", "rita-password").do("GET", fmt.Sprintf("/api/v1/tasklists/%d/tasks", list.ID), "")
		if code != 200 || strings.Index(body, `"title":"b"`) > strings.Index(body, `"title":"a"`) {
			t.Errorf("tasks after reorder: %d %s", code, body)
		}
		if code, _ := basic("rita", "rita-password").do("PUT", path, `{"order":"nope"}`); code != 400 {
			t.Errorf("bad JSON: %d", code)
		}
		if code, _ := basic("rita", "rita-password").do("GET", "/api/v1/tasklists/999999/tasks", ""); code != 404 {
			t.Errorf("unknown list: %d", code)
		}
	})
}

type basicAuth struct{ user, pass string }

func (b basicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b.user, b.pass)
	return http.DefaultTransport.RoundTrip(r)
}

func testBlobs(t testing.TB, db *store.DB) *blob.Store {
	bs, err := blob.New(blob.Options{Dir: t.TempDir(), DB: db})
	if err != nil {
		t.Fatal(err)
	}
	return bs
}
