//go:build bench

package files_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"plaza/core/coretest"
	corefiles "plaza/core/files"
	"plaza/core/store"
)

// BenchmarkPropfind10k times PROPFIND Depth 1 on a folder of 10,000 files
// in this process (for profiles: go test -tags bench -run '^$' -bench
// Propfind10k -cpuprofile …), with and without the listing cache. The
// folder is filled once per run; with PLAZA_BENCH_DATA naming a directory
// the filled database is kept there and reused by later runs; with
// PLAZA_BENCH_DB_URL naming an empty PostgreSQL database too, the files
// are kept there (and their blobs in PLAZA_BENCH_DATA).
func BenchmarkPropfind10k(b *testing.B) {
	ctx := context.Background()
	dir := os.Getenv("PLAZA_BENCH_DATA")
	if dir == "" {
		dir = b.TempDir()
	}
	_, err := os.Stat(filepath.Join(dir, "filled"))
	filled := err == nil
	opts := store.Options{DataDir: dir}
	if u := os.Getenv("PLAZA_BENCH_DB_URL"); u != "" {
		opts = store.Options{URL: u} // PostgreSQL, blobs in PLAZA_BENCH_DATA
	}
	db, err := store.Open(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if !filled {
		coretest.Migrate(b, db)
	}
	// after-write: every listing follows a change in the folder (a file
	// overwritten), which is what makes a listing be read again, from the
	// database and from pages other connections have just written.
	// checksums: the cached listing asking oc:checksums too (rclone's
	// owncloud vendor), which reads the hashes and digests besides.
	for _, name := range []string{"uncached", "cached", "after-write", "checksums"} {
		fo := corefiles.Options{ListingCacheMin: -1}
		if name != "uncached" {
			fo = corefiles.Options{}
		}
		b.Run(name, func(b *testing.B) {
			w := newWorldOver(b, db, filepath.Join(dir, "blobs"), fo, !filled)
			if filled {
				runPropfinds(b, w, name == "after-write", name == "checksums")
				return
			}
			w.expect(201, "alice", "MKCOL", "/dav/files/alice/many", nil, "")
			root := mustRootB(b, w)
			var wg sync.WaitGroup
			next := make(chan int)
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						p := []string{"many", fmt.Sprintf("file-%05d.txt", i)}
						if _, _, err := w.files.Put(ctx, w.subject("alice"), root, p, strings.NewReader(fmt.Sprint("x", i)), corefiles.PutOptions{}); err != nil {
							b.Error(err)
						}
					}
				}()
			}
			for i := range 10000 {
				next <- i
			}
			close(next)
			wg.Wait()
			if err := os.WriteFile(filepath.Join(dir, "filled"), nil, 0o644); err != nil {
				b.Fatal(err)
			}
			filled = true
			runPropfinds(b, w, name == "after-write", name == "checksums")
		})
	}
}

func runPropfinds(b *testing.B, w *world, write, checksums bool) {
	body := `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/></D:prop></D:propfind>`
	if checksums {
		body = strings.Replace(body, "<D:getetag/>", `<D:getetag/><oc:checksums xmlns:oc="http://owncloud.org/ns"/>`, 1)
	}
	client := &http.Client{}
	root := mustRootB(b, w)
	b.ResetTimer()
	for i := range b.N {
		if write {
			b.StopTimer()
			p := []string{"many", fmt.Sprintf("file-%05d.txt", i%10000)}
			if _, _, err := w.files.Put(context.Background(), w.subject("alice"), root, p, strings.NewReader(fmt.Sprint("y", i)), corefiles.PutOptions{}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		req, _ := http.NewRequest("PROPFIND", w.srv.URL+"/dav/files/alice/many/", strings.NewReader(body))
		req.Header.Set("Depth", "1")
		req.SetBasicAuth("alice", password)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 207 || n < 10000*100 {
			b.Fatalf("PROPFIND: %d, %d bytes", resp.StatusCode, n)
		}
	}
}

func mustRootB(b *testing.B, w *world) *corefiles.Root {
	r, err := w.files.PersonalRoot(context.Background(), w.ids["alice"])
	if err != nil {
		b.Fatal(err)
	}
	return r
}
