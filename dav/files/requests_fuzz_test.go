package files_test

import (
	"strings"
	"testing"

	"plaza/core/coretest"
	corefiles "plaza/core/files"
	"plaza/core/store"
)

// headerSafe drops what net/http refuses in a header value.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// FuzzRequests sends arbitrary bodies (PROPFIND, PROPPATCH, LOCK, MKCOL),
// If and Destination headers through the real WebDAV handler: the answer
// is never a server failure and the server never panics.
func FuzzRequests(f *testing.F) {
	for _, c := range [][4]string{
		{"PROPFIND", `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`, "", ""},
		{"PROPPATCH", `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32LastModifiedTime>x</Z:Win32LastModifiedTime></D:prop></D:set></D:propertyupdate>`, "", ""},
		{"LOCK", `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>me</D:owner></D:lockinfo>`, "", ""},
		{"LOCK", "", "(<opaquelocktoken:nope>)", ""},
		{"MKCOL", "<x/>", "", ""},
		{"COPY", "", `<http://h/dav/files/alice/f.txt> (["etag"])`, "/dav/files/alice/g.txt"},
		{"MOVE", "", "", "http://elsewhere/dav/files/alice/h.txt"},
		{"PUT", "content", "(Not <DAV:no-lock>)", ""},
	} {
		f.Add(c[0], c[1], c[2], c[3])
	}
	db := coretest.OpenDB(f, store.SQLite)
	w := newWorld(f, db, corefiles.Options{})
	w.expect(201, "alice", "PUT", "/dav/files/alice/f.txt", nil, "f")
	methods := []string{"PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "MKCOL", "COPY", "MOVE", "PUT", "GET", "DELETE"}
	f.Fuzz(func(t *testing.T, method, body, ifHdr, dest string) {
		w.t = t
		if !strings.Contains(strings.Join(methods, " "), method) || method == "" || strings.Contains(method, " ") {
			method = "PROPFIND"
		}
		target := "/dav/files/alice/f.txt"
		if method == "MKCOL" {
			target = "/dav/files/alice/d/"
		}
		hdr := map[string]string{"Depth": "1"}
		if s := headerSafe(ifHdr); s != "" {
			hdr["If"] = s
		}
		if s := headerSafe(dest); s != "" {
			hdr["Destination"] = s
		}
		if method == "UNLOCK" {
			hdr["Lock-Token"] = headerSafe(ifHdr)
		}
		// 502 is the answer for a Destination on another server.
		if r, b := w.do("alice", method, target, hdr, body); r.StatusCode >= 500 && r.StatusCode != 502 {
			t.Fatalf("%s %v: %d %s", method, hdr, r.StatusCode, b)
		}
	})
}
