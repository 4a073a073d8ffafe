package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"plaza/core/coretest"
)

// The recorded client flows (testdata/client-flows, a copy of the shared
// ../shared/client-flows) replayed request by request against `plaza
// serve`: every status a flow expects, and the headers and properties
// its expectations name that a client relies on.

// flowStep is one request of a flow and what it expects.
type flowStep struct {
	line    int
	method  string
	path    string
	header  [][2]string
	body    string
	expect  string
	comment string
}

func readFlow(t *testing.T, file string) []flowStep {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []flowStep
	var cur *flowStep
	inBody := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "> ") || line == ">":
			text := strings.TrimPrefix(strings.TrimPrefix(line, ">"), " ")
			if cur == nil {
				method, path, _ := strings.Cut(text, " ")
				steps = append(steps, flowStep{line: n, method: method, path: path})
				cur, inBody = &steps[len(steps)-1], false
				continue
			}
			switch {
			case inBody:
				cur.body += text + "\r\n"
			case text == "":
				inBody = true
			default:
				k, v, _ := strings.Cut(text, ":")
				cur.header = append(cur.header, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
			}
		case strings.HasPrefix(line, "< expect:"):
			if cur == nil {
				t.Fatalf("%s:%d: expectation without a request", file, n)
			}
			cur.expect = strings.TrimSpace(strings.TrimPrefix(line, "< expect:"))
			cur = nil
		case strings.HasPrefix(line, "# reconstructed"):
			// applies to the next request: kept for messages only
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for i := range steps {
		steps[i].body = strings.TrimSuffix(steps[i].body, "\r\n")
	}
	return steps
}

var (
	leadCodes  = regexp.MustCompile(`^(\d{3}(?:\s*(?:/|,|or)\s*\d{3})*)`)
	extraCodes = regexp.MustCompile(`(?:then|else|final|\(or|; 201 if the resource did not exist\)?) ?(\d{3})`)
	codeRe     = regexp.MustCompile(`\d{3}`)
	parens     = regexp.MustCompile(`\([^()]*\)`)
	hrefIs     = regexp.MustCompile(`([A-Za-z:-]+)(?:/href)? = (/dav/[^\s;,()]+)`)
	quotedDAV  = regexp.MustCompile(`DAV header (?:contains|must contain|with) "([^"]+)"`)
)

// statuses reads the statuses an expectation accepts: "207 or 401",
// "401 then 207", "301/302/307/308 … then 207", "200 (or 201 …)".
func statuses(expect string) []int {
	clause := expect
	for _, sep := range []string{";", " — "} {
		if i := strings.Index(clause, sep); i >= 0 {
			clause = clause[:i]
		}
	}
	var out []int
	add := func(s string) {
		n, _ := strconv.Atoi(s)
		out = append(out, n)
	}
	if strings.HasPrefix(clause, "redirect") {
		for _, c := range []string{"301", "302", "307", "308"} {
			add(c)
		}
	}
	if m := leadCodes.FindString(clause); m != "" {
		for _, c := range codeRe.FindAllString(m, -1) {
			add(c)
		}
	}
	for _, m := range extraCodes.FindAllStringSubmatch(clause, -1) {
		add(m[1])
	}
	return out
}

// flowVars are the values of a flow's placeholders.
type flowVars struct {
	vals       map[string]string
	etags      map[string]string // path → last ETag (unquoted)
	tokens     map[string]string // collection path → last sync token
	locks      map[string]string // path → lock token, without opaquelocktoken:
	lastBody   map[string]string // method → last literal body
	lastPut    map[string]string // path → last PUT body
	serverURL  string
	fileBytes  string
	appleBytes string
}

func (v *flowVars) fill(s, path string) string {
	s = strings.ReplaceAll(s, "https://{host}", v.serverURL)
	s = strings.ReplaceAll(s, "{etag}", strings.Trim(v.etags[path], `"`))
	s = strings.ReplaceAll(s, "{token}", v.tokens[path])
	s = strings.ReplaceAll(s, "{locktoken}", v.locks[path])
	s = strings.ReplaceAll(s, "{locktoken2}", v.locks[path])
	s = strings.ReplaceAll(s, "{size}", strconv.Itoa(len(v.bodyFor("", path))))
	for k, val := range v.vals {
		s = strings.ReplaceAll(s, "{"+k+"}", val)
	}
	return s
}

// bodyFor is the bytes a stand-in like <file bytes> means.
func (v *flowVars) bodyFor(standIn, path string) string {
	if strings.Contains(path, "/._") || strings.Contains(standIn, "AppleDouble") {
		return v.appleBytes
	}
	return v.fileBytes
}

