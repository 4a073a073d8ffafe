package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"plaza/core/coretest"
)

// The sharing dialog's API changes who reads a folder, and only whoever
// has full on it (or administers the space) uses it; public links answer
// without an account over the web page and WebDAV, read or upload only,
// behind their password, until revoked.
func TestSharingAndPublicLinks(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, d)
			for _, login := range []string{"root", "ann", "bob", "carol"} {
				if r := in.run("pw-"+login+"-model\n", "user", "add", login); r.code != 0 {
					t.Fatal(r.stderr)
				}
			}
			in.run("", "space", "add", "team")
			in.run("", "space", "member", "team", "ann")
			in.run("", "space", "member", "team", "bob")
			srv := in.serve()
			do := func(login, method, path, body string, hdr ...string) (int, string) {
				t.Helper()
				pass := ""
				if login != "" {
					pass = "pw-" + login + "-model"
				}
				return request(t, srv.url, login, pass, method, path, strings.NewReader(body), append([]string{"Content-Type", "application/json"}, hdr...)...)
			}
			if code, b := do("ann", "MKCOL", "/dav/spaces/team/docs/", ""); code != 201 {
				t.Fatalf("MKCOL: %d %s", code, b)
			}
			if code, b := do("ann", "PUT", "/dav/spaces/team/docs/a.txt", "hello"); code != 201 {
				t.Fatalf("PUT: %d %s", code, b)
			}
			resp, err := http.NewRequest("GET", srv.url+"/dav/spaces/team/docs/", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.SetBasicAuth("ann", "pw-ann-model")
			r, err := http.DefaultClient.Do(resp)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			node := r.Header.Get("OC-FileId")
			var links struct {
				Container int64 `json:"container_id"`
			}
			code, b := do("ann", "GET", "/api/v1/files/"+node+"/sharelinks", "")
			if code != 200 || json.Unmarshal([]byte(b), &links) != nil || links.Container == 0 {
				t.Fatalf("links of docs: %d %s", code, b)
			}
			sharing := fmt.Sprintf("/api/v1/containers/%d/sharing", links.Container)

			// The dialog: bob (write on the team's files) may not use it,
			// visitors sign in, ann (she made the folder) sees the grant it
			// inherited and names bob as reader only.
			if code, _ := do("bob", "GET", sharing, ""); code != 403 {
				t.Errorf("bob opens the dialog: %d", code)
			}
			if code, _ := do("", "GET", sharing, ""); code != 401 {
				t.Errorf("a visitor opens the dialog: %d", code)
			}
			if code, _ := do("carol", "GET", sharing, ""); code != 404 {
				t.Errorf("an outsider opens the dialog: %d", code)
			}
			var sh struct {
				Grants []struct {
					Kind      string `json:"principal_kind"`
					Level     string `json:"level"`
					Inherited bool   `json:"inherited"`
					Role      string `json:"role"`
				} `json:"grants"`
				Principals []struct {
					Kind string `json:"principal_kind"`
					ID   int64  `json:"principal_id"`
					Name string `json:"name"`
				} `json:"principals"`
			}
			code, b = do("ann", "GET", sharing, "")
			if code != 200 || json.Unmarshal([]byte(b), &sh) != nil || len(sh.Grants) != 1 || sh.Grants[0].Kind != "space" || !sh.Grants[0].Inherited {
				t.Fatalf("ann's dialog: %d %s", code, b)
			}
			var bob, carol int64
			for _, p := range sh.Principals {
				if p.Kind == "user" && p.Name == "bob" {
					bob = p.ID
				}
			}
			_, me := do("carol", "GET", "/api/v1/me", "")
			var cm struct {
				ID int64 `json:"id"`
			}
			json.Unmarshal([]byte(me), &cm) //nolint:errcheck // checked by use
			carol = cm.ID
			if bob == 0 || carol == 0 {
				t.Fatalf("principals: %s", b)
			}
			if code, b := do("ann", "PUT", sharing, fmt.Sprintf(`{"grants":[{"principal_kind":"user","principal_id":%d,"level":"full"}]}`, carol)); code != 400 {
				t.Errorf("sharing with a non-member: %d %s", code, b)
			}
			if code, b := do("ann", "PUT", sharing, `{"grants":[{"principal_kind":"anonymous","principal_id":0,"level":"read"}]}`); code != 400 {
				t.Errorf("visitors in a private space: %d %s", code, b)
			}
			if code, b := do("ann", "PUT", sharing, fmt.Sprintf(`{"grants":[{"principal_kind":"user","principal_id":%d,"level":"read"}]}`, bob)); code != 204 {
				t.Fatalf("share with bob: %d %s", code, b)
			}
			if code, _ := do("bob", "GET", "/dav/spaces/team/docs/a.txt", ""); code != 200 {
				t.Errorf("bob reads: %d", code)
			}
			if code, _ := do("bob", "PUT", "/dav/spaces/team/docs/b.txt", "x"); code != 403 {
				t.Errorf("bob writes after being made reader: %d", code)
			}
			code, b = do("ann", "GET", sharing, "")
			if code != 200 || json.Unmarshal([]byte(b), &sh) != nil || len(sh.Grants) != 1 || sh.Grants[0].Inherited || sh.Grants[0].Role != "viewer" {
				t.Errorf("after sharing: %d %s", code, b)
			}

			// Public links: bob (no full) may not make one; ann makes a
			// read link with a password and an upload link.
			lpath := "/api/v1/files/" + node + "/sharelinks"
			if code, _ := do("bob", "POST", lpath, `{"mode":"read"}`); code != 403 {
				t.Errorf("bob makes a link: %d", code)
			}
			if code, _ := do("ann", "POST", lpath, `{"mode":"read","expires_at":"2001-01-01T00:00:00Z"}`); code != 400 {
				t.Errorf("a link expired at birth: %d", code)
			}
			if code, _ := do("ann", "POST", lpath, `{"mode":"write"}`); code != 400 {
				t.Errorf("a write link: %d", code)
			}
			var rl, ul struct {
				ID     int64  `json:"id"`
				Token  string `json:"token"`
				URL    string `json:"url"`
				DAVURL string `json:"dav_url"`
			}
			code, b = do("ann", "POST", lpath, `{"mode":"read","password":"open sesame","expires_at":"2999-01-01T00:00:00Z"}`)
			if code != 201 || json.Unmarshal([]byte(b), &rl) != nil || rl.Token == "" || !strings.HasSuffix(rl.DAVURL, "/dav/public/"+rl.Token+"/") {
				t.Fatalf("read link: %d %s", code, b)
			}
			code, b = do("ann", "POST", lpath, `{"mode":"upload"}`)
			if code != 201 || json.Unmarshal([]byte(b), &ul) != nil || ul.Token == "" {
				t.Fatalf("upload link: %d %s", code, b)
			}
			pub := func(pass, method, path, body string, hdr ...string) (int, string) {
				t.Helper()
				login := ""
				if pass != "" {
					login = "anyone"
				}
				return request(t, srv.url, login, pass, method, path, strings.NewReader(body), hdr...)
			}
			rd, up := "/dav/public/"+rl.Token+"/", "/dav/public/"+ul.Token+"/"
			steps := []struct {
				pass, method, path, body string
				hdr                      []string
				want                     int
				has                      string
			}{
				{"", "PROPFIND", rd, "", []string{"Depth", "1"}, 401, ""},
				{"wrong", "PROPFIND", rd, "", []string{"Depth", "1"}, 401, ""},
				{"open sesame", "PROPFIND", rd, "", []string{"Depth", "1"}, 207, "/dav/public/" + rl.Token + "/a.txt"},
				{"open sesame", "GET", rd + "a.txt", "", nil, 200, "hello"},
				{"open sesame", "PUT", rd + "b.txt", "x", nil, 403, ""},
				{"open sesame", "DELETE", rd + "a.txt", "", nil, 405, ""},
				{"", "GET", "/p/" + rl.Token, "", nil, 401, ""},
				{"", "PUT", up + "drop.txt", "dropped", nil, 201, ""},
				{"", "PUT", up + "drop.txt", "again", nil, 409, ""},
				{"", "PUT", up + "a.txt", "overwrite?", nil, 409, ""},
				{"", "GET", up + "a.txt", "", nil, 403, ""},
				{"", "PROPFIND", up, "", []string{"Depth", "1"}, 403, ""},
				{"", "PROPFIND", up, "", []string{"Depth", "0"}, 207, ""},
				{"", "GET", "/p/" + ul.Token, "", nil, 200, `action="/p/` + ul.Token + `/upload"`},
				{"", "GET", "/dav/public/nosuchtoken/", "", nil, 404, ""},
			}
			for _, s := range steps {
				code, b := pub(s.pass, s.method, s.path, s.body, s.hdr...)
				if code != s.want || !strings.Contains(b, s.has) {
					t.Errorf("%s %s (password %q): %d, want %d with %q: %.300s", s.method, s.path, s.pass, code, s.want, s.has, b)
				}
			}
			if code, b := do("ann", "GET", "/dav/spaces/team/docs/drop.txt", ""); code != 200 || b != "dropped" {
				t.Errorf("the dropped file: %d %q", code, b)
			}
			// Revoked: gone at once, on both doors.
			if code, _ := do("bob", "DELETE", fmt.Sprintf("/api/v1/sharelinks/%d", rl.ID), ""); code != 403 {
				t.Errorf("bob revokes: %d", code)
			}
			if code, _ := do("ann", "DELETE", fmt.Sprintf("/api/v1/sharelinks/%d", rl.ID), ""); code != 204 {
				t.Errorf("ann revokes: %d", code)
			}
			if code, _ := pub("open sesame", "GET", rd+"a.txt", ""); code != 404 {
				t.Errorf("revoked link over DAV: %d", code)
			}
			if code, _ := pub("", "GET", "/p/"+rl.Token, ""); code != 404 {
				t.Errorf("revoked link page: %d", code)
			}
			code, b = do("ann", "GET", lpath, "")
			if code != 200 || strings.Contains(b, rl.Token) || strings.Count(b, `"mode"`) != 1 {
				t.Errorf("links after revoking: %d %s", code, b)
			}
		})
	}
}

