package admin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/contacts"
	"plaza/core/coretest"
	"plaza/core/search"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/dav/caldav"
	"plaza/dav/caldav/ics"
	"plaza/dav/carddav"
	"plaza/dav/carddav/vcf"
	"plaza/dav/davhttp"
	"plaza/dav/principal"
)

// A guest sees the people of their spaces and no one else: not in the
// people directory (the API's), not among DAV principals, not through
// search hits about content elsewhere.
func TestGuestSeesOnlyTheirSpaces(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		mk := func(login, name string, typ core.AccountType) *account.Account {
			a, err := w.accounts.Create(ctx, account.NewAccount{Login: login, Name: name, Email: login + "@example.org", Type: typ, Password: "a good password"})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		guest := mk("gus", "Gus Guest", core.Guest)
		mate := mk("mate", "Mary Mate", core.User)
		outsider := mk("zeb", "Zebulon Outsider", core.User)
		a, _ := w.spaces.Create(ctx, space.NewSpace{Slug: "a"})
		b, _ := w.spaces.Create(ctx, space.NewSpace{Slug: "b"})
		for _, m := range []struct {
			sp  *space.Space
			acc *account.Account
		}{{a, guest}, {a, mate}, {b, outsider}, {b, mate}} {
			if err := w.spaces.SetMember(ctx, m.sp.ID, m.acc.ID, space.RoleMember); err != nil {
				t.Fatal(err)
			}
		}

		// People directory.
		people, err := w.admin.Directory(ctx, guest.Subject(), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		var logins []string
		for _, p := range people {
			logins = append(logins, p.Login)
		}
		if strings.Join(logins, ",") != "gus,mate" {
			t.Errorf("guest directory: %v", logins)
		}
		if p, _ := w.admin.Directory(ctx, guest.Subject(), "zeb", 0); len(p) != 0 {
			t.Errorf("guest found the outsider: %+v", p)
		}
		if p, _ := w.admin.Directory(ctx, mate.Subject(), "zeb", 0); len(p) != 1 {
			t.Errorf("a user finds everyone: %+v", p)
		}
		if _, _, err := w.admin.Users(ctx, guest.Subject(), adminFilter()); err == nil {
			t.Error("guest listed users")
		}

		// DAV principals.
		srv := httptest.NewServer(davhttp.RequireBasic(w.accounts, coretest.Logger(t), principal.New(principal.Options{Accounts: w.accounts, Logger: coretest.Logger(t)})))
		defer srv.Close()
		propfind := func(path, depth string) (int, string) {
			req, _ := http.NewRequest("PROPFIND", srv.URL+path, strings.NewReader(`<?xml version="1.0"?><propfind xmlns="DAV:"><prop><displayname/></prop></propfind>`))
			req.SetBasicAuth("gus", "a good password")
			req.Header.Set("Depth", depth)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		code, body := propfind("/dav/principals/", "1")
		if code != 207 || !strings.Contains(body, "/dav/principals/gus/") || strings.Contains(body, "zeb") || strings.Contains(body, "mate") {
			t.Errorf("principals listing %d: %s", code, body)
		}
		for _, who := range []string{"zeb", "mate", "nobody"} {
			if code, _ := propfind("/dav/principals/"+who+"/", "0"); code != http.StatusNotFound {
				t.Errorf("principal %s: %d", who, code)
			}
		}

		// CardDAV and CalDAV: the guest's homes hold their space's
		// directory and agenda, not the other space's; other people's
		// homes do not exist for them.
		mux := http.NewServeMux()
		mux.Handle("/dav/addressbooks/", carddav.New(carddav.Options{Contacts: contacts.New(db, acl.New(db), vcf.Codec{}, nil), Logger: coretest.Logger(t)}))
		mux.Handle("/dav/calendars/", caldav.New(caldav.Options{Calendars: calendar.New(db, acl.New(db), ics.Codec{}, nil), Logger: coretest.Logger(t)}))
		dav := httptest.NewServer(davhttp.RequireBasic(w.accounts, coretest.Logger(t), mux))
		defer dav.Close()
		davFind := func(path string) (int, string) {
			req, _ := http.NewRequest("PROPFIND", dav.URL+path, strings.NewReader(`<?xml version="1.0"?><propfind xmlns="DAV:"><prop><displayname/></prop></propfind>`))
			req.SetBasicAuth("gus", "a good password")
			req.Header.Set("Depth", "1")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		for _, home := range []string{"/dav/addressbooks/gus/", "/dav/calendars/gus/"} {
			code, body := davFind(home)
			if code != 207 || !strings.Contains(body, "@a/") || strings.Contains(body, "@b/") || strings.Contains(body, "zeb") {
				t.Errorf("%s: %d %s", home, code, body)
			}
		}
		for _, other := range []string{"/dav/addressbooks/zeb/", "/dav/calendars/zeb/", "/dav/addressbooks/mate/"} {
			if code, body := davFind(other); code != http.StatusNotFound && code != http.StatusForbidden {
				t.Errorf("%s: %d %s", other, code, body)
			}
		}

		// Search: the outsider's task in space b does not show to the guest.
		tasks := task.New(db, acl.New(db), nil)
		list, err := tasks.CreateList(ctx, outsider.Subject(), b.ID, "Plans", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tasks.Add(ctx, outsider.Subject(), list.ID, task.Input{Title: "Zebulon's secret plan"}); err != nil {
			t.Fatal(err)
		}
		if _, err := search.NewIndexer(db, nil, coretest.Logger(t)).Drain(ctx); err != nil {
			t.Fatal(err)
		}
		s := search.New(db)
		if r, err := s.Search(ctx, mate.Subject(), search.Query{Text: "zebulon"}); err != nil || len(r.Hits) == 0 {
			t.Fatalf("a member of b does not find the task: %+v %v", r, err)
		}
		if r, err := s.Search(ctx, guest.Subject(), search.Query{Text: "zebulon"}); err != nil || len(r.Hits) != 0 {
			t.Errorf("guest search: %+v %v", r, err)
		}
	})
}
