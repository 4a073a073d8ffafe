package files_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/blob"
	"plaza/core/coretest"
	corefiles "plaza/core/files"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/dav/davhttp"
	davfiles "plaza/dav/files"
	"plaza/dav/principal"
)

// world is a running plaza WebDAV server on loopback over a real
// database and blob store, with accounts alice (admin of space team),
// bob (member of team) and carol (no space).
type world struct {
	t      testing.TB
	db     *store.DB
	blobs  *blob.Store
	files  *corefiles.Service
	accts  *account.Service
	spaces *space.Service
	srv    *httptest.Server
	ids    map[string]int64
	team   *space.Space
}

const password = "correct horse battery"

func newWorld(t testing.TB, db *store.DB, fo corefiles.Options) *world {
	return newWorldIn(t, db, filepath.Join(t.TempDir(), "blobs"), fo)
}

// server is the handler a plaza process mounts, over db and blobDir.
func server(db *store.DB, blobDir string, fo corefiles.Options, log *slog.Logger) (http.Handler, *corefiles.Service, *blob.Store, *account.Service, error) {
	bs, err := blob.New(blob.Options{Dir: blobDir, DB: db})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	fo.DB, fo.Blobs = db, bs
	fs, accts := corefiles.New(fo), account.New(db, nil)
	h := davfiles.New(davfiles.Options{Files: fs, Accounts: accts, Spaces: space.New(db, nil), Logger: log})
	mux := http.NewServeMux()
	mux.Handle("/dav/", davhttp.RequireBasic(accts, log, h))
	// as cmd/plaza: PROPFIND / is the DAV root, OPTIONS the Windows probe
	disc := davhttp.RequireBasic(accts, log, principal.New(principal.Options{Accounts: accts, Logger: log}))
	mux.Handle("/", principal.ServerRoot(disc, davfiles.Probe(nil)))
	return mux, fs, bs, accts, nil
}

func newWorldIn(t testing.TB, db *store.DB, blobDir string, fo corefiles.Options) *world {
	t.Helper()
	return newWorldOver(t, db, blobDir, fo, true)
}

// newWorldOver serves db; with create it first adds the accounts and the
// space, else it finds them (a database an earlier world filled).
func newWorldOver(t testing.TB, db *store.DB, blobDir string, fo corefiles.Options, create bool) *world {
	t.Helper()
	ctx := context.Background()
	mux, fs, bs, accts, err := server(db, blobDir, fo, coretest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: db, blobs: bs, files: fs, accts: accts,
		spaces: space.New(db, nil), ids: map[string]int64{}}
	for _, login := range []string{"alice", "bob", "carol"} {
		var a *account.Account
		if create {
			a, err = w.accts.Create(ctx, account.NewAccount{Login: login, Password: password})
		} else {
			a, err = w.accts.ByLogin(ctx, login)
		}
		if err != nil {
			t.Fatal(err)
		}
		w.ids[login] = a.ID
	}
	if !create {
		if w.team, err = w.spaces.BySlug(ctx, "team"); err != nil {
			t.Fatal(err)
		}
	} else if w.team, err = w.spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "The Team"}); err != nil {
		t.Fatal(err)
	} else if err := w.spaces.SetMember(ctx, w.team.ID, w.ids["alice"], space.RoleAdmin); err != nil {
		t.Fatal(err)
	} else if err := w.spaces.SetMember(ctx, w.team.ID, w.ids["bob"], space.RoleMember); err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	return w
}

func (w *world) subject(login string) core.Subject {
	return core.Subject{AccountID: w.ids[login], Login: login, Type: core.User}
}

// do sends one request as login and returns the response with its body
// read.
func (w *world) do(login, method, path string, hdr map[string]string, body string) (*http.Response, string) {
	w.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.srv.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if login != "" {
		req.SetBasicAuth(login, password)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// expect sends a request and fails unless the status is want.
func (w *world) expect(want int, login, method, path string, hdr map[string]string, body string) (*http.Response, string) {
	w.t.Helper()
	resp, b := w.do(login, method, path, hdr, body)
	if resp.StatusCode != want {
		w.t.Fatalf("%s %s as %s: %d, want %d\n%s", method, path, login, resp.StatusCode, want, b)
	}
	return resp, b
}

func eachWorld(t *testing.T, f func(t *testing.T, w *world)) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) { f(t, newWorld(t, db, corefiles.Options{})) })
}