// Visitors without an account read a public space (its home, files,
// forum, news: what carries a grant to visitors; the proposal form), nothing of a
// private one, nothing they may change; a visitor password is asked once
// and kept for the browser session.
func TestPublicSpaceVisitors(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, d)
			for _, login := range []string{"root", "ann"} {
				if r := in.run("pw-"+login+"-model\n", "user", "add", login); r.code != 0 {
					t.Fatal(r.stderr)
				}
			}
			in.run("", "space", "add", "pub", "--public")
			in.run("", "space", "add", "priv")
			in.run("", "space", "member", "pub", "ann", "--role", "admin")
			srv := in.serve()
			do := func(method, path, body string) (int, string) {
				t.Helper()
				return request(t, srv.url, "ann", "pw-ann-model", method, path, strings.NewReader(body), "Content-Type", "application/json")
			}
			if code, b := do("PUT", "/dav/spaces/pub/flyer.txt", "come along"); code != 201 {
				t.Fatalf("PUT: %d %s", code, b)
			}
			req, _ := http.NewRequest("GET", srv.url+"/dav/spaces/pub/", nil)
			req.SetBasicAuth("ann", "pw-ann-model")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var links struct {
				Container int64 `json:"container_id"`
			}
			code, b := do("GET", "/api/v1/files/"+resp.Header.Get("OC-FileId")+"/sharelinks", "")
			if code != 200 || json.Unmarshal([]byte(b), &links) != nil {
				t.Fatalf("root: %d %s", code, b)
			}
			visitor := newBrowser()
			get := func(c *http.Client, path string) (int, string) {
				t.Helper()
				resp, err := c.Get(srv.url + path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var sb strings.Builder
				buf := make([]byte, 32<<10)
				for {
					n, err := resp.Body.Read(buf)
					sb.Write(buf[:n])
					if err != nil {
						break
					}
				}
				return resp.StatusCode, sb.String()
			}
			// Before the folder is shared with visitors they see no files.
			if code, b := get(visitor, "/s/pub/files"); code != 404 || strings.Contains(b, "flyer.txt") {
				t.Errorf("files before sharing: %d", code)
			}
			// The space administrator shares the team's files with visitors
			// through the sharing dialog (members keep their level).
			var sh struct {
				Grants []map[string]any `json:"grants"`
			}
			_, b = do("GET", fmt.Sprintf("/api/v1/containers/%d/sharing", links.Container), "")
			json.Unmarshal([]byte(b), &sh) //nolint:errcheck // checked by the PUT
			gs := []string{`{"principal_kind":"anonymous","principal_id":0,"level":"read"}`}
			for _, g := range sh.Grants {
				gs = append(gs, fmt.Sprintf(`{"principal_kind":%q,"principal_id":%v,"level":%q}`, g["principal_kind"], g["principal_id"], g["level"]))
			}
			if code, b := do("PUT", fmt.Sprintf("/api/v1/containers/%d/sharing", links.Container), `{"grants":[`+strings.Join(gs, ",")+`]}`); code != 204 {
				t.Fatalf("share with visitors: %d %s", code, b)
			}
			for _, c := range []struct {
				path string
				want int
				has  string
			}{
				{"/s/pub", 200, `id="visiting"`},
				{"/s/pub", 200, `href="/s/pub/propose"`},
				{"/s/pub/files", 200, "flyer.txt"},
				{"/s/pub/forum", 200, ""},
				{"/s/pub/news", 200, ""},
				{"/s/pub/propose", 200, ""},
				{"/s/pub/tasks", 303, ""},
				{"/s/pub/members", 303, ""},
				{"/s/priv", 303, ""},
				{"/s/priv/files", 303, ""},
			} {
				if code, b := get(visitor, c.path); code != c.want || !strings.Contains(b, c.has) {
					t.Errorf("visitor GET %s: %d, want %d with %q", c.path, code, c.want, c.has)
				}
			}
			// Read only: a visitor's upload goes to the login page.
			resp, err = visitor.Post(srv.url+"/s/pub/files/mkdir", "application/x-www-form-urlencoded", strings.NewReader("name=x"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Errorf("visitor mkdir: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			// A visitor password: asked for, refused when wrong, kept once given.
			var spaces struct {
				Spaces []struct {
					ID   int64  `json:"id"`
					Slug string `json:"slug"`
				} `json:"spaces"`
			}
			_, b = do("GET", "/api/v1/spaces", "")
			json.Unmarshal([]byte(b), &spaces) //nolint:errcheck // checked below
			var pubID int64
			for _, s := range spaces.Spaces {
				if s.Slug == "pub" {
					pubID = s.ID
				}
			}
			if code, b := do("PATCH", fmt.Sprintf("/api/v1/admin/spaces/%d", pubID), `{"password":"letmein"}`); code != 200 {
				t.Fatalf("set the visitor password: %d %s", code, b)
			}
			if code, b := get(visitor, "/s/pub/files"); code != 401 || !strings.Contains(b, `id="visit-form"`) || strings.Contains(b, "flyer.txt") {
				t.Errorf("files behind the password: %d", code)
			}
			post := func(pw string) string {
				resp, err := visitor.Post(srv.url+"/s/pub/visit", "application/x-www-form-urlencoded",
					strings.NewReader("next=%2Fs%2Fpub%2Ffiles&password="+pw))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.Header.Get("Location")
			}
			if loc := post("wrong"); !strings.Contains(loc, "wrong=1") {
				t.Errorf("wrong password leads to %q", loc)
			}
			if loc := post("letmein"); loc != "/s/pub/files" {
				t.Errorf("right password leads to %q", loc)
			}
			for _, p := range []string{"/s/pub/files", "/s/pub"} {
				if code, b := get(visitor, p); code != 200 || (p == "/s/pub/files" && !strings.Contains(b, "flyer.txt")) {
					t.Errorf("after the password, %s: %d", p, code)
				}
			}
			if code, _ := get(newBrowser(), "/s/pub/files"); code != 401 {
				t.Errorf("another browser without the password: %d", code)
			}
		})
	}
}

// newBrowser is an HTTP client with cookies that does not follow redirects.
func newBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
