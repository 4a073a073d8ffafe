package files_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plaza/core/coretest"
	corefiles "plaza/core/files"
	"plaza/core/store"
)

// rawRequest writes a request head announcing size bytes of body, then
// only part of them, half-closes the connection and reads the answer.
func (w *world) rawRequest(t *testing.T, method, path, login string, size int, part string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(w.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	auth := base64.StdEncoding.EncodeToString([]byte(login + ":" + password))
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n%s",
		method, path, auth, size, part)
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s cut short: no answer: %v", method, path, err)
	}
	resp.Body.Close()
	return resp
}

// A body cut short is never acknowledged: the write is not stored and
// the answer is a 4xx (issue 20, item 6).
func TestTruncatedBody(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		for _, n := range []int{100, 300 << 10, 5 << 20} {
			part := strings.Repeat("x", n/2)
			resp := w.rawRequest(t, "PUT", fmt.Sprintf("/dav/files/alice/cut-%d.txt", n), "alice", n, part)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("PUT of %d bytes cut at half: %d, want 400", n, resp.StatusCode)
			}
			w.expect(404, "alice", "GET", fmt.Sprintf("/dav/files/alice/cut-%d.txt", n), nil, "")
		}
		resp := w.rawRequest(t, "PROPFIND", "/dav/files/alice/", "alice", 400, `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>`)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("PROPFIND with a cut body: %d, want 400", resp.StatusCode)
		}
	})
}

// smallDisk mounts a tmpfs of size bytes on a fresh folder, unmounted at
// cleanup. Mounting needs root, which CI has.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root (CI runs as root)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// A full disk answers 507 Insufficient Storage and stores nothing.
func TestFullDisk(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorldIn(t, db, filepath.Join(smallDisk(t, "1m"), "blobs"), corefiles.Options{})
		w.expect(201, "alice", "PUT", "/dav/files/alice/small.txt", nil, "fits")
		_, b := w.expect(507, "alice", "PUT", "/dav/files/alice/big.bin", nil, strings.Repeat("x", 3<<20))
		if strings.Contains(b, "internal") {
			t.Errorf("507 body %q", b)
		}
		w.expect(404, "alice", "GET", "/dav/files/alice/big.bin", nil, "")
		w.expect(200, "alice", "GET", "/dav/files/alice/small.txt", nil, "")
	})
}

// No stored name or content runs script in the server's origin: listing
// hrefs stay relative paths, and stored files come with nosniff, a
// sandbox policy, and as downloads when a browser would run them
// (issue 20, item 9).
func TestUserContentCannotScript(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		w.expect(201, "alice", "PUT", "/dav/files/alice/javascript:alert(document.domain)", nil, "x")
		w.expect(201, "alice", "PUT", "/dav/files/alice/page.html", map[string]string{"Content-Type": "text/html"}, "<script>alert(1)</script>")
		w.expect(201, "alice", "PUT", "/dav/files/alice/pic.svg", nil, `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
		w.expect(201, "alice", "PUT", "/dav/files/alice/photo.png", nil, "\x89PNG\r\n")
		resp, b := w.expect(200, "alice", "GET", "/dav/files/alice/", nil, "")
		if strings.Contains(b, `href="javascript:`) || !strings.Contains(b, `href="./javascript:alert%28document.domain%29"`) {
			t.Errorf("listing hrefs:\n%s", b)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("listing headers %v", resp.Header)
		}
		for file, attach := range map[string]bool{"page.html": true, "pic.svg": true, "photo.png": false} {
			resp, _ := w.expect(200, "alice", "GET", "/dav/files/alice/"+file, nil, "")
			h := resp.Header
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: no nosniff", file)
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("%s: Content-Security-Policy %q", file, csp)
			}
			if got := strings.HasPrefix(h.Get("Content-Disposition"), "attachment"); got != attach {
				t.Errorf("%s: Content-Disposition %q", file, h.Get("Content-Disposition"))
			}
		}
	})
}

// COPY and MOVE to another server are refused with 502, and a PROPPATCH
// of a Win32LastModifiedTime that is no date fails that property (409)
// and the rest of the update (424), storing nothing (issue 20, item 10).
func TestBadDestinationsAndDates(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		w.expect(201, "alice", "PUT", "/dav/files/alice/a.txt", nil, "a")
		for _, m := range []string{"COPY", "MOVE"} {
			w.expect(502, "alice", m, "/dav/files/alice/a.txt",
				map[string]string{"Destination": "http://elsewhere.example/dav/files/alice/" + m + ".txt"}, "")
			w.expect(404, "alice", "GET", "/dav/files/alice/"+m+".txt", nil, "")
		}
		w.expect(200, "alice", "GET", "/dav/files/alice/a.txt", nil, "")
		host := strings.TrimPrefix(w.srv.URL, "http://")
		w.expect(201, "alice", "COPY", "/dav/files/alice/a.txt", map[string]string{"Destination": "http://" + strings.ToUpper(host) + "/dav/files/alice/b.txt"}, "")
		w.expect(201, "alice", "COPY", "/dav/files/alice/a.txt", map[string]string{"Destination": "/dav/files/alice/c.txt"}, "")

		patch := func(date string) string {
			return `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:" xmlns:x="urn:x"><D:set><D:prop>` +
				`<Z:Win32LastModifiedTime>` + date + `</Z:Win32LastModifiedTime><x:color>red</x:color></D:prop></D:set></D:propertyupdate>`
		}
		_, b := w.expect(207, "alice", "PROPPATCH", "/dav/files/alice/a.txt", nil, patch("not a date"))
		if !strings.Contains(b, "409 Conflict") || !strings.Contains(b, "424 Failed Dependency") || strings.Contains(b, "200 OK") {
			t.Errorf("PROPPATCH with a bad date:\n%s", b)
		}
		_, b = w.expect(207, "alice", "PROPFIND", "/dav/files/alice/a.txt", map[string]string{"Depth": "0"},
			`<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:x="urn:x"><D:prop><x:color/></D:prop></D:propfind>`)
		if strings.Contains(b, "red") {
			t.Errorf("a refused PROPPATCH stored a property:\n%s", b)
		}
		_, b = w.expect(207, "alice", "PROPPATCH", "/dav/files/alice/a.txt", nil, patch("Wed, 01 Jul 2026 10:00:00 GMT"))
		if strings.Contains(b, "409") || !strings.Contains(b, "200 OK") {
			t.Errorf("PROPPATCH with a good date:\n%s", b)
		}
	})
}
