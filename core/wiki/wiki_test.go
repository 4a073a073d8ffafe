package wiki_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/wiki"
)

type fixture struct {
	ctx              context.Context
	svc              *wiki.Service
	team             int64
	olga, alice, bob core.Subject
	now              time.Time
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{ctx: ctx, now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	spaces := space.New(db, nil)
	sp, err := spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "Team"})
	if err != nil {
		t.Fatal(err)
	}
	f.team = sp.ID
	for _, p := range []struct {
		s     *core.Subject
		login string
	}{{&f.olga, "olga"}, {&f.alice, "alice"}, {&f.bob, "bob"}} {
		var id int64
		if err := db.NewRaw(`INSERT INTO accounts (login, type, created_at, updated_at) VALUES (?, 'user', ?, ?) RETURNING id`,
			p.login, f.now, f.now).Scan(ctx, &id); err != nil {
			t.Fatal(err)
		}
		*p.s = core.Subject{AccountID: id, Login: p.login, Type: core.User}
		if err := spaces.SetMember(ctx, sp.ID, id, space.RoleMember); err != nil {
			t.Fatal(err)
		}
	}
	f.svc = wiki.New(db, acl.New(db), func() time.Time { return f.now })
	return f
}

func TestVersionsAndRestore(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		folder, err := f.svc.CreateFolder(f.ctx, f.olga, f.team, "Handbook", []acl.Grant{
			{PrincipalKind: acl.PrincipalSpace, PrincipalID: f.team, Level: acl.Write}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Create(f.ctx, f.olga, folder.ID, wiki.Input{Title: "Onboarding", Body: "first text\nline two", Tags: []string{"HR", "hr", " start "}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Version != 1 || strings.Join(p.Tags, ",") != "hr,start" {
			t.Fatalf("created: version %d tags %v", p.Version, p.Tags)
		}
		for i, body := range []string{"second text\nline two", "third text\nline two\nline three"} {
			f.now = f.now.Add(time.Minute)
			who := []core.Subject{f.alice, f.bob}[i]
			if p, err = f.svc.Save(f.ctx, who, p.ID, wiki.Input{Title: "Onboarding", Body: body, BaseVersion: p.Version}); err != nil {
				t.Fatal(err)
			}
		}
		vs, err := f.svc.Versions(f.ctx, f.bob, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 3 || vs[0].Version != 3 || *vs[0].AuthorID != f.bob.AccountID || *vs[1].AuthorID != f.alice.AccountID {
			t.Fatalf("three edits: versions %+v", vs)
		}
		// A save from an old version is an edit conflict.
		if _, err := f.svc.Save(f.ctx, f.alice, p.ID, wiki.Input{Title: "x", Body: "y", BaseVersion: 2}); !errors.Is(err, core.ErrConflict) {
			t.Errorf("save over a newer version: %v", err)
		}
		d, err := f.svc.Diff(f.ctx, f.alice, p.ID, 1, 3)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range d {
			got = append(got, string(l.Op)+l.Text)
		}
		want := " Onboarding| |-first text|+third text| line two|+line three"
		if strings.Join(got, "|") != want {
			t.Errorf("diff 1→3: %q, want %q", strings.Join(got, "|"), want)
		}
		r, err := f.svc.Restore(f.ctx, f.alice, p.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if r.Version != 4 || r.Body != "first text\nline two" {
			t.Fatalf("restore of version 1: version %d body %q", r.Version, r.Body)
		}
		v4, err := f.svc.GetVersion(f.ctx, f.bob, p.ID, 4)
		if err != nil || v4.Body != "first text\nline two" || !strings.Contains(v4.Note, "1") {
			t.Errorf("version 4: %+v %v", v4, err)
		}
		if vs, _ := f.svc.Versions(f.ctx, f.bob, p.ID); len(vs) != 4 {
			t.Errorf("versions after restore: %d", len(vs))
		}
	})
}

func TestLocksLinksMainComments(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		folder, err := f.svc.CreateFolder(f.ctx, f.olga, f.team, "Docs", []acl.Grant{
			{PrincipalKind: acl.PrincipalSpace, PrincipalID: f.team, Level: acl.Write}})
		if err != nil {
			t.Fatal(err)
		}
		target, err := f.svc.Create(f.ctx, f.olga, folder.ID, wiki.Input{Title: "Glossary", Body: "words"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Create(f.ctx, f.olga, folder.ID, wiki.Input{Title: "Home", Body: "See [[" + target.Ref + "]] and [[" + target.Ref + "|the list]]. <script>alert(1)</script>"})
		if err != nil {
			t.Fatal(err)
		}
		// Lock: alice edits, bob's save waits.
		if _, err := f.svc.Lock(f.ctx, f.alice, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Save(f.ctx, f.bob, p.ID, wiki.Input{Title: "Home", Body: "mine"}); !errors.Is(err, core.ErrConflict) {
			t.Errorf("save by bob while alice holds the lock: %v", err)
		}
		if _, err := f.svc.Save(f.ctx, f.alice, p.ID, wiki.Input{Title: "Home", Body: p.Body}); err != nil {
			t.Errorf("save by the lock holder: %v", err)
		}
		f.now = f.now.Add(wiki.LockDuration + time.Second)
		if _, err := f.svc.Save(f.ctx, f.bob, p.ID, wiki.Input{Title: "Home", Body: p.Body}); err != nil {
			t.Errorf("save after the lock expired: %v", err)
		}
		if _, err := f.svc.Lock(f.ctx, f.alice, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Unlock(f.ctx, f.alice, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Save(f.ctx, f.bob, p.ID, wiki.Input{Title: "Home", Body: p.Body}); err != nil {
			t.Errorf("save after unlock: %v", err)
		}
		// Links by reference survive a rename of the target.
		if _, err := f.svc.Save(f.ctx, f.olga, target.ID, wiki.Input{Title: "Lexicon", Body: "words"}); err != nil {
			t.Fatal(err)
		}
		cur, err := f.svc.Get(f.ctx, f.bob, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		html, err := f.svc.RenderPage(f.ctx, f.bob, cur, "/wiki/p/", "")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(html, `href="/wiki/p/`+target.Ref+`"`) || !strings.Contains(html, ">Lexicon</a>") || !strings.Contains(html, ">the list</a>") {
			t.Errorf("rendered links: %s", html)
		}
		if strings.Contains(html, "<script") {
			t.Errorf("script survived rendering: %s", html)
		}
		back, err := f.svc.Backlinks(f.ctx, f.bob, target.ID)
		if err != nil || len(back) != 1 || back[0].ID != p.ID {
			t.Errorf("backlinks: %+v %v", back, err)
		}
		// One main page per space.
		if err := f.svc.SetMain(f.ctx, f.bob, target.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetMain(f.ctx, f.bob, p.ID); err != nil {
			t.Fatal(err)
		}
		m, err := f.svc.Main(f.ctx, f.alice, f.team)
		if err != nil || m.ID != p.ID {
			t.Errorf("main page: %+v %v", m, err)
		}
		if _, err := f.svc.AddComment(f.ctx, f.alice, p.ID, "nice"); err != nil {
			t.Fatal(err)
		}
		cs, err := f.svc.Comments(f.ctx, f.bob, p.ID)
		if err != nil || len(cs) != 1 || cs[0].Body != "nice" {
			t.Errorf("comments: %+v %v", cs, err)
		}
		tagged, err := f.svc.Pages(f.ctx, f.bob, folder.ID, "")
		if err != nil || len(tagged) != 2 {
			t.Errorf("pages: %d %v", len(tagged), err)
		}
	})
}

func TestReadOnlyFolder(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		folder, err := f.svc.CreateFolder(f.ctx, f.olga, f.team, "Rules", []acl.Grant{
			{PrincipalKind: acl.PrincipalSpace, PrincipalID: f.team, Level: acl.Read}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Create(f.ctx, f.olga, folder.ID, wiki.Input{Title: "Rule", Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Create(f.ctx, f.bob, folder.ID, wiki.Input{Title: "Mine", Body: "x"}); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("create in a read-only folder: %v", err)
		}
		if _, err := f.svc.Save(f.ctx, f.bob, p.ID, wiki.Input{Title: "Rule", Body: "y"}); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("save in a read-only folder: %v", err)
		}
		if _, err := f.svc.Lock(f.ctx, f.bob, p.ID); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("lock in a read-only folder: %v", err)
		}
		if err := f.svc.SetMain(f.ctx, f.bob, p.ID); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("set main in a read-only folder: %v", err)
		}
	})
}

func TestRichTextIsSanitized(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		folder, err := f.svc.CreateFolder(f.ctx, f.olga, f.team, "Rich", nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Create(f.ctx, f.olga, folder.ID, wiki.Input{Title: "R", Format: wiki.HTML,
			Body: `<p onclick="x()">Hi <a href="javascript:alert(1)">x</a><script>alert(2)</script><strong>bold</strong></p>`})
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"onclick", "javascript:", "<script", "alert(2)"} {
			if strings.Contains(p.Body, bad) {
				t.Errorf("stored rich text keeps %q: %s", bad, p.Body)
			}
		}
		if !strings.Contains(p.Body, "<strong>bold</strong>") {
			t.Errorf("safe markup lost: %s", p.Body)
		}
		if _, err := f.svc.Create(f.ctx, f.olga, folder.ID, wiki.Input{Title: "R", Format: "docx"}); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("unknown format: %v", err)
		}
		// Limited (the default for members): bob adds a page, cannot change olga's.
		if _, err := f.svc.Create(f.ctx, f.bob, folder.ID, wiki.Input{Title: "Mine", Body: "x"}); err != nil {
			t.Errorf("member adds a page: %v", err)
		}
		if _, err := f.svc.Save(f.ctx, f.bob, p.ID, wiki.Input{Title: "R", Body: "y"}); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("member changes another's page in a limited folder: %v", err)
		}
	})
}

func TestFolderGrants(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		folder, err := f.svc.CreateFolder(f.ctx, f.olga, f.team, "Board", nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Create(f.ctx, f.olga, folder.ID, wiki.Input{Title: "Minutes", Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetFolderGrants(f.ctx, f.bob, folder.ID, nil); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("a member with limited changes the grants: %v", err)
		}
		if _, err := f.svc.FolderGrants(f.ctx, f.bob, folder.ID); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("a member with limited reads the grants: %v", err)
		}
		// Only alice may read now; bob loses the page.
		if err := f.svc.SetFolderGrants(f.ctx, f.olga, folder.ID, []acl.Grant{{PrincipalKind: acl.PrincipalUser, PrincipalID: f.alice.AccountID, Level: acl.Read}}); err != nil {
			t.Fatal(err)
		}
		if gs, err := f.svc.FolderGrants(f.ctx, f.olga, folder.ID); err != nil || len(gs) != 1 || gs[0].PrincipalID != f.alice.AccountID {
			t.Errorf("grants: %+v %v", gs, err)
		}
		if _, err := f.svc.Get(f.ctx, f.bob, p.ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("bob after the grants changed: %v", err)
		}
		if _, err := f.svc.Get(f.ctx, f.alice, p.ID); err != nil {
			t.Errorf("alice after the grants changed: %v", err)
		}
		if err := f.svc.SetFolderGrants(f.ctx, f.olga, folder.ID, []acl.Grant{{PrincipalKind: acl.PrincipalAnonymous, Level: acl.Write}}); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("anonymous write grant: %v", err)
		}
	})
}
