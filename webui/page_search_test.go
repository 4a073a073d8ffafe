package webui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/activity"
	"plaza/core/coretest"
	"plaza/core/links"
	"plaza/core/search"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/core/wiki"
	"plaza/webui"
)

// TestSearchWikiLinksActivityOverHTTP drives the API and pages of search,
// the activity feed, the wiki and links through a real server: ann writes
// a wiki page three times and restores version 1, adds a link; bob, a
// member without access to ann's folders, finds nothing of it.
func TestSearchWikiLinksActivityOverHTTP(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accts := account.New(db, nil)
		spaces := space.New(db, nil)
		sp, err := spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "Team"})
		if err != nil {
			t.Fatal(err)
		}
		for _, login := range []string{"ann", "bob"} {
			a, err := accts.Create(ctx, account.NewAccount{Login: login, Name: strings.ToUpper(login), Password: login + "-password"})
			if err != nil {
				t.Fatal(err)
			}
			if err := spaces.SetMember(ctx, sp.ID, a.ID, space.RoleMember); err != nil {
				t.Fatal(err)
			}
		}
		engine := acl.New(db)
		blobs := testBlobs(t, db)
		idx := search.NewIndexer(db, blobs, nil)
		h, err := webui.New(webui.Options{Accounts: accts, Spaces: spaces, Tasks: task.New(db, engine, nil), ACL: engine,
			Blobs: blobs, Settings: settings.New(db), Logger: coretest.Logger(t), BaseURL: "http://plaza.test",
			ContentOptions: webui.ContentOptions{Search: search.New(db), Activity: activity.New(db, nil),
				Wiki: wiki.New(db, engine, nil), Links: links.New(db, engine, blobs, nil)}})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		ann := &client{t, srv.URL, &http.Client{Transport: basicAuth{"ann", "ann-password"}}}
		bob := &client{t, srv.URL, &http.Client{Transport: basicAuth{"bob", "bob-password"}}}
		call := func(c *client, method, path, body string, want int, out any) string {
			t.Helper()
			code, resp := c.do(method, path, body)
			if code != want {
				t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, resp)
			}
			if out != nil {
				if err := json.Unmarshal([]byte(resp), out); err != nil {
					t.Fatalf("%s %s: %v in %s", method, path, err, resp)
				}
			}
			return resp
		}
		var folder, page, link struct {
			ID      int64 `json:"id"`
			Version int   `json:"version"`
		}
		call(ann, "POST", fmt.Sprintf("/api/v1/spaces/%d/wiki/folders", sp.ID), `{"name":"Private","members":"none"}`, 201, &folder)
		call(ann, "POST", fmt.Sprintf("/api/v1/wiki/folders/%d/pages", folder.ID), `{"title":"Plan","body":"first draft of the heliotrope plan"}`, 201, &page)
		for i, text := range []string{"second draft", "third draft"} {
			call(ann, "PUT", fmt.Sprintf("/api/v1/wiki/pages/%d", page.ID), fmt.Sprintf(`{"title":"Plan","body":%q,"base_version":%d}`, text, i+1), 200, &page)
		}
		var versions struct {
			Versions []wiki.Version `json:"versions"`
		}
		call(ann, "GET", fmt.Sprintf("/api/v1/wiki/pages/%d/versions", page.ID), "", 200, &versions)
		if len(versions.Versions) != 3 {
			t.Fatalf("three saves, %d versions", len(versions.Versions))
		}
		call(ann, "POST", fmt.Sprintf("/api/v1/wiki/pages/%d/versions/1/restore", page.ID), "", 200, &page)
		var got struct {
			Page wiki.Page `json:"page"`
			HTML string    `json:"html"`
		}
		call(ann, "GET", fmt.Sprintf("/api/v1/wiki/pages/%d", page.ID), "", 200, &got)
		if got.Page.Version != 4 || got.Page.Body != "first draft of the heliotrope plan" || !strings.Contains(got.HTML, "<p>first draft") {
			t.Errorf("after restoring version 1: %+v", got)
		}
		call(bob, "GET", fmt.Sprintf("/api/v1/wiki/pages/%d", page.ID), "", 404, nil)
		call(bob, "PUT", fmt.Sprintf("/api/v1/wiki/pages/%d", page.ID), `{"title":"x","body":"y"}`, 404, nil)

		var lf struct {
			ID int64 `json:"id"`
		}
		call(ann, "POST", fmt.Sprintf("/api/v1/spaces/%d/links/folders", sp.ID), `{"name":"Bookmarks","members":"none"}`, 201, &lf)
		call(ann, "POST", fmt.Sprintf("/api/v1/linkfolders/%d/links", lf.ID), `{"url":"https://example.org/heliotrope","title":"Heliotrope site","tags":["ref"]}`, 201, &link)
		call(ann, "POST", fmt.Sprintf("/api/v1/links/%d/attachments?name=brief.txt", link.ID), "", 201, nil)
		call(ann, "POST", fmt.Sprintf("/api/v1/linkfolders/%d/links", lf.ID), `{"url":"javascript:alert(1)"}`, 400, nil)
		call(bob, "GET", fmt.Sprintf("/api/v1/linkfolders/%d/links", lf.ID), "", 404, nil)
		// Grants: bob may not change them; ann opens a second folder to bob.
		var shared struct {
			ID int64 `json:"id"`
		}
		call(ann, "POST", fmt.Sprintf("/api/v1/spaces/%d/links/folders", sp.ID), `{"name":"Shared","members":"none"}`, 201, &shared)
		call(bob, "PUT", fmt.Sprintf("/api/v1/linkfolders/%d/grants", shared.ID), `{"grants":[]}`, 404, nil)
		call(ann, "PUT", fmt.Sprintf("/api/v1/linkfolders/%d/grants", shared.ID), `{"grants":[{"principal_kind":"space","principal_id":`+fmt.Sprint(sp.ID)+`,"level":"limited"}]}`, 204, nil)
		call(ann, "PUT", fmt.Sprintf("/api/v1/linkfolders/%d/grants", shared.ID), `{"grants":[{"principal_kind":"space","principal_id":1,"level":"boss"}]}`, 400, nil)
		call(bob, "POST", fmt.Sprintf("/api/v1/linkfolders/%d/links", shared.ID), `{"url":"https://example.org/bob"}`, 201, nil)
		call(bob, "GET", fmt.Sprintf("/api/v1/linkfolders/%d/grants", shared.ID), "", 403, nil)
		if resp := call(ann, "GET", fmt.Sprintf("/api/v1/linkfolders/%d/grants", shared.ID), "", 200, nil); !strings.Contains(resp, `"level":"limited"`) {
			t.Errorf("grants: %s", resp)
		}
		call(ann, "GET", fmt.Sprintf("/api/v1/wiki/folders/%d/grants", folder.ID), "", 200, nil)

		if _, err := idx.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		var res struct {
			Total int `json:"total"`
			Hits  []struct {
				Kind    string `json:"kind"`
				Title   string `json:"title"`
				Snippet string `json:"snippet"`
				URL     string `json:"url"`
			} `json:"hits"`
		}
		call(ann, "GET", "/api/v1/search?q=heliotrope", "", 200, &res)
		if res.Total != 2 {
			t.Errorf("ann finds %d items, want the page and the link: %+v", res.Total, res)
		}
		call(ann, "GET", "/api/v1/search?q=heliotrope&module=wiki&space=team", "", 200, &res)
		if res.Total != 1 || res.Hits[0].URL != fmt.Sprintf("/s/team/wiki/page/%d", page.ID) || strings.Contains(res.Hits[0].Snippet, "\x02") {
			t.Errorf("ann's wiki hit: %+v", res)
		}
		call(bob, "GET", "/api/v1/search?q=heliotrope", "", 200, &res)
		if res.Total != 0 || len(res.Hits) != 0 {
			t.Errorf("bob finds ann's private items: %+v", res)
		}
		call(bob, "GET", "/api/v1/search?q=", "", 400, nil)
		call(bob, "GET", "/api/v1/search?q=x&from=yesterday", "", 400, nil)

		var evs struct {
			Events []activity.Event `json:"events"`
		}
		call(ann, "GET", "/api/v1/activity?module=wiki", "", 200, &evs)
		if len(evs.Events) < 4 {
			t.Errorf("ann's wiki activity: %d events, want the creation and three changes", len(evs.Events))
		}
		call(bob, "GET", "/api/v1/activity", "", 200, &evs)
		for _, e := range evs.Events {
			if (e.Kind == "wiki" && e.RefID == page.ID) || (e.Kind == "link" && e.RefID == link.ID) {
				t.Errorf("bob sees ann's private activity: %+v", e)
			}
		}
		if len(evs.Events) != 1 {
			t.Errorf("bob's feed: %d events, want his own link only", len(evs.Events))
		}
		var feed struct {
			Token string `json:"token"`
			URL   string `json:"url"`
		}
		call(ann, "POST", "/api/v1/activity/feed-token", "", 201, &feed)
		if !strings.HasPrefix(feed.URL, "http://plaza.test/feed/") {
			t.Errorf("feed URL %q", feed.URL)
		}
		anon := &client{t, srv.URL, http.DefaultClient}
		atom := call(anon, "GET", "/feed/"+feed.Token, "", 200, nil)
		if !strings.Contains(atom, `<feed xmlns="http://www.w3.org/2005/Atom">`) || !strings.Contains(atom, "Heliotrope site") || !strings.Contains(atom, "Plan") {
			t.Errorf("feed: %s", atom)
		}
		call(anon, "GET", "/feed/"+feed.Token+"x", "", 404, nil)

		// Pages render for the reader.
		for _, path := range []string{"/search?q=heliotrope", "/activity", "/s/team/activity?module=wiki", "/s/team/wiki", fmt.Sprintf("/s/team/wiki/page/%d", page.ID),
			fmt.Sprintf("/s/team/wiki/page/%d/history?from=1&to=3", page.ID), "/s/team/links", fmt.Sprintf("/s/team/links/%d", lf.ID)} {
			resp := call(ann, "GET", path, "", 200, nil)
			if !strings.Contains(resp, "</main>") {
				t.Errorf("%s: no page", path)
			}
			if strings.Contains(resp, "[search.") || strings.Contains(resp, "[wiki.") || strings.Contains(resp, "[links.") || strings.Contains(resp, "[activity.") {
				t.Errorf("%s: untranslated key", path)
			}
		}
		if resp := call(ann, "GET", "/search?q=heliotrope", "", 200, nil); !strings.Contains(resp, "<mark>heliotrope</mark>") {
			t.Errorf("search page without highlights")
		}
		if resp := call(bob, "GET", "/search?q=heliotrope", "", 200, nil); strings.Contains(resp, "Heliotrope") {
			t.Errorf("bob's search page shows ann's link")
		}
		call(bob, "GET", fmt.Sprintf("/s/team/wiki/page/%d", page.ID), "", 404, nil)
		if resp := call(ann, "GET", "/s/team/activity?module=wiki", "", 200, nil); !strings.Contains(resp, ">Plan</a>") {
			t.Errorf("the space's activity page lacks the wiki page")
		}
		if resp := call(bob, "GET", "/s/team/activity", "", 200, nil); strings.Contains(resp, ">Plan</a>") || strings.Contains(resp, "Heliotrope") {
			t.Errorf("bob's activity page shows ann's private items")
		}
	})
}
