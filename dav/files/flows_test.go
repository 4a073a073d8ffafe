package files_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Replays of what real clients send, after ../shared/client-flows
// (windows-miniredir, macos-finder, davfs2, gvfs), with plaza's paths.

const (
	statBody = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:">
<D:prop>
<D:getlastmodified/>
<D:getcontentlength/>
<D:creationdate/>
<D:resourcetype/>
</D:prop>
</D:propfind>`
	win32Body = `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32CreationTime>Wed, 04 Nov 2020 13:25:51 GMT</Z:Win32CreationTime><Z:Win32LastAccessTime>Sat, 05 Dec 2020 21:16:12 GMT</Z:Win32LastAccessTime><Z:Win32LastModifiedTime>Wed, 04 Nov 2020 13:25:51 GMT</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`
)

func lockBody(owner string) string {
	return `<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>` + owner + `</D:owner></D:lockinfo>`
}

func lockToken(t *testing.T, resp *http.Response, body string) string {
	t.Helper()
	tok := strings.Trim(resp.Header.Get("Lock-Token"), "<>")
	if !strings.HasPrefix(tok, "opaquelocktoken:") || !strings.Contains(body, tok) || !strings.Contains(body, "<D:activelock>") {
		t.Fatalf("LOCK answer: token %q body %s", tok, body)
	}
	return tok
}

func TestWindowsExplorerFlow(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		tf := map[string]string{"translate": "f"}
		with := func(kv ...string) map[string]string {
			m := map[string]string{"translate": "f"}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i]] = kv[i+1]
			}
			return m
		}
		resp, _ := w.expect(200, "", "OPTIONS", "/", tf, "")
		if !strings.Contains(resp.Header.Get("DAV"), "2") || resp.Header.Get("MS-Author-Via") != "DAV" {
			t.Fatalf("OPTIONS / headers %v", resp.Header)
		}
		w.expect(200, "", "OPTIONS", "/dav/files/alice/", tf, "")
		_, b := w.expect(207, "alice", "PROPFIND", "/dav/files/alice", with("Depth", "0"), "")
		if !strings.Contains(b, "<D:collection/>") || !strings.Contains(b, "<D:getlastmodified>") || !strings.Contains(b, "<D:creationdate>") {
			t.Errorf("mount PROPFIND: %s", b)
		}
		_, b = w.expect(207, "alice", "PROPFIND", "/dav/files/alice/", with("Depth", "0", "Content-Type", `text/xml; charset="utf-8"`),
			`<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>`)
		if !strings.Contains(b, "<D:quota-available-bytes>") || !strings.Contains(b, "<D:quota-used-bytes>") {
			t.Errorf("quota: %s", b)
		}
		w.expect(207, "alice", "PROPFIND", "/dav/files/alice/", with("Depth", "1"), "")
		file := "/dav/files/alice/Report%202020.docx"
		w.expect(404, "alice", "PROPFIND", file, with("Depth", "0"), "")
		w.expect(201, "alice", "PUT", file, tf, "")
		resp, b = w.expect(200, "alice", "LOCK", file, with("Timeout", "Second-3600", "Content-Type", `text/xml; charset="utf-8"`),
			lockBody(`<D:href>DOMAIN\alice</D:href>`))
		tok := lockToken(t, resp, b)
		if !strings.Contains(b, "Second-3600") && !strings.Contains(b, "Second-3599") {
			t.Errorf("timeout not echoed: %s", b)
		}
		ifTok := "(<" + tok + ">)"
		_, b = w.expect(207, "alice", "PROPPATCH", file, with("If", ifTok), win32Body)
		if strings.Count(b, "200 OK") != 1 || strings.Count(b, "<Z:Win32") != 4 {
			t.Errorf("PROPPATCH: %s", b)
		}
		resp, _ = w.expect(200, "alice", "HEAD", file, tf, "")
		if resp.Header.Get("Content-Length") != "0" || resp.Header.Get("ETag") == "" || resp.Header.Get("Last-Modified") == "" {
			t.Errorf("HEAD headers %v", resp.Header)
		}
		w.expect(423, "alice", "PUT", file, tf, "without the token")
		w.expect(404, "bob", "PUT", file, tf, "not even visible to bob") // the lock is checked after access: nothing leaks
		w.expect(204, "alice", "PUT", file, with("If", ifTok), "the document")
		w.expect(207, "alice", "PROPPATCH", file, with("If", ifTok),
			`<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32LastModifiedTime>Wed, 04 Nov 2020 13:25:51 GMT</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`)
		w.expect(204, "alice", "UNLOCK", file, with("Lock-Token", "<"+tok+">"), "")
		_, b = w.expect(207, "alice", "PROPFIND", file, with("Depth", "0"), "")
		if !strings.Contains(b, "<D:getcontentlength>12<") || !strings.Contains(b, "Wed, 04 Nov 2020 13:25:51 GMT</D:getlastmodified>") {
			t.Errorf("final PROPFIND: %s", b)
		}
		// The empty placeholder is not kept as a version.
		w.expect(201, "alice", "MKCOL", "/dav/files/alice/New%20folder", tf, "")
		w.expect(207, "alice", "PROPPATCH", "/dav/files/alice/New%20folder", tf, win32Body)
		w.expect(201, "alice", "MOVE", "/dav/files/alice/New%20folder", with("Destination", w.srv.URL+"/dav/files/alice/Renamed", "Overwrite", "F"), "")
		w.expect(204, "alice", "DELETE", file, tf, "")
		w.expect(207, "bob", "PROPFIND", "/dav/spaces/team/", with("Depth", "1"), "")
	})
}

func TestFinderFlow(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		xml := map[string]string{"Depth": "0", "Content-Type": "text/xml"}
		w.expect(200, "", "OPTIONS", "/dav/files/alice/", nil, "")
		w.expect(401, "", "PROPFIND", "/dav/files/alice/", xml, statBody)
		w.expect(207, "alice", "PROPFIND", "/dav/files/alice/", xml, statBody)
		_, b := w.expect(207, "alice", "PROPFIND", "/dav/files/alice/", xml, `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/><D:quota/><D:quotaused/></D:prop></D:propfind>`)
		if !strings.Contains(b, "<D:quota-used-bytes>") || !strings.Contains(b, "<D:quota/>") || !strings.Contains(b, "404 Not Found") {
			t.Errorf("quota answer: %s", b)
		}
		for _, probe := range []string{".DS_Store", "._.", ".hidden", ".localized", ".metadata_never_index", ".ql_disablethumbnails", "Backups.backupdb", "mach_kernel"} {
			w.expect(404, "alice", "PROPFIND", "/dav/files/alice/"+probe, xml, statBody)
		}
		file, apple := "/dav/files/alice/photo.jpg", "/dav/files/alice/._photo.jpg"
		w.expect(404, "alice", "PROPFIND", file, xml, statBody)
		w.expect(201, "alice", "PUT", file, nil, "")
		w.expect(404, "alice", "PROPFIND", apple, xml, statBody)
		lock := map[string]string{"Depth": "0", "Timeout": "Second-600", "Content-Type": `text/xml; charset="utf-8"`}
		resp, b := w.expect(200, "alice", "LOCK", file, lock, lockBody(`<D:href>http://www.apple.com/webdav_fs/</D:href>`))
		tok := lockToken(t, resp, b)
		content := strings.Repeat("jpeg", 300000)
		req, _ := http.NewRequest("PUT", w.srv.URL+file, io.MultiReader(strings.NewReader(content)))
		req.ContentLength = -1 // chunked
		req.Header.Set("If", "(<"+tok+">)")
		req.Header.Set("X-Expected-Entity-Length", "1200000")
		req.SetBasicAuth("alice", password)
		presp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		presp.Body.Close()
		if presp.StatusCode != 204 {
			t.Fatalf("chunked PUT under lock: %d", presp.StatusCode)
		}
		_, b = w.expect(200, "alice", "LOCK", file, map[string]string{"If": "(<" + tok + ">)", "Timeout": "Second-600"}, "")
		if !strings.Contains(b, tok) {
			t.Errorf("refresh: %s", b)
		}
		w.expect(201, "alice", "PUT", apple, nil, "")
		resp, b = w.expect(200, "alice", "LOCK", apple, lock, lockBody(`<D:href>http://www.apple.com/webdav_fs/</D:href>`))
		tok2 := lockToken(t, resp, b)
		resp, _ = w.expect(200, "alice", "GET", apple, nil, "")
		if resp.Header.Get("Content-Length") != "0" {
			t.Errorf("empty AppleDouble: %v", resp.Header)
		}
		w.expect(204, "alice", "PUT", apple, map[string]string{"If": "(<" + tok2 + ">)"}, strings.Repeat("\x00", 4096))
		w.expect(204, "alice", "UNLOCK", apple, map[string]string{"Lock-Token": "<" + tok2 + ">"}, "")
		w.expect(204, "alice", "UNLOCK", file, map[string]string{"Lock-Token": "<" + tok + ">"}, "")
		_, b = w.expect(207, "alice", "PROPFIND", "/dav/files/alice/", map[string]string{"Depth": "1", "Content-Type": "text/xml"}, statBody)
		if !strings.Contains(b, "/dav/files/alice/photo.jpg<") || !strings.Contains(b, "/dav/files/alice/._photo.jpg<") ||
			!strings.Contains(b, "<D:getcontentlength>1200000<") {
			t.Errorf("listing: %s", b)
		}
		w.expect(201, "alice", "MOVE", file, map[string]string{"Destination": w.srv.URL + "/dav/files/alice/renamed.jpg", "Overwrite": "F"}, "")
		w.expect(201, "alice", "MOVE", apple, map[string]string{"Destination": w.srv.URL + "/dav/files/alice/._renamed.jpg", "Overwrite": "F"}, "")
		w.expect(204, "alice", "DELETE", "/dav/files/alice/renamed.jpg", nil, "")
		w.expect(204, "alice", "DELETE", "/dav/files/alice/._renamed.jpg", nil, "")
	})
}

