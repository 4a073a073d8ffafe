package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/files"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/webui"
)

// Files people stored are served from the web UI's origin in a sandbox
// with no script, never sniffed, and HTML and SVG as downloads (issue
// 20, item 9).
func TestStoredFilesCannotScript(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accts := account.New(db, nil)
		ann, err := accts.Create(ctx, account.NewAccount{Login: "ann", Password: "ann-password"})
		if err != nil {
			t.Fatal(err)
		}
		fs := files.New(files.Options{DB: db, Blobs: testBlobs(t, db)})
		h, err := webui.New(webui.Options{Accounts: accts, Spaces: space.New(db, nil), ACL: acl.New(db), Files: fs,
			Settings: settings.New(db), Logger: coretest.Logger(t), BaseURL: "http://localhost"})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		spaces := space.New(db, nil)
		sp, err := spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "Team"})
		if err != nil {
			t.Fatal(err)
		}
		if err := spaces.SetMember(ctx, sp.ID, ann.ID, space.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		root, err := fs.SpaceRoot(ctx, sp.ID)
		if err != nil {
			t.Fatal(err)
		}
		for name, ctype := range map[string]string{"page.html": "text/html", "pic.svg": "image/svg+xml", "photo.png": "image/png"} {
			n, _, err := fs.Put(ctx, ann.Subject(), root, files.Path{name}, strings.NewReader("<script>alert(1)</script>"), files.PutOptions{ContentType: ctype})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/s/team/files/%d/raw?inline=1", srv.URL, n.ID), nil)
			req.SetBasicAuth("ann", "ann-password")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := resp.Header
			if resp.StatusCode != 200 || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: %d, nosniff %q", name, resp.StatusCode, h.Get("X-Content-Type-Options"))
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("%s: Content-Security-Policy %q", name, csp)
			}
			if inline := strings.HasPrefix(h.Get("Content-Disposition"), "inline"); inline != (name == "photo.png") {
				t.Errorf("%s: Content-Disposition %q", name, h.Get("Content-Disposition"))
			}
		}
	})
}
