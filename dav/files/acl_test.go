package files_test

import (
	"context"
	"strings"
	"testing"

	"plaza/core/acl"
)

// TestSpaceReader: a member who may only read a space's files gets 403
// (with DAV:need-privileges) on every write, sees read-only privileges,
// and never sees a folder granted to others.
func TestSpaceReader(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		// Team drive default: members write. alice (space admin) adds content.
		w.expect(201, "bob", "PUT", "/dav/spaces/team/by-bob.txt", nil, "bob was here")
		w.expect(201, "alice", "PUT", "/dav/spaces/team/report.txt", nil, "quarterly")
		w.expect(201, "alice", "MKCOL", "/dav/spaces/team/private", nil, "")
		w.expect(201, "alice", "MKCOL", "/dav/spaces/team/open", nil, "")

		// The administrator turns the root read-only for members and
		// keeps "private" for herself.
		root, err := w.files.SpaceRoot(ctx, w.team.ID)
		if err != nil {
			t.Fatal(err)
		}
		members := acl.Grant{PrincipalKind: acl.PrincipalSpace, PrincipalID: w.team.ID, Level: acl.Read}
		if err := acl.SetGrants(ctx, w.db, root.ContainerID, []acl.Grant{members}); err != nil {
			t.Fatal(err)
		}
		priv, err := w.files.Lookup(ctx, w.subject("alice"), root, []string{"private"})
		if err != nil {
			t.Fatal(err)
		}
		if err := acl.SetGrants(ctx, w.db, priv.ContainerID, []acl.Grant{}); err != nil {
			t.Fatal(err)
		}
		open, err := w.files.Lookup(ctx, w.subject("alice"), root, []string{"open"})
		if err != nil {
			t.Fatal(err)
		}
		if err := acl.SetGrants(ctx, w.db, open.ContainerID, []acl.Grant{members}); err != nil {
			t.Fatal(err)
		}
		w.expect(201, "alice", "PUT", "/dav/spaces/team/private/secret.txt", nil, "secret")

		writes := []struct {
			method, path string
			hdr          map[string]string
			priv         string
		}{
			{"PUT", "/dav/spaces/team/new.txt", nil, "bind"},
			{"PUT", "/dav/spaces/team/report.txt", nil, "write-content"},
			{"DELETE", "/dav/spaces/team/report.txt", nil, "unbind"},
			{"MOVE", "/dav/spaces/team/report.txt", map[string]string{"Destination": "/dav/spaces/team/moved.txt"}, "unbind"},
			{"MOVE", "/dav/spaces/team/open", map[string]string{"Destination": "/dav/spaces/team/open2"}, "unbind"},
			{"MKCOL", "/dav/spaces/team/newdir", nil, "bind"},
			{"PUT", "/dav/spaces/team/open/x.txt", nil, "bind"},
			{"PROPPATCH", "/dav/spaces/team/report.txt", nil, "write-properties"},
			{"COPY", "/dav/spaces/team/report.txt", map[string]string{"Destination": "/dav/spaces/team/copy.txt"}, "bind"},
			{"LOCK", "/dav/spaces/team/report.txt", nil, "write-content"},
		}
		for _, c := range writes {
			body := "x"
			switch c.method {
			case "PROPPATCH":
				body = `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">1</x:a></D:prop></D:set></D:propertyupdate>`
			case "LOCK":
				body = `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`
			case "MKCOL", "DELETE", "MOVE", "COPY":
				body = ""
			}
			_, b := w.expect(403, "bob", c.method, c.path, c.hdr, body)
			if !strings.Contains(b, "need-privileges") || !strings.Contains(b, "<D:"+c.priv+"/>") {
				t.Errorf("%s %s: 403 body does not name %s: %s", c.method, c.path, c.priv, b)
			}
		}
		// His own file is still his: the author has full on it.
		w.expect(204, "bob", "PUT", "/dav/spaces/team/by-bob.txt", nil, "still mine")
		w.expect(204, "bob", "DELETE", "/dav/spaces/team/by-bob.txt", nil, "")
		// Nothing changed.
		w.expect(200, "alice", "GET", "/dav/spaces/team/report.txt", nil, "")
		w.expect(404, "alice", "GET", "/dav/spaces/team/moved.txt", nil, "")

		// Listings: bob sees open, report.txt, not private.
		_, list := w.expect(207, "bob", "PROPFIND", "/dav/spaces/team/", map[string]string{"Depth": "1"},
			`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:current-user-privilege-set/><D:resourcetype/></D:prop></D:propfind>`)
		if strings.Contains(list, "private") || !strings.Contains(list, "/dav/spaces/team/open/") || !strings.Contains(list, "report.txt") {
			t.Errorf("bob's listing:\n%s", list)
		}
		if strings.Contains(list, "<D:write") || strings.Contains(list, "<D:bind/>") || !strings.Contains(list, "<D:read/>") {
			t.Errorf("bob's privileges should be read only:\n%s", list)
		}
		w.expect(404, "bob", "PROPFIND", "/dav/spaces/team/private/", map[string]string{"Depth": "0"}, "")
		w.expect(404, "bob", "GET", "/dav/spaces/team/private/secret.txt", nil, "")
		// alice, the administrator, sees it all with write privileges.
		_, list = w.expect(207, "alice", "PROPFIND", "/dav/spaces/team/", map[string]string{"Depth": "1"},
			`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:current-user-privilege-set/></D:prop></D:propfind>`)
		if !strings.Contains(list, "private") || !strings.Contains(list, "<D:write/>") {
			t.Errorf("alice's listing:\n%s", list)
		}
		// Someone outside the space sees nothing, and not another's files.
		w.expect(404, "carol", "PROPFIND", "/dav/spaces/team/", map[string]string{"Depth": "0"}, "")
		w.expect(404, "carol", "PROPFIND", "/dav/files/alice/", map[string]string{"Depth": "0"}, "")
		w.expect(404, "bob", "PUT", "/dav/files/alice/x.txt", nil, "x")
		// A drop folder: members limited. bob adds and changes his own
		// files, not alice's.
		w.expect(201, "alice", "MKCOL", "/dav/spaces/team/drop", nil, "")
		w.expect(201, "alice", "PUT", "/dav/spaces/team/drop/alice.txt", nil, "alice's")
		drop, err := w.files.Lookup(ctx, w.subject("alice"), root, []string{"drop"})
		if err != nil {
			t.Fatal(err)
		}
		limited := acl.Grant{PrincipalKind: acl.PrincipalSpace, PrincipalID: w.team.ID, Level: acl.Limited}
		if err := acl.SetGrants(ctx, w.db, drop.ContainerID, []acl.Grant{limited}); err != nil {
			t.Fatal(err)
		}
		w.expect(201, "bob", "PUT", "/dav/spaces/team/drop/bob.txt", nil, "bob's")
		w.expect(204, "bob", "PUT", "/dav/spaces/team/drop/bob.txt", nil, "bob's again")
		w.expect(403, "bob", "PUT", "/dav/spaces/team/drop/alice.txt", nil, "overwrite")
		w.expect(403, "bob", "DELETE", "/dav/spaces/team/drop/alice.txt", nil, "")
		w.expect(201, "bob", "MKCOL", "/dav/spaces/team/drop/sub", nil, "") // limited adds folders too, and owns them
		w.expect(204, "bob", "DELETE", "/dav/spaces/team/drop/bob.txt", nil, "")
		// A space that turns its files module off shows nothing, even to
		// its administrator and to authors.
		if err := w.spaces.SetModule(ctx, w.team.ID, "files", false); err != nil {
			t.Fatal(err)
		}
		w.expect(404, "alice", "PROPFIND", "/dav/spaces/team/", map[string]string{"Depth": "0"}, "")
		w.expect(404, "alice", "GET", "/dav/spaces/team/report.txt", nil, "")
		w.expect(201, "alice", "PUT", "/dav/files/alice/still-mine.txt", nil, "personal files are not a space module")
	})
}
