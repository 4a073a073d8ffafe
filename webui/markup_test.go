package webui_test

import (
	"net/http"
	"strings"
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
)

// The editor's preview is the server's rendering: Markdown in, sanitized
// HTML out; bad input is a 4xx, strangers get 401.
func TestMarkupPreviewAPI(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	srv := start(t, db)
	ann := &client{t, srv.URL, &http.Client{Transport: basicAuth{"ann", "ann-password"}}}
	code, body := ann.do("POST", "/api/v1/markup", `{"text":"**hi** <script>alert(1)</script>\n\n| a |\n|---|\n| 1 |"}`)
	if code != 200 || !strings.Contains(body, `\u003cstrong\u003ehi\u003c/strong\u003e`) || !strings.Contains(body, `\u003ctable\u003e`) ||
		strings.Contains(body, `\u003cscript`) {
		t.Errorf("preview: %d %s", code, body)
	}
	if code, _ := ann.do("POST", "/api/v1/markup", `{"text":1}`); code != 400 {
		t.Errorf("bad JSON: %d", code)
	}
	anon := &client{t, srv.URL, http.DefaultClient}
	if code, _ := anon.do("POST", "/api/v1/markup", `{"text":"x"}`); code != 401 {
		t.Errorf("anonymous: %d", code)
	}
}
