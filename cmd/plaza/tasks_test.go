package main

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"plaza/core/coretest"
)

// TestTaskListsOverCalDAV: in the real binary, a list made on the page
// is a CalDAV calendar at the address the page shows, its task is there
// as a VTODO, and a VTODO a client stores there shows on the page.
func TestTaskListsOverCalDAV(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, d)
			in.run("ann-password\n", "user", "add", "ann")
			in.run("", "space", "add", "team")
			in.run("", "space", "member", "team", "ann")
			srv := in.serve()

			jar, _ := cookiejar.New(nil)
			web := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			send := func(req *http.Request) (*http.Response, string) {
				t.Helper()
				resp, err := web.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp, string(b)
			}
			req, _ := http.NewRequest("POST", srv.url+"/api/v1/session", strings.NewReader(`{"login":"ann","password":"ann-password"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, body := send(req)
			var sess struct {
				CSRF string `json:"csrf_token"`
			}
			if err := json.Unmarshal([]byte(body), &sess); resp.StatusCode != 200 || err != nil || sess.CSRF == "" {
				t.Fatalf("session: %d %s", resp.StatusCode, body)
			}
			form := func(path string, v url.Values) *http.Response {
				t.Helper()
				v.Set("_csrf", sess.CSRF)
				req, _ := http.NewRequest("POST", srv.url+path, strings.NewReader(v.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, body := send(req)
				if resp.StatusCode != 303 {
					t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
				}
				return resp
			}
			listPath := form("/s/team/tasks", url.Values{"name": {"Launch"}}).Header.Get("Location")
			form(listPath, url.Values{"title": {"Write the spec"}, "due": {"2026-12-05"}})
			req, _ = http.NewRequest("GET", srv.url+listPath, nil)
			_, page := send(req)
			m := regexp.MustCompile(`<code id="caldav-url">([^<]+)</code>`).FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("the list page shows no CalDAV address:\n%s", page)
			}
			calURL := html.UnescapeString(m[1])
			if !strings.HasPrefix(calURL, srv.url+"/dav/calendars/ann/tasks-") || !strings.HasSuffix(calURL, "@team/") {
				t.Fatalf("CalDAV address %q", calURL)
			}

			dav := func(method, u, body string, hdr ...string) (*http.Response, string) {
				t.Helper()
				req, _ := http.NewRequest(method, u, strings.NewReader(body))
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
			resp, body = dav("REPORT", calURL, `<C:calendar-query xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><prop><C:calendar-data/></prop>`+
				`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/></C:comp-filter></C:filter></C:calendar-query>`, "Depth", "1")
			if resp.StatusCode != 207 || !strings.Contains(body, "SUMMARY:Write the spec") || !strings.Contains(body, "DUE;VALUE=DATE:20261205") {
				t.Fatalf("the page's task over CalDAV: %d %s", resp.StatusCode, body)
			}
			todo := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:phone-1\r\nDTSTAMP:20261101T000000Z\r\n" +
				"SUMMARY:Call the caterer\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
			if resp, body := dav("PUT", calURL+"phone-1.ics", todo, "Content-Type", "text/calendar", "If-None-Match", "*"); resp.StatusCode != 201 {
				t.Fatalf("PUT a VTODO: %d %s", resp.StatusCode, body)
			}
			req, _ = http.NewRequest("GET", srv.url+listPath, nil)
			if _, page := send(req); !strings.Contains(page, "Call the caterer") {
				t.Fatalf("the client's task is not on the page:\n%s", page)
			}
		})
	}
}
