package files_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

const propAll = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns"><D:prop>
<D:resourcetype/><D:getetag/><D:getcontentlength/><D:getlastmodified/><D:quota-available-bytes/><D:quota-used-bytes/>
<D:current-user-privilege-set/><oc:fileid/><oc:permissions/><D:lockdiscovery/><D:supportedlock/></D:prop></D:propfind>`

func wellFormed(t *testing.T, body string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML (%v):\n%s", err, body)
		}
	}
}

var fileIDRE = regexp.MustCompile(`<oc:fileid>(\d+)</oc:fileid>`)

func TestProtocol(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		d0 := map[string]string{"Depth": "0"}
		d1 := map[string]string{"Depth": "1"}

		t.Run("OPTIONS without credentials advertises class 2 and MS-Author-Via", func(t *testing.T) {
			for _, p := range []string{"/", "/dav/files/alice/", "/dav/spaces/team/x"} {
				resp, _ := w.expect(200, "", "OPTIONS", p, nil, "")
				if dav := resp.Header.Get("DAV"); !strings.Contains(dav, "1, 2") {
					t.Errorf("%s: DAV %q", p, dav)
				}
				if resp.Header.Get("MS-Author-Via") != "DAV" || !strings.Contains(resp.Header.Get("Allow"), "LOCK") {
					t.Errorf("%s: headers %v", p, resp.Header)
				}
			}
		})
		t.Run("server root and DAV homes answer PROPFIND", func(t *testing.T) {
			root := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>`
			w.expect(401, "", "PROPFIND", "/", d0, root)
			w.expect(207, "alice", "PROPFIND", "/", d0, root)
			w.expect(401, "", "PROPFIND", "/dav/files/alice/", d0, "")
			_, b := w.expect(207, "alice", "PROPFIND", "/dav/files/", d1, "")
			if !strings.Contains(b, "/dav/files/alice/") {
				t.Errorf("files home lists no alice: %s", b)
			}
			_, b = w.expect(207, "bob", "PROPFIND", "/dav/spaces/", d1, "")
			if !strings.Contains(b, "/dav/spaces/team/") {
				t.Errorf("spaces home lists no team: %s", b)
			}
			_, b = w.expect(207, "carol", "PROPFIND", "/dav/spaces/", d1, "")
			if strings.Contains(b, "/dav/spaces/team/") {
				t.Errorf("carol sees a space she is not in: %s", b)
			}
		})
		t.Run("PROPFIND Depth infinity is refused with propfind-finite-depth", func(t *testing.T) {
			_, b := w.expect(403, "alice", "PROPFIND", "/dav/files/alice/", map[string]string{"Depth": "infinity"}, "")
			if !strings.Contains(b, "propfind-finite-depth") {
				t.Errorf("body %s", b)
			}
		})
		t.Run("207 has an XML Content-Type and the collection properties", func(t *testing.T) {
			resp, b := w.expect(207, "alice", "PROPFIND", "/dav/files/alice", d0, propAll)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
				t.Errorf("Content-Type %q", ct)
			}
			wellFormed(t, b)
			for _, want := range []string{"<D:collection/>", "<D:quota-available-bytes>", "<D:quota-used-bytes>0<",
				"<D:privilege><D:all/></D:privilege>", "<oc:fileid>", "<D:supportedlock><D:lockentry>"} {
				if !strings.Contains(b, want) {
					t.Errorf("missing %s in\n%s", want, b)
				}
			}
		})
		t.Run("Prefer return=minimal and Brief drop the 404 propstat", func(t *testing.T) {
			body := `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><x:nope xmlns:x="urn:x"/></D:prop></D:propfind>`
			_, b := w.expect(207, "alice", "PROPFIND", "/dav/files/alice/", d0, body)
			if !strings.Contains(b, "404 Not Found") {
				t.Errorf("without Prefer: %s", b)
			}
			for _, h := range []map[string]string{{"Depth": "0", "Prefer": "return=minimal"}, {"Depth": "0", "Brief": "t"}} {
				resp, b := w.expect(207, "alice", "PROPFIND", "/dav/files/alice/", h, body)
				if strings.Contains(b, "404") || strings.Contains(b, "nope") || !strings.Contains(b, "<D:getetag>") {
					t.Errorf("%v: %s", h, b)
				}
				if h["Prefer"] != "" && resp.Header.Get("Preference-Applied") != "return=minimal" {
					t.Errorf("no Preference-Applied: %v", resp.Header)
				}
			}
		})
		t.Run("MKCOL", func(t *testing.T) {
			w.expect(201, "alice", "MKCOL", "/dav/files/alice/dir", nil, "")
			w.expect(405, "alice", "MKCOL", "/dav/files/alice/dir", nil, "")
			w.expect(405, "alice", "MKCOL", "/dav/files/alice/", nil, "")
			w.expect(409, "alice", "MKCOL", "/dav/files/alice/no/such", nil, "")
			w.expect(415, "alice", "MKCOL", "/dav/files/alice/withbody", nil, "<x/>")
		})
		var etag string
		t.Run("PUT gives an ETag; conditional requests give 412", func(t *testing.T) {
			resp, _ := w.expect(201, "alice", "PUT", "/dav/files/alice/dir/a.txt", map[string]string{"If-None-Match": "*"}, "one")
			etag = resp.Header.Get("ETag")
			if etag == "" || resp.Header.Get("OC-FileId") == "" {
				t.Fatalf("PUT headers %v", resp.Header)
			}
			w.expect(412, "alice", "PUT", "/dav/files/alice/dir/a.txt", map[string]string{"If-None-Match": "*"}, "two")
			w.expect(412, "alice", "PUT", "/dav/files/alice/dir/a.txt", map[string]string{"If-Match": `"stale"`}, "two")
			w.expect(412, "alice", "PUT", "/dav/files/alice/dir/new.txt", map[string]string{"If-Match": "*"}, "two")
			resp, _ = w.expect(204, "alice", "PUT", "/dav/files/alice/dir/a.txt", map[string]string{"If-Match": etag}, "two")
			if resp.Header.Get("ETag") == etag || resp.Header.Get("ETag") == "" {
				t.Errorf("ETag did not change: %q", resp.Header.Get("ETag"))
			}
			w.expect(412, "alice", "DELETE", "/dav/files/alice/dir/a.txt", map[string]string{"If-Match": etag}, "")
			w.expect(412, "alice", "MOVE", "/dav/files/alice/dir/a.txt", map[string]string{"If-Match": etag, "Destination": "/dav/files/alice/dir/z.txt"}, "")
			w.expect(412, "alice", "PROPPATCH", "/dav/files/alice/dir/a.txt", map[string]string{"If-Match": etag},
				`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">1</x:a></D:prop></D:set></D:propertyupdate>`)
			resp, _ = w.expect(304, "alice", "GET", "/dav/files/alice/dir/a.txt", map[string]string{"If-None-Match": resp.Header.Get("ETag")}, "")
			_ = resp
			w.expect(405, "alice", "PUT", "/dav/files/alice/dir", nil, "x")
			w.expect(409, "alice", "PUT", "/dav/files/alice/nodir/a.txt", nil, "x")
			w.expect(409, "alice", "PUT", "/dav/files/alice/dir/a.txt/b", nil, "x")
		})
		t.Run("chunked PUT (Finder) is stored whole; Range works", func(t *testing.T) {
			content := strings.Repeat("0123456789", 100000)
			req, _ := http.NewRequest("PUT", w.srv.URL+"/dav/files/alice/chunked.bin", io.MultiReader(strings.NewReader(content)))
			req.SetBasicAuth("alice", password)
			req.ContentLength = -1
			req.Header.Set("X-Expected-Entity-Length", "1000000")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 201 {
				t.Fatalf("chunked PUT: %d", resp.StatusCode)
			}
			_, b := w.expect(200, "alice", "GET", "/dav/files/alice/chunked.bin", nil, "")
			if b != content {
				t.Fatalf("stored %d bytes, sent %d", len(b), len(content))
			}
			resp, b = w.expect(206, "alice", "GET", "/dav/files/alice/chunked.bin", map[string]string{"Range": "bytes=10-19"}, "")
			if b != "0123456789" || resp.Header.Get("Last-Modified") == "" {
				t.Errorf("range: %q", b)
			}
		})
		t.Run("AppleDouble and .DS_Store are ordinary files", func(t *testing.T) {
			for _, name := range []string{"._a.txt", ".DS_Store", "._."} {
				w.expect(404, "alice", "PROPFIND", "/dav/files/alice/"+name, d0, "")
				w.expect(201, "alice", "PUT", "/dav/files/alice/"+name, nil, "\x00\x05\x16\x07apple")
				_, b := w.expect(200, "alice", "GET", "/dav/files/alice/"+name, nil, "")
				if b != "\x00\x05\x16\x07apple" {
					t.Errorf("%s: %q", name, b)
				}
			}
		})
		t.Run("NFC and NFD names are two names that round-trip", func(t *testing.T) {
			nfc, nfd := "caf%C3%A9.txt", "cafe%CC%81.txt"
			w.expect(201, "alice", "PUT", "/dav/files/alice/"+nfc, nil, "nfc")
			w.expect(201, "alice", "PUT", "/dav/files/alice/"+nfd, nil, "nfd")
			if _, b := w.expect(200, "alice", "GET", "/dav/files/alice/"+nfd, nil, ""); b != "nfd" {
				t.Errorf("NFD got %q", b)
			}
			_, b := w.expect(207, "alice", "PROPFIND", "/dav/files/alice/", d1, "")
			if !strings.Contains(b, "/dav/files/alice/"+nfc+"<") || !strings.Contains(b, "/dav/files/alice/"+nfd+"<") {
				t.Errorf("listing lacks the exact names:\n%s", b)
			}
			long := strings.Repeat("%C3%A9", 255)
			w.expect(201, "alice", "PUT", "/dav/files/alice/"+long, nil, "long")
			w.expect(400, "alice", "PUT", "/dav/files/alice/"+long+"x", nil, "too long")
			w.expect(201, "alice", "PUT", "/dav/files/alice/sp%20ace%20%26%20%25%2B.txt", nil, "odd")
			w.expect(200, "alice", "GET", "/dav/files/alice/sp%20ace%20%26%20%25%2B.txt", nil, "")
		})
		t.Run("Win32 PROPPATCH answers 207 with 200 per property, on files and folders", func(t *testing.T) {
			body := `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32CreationTime>Wed, 04 Nov 2020 13:25:51 GMT</Z:Win32CreationTime><Z:Win32LastAccessTime>Sat, 05 Dec 2020 21:16:12 GMT</Z:Win32LastAccessTime><Z:Win32LastModifiedTime>Wed, 04 Nov 2020 13:25:51 GMT</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`
			for _, p := range []string{"/dav/files/alice/dir/a.txt", "/dav/files/alice/dir/", "/dav/files/alice/dir"} {
				_, b := w.expect(207, "alice", "PROPPATCH", p, nil, body)
				wellFormed(t, b)
				if strings.Count(b, "<Z:Win32") != 4 || !strings.Contains(b, "200 OK") || strings.Contains(b, "403") {
					t.Errorf("%s:\n%s", p, b)
				}
			}
			_, b := w.expect(207, "alice", "PROPFIND", "/dav/files/alice/dir/a.txt", d0, "")
			if !strings.Contains(b, "Wed, 04 Nov 2020 13:25:51 GMT</D:getlastmodified>") || !strings.Contains(b, "<Z:Win32FileAttributes>00000020<") {
				t.Errorf("Win32 times not kept:\n%s", b)
			}
		})
		t.Run("oc:fileid is stable across MOVE; COPY gets a new one", func(t *testing.T) {
			id := func(p string) string {
				_, b := w.expect(207, "alice", "PROPFIND", p, d0, propAll)
				m := fileIDRE.FindStringSubmatch(b)
				if m == nil {
					t.Fatalf("no fileid for %s:\n%s", p, b)
				}
				return m[1]
			}
			before := id("/dav/files/alice/dir/a.txt")
			w.expect(201, "alice", "MOVE", "/dav/files/alice/dir/a.txt", map[string]string{"Destination": w.srv.URL + "/dav/files/alice/b.txt"}, "")
			if after := id("/dav/files/alice/b.txt"); after != before {
				t.Errorf("fileid %s became %s", before, after)
			}
			w.expect(201, "alice", "COPY", "/dav/files/alice/b.txt", map[string]string{"Destination": "/dav/files/alice/c.txt"}, "")
			if c := id("/dav/files/alice/c.txt"); c == before {
				t.Errorf("copy kept the id")
			}
			w.expect(412, "alice", "MOVE", "/dav/files/alice/b.txt", map[string]string{"Destination": "/dav/files/alice/c.txt", "Overwrite": "F"}, "")
			w.expect(502, "alice", "MOVE", "/dav/files/alice/b.txt", map[string]string{"Destination": "/dav/spaces/team/b.txt"}, "")
			w.expect(403, "alice", "MOVE", "/dav/files/alice/dir", map[string]string{"Destination": "/dav/files/alice/dir/sub"}, "")
		})
		t.Run("bad input gets 4xx, never 5xx", func(t *testing.T) {
			cases := []struct {
				method, path string
				hdr          map[string]string
				body         string
				want         int
			}{
				{"PROPFIND", "/dav/files/alice/", d0, "<D:propfind xmlns:D='DAV:'><D:prop>", 400},
				{"PROPFIND", "/dav/files/alice/", d0, "<D:propfind xmlns:D='DAV:'><D:prop><bar:foo xmlns:bar=''/></D:prop></D:propfind>", 400},
				{"PROPFIND", "/dav/files/alice/", d0, "<nope/>", 400},
				{"PROPFIND", "/dav/files/alice/", d0, strings.Repeat("<a>", 1000) + strings.Repeat("</a>", 1000), 400},
				{"PROPFIND", "/dav/files/alice/", map[string]string{"Depth": "2"}, "", 400},
				{"PROPFIND", "/dav/files/alice/", d0, "<?xml version='1.0'?><D:propfind xmlns:D='DAV:'><D:allprop/></D:propfind>" + strings.Repeat(" ", 2<<20), 413},
				{"PROPPATCH", "/dav/files/alice/b.txt", nil, "<D:propertyupdate xmlns:D='DAV:'/>", 400},
				{"PROPPATCH", "/dav/files/alice/b.txt", nil, "", 400},
				{"LOCK", "/dav/files/alice/b.txt", nil, "<D:lockinfo xmlns:D='DAV:'><D:lockscope/></D:lockinfo>", 400},
				{"LOCK", "/dav/files/alice/b.txt", map[string]string{"Timeout": "Soon"}, "", 400},
				{"UNLOCK", "/dav/files/alice/b.txt", map[string]string{"Lock-Token": "nope"}, "", 400},
				{"UNLOCK", "/dav/files/alice/b.txt", map[string]string{"Lock-Token": "<opaquelocktoken:nope>"}, "", 409},
				{"PUT", "/dav/files/alice/b.txt", map[string]string{"If": "(<broken"}, "x", 400},
				{"PUT", "/dav/files/alice/b.txt", map[string]string{"If": "(<opaquelocktoken:none>)"}, "x", 412},
				{"MOVE", "/dav/files/alice/b.txt", nil, "", 400},
				{"MOVE", "/dav/files/alice/b.txt", map[string]string{"Destination": "::::"}, "", 400},
				{"MOVE", "/dav/files/alice/b.txt", map[string]string{"Destination": "http://elsewhere/other/b"}, "", 502},
				{"COPY", "/dav/files/alice/b.txt", map[string]string{"Destination": "/dav/files/alice/x", "Depth": "1"}, "", 400},
				{"COPY", "/dav/files/alice/b.txt", map[string]string{"Destination": "/dav/files/alice/x", "Overwrite": "maybe"}, "", 400},
				{"GET", "/dav/files/alice/a%00b", nil, "", 400},
				{"GET", "/dav/files/nobody/", nil, "", 404},
				{"GET", "/dav/versions/abc/", nil, "", 404},
				{"PROPFIND", "/dav/versions/999999/", d1, "", 404},
				{"DELETE", "/dav/files/alice/", nil, "", 403},
				{"DELETE", "/dav/files/alice/dir", map[string]string{"Depth": "0"}, "", 400},
				{"REPORT", "/dav/files/alice/", nil, "", 405},
			}
			for _, c := range cases {
				resp, b := w.do("alice", c.method, c.path, c.hdr, c.body)
				if resp.StatusCode != c.want {
					t.Errorf("%s %s %v: %d, want %d: %s", c.method, c.path, c.hdr, resp.StatusCode, c.want, b)
				}
			}
		})
		t.Run("quota is reported and enforced", func(t *testing.T) {
			root, err := w.files.PersonalRoot(t.Context(), w.ids["bob"])
			if err != nil {
				t.Fatal(err)
			}
			if err := w.files.SetQuota(t.Context(), root, 1000); err != nil {
				t.Fatal(err)
			}
			w.expect(201, "bob", "PUT", "/dav/files/bob/a", nil, strings.Repeat("a", 600))
			_, b := w.expect(207, "bob", "PROPFIND", "/dav/files/bob/", d0, propAll)
			if !strings.Contains(b, "<D:quota-available-bytes>400<") || !strings.Contains(b, "<D:quota-used-bytes>600<") {
				t.Errorf("quota:\n%s", b)
			}
			w.expect(507, "bob", "PUT", "/dav/files/bob/b", nil, strings.Repeat("b", 600))
			w.expect(404, "bob", "GET", "/dav/files/bob/b", nil, "")
			// Chunked: the size is known only once stored; refused all the same.
			req, _ := http.NewRequest("PUT", w.srv.URL+"/dav/files/bob/c", io.MultiReader(strings.NewReader(strings.Repeat("c", 600))))
			req.ContentLength = -1
			req.SetBasicAuth("bob", password)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 507 {
				t.Errorf("chunked PUT over quota: %d", resp.StatusCode)
			}
			w.expect(404, "bob", "GET", "/dav/files/bob/c", nil, "")
		})
		t.Run("every resource has current-user-privilege-set", func(t *testing.T) {
			_, b := w.expect(207, "alice", "PROPFIND", "/dav/files/alice/", d1, propAll)
			if n, k := strings.Count(b, "<D:response>"), strings.Count(b, "<D:current-user-privilege-set>"); n != k || n < 5 {
				t.Errorf("%d responses, %d privilege sets", n, k)
			}
		})
		t.Run("dead properties keep namespaces and markup", func(t *testing.T) {
			body := `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:a="urn:a" xmlns:b="urn:b"><D:set><D:prop><a:p><b:q x="1">v &amp; w</b:q><r/></a:p><nons xmlns="">plain</nons></D:prop></D:set></D:propertyupdate>`
			w.expect(207, "alice", "PROPPATCH", "/dav/files/alice/b.txt", nil, body)
			_, b := w.expect(207, "alice", "PROPFIND", "/dav/files/alice/b.txt", d0,
				`<D:propfind xmlns:D="DAV:"><D:prop><p xmlns="urn:a"/><nons xmlns=""/></D:prop></D:propfind>`)
			wellFormed(t, b)
			var ms struct {
				Props []struct {
					Inner []byte `xml:",innerxml"`
				} `xml:"response>propstat>prop"`
			}
			if err := xml.Unmarshal([]byte(b), &ms); err != nil || len(ms.Props) == 0 {
				t.Fatalf("%v\n%s", err, b)
			}
			var p struct {
				XMLName xml.Name
				Q       struct {
					XMLName xml.Name
					X       string `xml:"x,attr"`
					Text    string `xml:",chardata"`
				} `xml:"urn:b q"`
				R struct{ XMLName xml.Name } `xml:"r"`
			}
			d := xml.NewDecoder(bytes.NewReader(ms.Props[0].Inner))
			if err := d.Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p.XMLName.Space != "urn:a" || p.Q.XMLName.Space != "urn:b" || p.Q.X != "1" || p.Q.Text != "v & w" || p.R.XMLName.Space != "" {
				t.Errorf("value came back as %+v from\n%s", p, b)
			}
		})
	})
}
