package files_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"plaza/core/coretest"
	corefiles "plaza/core/files"
	"plaza/core/store"
)

// Environment of the child server process.
const (
	envCrashChild = "PLAZA_FILES_CRASH_CHILD"
	envCrashDB    = "PLAZA_FILES_CRASH_DB" // SQLite data dir, or postgres:// URL
	envCrashBlobs = "PLAZA_FILES_CRASH_BLOBS"
	// envChildProfile names a directory: the child then answers
	// /debug/profile/start?name=N and /debug/profile/stop, which write
	// N.cpu, N.block, N.mutex and N.heap there and print the CPU time
	// used in between (see TestBenchVsNginx).
	envChildProfile = "PLAZA_FILES_CHILD_PROFILE"
)

// TestCrashChild is the server process TestKillDuringUpload starts (the
// test binary run again); without the environment it does nothing.
func TestCrashChild(t *testing.T) {
	if os.Getenv(envCrashChild) == "" {
		return
	}
	if err := serveChild(os.Getenv(envCrashDB), os.Getenv(envCrashBlobs)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

// serveChild opens the database and blobs, listens on loopback, prints
// its address and serves until killed.
func serveChild(dbArg, blobDir string) error {
	o := store.Options{DataDir: dbArg}
	if strings.HasPrefix(dbArg, "postgres") {
		o = store.Options{URL: dbArg}
	}
	db, err := store.Open(context.Background(), o)
	if err != nil {
		return err
	}
	h, _, _, _, err := server(db, blobDir, corefiles.Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	if dir := os.Getenv(envChildProfile); dir != "" {
		h = profiled(h, dir)
	}
	return http.Serve(ln, h)
}

// profiled adds profiling endpoints in front of h: between start and stop
// the child records a CPU profile and every blocking and contended event.
func profiled(h http.Handler, dir string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	var name string
	var cpu *os.File
	var usage syscall.Rusage
	mux.HandleFunc("/debug/profile/start", func(w http.ResponseWriter, r *http.Request) {
		name = r.URL.Query().Get("name")
		f, err := os.Create(filepath.Join(dir, name+".cpu"))
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		cpu = f
		syscall.Getrusage(syscall.RUSAGE_SELF, &usage) //nolint:errcheck
		// One event per 10 µs blocked.
		runtime.SetBlockProfileRate(10000)
		runtime.SetMutexProfileFraction(10)
	})
	mux.HandleFunc("/debug/profile/stop", func(w http.ResponseWriter, r *http.Request) {
		pprof.StopCPUProfile()
		cpu.Close()
		var now syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &now) //nolint:errcheck
		ms := func(a, b syscall.Timeval) float64 { return float64(b.Nano()-a.Nano()) / 1e6 }
		fmt.Fprintf(os.Stderr, "profile %s: user %.1f ms, system %.1f ms, %d voluntary and %d involuntary switches, %d major faults\n",
			name, ms(usage.Utime, now.Utime), ms(usage.Stime, now.Stime), now.Nvcsw-usage.Nvcsw, now.Nivcsw-usage.Nivcsw, now.Majflt-usage.Majflt)
		for _, p := range []string{"block", "mutex", "heap"} {
			if f, err := os.Create(filepath.Join(dir, name+"."+p)); err == nil {
				pprof.Lookup(p).WriteTo(f, 0) //nolint:errcheck
				f.Close()
			}
		}
		runtime.SetBlockProfileRate(0)
		runtime.SetMutexProfileFraction(0)
	})
	return mux
}

// startChild runs the server in a child process over db and blobDir and
// returns its base URL.
func startChild(t *testing.T, dbArg, blobDir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashChild+"=1", envCrashDB+"="+dbArg, envCrashBlobs+"="+blobDir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		t.Fatalf("child server: %q %v", line, err)
	}
	return cmd, "http://" + strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
}

// pattern is a reader of n bytes of a repeating pattern, with a hook
// after every MiB. It copies from one filled MiB, so that, as a
// benchmark's client, it costs a memory copy per byte and no more: on a
// machine of two cores, a client that spends time making its bytes takes
// it from the server it measures.
type pattern struct {
	n, off int64
	fill   byte
	onMiB  func(int64)
	src    []byte
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if p.src == nil {
		p.src = bytes.Repeat([]byte{p.fill}, 1<<20)
	}
	k := min(int64(len(b)), p.n-p.off, 1<<20-p.off%(1<<20))
	copy(b[:k], p.src)
	p.off += k
	if p.off%(1<<20) == 0 && p.onMiB != nil {
		p.onMiB(p.off >> 20)
	}
	return int(k), nil
}

// TestKillDuringUpload kills (SIGKILL) a server process in the middle of
// a 1 GiB PUT that overwrites a file and one that creates another: the
// previous content must be intact, no partial file visible, no version
// recorded, and the database sound.
func TestKillDuringUpload(t *testing.T) { killDuringUpload(t, 1<<30) }

// killDuringUpload kills the server after 60% of a PUT of size bytes.
func killDuringUpload(t *testing.T, size int64) {
	killAt := size * 6 / 10 >> 20 // MiB
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			var dbArg string
			var db *store.DB
			var err error
			if d == store.SQLite {
				dbArg = t.TempDir()
				db, err = store.Open(ctx, store.Options{DataDir: dbArg})
			} else {
				dbArg = coretest.FreshPostgresURL(t)
				db, err = store.Open(ctx, store.Options{URL: dbArg})
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			coretest.Migrate(t, db)
			blobDir := filepath.Join(t.TempDir(), "blobs")
			w := newWorldIn(t, db, blobDir, corefiles.Options{})
			old := bytes.Repeat([]byte("previous content "), 1000)
			resp, _ := w.expect(201, "alice", "PUT", "/dav/files/alice/big.bin", nil, string(old))
			oldETag := resp.Header.Get("ETag")

			for _, name := range []string{"big.bin", "new.bin"} {
				cmd, base := startChild(t, dbArg, blobDir)
				killed := make(chan struct{})
				before := tmpBytes(blobDir) // partial uploads of earlier kills stay until collected
				body := &pattern{n: size, fill: 'x', onMiB: func(mib int64) {
					if mib == killAt {
						// Wait until the server holds a good part of the upload
						// in its temporary file, then kill it.
						deadline := time.Now().Add(10 * time.Second)
						for time.Now().Before(deadline) && tmpBytes(blobDir)-before < 64<<20 {
							time.Sleep(5 * time.Millisecond)
						}
						if tmpBytes(blobDir)-before < 64<<20 {
							t.Errorf("the server never wrote the upload to a temporary file")
						}
						cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck
						close(killed)
					}
				}}
				req, _ := http.NewRequest("PUT", base+"/dav/files/alice/"+name, body)
				req.ContentLength = size
				req.SetBasicAuth("alice", password)
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
					t.Fatalf("PUT %s finished with %d although the server was killed", name, resp.StatusCode)
				}
				<-killed
				cmd.Wait() //nolint:errcheck
			}

			// The surviving server (this process) sees the old state.
			resp, got := w.expect(200, "alice", "GET", "/dav/files/alice/big.bin", nil, "")
			if got != string(old) || resp.Header.Get("ETag") != oldETag {
				t.Errorf("big.bin changed: %d bytes, etag %s (was %s)", len(got), resp.Header.Get("ETag"), oldETag)
			}
			w.expect(404, "alice", "GET", "/dav/files/alice/new.bin", nil, "")
			n, err := w.files.Lookup(ctx, w.subject("alice"), mustRoot(t, w), []string{"big.bin"})
			if err != nil {
				t.Fatal(err)
			}
			if _, vs, err := w.files.Versions(ctx, w.subject("alice"), n.ID); err != nil || len(vs) != 0 {
				t.Errorf("versions after the crash: %v %v", vs, err)
			}
			if d == store.SQLite {
				var res string
				if err := db.NewRaw("PRAGMA integrity_check").Scan(ctx, &res); err != nil || res != "ok" {
					t.Errorf("integrity_check: %q %v", res, err)
				}
			}
			// A new upload of the same file works and keeps the old one as a version.
			w.expect(204, "alice", "PUT", "/dav/files/alice/big.bin", nil, "after the crash")
			if _, vs, _ := w.files.Versions(ctx, w.subject("alice"), n.ID); len(vs) != 1 || vs[0].ETag != oldETag {
				t.Errorf("versions after a new upload: %+v", vs)
			}
		})
	}
}

