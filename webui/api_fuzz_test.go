package webui_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"plaza/core/coretest"
	"plaza/core/store"
)

// FuzzJSONAPI posts arbitrary bodies to the JSON API's writing routes as
// the platform owner: a body is refused with a 4xx or applied, never a
// 5xx and never a panic.
func FuzzJSONAPI(f *testing.F) {
	routes := []string{
		"POST /api/v1/session",
		"POST /api/v1/admin/users",
		"POST /api/v1/admin/spaces",
		"POST /api/v1/admin/groups",
		"PUT /api/v1/admin/settings",
		"PUT /api/v1/me/notifications",
		"POST /api/v1/invitations",
		"POST /api/v1/spaces/team/proposals",
		"PUT /api/v1/tasklists/1/order",
	}
	for i, body := range []string{
		`{"login":"ann","password":"ann-password"}`,
		`{"login":"bob","password":"bob-password-1","email":"bob@example.org","type":"user"}`,
		`{"slug":"team","name":"Team","public":true}`,
		`{"name":"g"}`,
		`{"registration":true}`,
		`{"email":true}`,
		`{"space":"team","email":"x@example.org"}`,
		`{"title":"t","start":"2026-01-01T10:00:00Z","end":"2025-01-01T10:00:00Z"}`,
		`{"order":[1,2,3,-1]}`,
	} {
		f.Add(uint8(i), body)
	}
	f.Add(uint8(0), `{"login":`)
	f.Add(uint8(1), `[`+strings.Repeat("[", 10000)+`]`)
	f.Add(uint8(2), `{"slug":"\u0000","name":"`+strings.Repeat("x", 5000)+`"}`)
	db := coretest.OpenDB(f, store.SQLite)
	srv := start(f, db)
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		method, path, _ := strings.Cut(routes[int(route)%len(routes)], " ")
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("ann", "ann-password")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, resp.StatusCode, b)
		}
	})
}
