package files_test

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// curl runs the real curl binary as alice and returns the status and body.
func (w *world) curl(t *testing.T, args ...string) (string, string) {
	t.Helper()
	bin, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is not installed")
	}
	base := []string{"-sS", "-u", "alice:" + password, "-w", "\n%{http_code}"}
	out, err := exec.Command(bin, append(base, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, out)
	}
	s := string(out)
	i := strings.LastIndexByte(s, '\n')
	return s[i+1:], s[:i]
}

func (w *world) curlExpect(t *testing.T, want string, args ...string) string {
	t.Helper()
	code, body := w.curl(t, args...)
	if code != want {
		t.Fatalf("curl %v: %s, want %s\n%s", args, code, want, body)
	}
	return body
}

var (
	hrefRE = regexp.MustCompile(`<D:href>([^<]*)</D:href>`)
	idRE   = regexp.MustCompile(`<oc:fileid>(\d+)</oc:fileid>`)
)

// TestVersionsAndTrashWithCurl: every overwrite keeps a version, listed
// and restorable over DAV; DELETE moves to the trash, listed with its
// original location and restorable with the same file id; purging drops
// the content's references.
func TestVersionsAndTrashWithCurl(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		u := w.srv.URL
		file := u + "/dav/files/alice/doc.txt"
		w.curlExpect(t, "201", "-X", "PUT", "--data-binary", "v1", file)
		w.curlExpect(t, "204", "-X", "PUT", "--data-binary", "v2", file)
		w.curlExpect(t, "204", "-X", "PUT", "--data-binary", "v3", file)
		body := w.curlExpect(t, "207", "-X", "PROPFIND", "-H", "Depth: 0", "--data",
			`<D:propfind xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns"><D:prop><oc:fileid/></D:prop></D:propfind>`, file)
		id := idRE.FindStringSubmatch(body)[1]

		list := w.curlExpect(t, "207", "-X", "PROPFIND", "-H", "Depth: 1", u+"/dav/versions/"+id+"/")
		hrefs := hrefRE.FindAllStringSubmatch(list, -1)
		// The collection, v2 and v1, newest first.
		if len(hrefs) != 3 {
			t.Fatalf("versions listing:\n%s", list)
		}
		oldest := hrefs[len(hrefs)-1][1]
		if got := w.curlExpect(t, "200", u+oldest); got != "v1" {
			t.Fatalf("oldest version is %q", got)
		}
		w.curlExpect(t, "204", "-X", "MOVE", "-H", "Destination: "+u+"/dav/versions/"+id+"/restore", u+oldest)
		if got := w.curlExpect(t, "200", file); got != "v1" {
			t.Fatalf("after restore the file is %q", got)
		}
		list = w.curlExpect(t, "207", "-X", "PROPFIND", "-H", "Depth: 1", u+"/dav/versions/"+id+"/")
		found := false
		for _, m := range hrefRE.FindAllStringSubmatch(list, -1) {
			if !strings.HasSuffix(m[1], "/") && w.curlExpect(t, "200", u+m[1]) == "v3" {
				found = true
			}
		}
		if !found {
			t.Errorf("the replaced content v3 is not a version:\n%s", list)
		}

		// Trash: a file and a folder with content.
		w.curlExpect(t, "201", "-X", "MKCOL", u+"/dav/files/alice/folder")
		w.curlExpect(t, "201", "-X", "PUT", "--data-binary", "inside", u+"/dav/files/alice/folder/in.txt")
		w.curlExpect(t, "204", "-X", "DELETE", file)
		w.curlExpect(t, "204", "-X", "DELETE", u+"/dav/files/alice/folder")
		w.curlExpect(t, "404", file)
		trash := w.curlExpect(t, "207", "-X", "PROPFIND", "-H", "Depth: 1", "--data",
			`<D:propfind xmlns:D="DAV:" xmlns:nc="http://nextcloud.org/ns" xmlns:oc="http://owncloud.org/ns"><D:prop><nc:trashbin-filename/><nc:trashbin-original-location/><nc:trashbin-deletion-time/><oc:fileid/></D:prop></D:propfind>`,
			u+"/dav/trash/files/alice/")
		if !strings.Contains(trash, "<nc:trashbin-original-location>doc.txt<") ||
			!strings.Contains(trash, "<nc:trashbin-original-location>folder<") ||
			!strings.Contains(trash, "<nc:trashbin-deletion-time>") {
			t.Fatalf("trash listing:\n%s", trash)
		}
		fileItem := u + "/dav/trash/files/alice/" + id
		if got := w.curlExpect(t, "200", fileItem); got != "v1" {
			t.Errorf("trashed file reads %q", got)
		}
		// Restore where it was; the id survives.
		w.curlExpect(t, "201", "-X", "MOVE", "-H", "Destination: "+u+"/dav/trash/files/alice/restore", fileItem)
		if got := w.curlExpect(t, "200", file); got != "v1" {
			t.Errorf("restored file reads %q", got)
		}
		body = w.curlExpect(t, "207", "-X", "PROPFIND", "-H", "Depth: 0", "--data",
			`<D:propfind xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns"><D:prop><oc:fileid/></D:prop></D:propfind>`, file)
		if idRE.FindStringSubmatch(body)[1] != id {
			t.Errorf("restored file has a new id:\n%s", body)
		}
		// Restore the folder elsewhere, with its content.
		var folderItem string
		for _, m := range hrefRE.FindAllStringSubmatch(trash, -1) {
			if strings.HasSuffix(m[1], "/") && m[1] != "/dav/trash/files/alice/" {
				folderItem = m[1]
			}
		}
		w.curlExpect(t, "201", "-X", "MOVE", "-H", "Destination: "+u+"/dav/files/alice/back", u+folderItem)
		if got := w.curlExpect(t, "200", u+"/dav/files/alice/back/in.txt"); got != "inside" {
			t.Errorf("restored folder content %q", got)
		}
		// Purge: delete again and empty the trash; the content loses its
		// references.
		w.curlExpect(t, "204", "-X", "DELETE", u+"/dav/files/alice/back")
		w.curlExpect(t, "204", "-X", "DELETE", u+"/dav/trash/files/alice/")
		trash = w.curlExpect(t, "207", "-X", "PROPFIND", "-H", "Depth: 1", u+"/dav/trash/files/alice/")
		if strings.Count(trash, "<D:response>") != 1 {
			t.Errorf("trash not empty:\n%s", trash)
		}
		root, _ := w.files.PersonalRoot(t.Context(), w.ids["alice"])
		if used, _, _ := w.files.Usage(t.Context(), root); used != 2 {
			t.Errorf("after purge the tree holds %d bytes, want 2 (doc.txt)", used)
		}
	})
}