func tmpBytes(blobDir string) int64 {
	var n int64
	ents, _ := os.ReadDir(filepath.Join(blobDir, "tmp"))
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func mustRoot(t *testing.T, w *world) *corefiles.Root {
	r, err := w.files.PersonalRoot(context.Background(), w.ids["alice"])
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestLocksAcrossProcesses: a lock taken through one server process holds
// in another sharing the database (locks live in file_locks, not in
// memory), and a lock refreshed or released in one is seen by the other.
func TestLocksAcrossProcesses(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			var dbArg string
			var db *store.DB
			var err error
			if d == store.SQLite {
				dbArg = t.TempDir()
				db, err = store.Open(ctx, store.Options{DataDir: dbArg})
			} else {
				dbArg = coretest.FreshPostgresURL(t)
				db, err = store.Open(ctx, store.Options{URL: dbArg})
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			coretest.Migrate(t, db)
			blobDir := filepath.Join(t.TempDir(), "blobs")
			w := newWorldIn(t, db, blobDir, corefiles.Options{})
			_, other := startChild(t, dbArg, blobDir)
			send := func(base, method, path string, hdr map[string]string, body string) (*http.Response, string) {
				req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
				req.SetBasicAuth("alice", password)
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, string(b)
			}
			resp, b := send(other, "LOCK", "/dav/files/alice/shared.doc", map[string]string{"Timeout": "Second-600"},
				lockBody("<D:href>other process</D:href>"))
			if resp.StatusCode != 201 {
				t.Fatalf("LOCK in the child: %d %s", resp.StatusCode, b)
			}
			tok := lockToken(t, resp, b)
			w.expect(423, "alice", "PUT", "/dav/files/alice/shared.doc", nil, "from this process")
			w.expect(423, "alice", "LOCK", "/dav/files/alice/shared.doc", nil, lockBody("<D:href>here</D:href>"))
			_, b = w.expect(207, "alice", "PROPFIND", "/dav/files/alice/shared.doc", map[string]string{"Depth": "0"}, "")
			if !strings.Contains(b, tok) || !strings.Contains(b, "other process") {
				t.Errorf("lockdiscovery here lacks the child's lock: %s", b)
			}
			w.expect(204, "alice", "PUT", "/dav/files/alice/shared.doc", map[string]string{"If": "(<" + tok + ">)"}, "with the token")
			if resp, _ := send(other, "UNLOCK", "/dav/files/alice/shared.doc", map[string]string{"Lock-Token": "<" + tok + ">"}, ""); resp.StatusCode != 204 {
				t.Fatalf("UNLOCK in the child: %d", resp.StatusCode)
			}
			w.expect(204, "alice", "PUT", "/dav/files/alice/shared.doc", nil, "unlocked everywhere")
		})
	}
}
