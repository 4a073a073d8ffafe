//go:build bench

package files_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plaza/core/coretest"
	corefiles "plaza/core/files"
	"plaza/core/store"
)

// TestBenchSmallVsNginx measures the small requests sync clients send
// most, on plaza (a child process, Basic authentication, SQLite and, when
// PLAZA_TEST_DATABASE_URL is set, PostgreSQL) and nginx's dav module side
// by side: GET of a 4 KiB file and PROPFIND Depth 0 on a folder under 32
// connections (wrk, from Debian, as the load client: a Go client would
// take much of the 2 cores it measures), and PUT of small files over 4
// connections, each a new file. It prints a table of rates and ratios.
// PLAZA_BENCH_SECONDS (default 5) is the length of each wrk run,
// PLAZA_BENCH_PUTS (default 10,000) the number of small files.
func TestBenchSmallVsNginx(t *testing.T) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Fatal("wrk is not installed (apt-get install wrk)")
	}
	seconds, puts := 5, 10000
	if v, err := strconv.Atoi(os.Getenv("PLAZA_BENCH_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	if v, err := strconv.Atoi(os.Getenv("PLAZA_BENCH_PUTS")); err == nil && v > 0 {
		puts = v
	}
	ctx := context.Background()
	loadStart := loadAverage()

	type server struct{ name, base, login string }
	var servers []server
	dataDir := t.TempDir()
	db, err := store.Open(ctx, store.Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	coretest.Migrate(t, db)
	newWorldIn(t, db, filepath.Join(dataDir, "blobs"), corefiles.Options{})
	_, u := startChild(t, dataDir, filepath.Join(dataDir, "blobs"))
	servers = append(servers, server{"plaza SQLite", u + "/dav/files/alice", "alice"})
	if os.Getenv(coretest.EnvDatabaseURL) != "" {
		servers = append(servers, server{"plaza PostgreSQL", startChildPG(t) + "/dav/files/alice", "alice"})
	}
	www := filepath.Join(t.TempDir(), "www")
	os.MkdirAll(www, 0o755)
	port := freePort(t)
	startNginx(t, nginxPath(t), www, port)
	servers = append(servers, server{"nginx dav", "http://127.0.0.1:" + port, ""})

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8, DisableCompression: true}}
	send := func(s server, method, url, body string, hdr ...string) int {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		if s.login != "" {
			req.SetBasicAuth(s.login, password)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, s := range servers {
		send(s, "MKCOL", s.base+"/small/", "")
		send(s, "MKCOL", s.base+"/puts/", "")
		if c := send(s, "PUT", s.base+"/small/f4k.bin", strings.Repeat("x", 4096)); c >= 300 {
			t.Fatalf("%s: PUT: %d", s.name, c)
		}
	}

	// rate runs wrk for seconds with 32 connections and returns its
	// requests per second, failing on any non-2xx answer.
	script := filepath.Join(t.TempDir(), "req.lua")
	rate := func(s server, method, path string, hdr ...string) float64 {
		var b strings.Builder
		fmt.Fprintf(&b, "wrk.method = %q\n", method)
		if s.login != "" {
			req, _ := http.NewRequest("GET", "/", nil)
			req.SetBasicAuth(s.login, password)
			fmt.Fprintf(&b, "wrk.headers[\"Authorization\"] = %q\n", req.Header.Get("Authorization"))
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			fmt.Fprintf(&b, "wrk.headers[%q] = %q\n", hdr[i], hdr[i+1])
		}
		os.WriteFile(script, []byte(b.String()), 0o644)
		out, err := exec.Command(wrk, "-t2", "-c32", "-d"+strconv.Itoa(seconds)+"s", "-s", script, s.base+path).CombinedOutput()
		if err != nil {
			t.Fatalf("wrk %s: %v\n%s", s.name, err, out)
		}
		if strings.Contains(string(out), "Non-2xx") {
			t.Fatalf("wrk %s %s: errors\n%s", s.name, method, out)
		}
		m := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("wrk %s: no rate\n%s", s.name, out)
		}
		r, _ := strconv.ParseFloat(string(m[1]), 64)
		return r
	}
	// putRate PUTs n new files of 1 KiB over 4 connections and returns
	// files per second.
	putRate := func(s server, n int) float64 {
		var next atomic.Int64
		var wg sync.WaitGroup
		body := strings.Repeat("y", 1000)
		start := time.Now()
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(n) {
						return
					}
					if c := send(s, "PUT", fmt.Sprintf("%s/puts/f%06d.txt", s.base, i), fmt.Sprintf("%s%024d", body, i)); c >= 300 {
						t.Errorf("%s PUT: %d", s.name, c)
						return
					}
				}
			}()
		}
		wg.Wait()
		return float64(n) / time.Since(start).Seconds()
	}

	type row struct {
		name  string
		unit  string
		rates []float64 // one per server
	}
	propfind := []string{"Depth", "0"}
	rows := []row{
		{name: "GET 4 KiB, 32 connections", unit: "req/s"},
		{name: "PROPFIND Depth 0 folder, 32 conn.", unit: "req/s"},
		{name: fmt.Sprintf("PUT %d x 1 KiB, 4 connections", puts), unit: "files/s"},
	}
	for _, s := range servers {
		tag := strings.ToLower(s.name[strings.LastIndex(s.name, " ")+1:]) + "-"
		profileChild(t, s.base, tag+"get4k", func() { rows[0].rates = append(rows[0].rates, rate(s, "GET", "/small/f4k.bin")) })
		profileChild(t, s.base, tag+"propfind0", func() {
			rows[1].rates = append(rows[1].rates, rate(s, "PROPFIND", "/small/", propfind...))
		})
		profileChild(t, s.base, tag+"put1k", func() { rows[2].rates = append(rows[2].rates, putRate(s, puts)) })
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%-36s", "workload")
	for _, s := range servers {
		fmt.Fprintf(&b, " %17s", s.name)
	}
	for _, s := range servers[:len(servers)-1] {
		fmt.Fprintf(&b, " %12s", strings.TrimPrefix(s.name, "plaza ")+"/nginx")
	}
	b.WriteString("\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-36s", r.name)
		for _, v := range r.rates {
			fmt.Fprintf(&b, " %9.0f %-7s", v, r.unit)
		}
		for _, v := range r.rates[:len(r.rates)-1] {
			fmt.Fprintf(&b, " %11.2fx", v/r.rates[len(r.rates)-1])
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "load average (1 min) at start %s, at end %s (2 cores shared: compare ratios)\n", loadStart, loadAverage())
	b.WriteString("Not alike: plaza answers a PUT once content, folder entry and row are synced and committed;\n" +
		"nginx's dav module never fsyncs. plaza checks Basic credentials and the ACL on every request.\n")
	t.Log(b.String())
	fmt.Print(b.String())
}

// profileChild records a profile of plaza's child process while f runs,
// when PLAZA_FILES_CHILD_PROFILE names a directory (base is a plaza URL;
// others run f alone).
func profileChild(t *testing.T, base, name string, f func()) {
	i := strings.Index(base, "/dav/")
	if os.Getenv(envChildProfile) == "" || i < 0 {
		f()
		return
	}
	root := base[:i]
	for _, step := range []string{"/debug/profile/start?name=" + name, ""} {
		if step == "" {
			f()
			step = "/debug/profile/stop"
		}
		resp, err := http.Get(root + step)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
}

// startChildPG serves a fresh PostgreSQL database, with newWorldIn's
// accounts, from a child process and returns its base URL.
func startChildPG(t *testing.T) string {
	pgURL := coretest.FreshPostgresURL(t)
	pg, err := store.Open(context.Background(), store.Options{URL: pgURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	coretest.Migrate(t, pg)
	blobs := filepath.Join(t.TempDir(), "blobs")
	newWorldIn(t, pg, blobs, corefiles.Options{})
	_, u := startChild(t, pgURL, blobs)
	return u
}

func nginxPath(t *testing.T) string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	t.Fatal("nginx is not installed (apt-get install nginx-extras)")
	return ""
}
