package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"plaza/core/coretest"
	"plaza/core/store"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "plaza-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "plaza")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build plaza: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// instance is one data directory (and, for PostgreSQL, one database).
type instance struct {
	t   *testing.T
	env []string
}

func newInstance(t *testing.T, d store.Dialect) *instance {
	env := []string{"PLAZA_DATA=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	if d == store.Postgres {
		env = append(env, "PLAZA_DATABASE_URL="+coretest.FreshPostgresURL(t))
	}
	return &instance{t: t, env: env}
}

type result struct {
	code           int
	stdout, stderr string
}

func (in *instance) run(stdin string, args ...string) result {
	in.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = in.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		in.t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// lastLine is the reason line a failing command prints.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestCommands(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, d)
			steps := []struct {
				stdin  string
				args   []string
				ok     bool
				outHas string // on success: in stdout; on failure: in the reason line
			}{
				{"owner-pass\n", []string{"user", "add", "olga", "--email", "olga@example.org"}, true, "olga created (owner)"},
				{"bob-password\n", []string{"user", "add", "--name", "Bob B", "bob"}, true, "bob created (user)"},
				{"adm-password\n", []string{"user", "add", "ada", "--admin"}, true, "ada created (administrator)"},
				{"guest-password\n", []string{"user", "add", "gus", "--guest"}, true, "gus created (guest)"},
				{"bob-password\n", []string{"user", "add", "bob"}, false, `login "bob" is taken`},
				{"short\n", []string{"user", "add", "carl"}, false, "password must be 8 to 64 characters"},
				{"", []string{"user", "add", "carl"}, false, "no password on stdin"},
				{"x-password\n", []string{"user", "add", "Bad Login"}, false, "login must be"},
				{"x-password\n", []string{"user", "add", "carl", "--admin", "--guest"}, false, "exclude each other"},
				{"x-password\n", []string{"user", "add"}, false, "want 1 argument(s), got 0"},
				{"x-password\n", []string{"user", "add", "carl", "--email", "not-an-address"}, false, "is not an address"},
				{"", []string{"user", "remove", "bob"}, false, "unknown command 'user remove'"},
				{"", []string{"space", "add", "team", "--name", "The Team"}, true, "space team created"},
				{"", []string{"space", "add", "lobby", "--public"}, true, "space lobby created"},
				{"", []string{"space", "add", "team"}, false, "already exists"},
				{"", []string{"space", "add", "-bad"}, false, "flag provided but not defined"},
				{"", []string{"space", "add", "Bad_Slug"}, false, "slug must be"},
				{"", []string{"space", "member", "team", "bob", "--role", "admin"}, true, "bob is admin of team"},
				{"", []string{"space", "member", "team", "gus"}, true, "gus is member of team"},
				{"", []string{"space", "member", "team", "gus", "--role", "admin"}, false, "a guest cannot administer a space"},
				{"", []string{"space", "member", "team", "nobody"}, false, `account "nobody": not found`},
				{"", []string{"space", "member", "nowhere", "bob"}, false, `space "nowhere": not found`},
				{"", []string{"space", "member", "team", "bob", "--role", "king"}, false, "role must be admin or member"},
				{"", []string{"space", "member", "team"}, false, "want 2 argument(s), got 1"},
				{"", []string{"migrate"}, true, "database is up to date"},
				{"", []string{"migrate", "--blob-url", "http://bucket"}, false, `blob URL "http://bucket": want s3://bucket`},
				{"", []string{"migrate", "--blob-url", "s3://b?endpoint=ftp://x"}, false, "want http(s)://host[:port]"},
				{"", []string{"frobnicate"}, false, `unknown command "frobnicate"`},
				{"", []string{}, false, ""},
				{"", []string{"serve", "--addr", "nonsense"}, false, `listen address "nonsense"`},
				{"", []string{"serve", "--base-url", "ftp://x"}, false, "want http:// or https://"},
			}
			for _, s := range steps {
				r := in.run(s.stdin, s.args...)
				name := strings.Join(s.args, " ")
				if s.ok {
					if r.code != 0 || !strings.Contains(r.stdout, s.outHas) {
						t.Errorf("plaza %s: exit %d, stdout %q, stderr %q; want success with %q", name, r.code, r.stdout, r.stderr, s.outHas)
					}
					continue
				}
				reason := lastLine(r.stderr)
				if r.code == 0 || !strings.HasPrefix(reason, "plaza: ") || !strings.Contains(reason, s.outHas) {
					t.Errorf("plaza %s: exit %d, reason %q; want failure with %q", name, r.code, reason, s.outHas)
				}
			}
		})
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is a running `plaza serve`.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

