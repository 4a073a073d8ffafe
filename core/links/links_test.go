package links_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/coretest"
	"plaza/core/links"
	"plaza/core/space"
	"plaza/core/store"
)

func TestLinks(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		spaces := space.New(db, nil)
		sp, err := spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "Team"})
		if err != nil {
			t.Fatal(err)
		}
		subj := map[string]core.Subject{}
		for _, login := range []string{"olga", "bob"} {
			var id int64
			now := time.Now().UTC()
			if err := db.NewRaw(`INSERT INTO accounts (login, type, created_at, updated_at) VALUES (?, 'user', ?, ?) RETURNING id`, login, now, now).Scan(ctx, &id); err != nil {
				t.Fatal(err)
			}
			subj[login] = core.Subject{AccountID: id, Login: login, Type: core.User}
			if err := spaces.SetMember(ctx, sp.ID, id, space.RoleMember); err != nil {
				t.Fatal(err)
			}
		}
		olga, bob := subj["olga"], subj["bob"]
		blobs, err := blob.New(blob.Options{Dir: t.TempDir(), DB: db})
		if err != nil {
			t.Fatal(err)
		}
		svc := links.New(db, acl.New(db), blobs, nil)
		shared, err := svc.CreateFolder(ctx, olga, sp.ID, "Shared", nil) // members: limited
		if err != nil {
			t.Fatal(err)
		}
		ro, err := svc.CreateFolder(ctx, olga, sp.ID, "Reference", []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: sp.ID, Level: acl.Read}})
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []links.Input{{URL: "javascript:alert(1)"}, {URL: "ftp://x"}, {URL: "https://"}, {URL: "https://x.org", Tags: []string{"this tag is far longer than thirty characters"}}} {
			if _, err := svc.Add(ctx, bob, shared.ID, bad); !errors.Is(err, core.ErrInvalid) {
				t.Errorf("add %+v: %v, want invalid", bad, err)
			}
		}
		l, err := svc.Add(ctx, bob, shared.ID, links.Input{URL: "https://go.dev/doc", Description: "docs", Tags: []string{"Go", "docs"}})
		if err != nil {
			t.Fatal(err)
		}
		if l.Title != "go.dev" {
			t.Errorf("default title %q", l.Title)
		}
		if _, err := svc.Add(ctx, bob, ro.ID, links.Input{URL: "https://x.org"}); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("add to a read-only folder: %v", err)
		}
		o, err := svc.Add(ctx, olga, shared.ID, links.Input{URL: "https://example.org", Tags: []string{"misc"}})
		if err != nil {
			t.Fatal(err)
		}
		// Limited: bob changes his own link, not olga's.
		if _, err := svc.Update(ctx, bob, o.ID, links.Input{URL: "https://evil.example"}); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("bob changes olga's link: %v", err)
		}
		if _, err := svc.Update(ctx, bob, l.ID, links.Input{URL: "https://go.dev/ref", Title: "Spec", Tags: []string{"go"}}); err != nil {
			t.Fatal(err)
		}
		got, err := svc.List(ctx, bob, shared.ID, "go")
		if err != nil || len(got) != 1 || got[0].Title != "Spec" || len(got[0].Tags) != 1 {
			t.Errorf("list by tag: %+v %v", got, err)
		}
		all, err := svc.List(ctx, bob, shared.ID, "")
		if err != nil || len(all) != 2 {
			t.Errorf("list: %d %v", len(all), err)
		}
		a, err := svc.Attach(ctx, bob, l.ID, "../notes.txt", "text/plain", bytes.NewBufferString("hello"))
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != "notes.txt" {
			t.Errorf("attachment name %q", a.Name)
		}
		_, rc, err := svc.OpenAttachment(ctx, olga, l.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != "hello" {
			t.Errorf("attachment content %q", b)
		}
		if err := svc.Delete(ctx, bob, l.ID); err != nil {
			t.Fatal(err)
		}
		if refs, _ := blobs.Refs(ctx, a.BlobHash); refs != 0 {
			t.Errorf("attachment blob still referenced %d times", refs)
		}
		if _, err := svc.Get(ctx, olga, l.ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("deleted link: %v", err)
		}
	})
}