func TestDavfs2AndGvfsFlows(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		neon := `<?xml version="1.0" encoding="utf-8"?>
<propfind xmlns="DAV:"><prop>
<getetag xmlns="DAV:"/>
<getcontentlength xmlns="DAV:"/>
<getlastmodified xmlns="DAV:"/>
<resourcetype xmlns="DAV:"/>
<executable xmlns="http://apache.org/dav/props/"/>
</prop></propfind>`
		hdr := map[string]string{"Depth": "1", "Content-Type": "application/xml", "Connection": "TE", "TE": "trailers"}
		w.expect(200, "", "OPTIONS", "/dav/files/alice/", nil, "")
		_, b := w.expect(207, "alice", "PROPFIND", "/dav/files/alice/", hdr, neon)
		if !strings.Contains(b, `<X:executable xmlns:X="http://apache.org/dav/props/"/>`) {
			t.Errorf("executable should be a 404 propstat: %s", b)
		}
		w.expect(207, "alice", "PROPFIND", "/dav/files/", map[string]string{"Depth": "0"}, neon)
		file := "/dav/files/alice/notes.txt"
		resp, b := w.expect(201, "alice", "LOCK", file, map[string]string{"Depth": "0", "Timeout": "Second-1800", "Content-Type": "application/xml"},
			`<?xml version="1.0" encoding="utf-8"?>
<lockinfo xmlns='DAV:'>
 <lockscope><exclusive/></lockscope>
<locktype><write/></locktype><owner>alice</owner>
</lockinfo>`)
		tok := lockToken(t, resp, b)
		resp, _ = w.expect(200, "alice", "GET", file, nil, "")
		etag := resp.Header.Get("ETag")
		w.expect(304, "alice", "GET", file, map[string]string{"If-None-Match": etag}, "")
		tagged := "<" + w.srv.URL + file + "> (<" + tok + ">)"
		w.expect(412, "alice", "PUT", file, map[string]string{"If": tagged, "If-Match": `"other"`}, "edited")
		resp, _ = w.expect(204, "alice", "PUT", file, map[string]string{"If": tagged, "If-Match": etag}, "edited")
		_, b = w.expect(207, "alice", "PROPFIND", file, map[string]string{"Depth": "0"}, neon)
		if !strings.Contains(b, "<D:getetag>"+resp.Header.Get("ETag")+"<") {
			t.Errorf("new etag %s not in %s", resp.Header.Get("ETag"), b)
		}
		w.expect(204, "alice", "UNLOCK", file, map[string]string{"Lock-Token": "<" + tok + ">"}, "")

		// gvfs: root probes, then a copy, rename and delete.
		w.expect(200, "", "OPTIONS", "/", nil, "")
		rootProbe := `<?xml version="1.0" encoding="utf-8" ?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>`
		w.expect(401, "", "PROPFIND", "/", map[string]string{"Depth": "0", "Content-Type": "application/xml"}, rootProbe)
		_, b = w.expect(207, "alice", "PROPFIND", "/", map[string]string{"Depth": "0", "Content-Type": "application/xml"}, rootProbe)
		if !strings.Contains(b, "<D:collection/>") {
			t.Errorf("root probe: %s", b)
		}
		// a path that is not there is not a folder
		w.expect(404, "alice", "PROPFIND", "/gone/away/", map[string]string{"Depth": "0", "Content-Type": "application/xml"}, rootProbe)
		_, b = w.expect(207, "alice", "PROPFIND", "/dav/files/alice/", map[string]string{"Depth": "1", "Content-Type": "application/xml"},
			`<?xml version="1.0" encoding="utf-8" ?>
<D:propfind xmlns:D="DAV:"><D:prop><D:creationdate/><D:displayname/><D:getcontentlength/><D:getcontenttype/><D:getetag/><D:getlastmodified/><D:resourcetype/></D:prop></D:propfind>`)
		if !strings.Contains(b, "<D:getcontenttype>text/plain") {
			t.Errorf("content type for icons: %s", b)
		}
		resp, _ = w.expect(201, "alice", "PUT", "/dav/files/alice/copy.txt", map[string]string{"If-None-Match": "*"}, "gvfs")
		if resp.Header.Get("ETag") == "" {
			t.Error("no ETag")
		}
		w.expect(201, "alice", "MOVE", "/dav/files/alice/copy.txt", map[string]string{"Destination": w.srv.URL + "/dav/files/alice/moved.txt", "Overwrite": "F"}, "")
		w.expect(204, "alice", "DELETE", "/dav/files/alice/moved.txt", nil, "")
	})
}
