package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"plaza/core/coretest"
)

// debianPython is Debian's interpreter, which has python3-caldav (a
// python3 earlier in PATH may be another installation without it).
func debianPython(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import caldav").Run(); err != nil {
		t.Fatalf("python3-caldav is missing: apt-get install python3-caldav (see .ci/deps): %v", err)
	}
	return py
}

// TestBareURLClients: python3-caldav and vdirsyncer, each given only
// http://HOST:PORT/, a login and a password, find alice's calendars and
// address books, create a calendar and an address book, carry events
// and cards both ways and delete them.
func TestBareURLClients(t *testing.T) {
	py := debianPython(t)
	vdir, err := exec.LookPath("vdirsyncer")
	if err != nil {
		t.Fatal("vdirsyncer is missing: apt-get install vdirsyncer (see .ci/deps)")
	}
	script, err := filepath.Abs("testdata/caldav_client.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, d)
			const pw = "alice-password"
			in.run(pw+"\n", "user", "add", "alice", "--email", "alice@example.org")
			in.run("", "space", "add", "team", "--name", "Team")
			in.run("", "space", "member", "team", "alice")
			srv := in.serve()
			bare := srv.url + "/"

			caldavPy := func(args ...string) map[string]any {
				t.Helper()
				out, err := exec.Command(py, append([]string{script, bare, "alice", pw}, args...)...).CombinedOutput()
				if err != nil {
					t.Fatalf("python-caldav %v: %v\n%s", args, err, out)
				}
				var m map[string]any
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
					t.Fatalf("python-caldav %v: %v\n%s", args, err, out)
				}
				return m
			}
			strs := func(v any) []string { // unescaped paths, or uids
				var out []string
				for _, x := range v.([]any) {
					s, err := url.PathUnescape(x.(string))
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, s)
				}
				return out
			}

			// python-caldav: discovery from the bare URL, then a calendar of its own
			got := caldavPy("list")
			cals := strs(got["calendars"])
			if got["home"] != "/dav/calendars/alice/" || !slices.Contains(cals, "/dav/calendars/alice/personal/") ||
				!slices.Contains(cals, "/dav/calendars/alice/agenda@team/") {
				t.Fatalf("python-caldav discovered %v", got)
			}
			caldavPy("create", "trip", "py-1", "py-2")

			// vdirsyncer with the bare URL for both services
			dir := t.TempDir()
			cfg := fmt.Sprintf(`[general]
status_path = "%[1]s/status/"

[pair cal]
a = "cal_local"
b = "cal_remote"
collections = ["from a", "from b"]
conflict_resolution = "a wins"

[storage cal_local]
type = "filesystem"
path = "%[1]s/cal/"
fileext = ".ics"

[storage cal_remote]
type = "caldav"
url = "%[2]s"
username = "alice"
password = "%[3]s"

[pair card]
a = "card_local"
b = "card_remote"
collections = ["from a", "from b"]
conflict_resolution = "a wins"

[storage card_local]
type = "filesystem"
path = "%[1]s/card/"
fileext = ".vcf"

[storage card_remote]
type = "carddav"
url = "%[2]s"
username = "alice"
password = "%[3]s"
`, dir, bare, pw)
			if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			vd := func(args ...string) string {
				t.Helper()
				cmd := exec.Command(vdir, append([]string{"-c", filepath.Join(dir, "config")}, args...)...)
				cmd.Stdin = strings.NewReader(strings.Repeat("y\n", 50))
				cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("vdirsyncer %v: %v\n%s", args, err, out)
				}
				return string(out)
			}
			// a calendar and an address book made locally, to be created on the server
			write := func(rel, content string) {
				t.Helper()
				p := filepath.Join(dir, rel)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("cal/holidays/vd-1.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//vdirsyncer test//EN\r\nBEGIN:VEVENT\r\nUID:vd-1\r\nDTSTAMP:20260101T090000Z\r\nDTSTART:20260201T090000Z\r\nDTEND:20260201T100000Z\r\nSUMMARY:made locally\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
			write("card/friends/ada.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ada\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\nEND:VCARD\r\n")
			// (vdirsyncer refuses to empty a collection: each keeps one item)
			write("cal/holidays/vd-2.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//vdirsyncer test//EN\r\nBEGIN:VEVENT\r\nUID:vd-2\r\nDTSTAMP:20260101T090000Z\r\nDTSTART:20260202T090000Z\r\nDTEND:20260202T100000Z\r\nSUMMARY:kept\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
			write("card/friends/grace.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:grace\r\nFN:Grace Hopper\r\nN:Hopper;Grace;;;\r\nEND:VCARD\r\n")
			out := vd("discover")
			vd("sync")
			for _, rel := range []string{"cal/personal", "cal/agenda@team", "cal/trip/py-1.ics", "card/contacts", "card/directory@team"} {
				if _, err := os.Stat(filepath.Join(dir, rel)); err != nil {
					t.Errorf("vdirsyncer did not bring %s: %v\n%s", rel, err, out)
				}
			}
			// what vdirsyncer created on the server, python-caldav and CardDAV see
			if got := strs(caldavPy("events", "holidays")["uids"]); !slices.Equal(got, []string{"vd-1", "vd-2"}) {
				t.Fatalf("the calendar vdirsyncer made holds %v", got)
			}
			if code, body := get(t, srv.url+"/dav/addressbooks/alice/friends/ada.vcf", "alice", pw); code != 200 || !strings.Contains(body, "FN:Ada Lovelace") {
				t.Fatalf("the address book vdirsyncer made: %d %s", code, body)
			}

			// deletions, both ways
			caldavPy("delete-event", "trip", "py-1")
			if err := os.Remove(filepath.Join(dir, "cal/holidays/vd-1.ics")); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, "card/friends/ada.vcf")); err != nil {
				t.Fatal(err)
			}
			vd("sync")
			if _, err := os.Stat(filepath.Join(dir, "cal/trip/py-1.ics")); !os.IsNotExist(err) {
				t.Errorf("an event deleted with python-caldav is still local: %v", err)
			}
			if got := strs(caldavPy("events", "holidays")["uids"]); !slices.Equal(got, []string{"vd-2"}) {
				t.Errorf("an event deleted locally is still on the server: %v", got)
			}
			if code, _ := get(t, srv.url+"/dav/addressbooks/alice/friends/ada.vcf", "alice", pw); code != 404 {
				t.Errorf("a card deleted locally: %d", code)
			}
			caldavPy("delete-calendar", "trip")
			if slices.Contains(strs(caldavPy("list")["calendars"]), "/dav/calendars/alice/trip/") {
				t.Error("the calendar python-caldav deleted is still listed")
			}
		})
	}
}
