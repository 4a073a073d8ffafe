package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/go-fed/httpsig"

	"plaza/core/blob"
	"plaza/core/blob/s3"
	"plaza/core/coretest"
)

// cluster is N `plaza serve` processes, each with a data directory of its
// own (as on separate machines), sharing one PostgreSQL database and one
// S3 bucket, behind haproxy balancing round robin. haproxy names the
// process that answered in X-Served-By.
type cluster struct {
	t     *testing.T
	in    *instance
	s3    blob.S3Options
	url   string // the balancer: every process's base URL
	procs []*exec.Cmd
	names []string
}

const servedBy = "X-Served-By"

// haproxyBinary finds haproxy (a Debian package, installed by .ci/deps).
func haproxyBinary(t *testing.T) string {
	for _, p := range []string{"haproxy", "/usr/sbin/haproxy"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("haproxy not found: run `bash .ci/deps`")
	return ""
}

func startCluster(t *testing.T, n int) *cluster {
	if !slicesContainsPostgres(coretest.Dialects()) {
		t.Fatal("the scale-out test needs PostgreSQL: set " + coretest.EnvDatabaseURL + " (make test does)")
	}
	s3 := coretest.S3(t)
	lb := freePort(t)
	c := &cluster{t: t, url: "http://" + lb, s3: s3}
	c.in = &instance{t: t, env: []string{"PATH=" + os.Getenv("PATH"),
		"PLAZA_DATABASE_URL=" + coretest.FreshPostgresURL(t),
		"PLAZA_BLOB_URL=s3://" + s3.Bucket + "/plaza?endpoint=http://" + s3.Endpoint + "&region=" + s3.Region,
		"AWS_ACCESS_KEY_ID=" + s3.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3.SecretKey,
		"PLAZA_BASE_URL=" + c.url, "PLAZA_FEDERATION_INSECURE=1", "PLAZA_LOG_LEVEL=warn"}}

	// Every process starts at the same moment on the empty database: they
	// wait for each other's migrations.
	cfg := fmt.Sprintf(`global
	maxconn 2000
defaults
	mode http
	timeout connect 2s
	timeout client 60s
	timeout server 60s
	timeout tunnel 1h
	retries 3
	option redispatch
frontend fe
	bind %s
	default_backend plaza
backend plaza
	balance roundrobin
	option httpchk GET /healthz
	http-response set-header %s %%s
`, lb, servedBy)
	addrs := make([]string, n)
	for i := range n {
		addrs[i] = freePort(t)
		name := fmt.Sprintf("p%d", i+1)
		c.names = append(c.names, name)
		cfg += fmt.Sprintf("\tserver %s %s check inter 200ms fall 1 rise 1\n", name, addrs[i])
		cmd := exec.Command(binary, "serve")
		cmd.Env = append(append([]string{}, c.in.env...), "PLAZA_DATA="+t.TempDir(), "PLAZA_ADDR="+addrs[i])
		c.logTo(cmd, name)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck
		c.procs = append(c.procs, cmd)
	}
	for i, a := range addrs {
		deadline := time.Now().Add(60 * time.Second)
		for {
			resp, err := http.Get("http://" + a + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("process %d did not become healthy", i+1)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	hp := exec.Command(haproxyBinary(t), "-db", "-f", path)
	c.logTo(hp, "haproxy")
	if err := hp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hp.Process.Kill(); hp.Wait() }) //nolint:errcheck
	coretest.WaitListening(t, lb)
	// Until haproxy's first health checks pass, it has no server.
	for seen := map[string]bool{}; len(seen) < n; {
		resp, err := http.Get(c.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			seen[resp.Header.Get(servedBy)] = resp.StatusCode == 200
			delete(seen, "")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c
}

func (c *cluster) logTo(cmd *exec.Cmd, name string) {
	r, w, err := os.Pipe()
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			c.t.Logf("%s: %s", name, sc.Text())
		}
	}()
	c.t.Cleanup(func() { w.Close() })
}

// req is one request through the balancer.
type req struct {
	method, path, user, body string
	header                   map[string]string
	cookie                   *http.Cookie
}

type answer struct {
	code int
	body string
	by   string // the process that answered
	resp *http.Response
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (c *cluster) do(r req) answer {
	c.t.Helper()
	hr, err := http.NewRequest(r.method, c.url+r.path, strings.NewReader(r.body))
	if err != nil {
		c.t.Fatal(err)
	}
	if r.user != "" {
		hr.SetBasicAuth(r.user, "password-"+r.user)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.cookie != nil {
		hr.AddCookie(r.cookie)
	}
	resp, err := noRedirects.Do(hr)
	if err != nil {
		c.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), resp.Header.Get(servedBy), resp}
}

// doElsewhere repeats a request that changes nothing (a read, or a write
// that is refused) until a process other than those in not answers it.
// Writes that succeed go through do, once, wherever they land.
func (c *cluster) doElsewhere(r req, not ...string) answer {
	c.t.Helper()
	for range 20 {
		a := c.do(r)
		if a.by != "" && !strings.Contains(strings.Join(not, " "), a.by) {
			return a
		}
	}
	c.t.Fatalf("%s %s: always answered by %v", r.method, r.path, not)
	return answer{}
}

// TestScaleOut runs three processes behind haproxy on one PostgreSQL and
// one S3 bucket, and checks through the balancer that what one process
// does, the others see: files, versions and WebDAV locks, chat, sessions,
// federation deliveries (sent once); and that killing a process loses
// nothing it acknowledged.
func TestScaleOut(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 3)
	for _, step := range []struct {
		stdin string
		args  []string
	}{
		{"password-root\n", []string{"user", "add", "root"}},
		{"password-bob\n", []string{"user", "add", "bob", "--name", "Bob"}},
		{"password-rita\n", []string{"user", "add", "rita", "--name", "Rita"}},
		{"", []string{"space", "add", "team", "--public"}},
		{"", []string{"space", "member", "team", "bob", "--role", "admin"}},
		{"", []string{"space", "member", "team", "rita"}},
	} {
		if r := c.in.run(step.stdin, step.args...); r.code != 0 {
			t.Fatalf("%v: %s", step.args, r.stderr)
		}
	}

	t.Run("files", func(t *testing.T) { scaleFiles(t, c) })
	t.Run("session", func(t *testing.T) { scaleSession(t, c) })
	t.Run("chat", func(t *testing.T) { scaleChat(t, c) })
	t.Run("federation", func(t *testing.T) { scaleFederation(t, c) })
	t.Run("kill", func(t *testing.T) { scaleKill(t, c) })
	t.Run("backup", func(t *testing.T) { scaleBackup(t, c) })
}

func scaleFiles(t *testing.T, c *cluster) {
	doc := "/dav/spaces/team/report.txt"
	put := c.do(req{method: "PUT", path: doc, user: "bob", body: "first draft"})
	if put.code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", put.code, put.body)
	}
	// Listed by another process.
	pf := c.doElsewhere(req{method: "PROPFIND", path: "/dav/spaces/team/", user: "rita", header: map[string]string{"Depth": "1"}}, put.by)
	if pf.code != http.StatusMultiStatus || !strings.Contains(pf.body, "report.txt") {
		t.Fatalf("PROPFIND via %s: %d %s", pf.by, pf.code, pf.body)
	}
	// A second version via another process; the first is read back from a
	// third, and the current content from any.
	put2 := c.do(req{method: "PUT", path: doc, user: "bob", body: "second draft"})
	if put2.code != http.StatusNoContent && put2.code != http.StatusCreated {
		t.Fatalf("second PUT: %d %s", put2.code, put2.body)
	}
	m := regexp.MustCompile(`fileid>(\d+)<`).FindStringSubmatch(c.do(req{method: "PROPFIND", path: doc, user: "bob",
		header: map[string]string{"Depth": "0"}, body: `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><oc:fileid/></d:prop></d:propfind>`}).body)
	if m == nil {
		t.Fatal("no oc:fileid")
	}
	vs := c.doElsewhere(req{method: "PROPFIND", path: "/dav/versions/" + m[1] + "/", user: "rita", header: map[string]string{"Depth": "1"}}, put2.by)
	hrefs := regexp.MustCompile(`<[a-zA-Z]*:?href>([^<]*/versions/\d+/\d+)</`).FindAllStringSubmatch(vs.body, -1)
	if vs.code != http.StatusMultiStatus || len(hrefs) != 1 {
		t.Fatalf("versions via %s: %d %s", vs.by, vs.code, vs.body)
	}
	u, _ := url.Parse(hrefs[0][1])
	if v := c.doElsewhere(req{method: "GET", path: u.Path, user: "rita"}, put2.by, vs.by); v.code != 200 || v.body != "first draft" {
		t.Fatalf("old version via %s: %d %q", v.by, v.code, v.body)
	}
	for _, p := range c.names {
		if g := c.doElsewhere(req{method: "GET", path: doc, user: "rita"}, without(c.names, p)...); g.code != 200 || g.body != "second draft" {
			t.Fatalf("GET via %s: %d %q", g.by, g.code, g.body)
		}
	}
	// A Range request is served from the object store in part.
	if g := c.do(req{method: "GET", path: doc, user: "rita", header: map[string]string{"Range": "bytes=7-11"}}); g.code != http.StatusPartialContent || g.body != "draft" {
		t.Fatalf("range GET via %s: %d %q", g.by, g.code, g.body)
	}

	// A LOCK taken via one process blocks a PUT via another, until the
	// token is given.
	lock := c.do(req{method: "LOCK", path: doc, user: "bob", header: map[string]string{"Timeout": "Second-600"},
		body: `<?xml version="1.0"?><d:lockinfo xmlns:d="DAV:"><d:lockscope><d:exclusive/></d:lockscope><d:locktype><d:write/></d:locktype><d:owner>bob</d:owner></d:lockinfo>`})
	token := lock.resp.Header.Get("Lock-Token")
	if lock.code != 200 || token == "" {
		t.Fatalf("LOCK: %d %s", lock.code, lock.body)
	}
	if p := c.doElsewhere(req{method: "PUT", path: doc, user: "bob", body: "no token"}, lock.by); p.code != http.StatusLocked {
		t.Fatalf("PUT without the token via %s (lock via %s): %d", p.by, lock.by, p.code)
	}
	if p := c.do(req{method: "PUT", path: doc, user: "bob", body: "third draft", header: map[string]string{"If": "(" + token + ")"}}); p.code != http.StatusNoContent {
		t.Fatalf("PUT with the token via %s: %d %s", p.by, p.code, p.body)
	}
	if u := c.do(req{method: "UNLOCK", path: doc, user: "bob", header: map[string]string{"Lock-Token": token}}); u.code != http.StatusNoContent {
		t.Fatalf("UNLOCK via %s: %d %s", u.by, u.code, u.body)
	}
}

func without(all []string, keep string) []string {
	var out []string
	for _, a := range all {
		if a != keep {
			out = append(out, a)
		}
	}
	return out
}

func scaleSession(t *testing.T, c *cluster) {
	login := c.do(req{method: "POST", path: "/login", body: url.Values{"login": {"rita"}, "password": {"password-rita"}}.Encode(),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	var cookie *http.Cookie
	for _, ck := range login.resp.Cookies() {
		if ck.Value != "" {
			cookie = ck
		}
	}
	if login.code != http.StatusSeeOther || cookie == nil {
		t.Fatalf("login: %d %v", login.code, login.resp.Header)
	}
	for _, p := range c.names {
		a := c.doElsewhere(req{method: "GET", path: "/s/team/chat", cookie: cookie}, without(c.names, p)...)
		if a.code != 200 {
			t.Errorf("session from %s used on %s: %d", login.by, a.by, a.code)
		}
	}
	if a := c.do(req{method: "GET", path: "/s/team/chat", cookie: &http.Cookie{Name: cookie.Name, Value: "forged"}}); a.code == 200 {
		t.Error("a forged session cookie was accepted")
	}
}

func scaleChat(t *testing.T, c *cluster) {
	page := c.do(req{method: "GET", path: "/s/team/chat", user: "bob"})
	m := regexp.MustCompile(`name="member" value="(\d+)"> Rita`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("chat page without Rita: %d", page.code)
	}
	start := c.do(req{method: "POST", path: "/s/team/chat", user: "bob", body: url.Values{"member": {m[1]}}.Encode(),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	conv := strings.TrimPrefix(start.resp.Header.Get("Location"), "/s/team/chat/")
	if start.code != http.StatusSeeOther || conv == "" {
		t.Fatalf("start a conversation: %d", start.code)
	}
	// A WebSocket through the balancer, on another process than not.
	dial := func(login, not string) (*websocket.Conn, chan chatFrame, string) {
		for range 20 {
			ws, ch, resp := dialChat(t, c.url, login)
			if by := resp.Header.Get(servedBy); by != "" && by != not {
				return ws, ch, by
			}
			ws.CloseNow()
		}
		t.Fatalf("%s: every WebSocket landed on %s", login, not)
		return nil, nil, ""
	}
	_, ritaCh, ritaOn := dial("rita", "")
	waitFrame(t, ritaCh, "rita's hello", func(f chatFrame) bool { return f.Type == "hello" })
	bob, bobCh, bobOn := dial("bob", ritaOn)
	waitFrame(t, bobCh, "bob's hello", func(f chatFrame) bool { return f.Type == "hello" })
	send := `{"type":"send","conversation":` + conv + `,"body":"across processes"}`
	if err := bob.Write(context.Background(), websocket.MessageText, []byte(send)); err != nil {
		t.Fatal(err)
	}
	waitFrame(t, ritaCh, "bob's message (sent on "+bobOn+") on "+ritaOn, func(f chatFrame) bool {
		return f.Type == "message" && f.Message != nil && f.Message.Body == "across processes"
	})
}

// scaleFederation has a remote actor (a tiny inbox in this test) follow
// the public space through the balancer: the Accept is queued by the
// process that took the Follow, and delivered once, whichever process's
// queue worker takes it.
func scaleFederation(t *testing.T, c *cluster) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	var accepts, others atomic.Int64
	var remote *httptest.Server
	remote = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "GET" && r.URL.Path == "/actor":
			w.Header().Set("Content-Type", "application/activity+json")
			json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck
				"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
				"id":       remote.URL + "/actor", "type": "Person", "preferredUsername": "fan",
				"inbox":     remote.URL + "/inbox",
				"publicKey": map[string]string{"id": remote.URL + "/actor#main-key", "owner": remote.URL + "/actor", "publicKeyPem": pemKey},
			})
		case r.Method == "POST" && r.URL.Path == "/inbox":
			var act struct{ Type string }
			json.NewDecoder(r.Body).Decode(&act) //nolint:errcheck
			if act.Type == "Accept" {
				accepts.Add(1)
			} else {
				others.Add(1)
			}
			w.WriteHeader(http.StatusAccepted)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(remote.Close)

	body, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": remote.URL + "/follows/1", "type": "Follow", "actor": remote.URL + "/actor", "object": c.url + "/ap/spaces/team"})
	hr, _ := http.NewRequest("POST", c.url+"/ap/spaces/team/inbox", bytes.NewReader(body))
	hr.Header.Set("Content-Type", "application/activity+json")
	hr.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	hr.Header.Set("Host", hr.URL.Host)
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256,
		[]string{httpsig.RequestTarget, "host", "date", "digest"}, httpsig.Signature, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := signer.SignRequest(key, remote.URL+"/actor#main-key", hr, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("Follow via %s: %d %s", resp.Header.Get(servedBy), resp.StatusCode, msg)
	}
	deadline := time.Now().Add(20 * time.Second)
	for accepts.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	// Every process polls the queue every 2 s: a second delivery would come
	// within that.
	time.Sleep(3 * time.Second)
	if n := accepts.Load(); n != 1 {
		t.Errorf("Accept delivered %d times, want once (other activities: %d)", n, others.Load())
	}
}

// scaleKill writes files through the balancer while one process is
// killed with SIGKILL: every write that was acknowledged is there, with
// its content, read through the processes left.
func scaleKill(t *testing.T, c *cluster) {
	const n = 40
	var mu sync.Mutex
	acked := map[int]bool{}
	var byVictim atomic.Int64
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 2 {
				hr, _ := http.NewRequest("PUT", fmt.Sprintf("%s/dav/spaces/team/kill-%d.txt", c.url, i), strings.NewReader(fmt.Sprintf("content %d", i)))
				hr.SetBasicAuth("bob", "password-bob")
				resp, err := http.DefaultClient.Do(hr)
				if err != nil {
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					if resp.Header.Get(servedBy) == c.names[1] {
						byVictim.Add(1)
					}
					mu.Lock()
					acked[i] = true
					mu.Unlock()
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	victim := c.procs[1]
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if byVictim.Load() == 0 {
		t.Errorf("no write was acknowledged by the killed process %s", c.names[1])
	}
	if len(acked) < n/2 {
		t.Fatalf("only %d of %d writes acknowledged with a process killed", len(acked), n)
	}
	for i := range acked {
		g := c.do(req{method: "GET", path: fmt.Sprintf("/dav/spaces/team/kill-%d.txt", i), user: "rita"})
		if g.code != 200 || g.body != fmt.Sprintf("content %d", i) {
			t.Errorf("acknowledged kill-%d.txt via %s: %d %q", i, g.by, g.code, g.body)
		}
		if g.by == c.names[1] {
			t.Errorf("the killed process %s answered", g.by)
		}
	}
	t.Logf("%d of %d writes acknowledged around the kill (%d by the killed process), all read back", len(acked), n, byVictim.Load())
}

// scaleBackup backs up the cluster's database and bucket with the
// command, and restores it into an empty database and another bucket.
func scaleBackup(t *testing.T, c *cluster) {
	file := filepath.Join(t.TempDir(), "plaza.tar.gz")
	if r := c.in.run("", "backup", file); r.code != 0 || !strings.Contains(r.stdout, "backup written") {
		t.Fatalf("backup: %d %s %s", r.code, r.stdout, r.stderr)
	}
	to := &instance{t: t, env: []string{"PATH=" + os.Getenv("PATH"), "PLAZA_DATA=" + t.TempDir(),
		"PLAZA_DATABASE_URL=" + coretest.FreshPostgresURL(t),
		"PLAZA_BLOB_URL=s3://restored?endpoint=http://" + c.s3.Endpoint + "&region=" + c.s3.Region,
		"AWS_ACCESS_KEY_ID=" + c.s3.AccessKey, "AWS_SECRET_ACCESS_KEY=" + c.s3.SecretKey}}
	if r := to.run("", "restore", file); r.code != 0 {
		t.Fatalf("restore: %d %s", r.code, r.stderr)
	}
	// The current content of report.txt is in the other bucket.
	o := c.s3
	o.Bucket = "restored"
	back, err := s3.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("third draft"))
	f, err := back.Open(context.Background(), hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatalf("restored content: %v", err)
	}
	defer f.Close()
	if b, _ := io.ReadAll(f); string(b) != "third draft" {
		t.Errorf("restored content %q", b)
	}
}
