// Package davtest starts Plaza's discovery, CalDAV and CardDAV handlers
// on a real loopback server over a real database, behind the same Basic
// authentication as production, for the tests of the dav packages.
package davtest

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/contacts"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/dav/caldav"
	"plaza/dav/caldav/ics"
	"plaza/dav/carddav"
	"plaza/dav/carddav/vcf"
	"plaza/dav/davhttp"
	"plaza/dav/principal"
)

// Env is a running server with a small world: alice (owner of the
// platform), bob and carol; space "team" where alice is administrator
// and bob a member (carol is not in it).
type Env struct {
	T        testing.TB
	DB       *store.DB
	URL      string
	Accounts *account.Service
	Spaces   *space.Service
	ACL      *acl.Engine
	Cals     *calendar.Service
	Contacts *contacts.Service
	Team     *space.Space
	Users    map[string]*account.Account
}

// Password of every test user.
const Password = "correct-horse-battery"

// Handler wires the handlers as cmd/plaza is told to.
func Handler(db *store.DB, accts *account.Service, cals *calendar.Service, cts *contacts.Service, t testing.TB) http.Handler {
	log := coretest.Logger(t)
	if _, fuzz := t.(*testing.F); fuzz {
		// a fuzz target may not log through F; errors go to stderr
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	mux := http.NewServeMux()
	auth := func(h http.Handler) http.Handler { return davhttp.RequireBasic(accts, log, h) }
	disc := auth(principal.New(principal.Options{Accounts: accts, Spaces: space.New(db, nil), Logger: log}))
	for _, p := range []string{"/.well-known/caldav", "/.well-known/carddav", "/.well-known/caldav/{$}", "/.well-known/carddav/{$}"} {
		mux.Handle(p, principal.NewWellKnown())
	}
	mux.Handle("/dav/", disc)
	mux.Handle("/dav/principals/", disc)
	mux.Handle("/", principal.ServerRoot(disc, http.NotFoundHandler()))
	mux.Handle("/dav/calendars/", auth(caldav.New(caldav.Options{Calendars: cals, Logger: log})))
	mux.Handle("/dav/addressbooks/", auth(carddav.New(carddav.Options{Contacts: cts, Logger: log})))
	mux.Handle("/dav/ical/", caldav.NewFeeds(caldav.Options{Calendars: cals, Logger: log}))
	return mux
}

// Start builds the world on db and serves it on 127.0.0.1.
func Start(t testing.TB, db *store.DB) *Env {
	t.Helper()
	ctx := context.Background()
	e := &Env{T: t, DB: db, Accounts: account.New(db, nil), Spaces: space.New(db, nil), ACL: acl.New(db),
		Users: map[string]*account.Account{}}
	e.Cals = calendar.New(db, e.ACL, ics.Codec{}, nil)
	e.Contacts = contacts.New(db, e.ACL, vcf.Codec{}, nil)
	for _, l := range []string{"alice", "bob", "carol"} {
		a, err := e.Accounts.Create(ctx, account.NewAccount{Login: l, Email: l + "@example.org", Name: strings.ToUpper(l[:1]) + l[1:], Password: Password})
		if err != nil {
			t.Fatal(err)
		}
		e.Users[l] = a
	}
	sp, err := e.Spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "Team"})
	if err != nil {
		t.Fatal(err)
	}
	e.Team = sp
	if err := e.Spaces.SetMember(ctx, sp.ID, e.Users["alice"].ID, space.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := e.Spaces.SetMember(ctx, sp.ID, e.Users["bob"].ID, space.RoleMember); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(db, e.Accounts, e.Cals, e.Contacts, t))
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// Reply is an HTTP answer.
type Reply struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends one request as user ("" : no credentials). hdr alternates
// names and values.
func (e *Env) Do(user, method, path, body string, hdr ...string) Reply {
	e.T.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		e.T.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, Password)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Reply{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// Prop is one property of a parsed multistatus.
type Prop struct {
	Status int
	Inner  string // inner XML
	Text   string // its character data, unescaped
}

func textOf(inner string) string {
	d := xml.NewDecoder(strings.NewReader("<x>" + inner + "</x>"))
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return b.String()
		}
		if c, ok := tok.(xml.CharData); ok {
			b.Write(c)
		}
	}
}

// MS maps href → property local name → result; a response with a bare
// status has the pseudo-property "status".
type MS map[string]map[string]Prop

// SyncToken is the top-level sync-token of the last parsed multistatus.
func (e *Env) ParseMS(body string) (MS, string) {
	e.T.Helper()
	var doc struct {
		Responses []struct {
			Href     string `xml:"href"`
			Status   string `xml:"status"`
			Propstat []struct {
				Prop struct {
					Any []struct {
						XMLName xml.Name
						Inner   string `xml:",innerxml"`
					} `xml:",any"`
				} `xml:"prop"`
				Status string `xml:"status"`
			} `xml:"propstat"`
		} `xml:"response"`
		SyncToken string `xml:"sync-token"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		e.T.Fatalf("multistatus: %v\n%s", err, body)
	}
	out := MS{}
	code := func(s string) int {
		f := strings.Fields(s)
		if len(f) < 2 {
			return 0
		}
		n, _ := strconv.Atoi(f[1])
		return n
	}
	for _, r := range doc.Responses {
		m := map[string]Prop{}
		if r.Status != "" {
			m["status"] = Prop{Status: code(r.Status)}
		}
		for _, ps := range r.Propstat {
			for _, p := range ps.Prop.Any {
				m[p.XMLName.Local] = Prop{Status: code(ps.Status), Inner: p.Inner, Text: textOf(p.Inner)}
			}
		}
		out[r.Href] = m
	}
	return out, doc.SyncToken
}