// isStandIn: a one-line body such as "<file bytes>" or "<same stat
// body>", which the replayer fills in.
func isStandIn(body string) bool {
	return !strings.Contains(body, "\n") && strings.HasPrefix(body, "<") && strings.HasSuffix(body, ">") &&
		!strings.Contains(body, "=") && !strings.Contains(body, "</")
}

func (v *flowVars) realBody(st *flowStep, path string) string {
	if !isStandIn(st.body) {
		if st.body != "" {
			v.lastBody[st.method] = st.body
		}
		return v.fill(st.body, path)
	}
	switch {
	case strings.HasPrefix(st.body, "<same"):
		return v.fill(v.lastBody[st.method], path)
	case strings.Contains(st.body, "iCalendar") || strings.Contains(st.body, "event"):
		prev := v.lastPut[path]
		i := strings.Index(prev, "SUMMARY:")
		if i < 0 {
			return prev
		}
		return prev[:i] + "SEQUENCE:1\r\nSUMMARY:Changed by the replay " + prev[i+len("SUMMARY:"):]
	case strings.Contains(st.body, "vCard"):
		return strings.Replace(v.lastPut[path], "FN:Ada Lovelace", "FN:Ada King", 1)
	}
	return v.bodyFor(st.body, path)
}

var syncTokenRe = regexp.MustCompile(`<D:sync-token>([^<]+)</D:sync-token>`)

// TestClientFlows replays every recorded flow against the real server.
func TestClientFlows(t *testing.T) {
	flows, err := filepath.Glob("testdata/client-flows/*.flow")
	if err != nil || len(flows) < 7 {
		t.Fatalf("flows: %v %v", flows, err)
	}
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, d)
			const pw = "alice-password"
			in.run(pw+"\n", "user", "add", "alice", "--email", "alice@example.org", "--name", "Alice")
			in.run("bob-password\n", "user", "add", "bob")
			in.run("", "space", "add", "team", "--name", "Team")
			in.run("", "space", "member", "team", "alice", "--role", "admin")
			in.run("", "space", "member", "team", "bob")
			srv := in.serve()
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			send := func(method, url string, hdr [][2]string, body string, auth bool) (*http.Response, string) {
				t.Helper()
				req, err := http.NewRequest(method, url, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range hdr {
					switch strings.ToLower(h[0]) {
					case "content-length":
					case "transfer-encoding":
						req.ContentLength = -1 // chunked, as Finder sends
					default:
						req.Header.Add(h[0], h[1])
					}
				}
				if auth {
					req.SetBasicAuth("alice", pw)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp, string(b)
			}
			// {tasks}: a calendar of alice's own besides her personal one
			if resp, b := send("MKCALENDAR", srv.url+"/dav/calendars/alice/tasks/", nil, "", true); resp.StatusCode != 201 {
				t.Fatalf("MKCALENDAR tasks: %d %s", resp.StatusCode, b)
			}
			for _, file := range flows {
				name := strings.TrimSuffix(filepath.Base(file), ".flow")
				t.Run(name, func(t *testing.T) {
					replayFlow(t, name, readFlow(t, file), srv.url, send)
				})
			}
		})
	}
}

type sender func(method, url string, hdr [][2]string, body string, auth bool) (*http.Response, string)

