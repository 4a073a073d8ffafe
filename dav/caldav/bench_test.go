//go:build bench

package caldav_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

// peer is one server under test: its calendar and address book URLs.
type peer struct {
	name      string
	cal, book string // absolute URLs with trailing slash
	user      string
	client    *http.Client
}

func (p *peer) do(t testing.TB, method, url, body string, hdr ...string) (int, string, http.Header) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(p.user, davtest.Password)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), resp.Header
}

func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Minute}
}

// startRadicale runs Radicale (Debian package) on loopback with its own
// configuration and storage in a temporary directory.
func startRadicale(t *testing.T) *peer {
	bin, err := exec.LookPath("radicale")
	if err != nil {
		t.Fatal("radicale is missing: apt-get install radicale (see .ci/deps)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("[server]\nhosts = %s\n[auth]\ntype = none\n[storage]\nfilesystem_folder = %s\n[logging]\nlevel = warning\n[web]\ntype = none\n",
		addr, filepath.Join(dir, "collections"))
	os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o600)
	cmd := exec.Command(bin, "--config", filepath.Join(dir, "config"))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			t.Fatal("radicale did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	p := &peer{name: "radicale", cal: "http://" + addr + "/alice/cal/", book: "http://" + addr + "/alice/book/", user: "alice", client: newClient()}
	if st, b, _ := p.do(t, "MKCALENDAR", p.cal, ""); st != 201 {
		t.Fatalf("radicale MKCALENDAR: %d %s", st, b)
	}
	if st, b, _ := p.do(t, "MKCOL", p.book, `<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>`); st != 201 {
		t.Fatalf("radicale MKCOL: %d %s", st, b)
	}
	return p
}

func startPlaza(t *testing.T, db *store.DB, name string) *peer {
	e := davtest.Start(t, db)
	p := &peer{name: name, cal: e.URL + "/dav/calendars/alice/personal/", book: e.URL + "/dav/addressbooks/alice/contacts/", user: "alice", client: newClient()}
	p.do(t, "PROPFIND", e.URL+"/dav/calendars/alice/", "", "Depth", "1")
	p.do(t, "PROPFIND", e.URL+"/dav/addressbooks/alice/", "", "Depth", "1")
	return p
}

// benchEvent i: spread over 2024, every tenth one weekly ×10.
func benchEvent(i, n int) (string, []time.Time, time.Duration) {
	start := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * (365 * 24 * time.Hour / time.Duration(n)))
	start = start.Truncate(time.Minute)
	uid := fmt.Sprintf("bench-%06d", i)
	rrule := ""
	starts := []time.Time{start}
	if i%10 == 0 {
		rrule = "RRULE:FREQ=WEEKLY;COUNT=10\r\n"
		for k := 1; k < 10; k++ {
			starts = append(starts, start.AddDate(0, 0, 7*k))
		}
	}
	d := time.Hour
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//plaza bench//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:" + start.Format("20060102T150405Z") + "\r\nDTEND:" +
		start.Add(d).Format("20060102T150405Z") + "\r\n" + rrule + "SUMMARY:Bench event " + uid +
		"\r\nDESCRIPTION:Benchmark event number " + uid + " with a little text to make it realistic.\r\nLOCATION:Room 1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", starts, d
}

// putAll PUTs n events with 4 parallel clients and returns events/s.
func putAll(t *testing.T, p *peer, from, n, total int) float64 {
	start := time.Now()
	var wg sync.WaitGroup
	ch := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				body, _, _ := benchEvent(i, total)
				if st, b, _ := p.do(t, "PUT", fmt.Sprintf("%sbench-%06d.ics", p.cal, i), body, "Content-Type", "text/calendar", "If-None-Match", "*"); st != 201 {
					t.Errorf("%s PUT: %d %s", p.name, st, b)
				}
			}
		}()
	}
	for i := from; i < from+n; i++ {
		ch <- i
	}
	close(ch)
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