func (in *instance) serve(extraEnv ...string) *server {
	in.t.Helper()
	addr := freePort(in.t)
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(append([]string{}, in.env...), append(extraEnv, "PLAZA_ADDR="+addr, "PLAZA_BASE_URL=http://"+addr)...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		in.t.Fatal(err)
	}
	s := &server{cmd: cmd, url: "http://" + addr, done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			in.t.Logf("server: %s", sc.Text())
		}
		s.done <- cmd.Wait()
	}()
	in.t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	in.t.Fatal("server did not become healthy")
	return nil
}

func get(t *testing.T, url, user, pass string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, d)
			srv := in.serve("PLAZA_ADMIN_PASSWORD=first-owner-pw", "PLAZA_ADMIN_LOGIN=root")

			if code, body := get(t, srv.url+"/healthz", "", ""); code != 200 || strings.TrimSpace(body) != "ok" {
				t.Errorf("healthz: %d %q", code, body)
			}
			code, body := get(t, srv.url+"/api/v1/me", "root", "first-owner-pw")
			if code != 200 || !strings.Contains(body, `"type":"owner"`) {
				t.Errorf("owner from PLAZA_ADMIN_PASSWORD: %d %s", code, body)
			}
			if code, _ := get(t, srv.url+"/api/v1/me", "root", "wrong-password"); code != 401 {
				t.Errorf("wrong password: %d, want 401", code)
			}
			_, metrics := get(t, srv.url+"/metrics", "", "")
			for _, want := range []string{`plaza_http_requests_total{code="200",method="GET",route="GET /healthz"}`, "go_goroutines", "go_sql_open_connections"} {
				if !strings.Contains(metrics, want) {
					t.Errorf("metrics lack %s", want)
				}
			}

			// Graceful shutdown: a request whose body is still arriving when
			// SIGTERM comes is answered, then the process exits 0.
			conn, err := net.Dial("tcp", strings.TrimPrefix(srv.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			body1 := `{"login":"root",`
			body2 := `"password":"first-owner-pw"}`
			fmt.Fprintf(conn, "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
				len(body1)+len(body2), body1)
			time.Sleep(200 * time.Millisecond) // the handler is now reading the body
			if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			fmt.Fprint(conn, body2)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("request in flight during shutdown: %v", err)
			}
			if resp.StatusCode != 200 {
				t.Errorf("request in flight during shutdown: %d", resp.StatusCode)
			}
			select {
			case err := <-srv.done:
				if err != nil {
					t.Errorf("serve exit after SIGTERM: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not stop after SIGTERM")
			}
		})
	}
}

func TestBackupRestoreCommands(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, d)
			if r := in.run("owner-password\n", "user", "add", "olga"); r.code != 0 {
				t.Fatal(r.stderr)
			}
			in.run("", "space", "add", "team")
			srv := in.serve()
			// Log in repeatedly while the backup runs: sessions are rows.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				for ctx.Err() == nil {
					req, _ := http.NewRequestWithContext(ctx, "POST", srv.url+"/api/v1/session",
						strings.NewReader(`{"login":"olga","password":"owner-password"}`))
					req.Header.Set("Content-Type", "application/json")
					if resp, err := http.DefaultClient.Do(req); err == nil {
						resp.Body.Close()
					}
				}
			}()
			file := filepath.Join(t.TempDir(), "plaza.backup")
			r := in.run("", "backup", file)
			cancel()
			if r.code != 0 || !strings.Contains(r.stdout, "backup written") {
				t.Fatalf("backup: %d %s %s", r.code, r.stdout, r.stderr)
			}

			other := newInstance(t, d)
			if r := other.run("", "restore", file); r.code != 0 {
				t.Fatalf("restore: %d %s", r.code, r.stderr)
			}
			if r := other.run("", "restore", file); r.code == 0 || !strings.Contains(lastLine(r.stderr), "not empty") {
				t.Errorf("second restore: %d %q, want refusal", r.code, lastLine(r.stderr))
			}
			if r := other.run("", "space", "member", "team", "olga"); r.code != 0 {
				t.Errorf("restored space and account: %s", r.stderr)
			}
			srv2 := other.serve()
			if code, body := get(t, srv2.url+"/api/v1/me", "olga", "owner-password"); code != 200 {
				t.Errorf("login on the restored instance: %d %s", code, body)
			}
			if r := other.run("", "restore", filepath.Join(t.TempDir(), "missing")); r.code == 0 {
				t.Error("restore of a missing file succeeded")
			}
		})
	}
}