func replayFlow(t *testing.T, name string, steps []flowStep, base string, send sender) {
	v := &flowVars{
		vals: map[string]string{"login": "alice", "slug": "team", "email": "alice@example.org", "cal": "personal",
			"tasks": "tasks", "book": "contacts", "uid": name + "-uid-1", "file": name + "-file.txt",
			"file2": name + "-file-2.txt", "file-renamed": name + "-renamed.txt", "host": strings.TrimPrefix(base, "http://")},
		etags: map[string]string{}, tokens: map[string]string{}, locks: map[string]string{},
		lastBody: map[string]string{}, lastPut: map[string]string{}, serverURL: base,
		fileBytes: strings.Repeat(name+" content\n", 100), appleBytes: strings.Repeat("\x00", 4096),
	}
	for i := range steps {
		st := &steps[i]
		path := strings.ReplaceAll(v.fill(st.path, ""), " ", "%20")
		hdr := make([][2]string, len(st.header))
		for j, h := range st.header {
			hdr[j] = [2]string{h[0], v.fill(h[1], path)}
		}
		body := v.realBody(st, path)
		codes := statuses(st.expect)
		if len(codes) == 0 {
			t.Fatalf("line %d: no status in %q", st.line, st.expect)
		}
		where := name + ".flow:" + strconv.Itoa(st.line) + " " + st.method + " " + path
		auth := st.method != http.MethodOptions
		if codes[0] == 401 {
			resp, _ := send(st.method, base+path, hdr, body, false)
			if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
				t.Fatalf("%s without credentials: %d %v, want 401 with a Basic challenge", where, resp.StatusCode, resp.Header)
			}
			codes = codes[1:]
			if len(codes) == 0 {
				continue
			}
		}
		resp, b := send(st.method, base+path, hdr, body, auth)
		if !containsInt(codes, resp.StatusCode) {
			t.Fatalf("%s: %d, want %v (%s)\n%s", where, resp.StatusCode, codes, st.expect, b)
		}
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 {
			if strings.Contains(st.expect, "Location: /dav/") && loc != "/dav/" {
				t.Fatalf("%s: Location %q", where, loc)
			}
			if !containsInt(codes, 207) {
				continue
			}
			resp, b = send(st.method, base+loc, hdr, body, true)
			if resp.StatusCode != 207 {
				t.Fatalf("%s, redirected to %s: %d\n%s", where, loc, resp.StatusCode, b)
			}
			path = loc
		}
		checkFlowAnswer(t, where, st, v, path, resp, b)
		// remember what later steps refer to
		if e := resp.Header.Get("ETag"); e != "" {
			v.etags[path] = e
		}
		if st.method == http.MethodPut {
			v.lastPut[path] = body
		}
		if tok := resp.Header.Get("Lock-Token"); tok != "" {
			v.locks[path] = strings.TrimPrefix(strings.Trim(tok, "<>"), "opaquelocktoken:")
		}
		if resp.StatusCode == 207 && (st.method == "REPORT" || headerOf(hdr, "Depth") == "0") {
			if m := syncTokenRe.FindStringSubmatch(b); m != nil {
				v.tokens[path] = m[1]
			}
		}
	}
}

func headerOf(hdr [][2]string, name string) string {
	for _, h := range hdr {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// checkFlowAnswer checks what an expectation names beyond the status:
// headers (ETag, Lock-Token, DAV), hrefs ("current-user-principal =
// /dav/principals/{login}/"), and that every collection answers the
// owner and calendar-color a client asked for.
func checkFlowAnswer(t *testing.T, where string, st *flowStep, v *flowVars, path string, resp *http.Response, body string) {
	t.Helper()
	ok := resp.StatusCode < 300
	exp := v.fill(st.expect, path)
	if ok && strings.Contains(exp, "ETag") && (st.method == http.MethodPut || st.method == http.MethodHead) && resp.Header.Get("ETag") == "" {
		t.Errorf("%s: no ETag header", where)
	}
	if ok && st.method == "LOCK" && strings.Contains(exp, "Lock-Token") && resp.Header.Get("Lock-Token") == "" {
		t.Errorf("%s: no Lock-Token header", where)
	}
	if st.method == http.MethodOptions {
		dav := resp.Header.Get("DAV")
		for _, m := range quotedDAV.FindAllStringSubmatch(parens.ReplaceAllString(exp, ""), -1) {
			if !strings.Contains(dav, m[1]) {
				t.Errorf("%s: DAV %q lacks %q", where, dav, m[1])
			}
		}
		if strings.Contains(exp, "DAV: 1, 2") && !strings.Contains(dav, "2") {
			t.Errorf("%s: DAV %q is not class 2", where, dav)
		}
	}
	if resp.StatusCode != 207 {
		return
	}
	if !strings.Contains(body, "<D:multistatus") && !strings.Contains(body, ":multistatus") {
		t.Fatalf("%s: not a multistatus:\n%s", where, body)
	}
	for _, m := range hrefIs.FindAllStringSubmatch(parens.ReplaceAllString(exp, ""), -1) {
		if !strings.Contains(body, m[2]) {
			t.Errorf("%s: %s should be %s:\n%s", where, m[1], m[2], body)
		}
	}
	if strings.Contains(exp, "mailto:") && !strings.Contains(body, "mailto:alice@example.org") {
		t.Errorf("%s: no mailto: address:\n%s", where, body)
	}
	// a collection in a home answers owner and colour when asked
	for _, prop := range []string{"owner", "calendar-color"} {
		if !strings.Contains(st.body, prop) {
			continue
		}
		for _, r := range strings.Split(body, "<D:response>")[1:] {
			isColl := strings.Contains(r, ":calendar/>") || strings.Contains(r, ":addressbook/>")
			if prop == "calendar-color" && !strings.Contains(r, ":calendar/>") {
				isColl = false
			}
			if isColl && !regexp.MustCompile(`<[A-Za-z]+:`+prop+`>[^<]*(<D:href>[^<]+</D:href>)?[^<]*</[A-Za-z]+:`+prop+`>`).MatchString(r) {
				t.Errorf("%s: a collection without %s:\n%s", where, prop, r)
			}
		}
	}
}