func median(t *testing.T, runs int, f func()) time.Duration {
	var ds []time.Duration
	for range runs {
		s := time.Now()
		f()
		ds = append(ds, time.Since(s))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

var tokenRE = regexp.MustCompile(`<(?:[A-Za-z0-9]+:)?sync-token>([^<]*)</(?:[A-Za-z0-9]+:)?sync-token>`)

var (
	monthStart = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	monthEnd   = time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
)

func expectedInMonth(n int) int {
	c := 0
	for i := range n {
		_, starts, d := benchEvent(i, n)
		for _, s := range starts {
			if s.Before(monthEnd) && s.Add(d).After(monthStart) {
				c++
				break
			}
		}
	}
	return c
}

type result struct {
	put2k, put10k, query, multiget, sync, cardQuery float64 // events/s or ms
	queryCount, cards                               int
}

func measure(t *testing.T, p *peer, n int) result {
	var r result
	r.put2k = putAll(t, p, 0, n, n)
	t.Logf("%s: PUT %d events: %.0f/s", p.name, n, r.put2k)
	want := expectedInMonth(n)
	q := `<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240601T000000Z" end="20240701T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	r.query = ms(median(t, 5, func() {
		st, body, _ := p.do(t, "REPORT", p.cal, q, "Depth", "1", "Content-Type", "application/xml")
		if got := strings.Count(body, "<D:response>") + strings.Count(body, "<response>"); st != 207 || got != want {
			t.Errorf("%s calendar-query: %d, %d results, want %d", p.name, st, got, want)
		}
		r.queryCount = want
	}))
	var hrefs strings.Builder
	path := p.cal[strings.Index(p.cal[8:], "/")+8:]
	for i := range 100 {
		fmt.Fprintf(&hrefs, "<D:href>%sbench-%06d.ics</D:href>", path, i*(n/100))
	}
	mg := `<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>` + hrefs.String() + `</C:calendar-multiget>`
	r.multiget = ms(median(t, 5, func() {
		st, body, _ := p.do(t, "REPORT", p.cal, mg, "Depth", "1", "Content-Type", "application/xml")
		if got := strings.Count(body, "BEGIN:VEVENT"); st != 207 || got != 100 {
			t.Errorf("%s multiget: %d, %d events", p.name, st, got)
		}
	}))
	// sync-collection after one change
	syncq := func(tok string) string {
		return `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>` + tok + `</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
	}
	tokenOf := func(body string) string {
		m := tokenRE.FindAllStringSubmatch(body, -1)
		if len(m) == 0 {
			t.Fatalf("%s: no sync-token in %s", p.name, body)
		}
		return m[len(m)-1][1]
	}
	_, body, _ := p.do(t, "REPORT", p.cal, syncq(""), "Depth", "1")
	tok := tokenOf(body)
	var ds []time.Duration
	for k := range 21 {
		ev, _, _ := benchEvent(k, n)
		ev = strings.Replace(ev, "SUMMARY:Bench", fmt.Sprintf("SUMMARY:Changed %d", k), 1)
		if st, b, _ := p.do(t, "PUT", fmt.Sprintf("%sbench-%06d.ics", p.cal, k), ev, "Content-Type", "text/calendar"); st >= 300 {
			t.Fatalf("%s edit: %d %s", p.name, st, b)
		}
		s := time.Now()
		st, body, _ := p.do(t, "REPORT", p.cal, syncq(tok), "Depth", "1", "Content-Type", "application/xml")
		ds = append(ds, time.Since(s))
		if got := strings.Count(body, "<D:response>") + strings.Count(body, "<response>"); st != 207 || got != 1 {
			t.Errorf("%s sync-collection after one change: %d, %d responses", p.name, st, got)
		}
		tok = tokenOf(body)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	r.sync = ms(ds[len(ds)/2])
	// 1,000 cards, query on FN
	var wg sync.WaitGroup
	ch := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				name := "Person"
				if i%10 == 0 {
					name = "Needle"
				}
				card := fmt.Sprintf("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:card-%04d\r\nFN:%s %04d\r\nN:%04d;%s;;;\r\nEMAIL:p%04d@example.org\r\nEND:VCARD\r\n", i, name, i, i, name, i)
				if st, b, _ := p.do(t, "PUT", fmt.Sprintf("%scard-%04d.vcf", p.book, i), card, "Content-Type", "text/vcard"); st != 201 {
					t.Errorf("%s card PUT: %d %s", p.name, st, b)
				}
			}
		}()
	}
	for i := range 1000 {
		ch <- i
	}
	close(ch)
	wg.Wait()
	aq := `<?xml version="1.0" encoding="utf-8"?><C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop><C:filter><C:prop-filter name="FN"><C:text-match collation="i;unicode-casemap" match-type="contains">needle</C:text-match></C:prop-filter></C:filter></C:addressbook-query>`
	r.cardQuery = ms(median(t, 5, func() {
		st, body, _ := p.do(t, "REPORT", p.book, aq, "Depth", "1", "Content-Type", "application/xml")
		if got := strings.Count(body, "<D:response>") + strings.Count(body, "<response>"); st != 207 || got != 100 {
			t.Errorf("%s addressbook-query: %d, %d results, want 100", p.name, st, got)
		}
	}))
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// TestBenchCalDAV measures plaza (SQLite, and PostgreSQL when configured)
// side by side with Radicale and prints a table.
func TestBenchCalDAV(t *testing.T) {
	const n = 2000
	results := map[string]result{}
	var names []string
	for _, d := range coretest.Dialects() {
		db := coretest.OpenDB(t, d)
		name := "plaza/" + string(d)
		p := startPlaza(t, db, name)
		r := measure(t, p, n)
		// plaza alone at 10,000: the rest of the events on top
		big := startPlaza(t, coretest.OpenDB(t, d), name+"-10k")
		first := putAll(t, big, 0, 2000, 10000)
		r.put10k = putAll(t, big, 2000, 8000, 10000)
		t.Logf("%s: 10k PUT first 2000 %.0f/s, next 8000 %.0f/s", name, first, r.put10k)
		results[name] = r
		names = append(names, name)
	}
	if os.Getenv("PLAZA_BENCH_NO_RADICALE") == "" { // quick runs while tuning
		rad := startRadicale(t)
		results["radicale"] = measure(t, rad, n)
		names = append(names, "radicale")
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%-44s", "operation")
	for _, n := range names {
		fmt.Fprintf(&b, " %16s", n)
	}
	row := func(label string, f func(result) float64, unit string) {
		fmt.Fprintf(&b, "\n%-44s", label)
		for _, n := range names {
			v := f(results[n])
			if v == 0 {
				fmt.Fprintf(&b, " %16s", "-")
				continue
			}
			fmt.Fprintf(&b, " %12.1f %-3s", v, unit)
		}
	}
	row("PUT 2,000 events (4 clients)", func(r result) float64 { return r.put2k }, "/s")
	row("PUT events 2,001-10,000 (4 clients)", func(r result) float64 { return r.put10k }, "/s")
	row(fmt.Sprintf("calendar-query 1 month (%d hits), median", results[names[0]].queryCount), func(r result) float64 { return r.query }, "ms")
	row("calendar-multiget 100, median", func(r result) float64 { return r.multiget }, "ms")
	row("sync-collection after 1 change, median", func(r result) float64 { return r.sync }, "ms")
	row("addressbook-query over 1,000 cards, median", func(r result) float64 { return r.cardQuery }, "ms")
	rr, ok := results["radicale"]
	p := results[names[0]]
	if ok {
		fmt.Fprintf(&b, "\n\n%s vs radicale: query %.1f× faster, multiget %.1f×, sync %.1f×, addressbook-query %.1f×, PUT %.1f×\n",
			names[0], rr.query/p.query, rr.multiget/p.multiget, rr.sync/p.sync, rr.cardQuery/p.cardQuery, p.put2k/rr.put2k)
	}
	t.Log(b.String())
	fmt.Println(b.String())
}
