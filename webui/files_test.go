package webui_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
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
	"plaza/core/task"
	"plaza/webui"
)

// TestUploadOverQuota: a web upload that does not fit the space's quota
// answers 507 with the reason, not a 500; the
// API answers the same status (issue 18: files.ErrQuota wraps a core
// sentinel each adapter maps in its one place).
func TestUploadOverQuota(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accts := account.New(db, nil)
		ann, err := accts.Create(ctx, account.NewAccount{Login: "ann", Password: "ann-password"})
		if err != nil {
			t.Fatal(err)
		}
		spaces := space.New(db, nil)
		team, _ := spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "Team"})
		spaces.SetMember(ctx, team.ID, ann.ID, space.RoleMember)
		bs := testBlobs(t, db)
		h, err := webui.New(webui.Options{Accounts: accts, Spaces: spaces, Tasks: task.New(db, acl.New(db), nil), ACL: acl.New(db), Blobs: bs,
			Files: files.New(files.Options{DB: db, Blobs: bs, DefaultQuota: 64}), Settings: settings.New(db),
			Logger: coretest.Logger(t), BaseURL: "http://localhost"})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		upload := func(name, content string) (int, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("path", "") //nolint:errcheck
			fw, _ := mw.CreateFormFile("file", name)
			io.WriteString(fw, content) //nolint:errcheck
			mw.Close()
			req, _ := http.NewRequest("POST", srv.URL+"/s/team/files/upload", &buf)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.SetBasicAuth("ann", "ann-password")
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if code, body := upload("small.txt", "fits"); code != http.StatusSeeOther {
			t.Fatalf("an upload that fits: %d %s", code, body)
		}
		code, body := upload("big.bin", strings.Repeat("x", 100))
		if code != http.StatusInsufficientStorage || !strings.Contains(body, "storage quota") {
			t.Errorf("an upload over quota: %d, want 507 with the reason\n%s", code, body)
		}
	})
}
