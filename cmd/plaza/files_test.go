package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"plaza/core/coretest"
)

// webSession is a browser-like client signed in to the web UI.
type webSession struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func webSignIn(t *testing.T, base, login, password string) *webSession {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	ws := &webSession{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, body := ws.send("POST", "/api/v1/session", "application/json", strings.NewReader(`{"login":"`+login+`","password":"`+password+`"}`))
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal([]byte(body), &sess); resp.StatusCode != 200 || err != nil || sess.CSRF == "" {
		t.Fatalf("session: %d %s", resp.StatusCode, body)
	}
	ws.csrf = sess.CSRF
	return ws
}

func (ws *webSession) send(method, path, ctype string, body io.Reader) (*http.Response, string) {
	ws.t.Helper()
	req, _ := http.NewRequest(method, ws.base+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := ws.c.Do(req)
	if err != nil {
		ws.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// form posts a form as the page does.
func (ws *webSession) form(path string, v url.Values) (*http.Response, string) {
	ws.t.Helper()
	v.Set("_csrf", ws.csrf)
	return ws.send("POST", path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
}

// upload posts one file as the files page's form does (no script).
func (ws *webSession) upload(path, dir, name, content string) (*http.Response, string) {
	ws.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("_csrf", ws.csrf) //nolint:errcheck
	mw.WriteField("path", dir)      //nolint:errcheck
	fw, _ := mw.CreateFormFile("file", name)
	io.WriteString(fw, content) //nolint:errcheck
	mw.Close()
	return ws.send("POST", path, mw.FormDataContentType(), &buf)
}

// TestWebWritesHonourDAVLocks: while a WebDAV client (an office
// application) holds a lock on a file, the web page's upload, rename and
// delete of it are refused with 423 and a reason, in the real binary;
// once the client unlocks, they go through. The lock is checked by
// core/files inside the write, not by the DAV adapter (issue 18).
func TestWebWritesHonourDAVLocks(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, d)
			in.run("ann-password\n", "user", "add", "ann")
			in.run("", "space", "add", "team")
			in.run("", "space", "member", "team", "ann")
			srv := in.serve()
			dav := func(method, path, body string, hdr ...string) (*http.Response, string) {
				t.Helper()
				req, _ := http.NewRequest(method, srv.url+path, strings.NewReader(body))
				req.SetBasicAuth("ann", "ann-password")
				for i := 0; i+1 < len(hdr); i += 2 {
					req.Header.Set(hdr[i], hdr[i+1])
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp, string(b)
			}
			resp, body := dav("PUT", "/dav/spaces/team/report.txt", "draft")
			if resp.StatusCode != 201 {
				t.Fatalf("PUT: %d %s", resp.StatusCode, body)
			}
			id := resp.Header.Get("OC-FileId")
			resp, body = dav("LOCK", "/dav/spaces/team/report.txt", `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:">`+
				`<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>LibreOffice</D:owner></D:lockinfo>`,
				"Timeout", "Second-600", "Content-Type", "application/xml")
			token := resp.Header.Get("Lock-Token")
			if resp.StatusCode != 200 || token == "" {
				t.Fatalf("LOCK: %d %s", resp.StatusCode, body)
			}

			web := webSignIn(t, srv.url, "ann", "ann-password")
			locked := func(what string, resp *http.Response, body string) {
				t.Helper()
				if resp.StatusCode != http.StatusLocked || !strings.Contains(body, "locked") || !strings.Contains(body, "WebDAV") {
					t.Errorf("%s of a locked file: %d, want 423 with a reason\n%s", what, resp.StatusCode, body)
				}
			}
			resp, body = web.upload("/s/team/files/upload", "", "report.txt", "overwritten from the web")
			locked("web upload", resp, body)
			resp, body = web.form("/s/team/files/"+id+"/move", url.Values{"folder": {"/"}, "name": {"renamed.txt"}})
			locked("web rename", resp, body)
			resp, body = web.form("/s/team/files/"+id+"/delete", url.Values{})
			locked("web delete", resp, body)
			if resp, body := dav("GET", "/dav/spaces/team/report.txt", ""); resp.StatusCode != 200 || body != "draft" {
				t.Fatalf("the locked file changed: %d %q", resp.StatusCode, body)
			}

			if resp, body := dav("UNLOCK", "/dav/spaces/team/report.txt", "", "Lock-Token", token); resp.StatusCode != 204 {
				t.Fatalf("UNLOCK: %d %s", resp.StatusCode, body)
			}
			if resp, body := web.upload("/s/team/files/upload", "", "report.txt", "final"); resp.StatusCode != 303 {
				t.Fatalf("web upload once unlocked: %d %s", resp.StatusCode, body)
			}
			if resp, body := web.form("/s/team/files/"+id+"/move", url.Values{"folder": {"/"}, "name": {"final.txt"}}); resp.StatusCode != 303 {
				t.Fatalf("web rename once unlocked: %d %s", resp.StatusCode, body)
			}
			if resp, body := dav("GET", "/dav/spaces/team/final.txt", ""); resp.StatusCode != 200 || body != "final" {
				t.Fatalf("after unlock: %d %q", resp.StatusCode, body)
			}
		})
	}
}
