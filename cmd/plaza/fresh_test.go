package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
)

// TestServeChangesSeenAcrossProcesses starts two `plaza serve` processes
// on one PostgreSQL database. Each change made through A is seen by B at
// its very next request, after B has served the same requests before (so
// whatever B keeps between requests — prepared statements, the verified
// credentials, listings — was in use): a file's new content, a password
// changed, a folder grant revoked, a member removed from a space.
func TestServeChangesSeenAcrossProcesses(t *testing.T) {
	if !slicesContainsPostgres(coretest.Dialects()) {
		t.Skip("needs PostgreSQL: set " + coretest.EnvDatabaseURL)
	}
	t.Parallel()
	in := newInstance(t, store.Postgres)
	for _, step := range []struct {
		stdin string
		args  []string
	}{
		{"root-password\n", []string{"user", "add", "root", "--admin"}},
		{"password-bob\n", []string{"user", "add", "bob"}},
		{"password-rita\n", []string{"user", "add", "rita"}},
		{"", []string{"space", "add", "team"}},
		{"", []string{"space", "member", "team", "bob"}},
		{"", []string{"space", "member", "team", "rita"}},
	} {
		if r := in.run(step.stdin, step.args...); r.code != 0 {
			t.Fatalf("%v: %s", step.args, r.stderr)
		}
	}
	a, b := in.serve(), in.serve()
	call := func(s *server, login, pass, method, path, body string, want int, hdr ...string) string {
		t.Helper()
		req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
		req.SetBasicAuth(login, pass)
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s as %s on %s: %d, want %d: %s", method, path, login, s.url, resp.StatusCode, want, got)
		}
		return string(got)
	}
	// each sends the same request to B twice, so that B has served it
	// before the change is made through A.
	twice := func(login, pass, method, path string, want int, hdr ...string) string {
		call(b, login, pass, method, path, "", want, hdr...)
		return call(b, login, pass, method, path, "", want, hdr...)
	}
	const doc = "/dav/spaces/team/doc.txt"
	depth0 := []string{"Depth", "0"}

	// A file changed through A: B serves the new content and ETag.
	call(a, "bob", "password-bob", "PUT", doc, "first", 201)
	if got := twice("rita", "password-rita", "GET", doc, 200); got != "first" {
		t.Fatalf("B serves %q", got)
	}
	before := twice("rita", "password-rita", "PROPFIND", doc, 207, depth0...)
	call(a, "bob", "password-bob", "PUT", doc, "second", 204)
	if got := call(b, "rita", "password-rita", "GET", doc, "", 200); got != "second" {
		t.Errorf("B serves %q after the change through A", got)
	}
	if after := call(b, "rita", "password-rita", "PROPFIND", doc, "", 207, depth0...); after == before {
		t.Error("B's PROPFIND is unchanged after the change through A")
	}

	// A password changed through A: B refuses the old one at once.
	call(a, "rita", "password-rita", "PUT", "/api/v1/me/password", `{"current":"password-rita","new":"rita-new-password"}`, 204)
	call(b, "rita", "password-rita", "GET", doc, "", 401)
	call(b, "rita", "rita-new-password", "GET", doc, "", 200)

	// A grant revoked through A: B refuses at once. Bob makes a link
	// folder that the members of team may not see and gives it to Rita.
	var spaces struct{ Spaces []struct{ ID int64 } }
	json.Unmarshal([]byte(call(a, "bob", "password-bob", "GET", "/api/v1/spaces", "", 200)), &spaces) //nolint:errcheck
	var members struct {
		Members []struct {
			AccountID int64 `json:"account_id"`
			Login     string
		}
	}
	json.Unmarshal([]byte(call(a, "bob", "password-bob", "GET", "/api/v1/spaces/team/members", "", 200)), &members) //nolint:errcheck
	var rita int64
	for _, m := range members.Members {
		if m.Login == "rita" {
			rita = m.AccountID
		}
	}
	if len(spaces.Spaces) != 1 || rita == 0 {
		t.Fatalf("spaces %+v, members %+v", spaces, members)
	}
	var folder struct{ ID int64 }
	json.Unmarshal([]byte(call(a, "bob", "password-bob", "POST", fmt.Sprintf("/api/v1/spaces/%d/links/folders", spaces.Spaces[0].ID), //nolint:errcheck
		`{"name":"private","members":"none"}`, 201)), &folder)
	links := fmt.Sprintf("/api/v1/linkfolders/%d/links", folder.ID)
	grants := fmt.Sprintf("/api/v1/linkfolders/%d/grants", folder.ID)
	call(b, "rita", "rita-new-password", "GET", links, "", 404)
	call(a, "bob", "password-bob", "PUT", grants, fmt.Sprintf(`{"grants":[{"principal_kind":"user","principal_id":%d,"level":"read"}]}`, rita), 204)
	twice("rita", "rita-new-password", "GET", links, 200)
	call(a, "bob", "password-bob", "PUT", grants, `{"grants":[]}`, 204)
	call(b, "rita", "rita-new-password", "GET", links, "", 404)

	// Rita removed from the space through A: B no longer serves her its
	// files.
	twice("rita", "rita-new-password", "GET", doc, 200)
	call(a, "root", "root-password", "DELETE", fmt.Sprintf("/api/v1/admin/spaces/%d/members/%d", spaces.Spaces[0].ID, rita), "", 204)
	call(b, "rita", "rita-new-password", "GET", doc, "", 404)
	call(b, "rita", "rita-new-password", "PROPFIND", doc, "", 404, depth0...)
}

// TestServeHashesConcurrentFirstLoginsOnce sends the first requests of
// one client, 16 connections at once with the same credentials, to a
// fresh `plaza serve`: the password is hashed once (its metric says so),
// not once per connection, and every request is answered. A wrong
// password sent the same way is refused on each connection, after one
// hash too.
func TestServeHashesConcurrentFirstLoginsOnce(t *testing.T) {
	t.Parallel()
	in := newInstance(t, store.SQLite)
	if r := in.run("password-bob\n", "user", "add", "bob"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	s := in.serve()
	burst := func(pass string, want int) {
		t.Helper()
		start := make(chan struct{})
		codes := make(chan int, 16)
		for range 16 {
			go func() {
				<-start
				req, _ := http.NewRequest("PROPFIND", s.url+"/dav/files/bob/", nil)
				req.Header.Set("Depth", "0")
				req.SetBasicAuth("bob", pass)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					codes <- 0
					return
				}
				resp.Body.Close()
				codes <- resp.StatusCode
			}()
		}
		close(start)
		for range 16 {
			if c := <-codes; c != want {
				t.Errorf("bob with %q: %d, want %d", pass, c, want)
			}
		}
	}
	hashes := func() string {
		t.Helper()
		_, body := get(t, s.url+"/metrics", "", "")
		for _, line := range strings.Split(body, "\n") {
			if v, ok := strings.CutPrefix(line, "plaza_password_hashes_total "); ok {
				return v
			}
		}
		t.Fatalf("no plaza_password_hashes_total in /metrics")
		return ""
	}
	burst("password-bob", 207)
	if n := hashes(); n != "1" {
		t.Errorf("16 first requests with the same credentials hashed the password %s times, want 1", n)
	}
	burst("password-bob", 207) // remembered: no hash
	burst("wrong-password", 401)
	if n := hashes(); n != "2" {
		t.Errorf("after 16 wrong passwords at once: %s hashes in all, want 2", n)
	}
}
