package davhttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/davhttp"
)

func TestRequireBasicAndErrors(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	accts := account.New(db, nil)
	if _, err := accts.Create(context.Background(), account.NewAccount{Login: "ann", Password: "ann-password"}); err != nil {
		t.Fatal(err)
	}
	log := coretest.Logger(t)
	h := davhttp.RequireBasic(accts, log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := core.SubjectFrom(r.Context())
		switch r.URL.Path {
		case "/denied":
			davhttp.WriteError(w, r, log, "/dav/x&y/", &acl.DeniedError{Need: acl.PrivBind, Have: acl.Read})
		case "/broken":
			davhttp.WriteError(w, r, log, "/", fmt.Errorf("disk on fire"))
		default:
			fmt.Fprint(w, who.Login)
		}
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	do := func(method, path, user, pass string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	if resp, _ := do("PROPFIND", "/", "", ""); resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("no credentials: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp, _ := do("PROPFIND", "/", "ann", "wrong-password"); resp.StatusCode != 401 {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
	if resp, body := do("OPTIONS", "/", "", ""); resp.StatusCode != 200 || body != "" {
		t.Errorf("OPTIONS without credentials: %d %q", resp.StatusCode, body)
	}
	if resp, body := do("GET", "/", "ann", "ann-password"); resp.StatusCode != 200 || body != "ann" {
		t.Errorf("authenticated: %d %q", resp.StatusCode, body)
	}
	resp, body := do("PUT", "/denied", "ann", "ann-password")
	if resp.StatusCode != 403 || !strings.Contains(body, "<D:need-privileges>") || !strings.Contains(body, "<D:bind/>") ||
		!strings.Contains(body, "<D:href>/dav/x&amp;y/</D:href>") {
		t.Errorf("denied: %d %s", resp.StatusCode, body)
	}
	if resp, body := do("GET", "/broken", "ann", "ann-password"); resp.StatusCode != 500 || strings.Contains(body, "fire") {
		t.Errorf("internal error leaks detail: %d %q", resp.StatusCode, body)
	}
	for err, want := range map[error]int{core.ErrNotFound: 404, core.ErrConflict: 409, core.ErrInvalid: 400,
		core.ErrForbidden: 403, core.ErrUnauthenticated: 401, fmt.Errorf("x: %w", core.ErrNotFound): 404} {
		if got := davhttp.Status(err); got != want {
			t.Errorf("Status(%v) = %d, want %d", err, got, want)
		}
	}
}