// TestContractPaths checks that `plaza serve` mounts every path of the
// external contract: DAV discovery and trees, federation discovery.
func TestContractPaths(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, d)
			in.run("ann-password\n", "user", "add", "ann")
			in.run("", "space", "add", "team")
			in.run("", "space", "member", "team", "ann")
			srv := in.serve()
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			do := func(method, path, body string, hdr ...string) (*http.Response, string) {
				t.Helper()
				req, _ := http.NewRequest(method, srv.url+path, strings.NewReader(body))
				for i := 0; i+1 < len(hdr); i += 2 {
					req.Header.Set(hdr[i], hdr[i+1])
				}
				if !strings.HasPrefix(path, "/.well-known") && method != "OPTIONS" {
					req.SetBasicAuth("ann", "ann-password")
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp, string(b)
			}
			for _, wk := range []string{"/.well-known/caldav", "/.well-known/carddav"} {
				if resp, _ := do("PROPFIND", wk, ""); resp.StatusCode != 301 || !strings.HasSuffix(resp.Header.Get("Location"), "/dav/") {
					t.Errorf("%s: %d → %s", wk, resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			for _, p := range []string{"/", "/dav", "/dav/files"} {
				if resp, _ := do("OPTIONS", p, ""); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("DAV"), "2") {
					t.Errorf("OPTIONS %s: %d DAV %q", p, resp.StatusCode, resp.Header.Get("DAV"))
				}
			}
			if resp, _ := do("PROPFIND", "/dav/files", "", "Depth", "0"); resp.StatusCode != 207 {
				t.Errorf("PROPFIND /dav/files (no slash): %d", resp.StatusCode)
			}
			if resp, body := do("PROPFIND", "/dav/", "", "Depth", "0"); resp.StatusCode != 207 || !strings.Contains(body, "/dav/principals/ann/") {
				t.Errorf("PROPFIND /dav/: %d %s", resp.StatusCode, body)
			}
			if resp, body := do("PROPFIND", "/dav/principals/ann/", "", "Depth", "0"); resp.StatusCode != 207 ||
				!strings.Contains(body, "/dav/calendars/ann/") || !strings.Contains(body, "/dav/addressbooks/ann/") {
				t.Errorf("principal: %d %s", resp.StatusCode, body)
			}
			for _, p := range []string{"/dav/files/ann/note.txt", "/dav/spaces/team/note.txt"} {
				if resp, _ := do("PUT", p, "hello"); resp.StatusCode != 201 {
					t.Errorf("PUT %s: %d", p, resp.StatusCode)
				}
				if resp, body := do("GET", p, ""); resp.StatusCode != 200 || body != "hello" {
					t.Errorf("GET %s: %d %q", p, resp.StatusCode, body)
				}
			}
			for _, p := range []string{"/dav/calendars/ann/", "/dav/addressbooks/ann/"} {
				if resp, _ := do("PROPFIND", p, "", "Depth", "1"); resp.StatusCode != 207 {
					t.Errorf("PROPFIND %s: %d", p, resp.StatusCode)
				}
			}
			if resp, _ := do("PROPFIND", "/dav/files/ann/", ""); resp.StatusCode != 207 {
				t.Errorf("files home: %d", resp.StatusCode)
			}
			req, _ := http.NewRequest("PROPFIND", srv.url+"/dav/files/ann/", nil)
			if resp, err := client.Do(req); err != nil || resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("DAV without credentials: %v %v", resp.StatusCode, err)
			}
			if resp, body := do("GET", "/.well-known/nodeinfo", ""); resp.StatusCode != 200 || !strings.Contains(body, "/nodeinfo/2.1") {
				t.Errorf("nodeinfo: %d %s", resp.StatusCode, body)
			}
			if resp, body := do("GET", "/nodeinfo/2.1", ""); resp.StatusCode != 200 || !strings.Contains(body, `"plaza"`) {
				t.Errorf("nodeinfo 2.1: %d %s", resp.StatusCode, body)
			}
			if resp, _ := do("GET", "/login", ""); resp.StatusCode != 200 {
				t.Errorf("web UI: %d", resp.StatusCode)
			}
		})
	}
}
