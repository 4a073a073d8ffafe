package files_test

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestChecksums: files answer oc:checksums as ownCloud and Nextcloud do
// (SHA1:hex MD5:hex SHA256:hex), in a listing (which leaves the hash out otherwise) and on
// the file itself; folders have none; a minimal answer says it varies
// with Brief and Prefer.
func TestChecksums(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		content := "checksum me"
		s1, s5, s256 := sha1.Sum([]byte(content)), md5.Sum([]byte(content)), sha256.Sum256([]byte(content))
		want := "<oc:checksums><oc:checksum>SHA1:" + hex.EncodeToString(s1[:]) + " MD5:" + hex.EncodeToString(s5[:]) +
			" SHA256:" + hex.EncodeToString(s256[:]) + "</oc:checksum></oc:checksums>"
		w.expect(201, "alice", "MKCOL", "/dav/files/alice/d", nil, "")
		w.expect(201, "alice", "PUT", "/dav/files/alice/d/a.txt", nil, content)
		body := `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><d:getetag/><oc:checksums/></d:prop></d:propfind>`
		_, b := w.expect(207, "alice", "PROPFIND", "/dav/files/alice/d/", map[string]string{"Depth": "1"}, body)
		if !strings.Contains(b, want) {
			t.Fatalf("listing: %s", b)
		}
		if strings.Count(b, "<oc:checksum>") != 1 || !strings.Contains(b, "<oc:checksums/>") {
			t.Errorf("a folder has no checksum: %s", b)
		}
		resp, b := w.expect(207, "alice", "PROPFIND", "/dav/files/alice/d/a.txt", map[string]string{"Depth": "0", "Brief": "t"}, body)
		if !strings.Contains(b, want) {
			t.Fatalf("file: %s", b)
		}
		if v := resp.Header.Get("Vary"); !strings.Contains(v, "Brief") || !strings.Contains(v, "Prefer") {
			t.Errorf("Vary: %q", v)
		}
	})
}
