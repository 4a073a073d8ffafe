package main

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"plaza/core/coretest"
)

// propfind runs curl, a real WebDAV client, against the server and
// returns the HTTP status it got.
func propfind(t *testing.T, url, user, pass string) string {
	t.Helper()
	out, err := exec.Command("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PROPFIND",
		"-H", "Depth: 1", "-u", user+":"+pass, url).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	return string(out)
}

// `plaza user app-password` makes, lists and revokes app passwords; curl
// lists WebDAV files with one, also once the account has a second factor
// (which shuts the account's own password out of HTTP Basic).
func TestAppPasswordCommandAndDAV(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is missing (.ci/deps installs it)")
	}
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			in := newInstance(t, d)
			if r := in.run("bob-password\n", "user", "add", "bob"); r.code != 0 {
				t.Fatalf("user add: %s", r.stderr)
			}
			r := in.run("", "user", "app-password", "bob", "--name", "davx5")
			pw := strings.TrimSpace(r.stdout)
			if r.code != 0 || !regexp.MustCompile(`^plz-[A-Za-z0-9_-]+$`).MatchString(pw) {
				t.Fatalf("app-password: exit %d, %q %q", r.code, r.stdout, r.stderr)
			}
			r = in.run("", "user", "app-password", "bob", "--list")
			if r.code != 0 || !strings.Contains(r.stdout, "davx5") || !strings.Contains(r.stdout, "never used") || strings.Contains(r.stdout, pw) {
				t.Fatalf("--list: exit %d, %q", r.code, r.stdout)
			}
			id := strings.Fields(r.stdout)[0]
			for _, bad := range [][]string{
				{"user", "app-password", "nobody"},
				{"user", "app-password", "bob", "--revoke", "999"},
				{"user", "app-password", "bob", "--list", "--revoke", id},
				{"user", "app-password"},
			} {
				if r := in.run("", bad...); r.code == 0 || !strings.HasPrefix(lastLine(r.stderr), "plaza: ") {
					t.Errorf("plaza %s: exit %d %q", strings.Join(bad, " "), r.code, r.stderr)
				}
			}

			for _, args := range [][]string{{"space", "add", "team"}, {"space", "member", "team", "bob", "--role", "admin"}} {
				if r := in.run("", args...); r.code != 0 {
					t.Fatalf("%v: %s", args, r.stderr)
				}
			}
			srv := in.serve()
			url := srv.url + "/dav/files/bob/"
			if got := propfind(t, url, "bob", pw); got != "207" {
				t.Errorf("PROPFIND with the app password: %s", got)
			}
			if got := propfind(t, url, "bob", "plz-not-a-real-one"); got != "401" {
				t.Errorf("PROPFIND with a wrong app password: %s", got)
			}
			// A second factor: the password alone no longer opens DAV; the
			// app password still does.
			turnOnTOTP(t, srv.url, "bob", "bob-password")
			if got := propfind(t, url, "bob", "bob-password"); got != "401" {
				t.Errorf("PROPFIND with the password and TOTP on: %s, want 401", got)
			}
			if got := propfind(t, url, "bob", pw); got != "207" {
				t.Errorf("PROPFIND with the app password and TOTP on: %s", got)
			}
			// An archived space: still read over WebDAV, refused for writing.
			doc := srv.url + "/dav/spaces/team/notes.txt"
			if got := curlDAV(t, "PUT", doc, "bob", pw, "first"); got != "201" {
				t.Fatalf("PUT in a live space: %s", got)
			}
			archiveSpace(t, srv.url, "bob", pw, true)
			if got := curlDAV(t, "GET", doc, "bob", pw, ""); got != "200" {
				t.Errorf("GET in an archived space: %s", got)
			}
			if got := propfind(t, srv.url+"/dav/spaces/team/", "bob", pw); got != "207" {
				t.Errorf("PROPFIND in an archived space: %s", got)
			}
			if got := curlDAV(t, "PUT", doc, "bob", pw, "second"); got != "403" {
				t.Errorf("PUT in an archived space: %s, want 403", got)
			}
			archiveSpace(t, srv.url, "bob", pw, false)
			if got := curlDAV(t, "PUT", doc, "bob", pw, "third"); got != "204" {
				t.Errorf("PUT after restoring: %s", got)
			}
			if r := in.run("", "user", "app-password", "bob", "--list"); !strings.Contains(r.stdout, "last used") {
				t.Errorf("--list after use: %q", r.stdout)
			}
			if r := in.run("", "user", "app-password", "bob", "--revoke", id); r.code != 0 || !strings.Contains(r.stdout, "revoked") {
				t.Errorf("--revoke: exit %d %q %q", r.code, r.stdout, r.stderr)
			}
			// Revoked: refused at once.
			if got := propfind(t, url, "bob", pw); got != "401" {
				t.Errorf("PROPFIND with a revoked app password: %s", got)
			}
		})
	}
}

// curlDAV sends one request with curl and returns its status.
func curlDAV(t *testing.T, method, url, user, pass, body string) string {
	t.Helper()
	args := []string{"-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method, "-u", user + ":" + pass}
	if body != "" {
		args = append(args, "--data-binary", body, "-H", "Content-Type: text/plain")
	}
	out, err := exec.Command("curl", append(args, url)...).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	return string(out)
}

// archiveSpace archives or restores space 1 over the API.
func archiveSpace(t *testing.T, base, user, pass string, on bool) {
	t.Helper()
	body := `{"archived":false}`
	if on {
		body = `{"archived":true}`
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/admin/spaces/1/archive", strings.NewReader(body))
	req.SetBasicAuth(user, pass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Fatalf("archive %v: %d", on, resp.StatusCode)
	}
}

// turnOnTOTP enrols a second factor over the JSON API, as an
// authenticator app would, computing the code from the secret.
func turnOnTOTP(t *testing.T, base, user, pass string) {
	t.Helper()
	call := func(path, body string) map[string]any {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.SetBasicAuth(user, pass)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, out)
		}
		return out
	}
	enrol := call("/api/v1/me/totp", "")
	code, err := totp.GenerateCode(enrol["secret"].(string), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	call("/api/v1/me/totp/confirm", `{"code":"`+code+`"}`)
}
