package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"plaza/core/coretest"
)

// TestFederationFromTheProduct drives federation as a user does, through
// two `plaza serve` processes: a category made public from the API gets
// its Group actor and handle; the other server's administrator follows
// it from the API into a space, topics arrive, the follow is undone; the
// category made private again from its page stops being an actor.
func TestFederationFromTheProduct(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			a, b := newInstance(t, d), newInstance(t, d)
			a.run("ann-password\n", "user", "add", "ann")
			a.run("", "space", "add", "pub", "--public")
			a.run("", "space", "member", "pub", "ann", "--role", "admin")
			b.run("bob-password\n", "user", "add", "bob")
			b.run("", "space", "add", "team")
			b.run("", "space", "member", "team", "bob", "--role", "admin")
			sa, sb := a.serve("PLAZA_FEDERATION_INSECURE=1"), b.serve("PLAZA_FEDERATION_INSECURE=1")
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			do := func(base, user, method, path, ctype, body string) (*http.Response, string) {
				t.Helper()
				req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
				if ctype != "" {
					req.Header.Set("Content-Type", ctype)
				}
				if user != "" {
					req.SetBasicAuth(user, user+"-password")
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp, string(b)
			}
			form := "application/x-www-form-urlencoded"
			resp, body := do(sa.url, "ann", "POST", "/s/pub/forum", form, url.Values{"slug": {"general"}, "name": {"General"}}.Encode())
			var catID int64
			if _, err := fmt.Sscanf(resp.Header.Get("Location"), "/s/pub/forum/%d", &catID); err != nil {
				t.Fatalf("category page form: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			group := "/ap/groups/pub.general"
			if resp, _ := do(sa.url, "", "GET", group, "", ""); resp.StatusCode != 404 {
				t.Fatalf("a members' category is an actor: %d", resp.StatusCode)
			}
			if resp, body := do(sa.url, "ann", "PUT", fmt.Sprintf("/api/v1/forum/categories/%d/public", catID), "application/json", `{}`); resp.StatusCode != 400 {
				t.Fatalf("PUT public without a value: %d %s", resp.StatusCode, body)
			}
			if resp, body := do(sa.url, "ann", "PUT", fmt.Sprintf("/api/v1/forum/categories/%d/public", catID), "application/json", `{"public":true}`); resp.StatusCode != 204 {
				t.Fatalf("make public: %d %s", resp.StatusCode, body)
			}
			hostA := strings.TrimPrefix(sa.url, "http://")
			if resp, body := do(sa.url, "", "GET", "/.well-known/webfinger?resource=acct:pub.general@"+hostA, "", ""); resp.StatusCode != 200 || !strings.Contains(body, group) {
				t.Fatalf("webfinger of the public category: %d %s", resp.StatusCode, body)
			}
			if _, page := do(sa.url, "ann", "GET", fmt.Sprintf("/s/pub/forum/%d", catID), "", ""); !strings.Contains(page, "@pub.general@"+hostA) {
				t.Fatalf("the category page does not show its handle:\n%s", page)
			}

			// bob follows it from the API into his space.
			_, body = do(sb.url, "bob", "GET", "/api/v1/spaces", "", "")
			var spaces struct{ Spaces []struct{ ID int64 } }
			if err := json.Unmarshal([]byte(body), &spaces); err != nil || len(spaces.Spaces) != 1 {
				t.Fatalf("spaces: %s", body)
			}
			follows := fmt.Sprintf("/api/v1/spaces/%d/follows", spaces.Spaces[0].ID)
			if resp, body := do(sb.url, "bob", "POST", follows, "application/json", `{"handle":""}`); resp.StatusCode != 400 {
				t.Fatalf("follow without a handle: %d %s", resp.StatusCode, body)
			}
			if resp, body := do(sb.url, "bob", "POST", follows, "application/json", `{"handle":"nobody@127.0.0.1:1"}`); resp.StatusCode != 400 {
				t.Fatalf("follow of an unreachable server: %d %s", resp.StatusCode, body)
			}
			resp, body = do(sb.url, "bob", "POST", follows, "application/json", `{"handle":"pub.general@`+hostA+`"}`)
			var f struct {
				ActorID    string `json:"actor_id"`
				CategoryID int64  `json:"category_id"`
			}
			if err := json.Unmarshal([]byte(body), &f); resp.StatusCode != 201 || err != nil || f.CategoryID == 0 {
				t.Fatalf("follow: %d %s", resp.StatusCode, body)
			}
			waitFor := func(what string, cond func() bool) {
				t.Helper()
				deadline := time.Now().Add(30 * time.Second)
				for !cond() {
					if time.Now().After(deadline) {
						t.Fatal("timed out: " + what)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			waitFor("the group has its follower", func() bool {
				_, body := do(sa.url, "", "GET", group+"/followers", "", "")
				return strings.Contains(body, `"totalItems":1`)
			})
			// A topic opened on A's page reaches B's mirror category.
			do(sa.url, "ann", "POST", fmt.Sprintf("/s/pub/forum/%d", catID), form, url.Values{"title": {"Hello from A"}, "body": {"first"}}.Encode())
			waitFor("the topic reaches B", func() bool {
				_, page := do(sb.url, "bob", "GET", fmt.Sprintf("/s/team/forum/%d", f.CategoryID), "", "")
				return strings.Contains(page, "Hello from A")
			})
			if resp, body := do(sb.url, "bob", "DELETE", follows+"?actor="+url.QueryEscape(f.ActorID), "", ""); resp.StatusCode != 204 {
				t.Fatalf("unfollow: %d %s", resp.StatusCode, body)
			}
			if resp, _ := do(sb.url, "bob", "DELETE", follows+"?actor="+url.QueryEscape(f.ActorID), "", ""); resp.StatusCode != 404 {
				t.Fatalf("second unfollow: %d", resp.StatusCode)
			}
			// Private again, from the category page's form.
			if resp, body := do(sa.url, "ann", "POST", fmt.Sprintf("/s/pub/forum/public/%d", catID), form, ""); resp.StatusCode != 303 {
				t.Fatalf("make private from the page: %d %s", resp.StatusCode, body)
			}
			if resp, _ := do(sa.url, "", "GET", group, "", ""); resp.StatusCode != 404 {
				t.Fatalf("a private category is still an actor: %d", resp.StatusCode)
			}
		})
	}
}
