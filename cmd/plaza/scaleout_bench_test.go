//go:build bench

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBenchScaleOut runs one mixed load (WebDAV GET, PROPFIND and PUT,
// CalDAV REPORT, web page views) through haproxy against 1, 2 and 3
// `plaza serve` processes sharing one PostgreSQL and one S3 bucket, and
// prints the throughput and the p99 of each kind of request. The load is
// closed: PLAZA_BENCH_SCALE_CLIENTS clients (default 16) each send their
// next request when the last one is answered, for PLAZA_BENCH_SCALE_SECONDS
// (default 10). Every process, the database, the object store, haproxy
// and the clients share this machine's cores, so the table says what one
// machine gains from more processes, not what more machines would.
func TestBenchScaleOut(t *testing.T) {
	clients, seconds := 16, 10
	if v, err := strconv.Atoi(os.Getenv("PLAZA_BENCH_SCALE_CLIENTS")); err == nil && v > 0 {
		clients = v
	}
	if v, err := strconv.Atoi(os.Getenv("PLAZA_BENCH_SCALE_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	type row struct {
		procs int
		total int
		rate  float64
		p99   map[string]time.Duration
		count map[string]int
		fails int
	}
	var rows []row
	kinds := []string{"GET", "PROPFIND", "PUT", "REPORT", "page"}
	for procs := 1; procs <= 3; procs++ {
		t.Run(fmt.Sprintf("%d", procs), func(t *testing.T) {
			c := startCluster(t, procs)
			for _, step := range []struct {
				stdin string
				args  []string
			}{
				{"password-root\n", []string{"user", "add", "root"}},
				{"password-bob\n", []string{"user", "add", "bob", "--name", "Bob"}},
				{"", []string{"space", "add", "team"}},
				{"", []string{"space", "member", "team", "bob"}},
			} {
				if r := c.in.run(step.stdin, step.args...); r.code != 0 {
					t.Fatalf("%v: %s", step.args, r.stderr)
				}
			}
			// 50 files of 16 KiB, 50 events.
			content := strings.Repeat("0123456789abcdef", 1024)
			for i := range 50 {
				if a := c.do(req{method: "PUT", path: fmt.Sprintf("/dav/spaces/team/f%02d.txt", i), user: "bob", body: content}); a.code != http.StatusCreated {
					t.Fatalf("PUT: %d", a.code)
				}
			}
			c.do(req{method: "PROPFIND", path: "/dav/calendars/bob/", user: "bob", header: map[string]string{"Depth": "1"}})
			day := time.Now().UTC().Truncate(24 * time.Hour)
			for i := range 50 {
				start := day.Add(time.Duration(i) * 5 * time.Hour).Format("20060102T150405Z")
				ev := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:e" + strconv.Itoa(i) +
					"\r\nDTSTAMP:" + start + "\r\nDTSTART:" + start + "\r\nDURATION:PT1H\r\nSUMMARY:Event " + strconv.Itoa(i) +
					"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
				if a := c.do(req{method: "PUT", path: fmt.Sprintf("/dav/calendars/bob/personal/e%d.ics", i), user: "bob", body: ev,
					header: map[string]string{"Content-Type": "text/calendar"}}); a.code != http.StatusCreated {
					t.Fatalf("PUT event: %d %s", a.code, a.body)
				}
			}
			report := `<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">` +
				`<d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">` +
				`<c:time-range start="` + day.Format("20060102T150405Z") + `" end="` + day.Add(7*24*time.Hour).Format("20060102T150405Z") + `"/>` +
				`</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`

			tr := &http.Transport{MaxIdleConnsPerHost: clients}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr}
			type sample struct {
				kind string
				d    time.Duration
				ok   bool
			}
			var mu sync.Mutex
			var samples []sample
			stop := time.Now().Add(time.Duration(seconds) * time.Second)
			var wg sync.WaitGroup
			for w := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine []sample
					for i := w; time.Now().Before(stop); i++ {
						var r *http.Request
						kind := kinds[i%len(kinds)]
						switch kind {
						case "GET":
							r, _ = http.NewRequest("GET", fmt.Sprintf("%s/dav/spaces/team/f%02d.txt", c.url, i%50), nil)
						case "PROPFIND":
							r, _ = http.NewRequest("PROPFIND", c.url+"/dav/spaces/team/", nil)
							r.Header.Set("Depth", "1")
						case "PUT":
							r, _ = http.NewRequest("PUT", fmt.Sprintf("%s/dav/spaces/team/w%d-%d.txt", c.url, w, i%20), strings.NewReader(content))
						case "REPORT":
							r, _ = http.NewRequest("REPORT", c.url+"/dav/calendars/bob/personal/", strings.NewReader(report))
							r.Header.Set("Depth", "1")
							r.Header.Set("Content-Type", "application/xml")
						case "page":
							r, _ = http.NewRequest("GET", c.url+"/s/team", nil)
						}
						r.SetBasicAuth("bob", "password-bob")
						t0 := time.Now()
						resp, err := hc.Do(r)
						ok := err == nil
						if err == nil {
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							ok = resp.StatusCode < 400
						}
						mine = append(mine, sample{kind, time.Since(t0), ok})
					}
					mu.Lock()
					samples = append(samples, mine...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			rw := row{procs: procs, p99: map[string]time.Duration{}, count: map[string]int{}}
			by := map[string][]time.Duration{}
			var all []time.Duration
			for _, s := range samples {
				if !s.ok {
					rw.fails++
					continue
				}
				by[s.kind] = append(by[s.kind], s.d)
				all = append(all, s.d)
			}
			p99 := func(ds []time.Duration) time.Duration {
				if len(ds) == 0 {
					return 0
				}
				slices.Sort(ds)
				return ds[min(len(ds)-1, len(ds)*99/100)].Round(100 * time.Microsecond)
			}
			for k, ds := range by {
				rw.count[k] = len(ds)
				rw.p99[k] = p99(ds)
			}
			rw.p99["all"] = p99(all)
			rw.total = len(all)
			rw.rate = float64(len(all)) / float64(seconds)
			rows = append(rows, rw)
			if rw.fails > 0 {
				t.Errorf("%d requests failed", rw.fails)
			}
		})
	}
	fmt.Printf("\nmixed load through haproxy, %d clients, %d s each, PostgreSQL + S3 (versitygw), all on this machine\n", clients, seconds)
	fmt.Printf("| processes | requests/s | p99 all | p99 GET | p99 PROPFIND | p99 PUT | p99 REPORT | p99 page | failed |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Printf("| %d | %.0f | %s | %s | %s | %s | %s | %s | %d |\n", r.procs, r.rate, r.p99["all"],
			r.p99["GET"], r.p99["PROPFIND"], r.p99["PUT"], r.p99["REPORT"], r.p99["page"], r.fails)
	}
}
