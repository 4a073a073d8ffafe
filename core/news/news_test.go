package news_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/coretest"
	"plaza/core/news"
	"plaza/core/space"
	"plaza/core/store"
)

func TestNews(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		accts := account.New(db, nil)
		spaces := space.New(db, nil)
		who := map[string]core.Subject{}
		sp, err := spaces.Create(ctx, space.NewSpace{Slug: "pub", Public: true})
		must(err)
		for _, l := range []string{"alice", "bob", "mallory"} {
			a, err := accts.Create(ctx, account.NewAccount{Login: l, Type: core.User, Password: "password-" + l})
			must(err)
			who[l] = a.Subject()
			if l != "mallory" {
				must(spaces.SetMember(ctx, sp.ID, a.ID, space.RoleMember))
			}
		}
		blobs, err := blob.New(blob.Options{Dir: t.TempDir(), DB: db})
		must(err)
		svc := news.New(db, news.Options{Blobs: blobs})
		if _, err := svc.Create(ctx, who["mallory"], news.NewArticle{SpaceID: sp.ID, Title: "x"}); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("outsider publishes: %v", err)
		}
		internal, err := svc.Create(ctx, who["alice"], news.NewArticle{SpaceID: sp.ID, Title: "Internal", Body: "<p>members <img src=x onerror=alert(1)></p>"})
		must(err)
		if strings.Contains(internal.Body, "onerror") {
			t.Fatalf("not sanitized: %s", internal.Body)
		}
		public, err := svc.Create(ctx, who["alice"], news.NewArticle{SpaceID: sp.ID, Title: "Public", Body: "<p>hello world</p>",
			Grants: []acl.Grant{{PrincipalKind: acl.PrincipalAnonymous, Level: acl.Read}, {PrincipalKind: acl.PrincipalSpace, PrincipalID: sp.ID, Level: acl.Read}}})
		must(err)
		list := func(s core.Subject) []string {
			as, err := svc.List(ctx, s, sp.ID, 0)
			must(err)
			var ts []string
			for _, a := range as {
				ts = append(ts, a.Title)
			}
			return ts
		}
		if got := strings.Join(list(core.AnonymousSubject), ","); got != "Public" {
			t.Fatalf("anonymous sees %q", got)
		}
		if got := strings.Join(list(who["bob"]), ","); got != "Public,Internal" {
			t.Fatalf("member sees %q", got)
		}
		if _, err := svc.Update(ctx, who["bob"], public.ContainerID, news.NewArticle{Title: "mine"}); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("reader edits: %v", err)
		}
		if _, err := svc.Update(ctx, who["alice"], public.ContainerID, news.NewArticle{Title: "Public!", Body: "b"}); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetImage(ctx, who["alice"], public.ContainerID, "text/html", strings.NewReader("<x>")); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("html as image: %v", err)
		}
		must(svc.SetImage(ctx, who["alice"], public.ContainerID, "image/png", strings.NewReader("\x89PNG fake")))
		typ, f, err := svc.Image(ctx, core.AnonymousSubject, public.ContainerID)
		must(err)
		b, _ := io.ReadAll(f)
		f.Close()
		if typ != "image/png" || string(b) != "\x89PNG fake" {
			t.Fatalf("image %s %q", typ, b)
		}
		if _, _, err := svc.Image(ctx, core.AnonymousSubject, internal.ContainerID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("anonymous reads internal image: %v", err)
		}
		must(svc.Delete(ctx, who["alice"], public.ContainerID))
		if got := strings.Join(list(who["bob"]), ","); got != "Internal" {
			t.Fatalf("after delete %q", got)
		}
	})
}
