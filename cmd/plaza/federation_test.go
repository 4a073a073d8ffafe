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
			do := newWeb(t).do
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
			waitFor(t, "the group has its follower", func() bool {
				_, body := do(sa.url, "", "GET", group+"/followers", "", "")
				return strings.Contains(body, `"totalItems":1`)
			})
			// A topic opened on A's page reaches B's mirror category.
			do(sa.url, "ann", "POST", fmt.Sprintf("/s/pub/forum/%d", catID), form, url.Values{"title": {"Hello from A"}, "body": {"first"}}.Encode())
			waitFor(t, "the topic reaches B", func() bool {
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

// web is a client of plaza's pages and API that does not follow redirects.
type web struct {
	t      *testing.T
	client *http.Client
}

func newWeb(t *testing.T) *web {
	return &web{t: t, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request as user (password user-password; "" for anonymous)
// and returns the response and its body.
func (w *web) do(base, user, method, path, ctype, body string) (*http.Response, string) {
	w.t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if user != "" {
		req.SetBasicAuth(user, user+"-password")
	}
	resp, err := w.client.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out: " + what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestFederationFollowersAndBlocks drives the rest of federation's product
// side through two `plaza serve` processes: a space shows its handles; an
// article made public after it was written reaches the space's followers;
// followers are listed to the space's administrators (not to members) and
// removed with a Reject the follower's server applies; an administrator's
// domain block ends the follows, stops deliveries and refuses the
// server's activities.
func TestFederationFollowersAndBlocks(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			a, b := newInstance(t, d), newInstance(t, d)
			a.run("root-password\n", "user", "add", "root", "--admin") // the first account owns the server
			a.run("ann-password\n", "user", "add", "ann")
			a.run("mia-password\n", "user", "add", "mia")
			a.run("", "space", "add", "pub", "--public")
			a.run("", "space", "member", "pub", "ann", "--role", "admin")
			a.run("", "space", "member", "pub", "mia")
			b.run("bob-password\n", "user", "add", "bob")
			b.run("", "space", "add", "team")
			b.run("", "space", "member", "team", "bob", "--role", "admin")
			sa, sb := a.serve("PLAZA_FEDERATION_INSECURE=1"), b.serve("PLAZA_FEDERATION_INSECURE=1")
			do := newWeb(t).do
			form := "application/x-www-form-urlencoded"
			hostA, hostB := strings.TrimPrefix(sa.url, "http://"), strings.TrimPrefix(sb.url, "http://")
			spaceID := func(base, user string) int64 {
				_, body := do(base, user, "GET", "/api/v1/spaces", "", "")
				var spaces struct{ Spaces []struct{ ID int64 } }
				if err := json.Unmarshal([]byte(body), &spaces); err != nil || len(spaces.Spaces) != 1 {
					t.Fatalf("spaces: %s", body)
				}
				return spaces.Spaces[0].ID
			}
			pubID, teamID := spaceID(sa.url, "ann"), spaceID(sb.url, "bob")
			if _, page := do(sa.url, "mia", "GET", "/s/pub", "", ""); !strings.Contains(page, "@pub@"+hostA) {
				t.Fatalf("the space page does not show its handle:\n%s", page)
			}
			type actors struct {
				Actors []struct {
					Kind      string
					ActorID   string `json:"actor_id"`
					Followers []struct {
						ActorID string `json:"actor_id"`
					}
				}
			}
			spaceActor := func(user string) (string, []string) {
				t.Helper()
				resp, body := do(sa.url, user, "GET", fmt.Sprintf("/api/v1/spaces/%d/fediverse", pubID), "", "")
				var as actors
				if err := json.Unmarshal([]byte(body), &as); resp.StatusCode != 200 || err != nil || len(as.Actors) != 1 || as.Actors[0].Kind != "space" {
					t.Fatalf("fediverse of the space: %d %s", resp.StatusCode, body)
				}
				var fs []string
				for _, f := range as.Actors[0].Followers {
					fs = append(fs, f.ActorID)
				}
				return as.Actors[0].ActorID, fs
			}
			follows := fmt.Sprintf("/api/v1/spaces/%d/follows", teamID)
			follow := func() {
				t.Helper()
				if resp, body := do(sb.url, "bob", "POST", follows, "application/json", `{"handle":"pub@`+hostA+`"}`); resp.StatusCode != 201 {
					t.Fatalf("follow: %d %s", resp.StatusCode, body)
				}
				waitFor(t, "the space has its follower", func() bool { _, fs := spaceActor("ann"); return len(fs) == 1 })
			}
			follow()
			if _, body := do(sb.url, "bob", "GET", fmt.Sprintf("/api/v1/spaces/%d/fediverse", teamID), "", ""); !strings.Contains(body, `"handle":"pub@`+hostA+`"`) {
				t.Fatalf("B does not list what its space follows: %s", body)
			}
			ours, fs := spaceActor("ann")
			bob := fs[0]
			if _, fs := spaceActor("mia"); len(fs) != 0 {
				t.Fatalf("a member sees the followers: %v", fs)
			}
			if _, page := do(sa.url, "ann", "GET", "/s/pub/federation", "", ""); !strings.Contains(page, "bob@"+hostB) || !strings.Contains(page, "@pub@"+hostA) {
				t.Fatalf("the federation page lacks the handle or the follower:\n%s", page)
			}

			// An article for members, then made public: it is delivered then.
			resp, body := do(sa.url, "ann", "POST", "/s/pub/news", form, url.Values{"title": {"Members first"}, "body": {"later for all"}}.Encode())
			var artID int64
			if _, err := fmt.Sscanf(resp.Header.Get("Location"), "/s/pub/news/%d", &artID); err != nil {
				t.Fatalf("article form: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			if resp, body := do(sa.url, "ann", "PUT", fmt.Sprintf("/api/v1/news/%d/public", artID), "application/json", `{"public":true}`); resp.StatusCode != 204 {
				t.Fatalf("make the article public: %d %s", resp.StatusCode, body)
			}
			waitFor(t, "the article made public reaches B", func() bool {
				_, page := do(sb.url, "bob", "GET", "/s/team/news", "", "")
				return strings.Contains(page, "Members first")
			})

			// Removing the follower: members may not; the admin does, and B
			// applies the Reject (its own follow is gone: unfollowing finds nothing).
			remove := fmt.Sprintf("/api/v1/spaces/%d/followers?of=%s&actor=%s", pubID, url.QueryEscape(ours), url.QueryEscape(bob))
			if resp, _ := do(sa.url, "mia", "DELETE", remove, "", ""); resp.StatusCode != 403 {
				t.Fatalf("a member removes a follower: %d", resp.StatusCode)
			}
			if resp, body := do(sa.url, "ann", "DELETE", remove, "", ""); resp.StatusCode != 204 {
				t.Fatalf("remove the follower: %d %s", resp.StatusCode, body)
			}
			if _, fs := spaceActor("ann"); len(fs) != 0 {
				t.Fatalf("still followed by %v", fs)
			}
			waitFor(t, "B applies the Reject", func() bool {
				_, body := do(sb.url, "bob", "GET", fmt.Sprintf("/api/v1/spaces/%d/fediverse", teamID), "", "")
				return strings.Contains(body, `"following":[]`)
			})

			// A domain block: members may not; root does; the follow ends.
			follow()
			block := `{"kind":"domain","value":"` + hostB + `"}`
			if resp, body := do(sa.url, "ann", "POST", "/api/v1/admin/federation/blocks", "application/json", block); resp.StatusCode != 403 {
				t.Fatalf("a space admin blocks a server: %d %s", resp.StatusCode, body)
			}
			if resp, body := do(sa.url, "root", "POST", "/api/v1/admin/federation/blocks", "application/json", `{"kind":"domain","value":"`+hostA+`"}`); resp.StatusCode != 400 {
				t.Fatalf("a bad block: %d %s", resp.StatusCode, body)
			}
			if resp, body := do(sa.url, "root", "POST", "/admin/federation/blocks", form, url.Values{"kind": {"domain"}, "value": {hostB}}.Encode()); resp.StatusCode != 303 {
				t.Fatalf("block from the admin page: %d %s", resp.StatusCode, body)
			}
			if _, page := do(sa.url, "root", "GET", "/admin/federation", "", ""); !strings.Contains(page, hostB) {
				t.Fatalf("the blocks page lacks the block:\n%s", page)
			}
			if _, fs := spaceActor("ann"); len(fs) != 0 {
				t.Fatalf("a blocked server still follows: %v", fs)
			}
			// B's new follow is refused at A's inbox: B never gets an Accept.
			if resp, body := do(sb.url, "bob", "POST", follows, "application/json", `{"handle":"pub@`+hostA+`"}`); resp.StatusCode != 201 {
				t.Fatalf("follow again: %d %s", resp.StatusCode, body)
			}
			do(sa.url, "ann", "POST", "/s/pub/news", form, url.Values{"title": {"Not for blocked"}, "body": {"x"}}.Encode())
			time.Sleep(2 * time.Second)
			if _, fs := spaceActor("ann"); len(fs) != 0 {
				t.Fatalf("a blocked server followed: %v", fs)
			}
			// Lifted from the admin page.
			_, body = do(sa.url, "root", "GET", "/api/v1/admin/federation/blocks", "", "")
			var bs struct{ Blocks []struct{ ID int64 } }
			if err := json.Unmarshal([]byte(body), &bs); err != nil || len(bs.Blocks) != 1 {
				t.Fatalf("blocks: %s", body)
			}
			if resp, body := do(sa.url, "root", "POST", fmt.Sprintf("/admin/federation/blocks/%d/delete", bs.Blocks[0].ID), form, ""); resp.StatusCode != 303 {
				t.Fatalf("unblock from the admin page: %d %s", resp.StatusCode, body)
			}
			if _, body := do(sa.url, "root", "GET", "/api/v1/admin/federation/blocks", "", ""); !strings.Contains(body, `"blocks":[]`) {
				t.Fatalf("still blocked: %s", body)
			}
		})
	}
}
