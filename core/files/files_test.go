package files_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/coretest"
	"plaza/core/files"
	"plaza/core/space"
	"plaza/core/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T, db *store.DB, o files.Options) (*files.Service, *blob.Store, core.Subject, *files.Root, *clock) {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	bs, err := blob.New(blob.Options{Dir: filepath.Join(t.TempDir(), "blobs"), DB: db, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	o.DB, o.Blobs, o.Now = db, bs, c.now
	s := files.New(o)
	a, err := account.New(db, nil).Create(ctx, account.NewAccount{Login: "alice", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.PersonalRoot(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s, bs, a.Subject(), r, c
}

func put(t *testing.T, s *files.Service, who core.Subject, r *files.Root, p, content string) *files.Node {
	t.Helper()
	n, _, err := s.Put(context.Background(), who, r, files.SplitPath(p), strings.NewReader(content), files.PutOptions{})
	if err != nil {
		t.Fatalf("put %s: %v", p, err)
	}
	return n
}

func read(t *testing.T, s *files.Service, who core.Subject, r *files.Root, p string) string {
	t.Helper()
	n, err := s.Lookup(context.Background(), who, r, files.SplitPath(p))
	if err != nil {
		t.Fatalf("lookup %s: %v", p, err)
	}
	f, err := s.Open(n)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}

func TestVersionRetention(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, bs, who, r, _ := setup(t, db, files.Options{KeepVersions: 2})
		var n *files.Node
		for i := 1; i <= 5; i++ {
			n = put(t, s, who, r, "/doc", fmt.Sprintf("content %d", i))
		}
		_, vs, err := s.Versions(ctx, who, n.ID)
		if err != nil || len(vs) != 2 {
			t.Fatalf("versions %v %v", vs, err)
		}
		f, _ := s.OpenVersion(&vs[0])
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) != "content 4" {
			t.Errorf("newest version %q", b)
		}
		// Dropped versions lost their reference; kept ones hold one.
		for i, want := range map[int]int64{1: 0, 2: 0, 3: 1, 4: 1, 5: 1} {
			blobHash := put(t, s, who, r, fmt.Sprintf("/probe%d", i), fmt.Sprintf("content %d", i)).BlobHash
			if refs, _ := bs.Refs(ctx, blobHash); refs != want+1 {
				t.Errorf("content %d: %d references, want %d", i, refs, want+1)
			}
		}
		// Restore swaps the current content and a version.
		if _, err := s.RestoreVersion(ctx, who, n.ID, vs[1].ID); err != nil {
			t.Fatal(err)
		}
		if got := read(t, s, who, r, "/doc"); got != "content 3" {
			t.Errorf("restored %q", got)
		}
		_, vs, _ = s.Versions(ctx, who, n.ID)
		if len(vs) != 2 {
			t.Errorf("after restore: %d versions", len(vs))
		}
	})
}

func TestTrashSweep(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, bs, who, r, c := setup(t, db, files.Options{TrashDays: 7})
		if _, err := s.Mkdir(ctx, who, r, files.Path{"dir"}); err != nil {
			t.Fatal(err)
		}
		in := put(t, s, who, r, "/dir/in", "unique content in a folder")
		put(t, s, who, r, "/dir/in", "second content")
		dir, _ := s.Lookup(ctx, who, r, files.Path{"dir"})
		if err := s.Delete(ctx, who, dir); err != nil {
			t.Fatal(err)
		}
		// The name is free again while the old folder waits in the trash.
		if _, err := s.Mkdir(ctx, who, r, files.Path{"dir"}); err != nil {
			t.Fatal(err)
		}
		if ts, _ := s.Trash(ctx, who, r); len(ts) != 1 || ts[0].TrashPath != "/dir" {
			t.Fatalf("trash %+v", ts)
		}
		if _, err := s.Restore(ctx, who, r, dir.ID, nil); !errors.Is(err, files.ErrExists) {
			t.Errorf("restore onto a taken name: %v", err)
		}
		c.add(6 * 24 * time.Hour)
		if k, err := s.Sweep(ctx); err != nil || k != 0 {
			t.Fatalf("early sweep purged %d (%v)", k, err)
		}
		c.add(2 * 24 * time.Hour)
		if k, err := s.Sweep(ctx); err != nil || k != 1 {
			t.Fatalf("sweep purged %d (%v)", k, err)
		}
		if _, err := s.Node(ctx, who, in.ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("file inside a purged folder: %v", err)
		}
		if refs, _ := bs.Refs(ctx, in.BlobHash); refs != 0 {
			t.Errorf("purged content keeps %d references", refs)
		}
		if _, err := acl.GetContainer(ctx, db, dir.ContainerID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("purged folder's container: %v", err)
		}
	})
}

// TestConcurrentWrites: parallel overwrites of one file and creations of
// one name never fail with a server error and never lose a version.
func TestConcurrentWrites(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, who, r, _ := setup(t, db, files.Options{})
		n := put(t, s, who, r, "/shared", "v0")
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 20 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, _, err := s.Put(ctx, who, r, files.Path{"shared"}, strings.NewReader(fmt.Sprintf("v%d", i+1)), files.PutOptions{})
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, _, err := s.Put(ctx, who, r, files.Path{"new"}, strings.NewReader(fmt.Sprintf("n%d", i)), files.PutOptions{})
				if errors.Is(err, core.ErrConflict) {
					err = nil // two creations of one name: one may lose
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent put: %v", err)
			}
		}
		_, vs, _ := s.Versions(ctx, who, n.ID)
		if len(vs) != 20 {
			t.Errorf("%d versions after 20 overwrites", len(vs))
		}
		root, err := s.Lookup(ctx, who, r, nil)
		if err != nil {
			t.Fatal(err)
		}
		kids, err := s.Children(ctx, who, root)
		if err != nil || len(kids) != 2 || kids[0].Name != "new" || kids[1].Name != "shared" {
			t.Errorf("children %+v %v", kids, err)
		}
	})
}

func TestLocks(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, who, r, c := setup(t, db, files.Options{})
		lock := func(p string, inf, shared bool) error {
			return s.CreateLock(ctx, &files.Lock{Token: "t" + p + fmt.Sprint(shared, c.now().UnixNano()), RootID: r.ContainerID,
				Path: p, DepthInfinity: inf, Shared: shared, AccountID: &who.AccountID}, time.Minute, nil)
		}
		if err := lock("/a", true, false); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			p        string
			inf, sh  bool
			conflict bool
		}{
			{"/a/b", false, false, true}, // inside an infinite exclusive lock
			{"", true, false, true},      // an infinite lock above it
			{"", false, false, false},    // depth 0 on the root does not cover /a
			{"/ab", false, false, false}, // a sibling with a common prefix
			{"/a", false, true, true},    // shared on exclusive
		} {
			c2 := c
			err := lock(c2.p, c2.inf, c2.sh)
			if errors.Is(err, files.ErrLocked) != c2.conflict {
				t.Errorf("lock %+v: %v", c2, err)
			}
		}
		if err := lock("/s", false, true); err != nil {
			t.Fatal(err)
		}
		c.add(time.Nanosecond)
		if err := lock("/s", false, true); err != nil {
			t.Errorf("second shared lock: %v", err)
		}
		c.add(2 * time.Minute)
		if err := lock("/a/b", false, false); err != nil {
			t.Errorf("expired lock still holds: %v", err)
		}
	})
}

// TestListingCache: a large folder's listing, kept in memory by folder
// ETag, always equals what a service without a cache reads, after every
// kind of change (as a second process sharing the database would see).
func TestListingCache(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, bs, who, r, c := setup(t, db, files.Options{ListingCacheMin: 8})
		if _, err := s.Mkdir(ctx, who, r, files.Path{"big"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Mkdir(ctx, who, r, files.Path{"other"}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < 24; i += 8 {
					if _, _, err := s.Put(ctx, who, r, files.Path{"big", fmt.Sprintf("f%03d", i)}, strings.NewReader(fmt.Sprint(i)), files.PutOptions{}); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		put(t, s, who, r, "/other/outside", "outside")
		fresh := func() *files.Service {
			return files.New(files.Options{DB: db, Blobs: bs, Now: c.now, ListingCacheMin: -1})
		}
		check := func(step string) {
			t.Helper()
			list := func(svc *files.Service) string {
				dir, err := svc.Lookup(ctx, who, r, files.Path{"big"})
				if err != nil {
					t.Fatal(err)
				}
				kids, err := svc.Children(ctx, who, dir)
				if err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				for _, k := range kids {
					fmt.Fprintf(&b, "%d %s %d %s %d %v %s\n", k.ID, k.Name, k.Size, k.ETag, k.ModifiedAt.Unix(), k.Level, k.ContentType)
				}
				return b.String()
			}
			list(s) // fill the cache
			if got, want := list(s), list(fresh()); got != want {
				t.Fatalf("after %s the cached listing differs:\n%s\nwant\n%s", step, got, want)
			}
		}
		check("creation")
		c.add(time.Hour)
		n := put(t, s, who, r, "/big/f001", "overwritten")
		check("overwrite")
		_, vs, _ := s.Versions(ctx, who, n.ID)
		c.add(time.Hour)
		if _, err := s.RestoreVersion(ctx, who, n.ID, vs[0].ID); err != nil {
			t.Fatal(err)
		}
		check("version restore")
		if err := s.SetModTime(ctx, who, n, time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		check("modification time")
		if err := s.Delete(ctx, who, n); err != nil {
			t.Fatal(err)
		}
		check("delete")
		if _, err := s.Restore(ctx, who, r, n.ID, nil); err != nil {
			t.Fatal(err)
		}
		check("restore from trash")
		out, _ := s.Lookup(ctx, who, r, files.Path{"other", "outside"})
		if _, err := s.Move(ctx, who, out, r, files.Path{"big", "moved-in"}, false); err != nil {
			t.Fatal(err)
		}
		check("move in")
		f2, _ := s.Lookup(ctx, who, r, files.Path{"big", "f002"})
		if _, err := s.Move(ctx, who, f2, r, files.Path{"big", "f002-renamed"}, false); err != nil {
			t.Fatal(err)
		}
		check("rename")
		if _, err := s.Copy(ctx, who, f2, r, files.Path{"big", "f003"}, true, true); err != nil {
			t.Fatal(err)
		}
		check("copy over")
	})
}

// TestListChildrenStreams: a folder of more files than one batch lists
// in batches, by name, with its subfolders merged in, the same uncached
// and cached, with every field as a lookup reads it; a listing stopped
// early leaves nothing running and nothing partial in the cache.
func TestListChildrenStreams(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, who, r, _ := setup(t, db, files.Options{ListingCacheMin: 8})
		const count = 1100
		for _, p := range []string{"big", "big/a-first", "big/f0600-middle", "big/zz-last"} {
			if _, err := s.Mkdir(ctx, who, r, files.SplitPath(p)); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < count; i += 8 {
					o := files.PutOptions{ContentType: "text/plain"}
					if i%3 == 0 {
						o.ModTime = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
					}
					if _, _, err := s.Put(ctx, who, r, files.Path{"big", fmt.Sprintf("f%04d", i)}, strings.NewReader(fmt.Sprint(i)), o); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		dir, err := s.Lookup(ctx, who, r, files.Path{"big"})
		if err != nil {
			t.Fatal(err)
		}
		stop := errors.New("stop")
		if err := s.ListChildren(ctx, who, dir, func([]files.Node) error { return stop }); err != stop {
			t.Fatalf("stopped listing: %v", err)
		}
		list := func() string {
			t.Helper()
			var b strings.Builder
			last, batches := "", 0
			err := s.ListChildren(ctx, who, dir, func(ns []files.Node) error {
				batches++
				for _, n := range ns {
					if n.Name <= last {
						t.Errorf("%q after %q", n.Name, last)
					}
					last = n.Name
					fmt.Fprintf(&b, "%d %s %v %d %s %s %s %v %s %v\n", n.ID, n.Name, n.IsDir, n.Size, n.ETag, n.BlobHash,
						n.ContentType, n.Level, n.ModifiedAt.Format(time.RFC3339Nano), n.CreatedAt.Format(time.RFC3339Nano))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if batches < 3 {
				t.Errorf("%d batches", batches)
			}
			return b.String()
		}
		uncached, cached := list(), list()
		if uncached != cached {
			t.Errorf("cached listing differs:\n%s\nuncached:\n%s", cached, uncached)
		}
		kids, err := s.Children(ctx, who, dir)
		if err != nil || len(kids) != count+3 {
			t.Fatalf("children: %d %v", len(kids), err)
		}
		if kids[0].Name != "a-first" || kids[602].Name != "f0600-middle" || kids[count+2].Name != "zz-last" {
			t.Errorf("folders out of place: %s %s %s", kids[0].Name, kids[602].Name, kids[count+2].Name)
		}
		if _, err := s.Open(&kids[1]); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("opening a listed node: %v", err)
		}
		for _, k := range []files.Node{kids[1], kids[2], kids[601], kids[count+1]} {
			n, err := s.Lookup(ctx, who, r, files.Path{"big", k.Name})
			if err != nil {
				t.Fatal(err)
			}
			if n.ID != k.ID || n.Size != k.Size || n.ETag != k.ETag || k.BlobHash != "" || n.ContentType != k.ContentType ||
				!n.ModifiedAt.Equal(k.ModifiedAt) || !n.CreatedAt.Equal(k.CreatedAt) || n.Level != k.Level ||
				n.RootID != k.RootID || n.ContainerID != k.ContainerID || *n.ParentID != *k.ParentID || *n.AuthorID != *k.AuthorID {
				t.Errorf("listed %+v\nlooked up %+v", k, *n)
			}
		}
	})
}

// TestListingSubfolderGrants: a listing kept in the cache holds the
// folder's subfolders, but each subject still sees only those it may
// read, each as it is now (a change inside a subfolder does not renew
// its parent's listing).
func TestListingSubfolderGrants(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, alice, _, _ := setup(t, db, files.Options{ListingCacheMin: 8})
		spaces := space.New(db, nil)
		team, err := spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "Team"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := account.New(db, nil).Create(ctx, account.NewAccount{Login: "bob", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		bob := b.Subject()
		if err := spaces.SetMember(ctx, team.ID, alice.AccountID, space.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := spaces.SetMember(ctx, team.ID, bob.AccountID, space.RoleMember); err != nil {
			t.Fatal(err)
		}
		r, err := s.SpaceRoot(ctx, team.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"m-private", "n-open"} {
			if _, err := s.Mkdir(ctx, alice, r, files.Path{p}); err != nil {
				t.Fatal(err)
			}
		}
		priv, _ := s.Lookup(ctx, alice, r, files.Path{"m-private"})
		if err := acl.SetGrants(ctx, db, priv.ContainerID, []acl.Grant{}); err != nil {
			t.Fatal(err)
		}
		for i := range 12 {
			put(t, s, alice, r, fmt.Sprintf("/f%02d", i), "x")
		}
		list := func(who core.Subject) map[string]files.Node {
			t.Helper()
			dir, err := s.Lookup(ctx, who, r, nil)
			if err != nil {
				t.Fatal(err)
			}
			kids, err := s.Children(ctx, who, dir)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]files.Node{}
			for _, k := range kids {
				m[k.Name] = k
			}
			return m
		}
		for range 2 { // uncached, then cached
			a, b := list(alice), list(bob)
			if len(a) != 14 || a["m-private"].Level != acl.Full || a["n-open"].ContainerID == r.ContainerID {
				t.Errorf("alice sees %d: %+v", len(a), a["m-private"])
			}
			if _, ok := b["m-private"]; ok || len(b) != 13 || b["n-open"].Level != acl.Write || b["f01"].Level != acl.Write {
				t.Errorf("bob sees %d: %+v %+v", len(b), b["m-private"], b["n-open"])
			}
		}
		before := list(alice)["m-private"].ETag
		put(t, s, alice, r, "/m-private/inside", "x")
		if got := list(alice)["m-private"].ETag; got == before {
			t.Error("the cached listing shows a subfolder as it was")
		}
	})
}

// TestDeleteKeepsHiddenSubfolder: deleting or purging a folder must not
// destroy a sub-folder the caller may not delete (issue 20, item 3).
func TestDeleteKeepsHiddenSubfolder(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, _, _, _ := setup(t, db, files.Options{})
		spaces := space.New(db, nil)
		team, err := spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "Team"})
		if err != nil {
			t.Fatal(err)
		}
		subject := func(login string) core.Subject {
			a, err := account.New(db, nil).Create(ctx, account.NewAccount{Login: login, Password: "correct horse battery"})
			if err != nil {
				t.Fatal(err)
			}
			if err := spaces.SetMember(ctx, team.ID, a.ID, space.RoleMember); err != nil {
				t.Fatal(err)
			}
			return a.Subject()
		}
		bob, carol := subject("bob"), subject("carol")
		r, err := s.SpaceRoot(ctx, team.ID)
		if err != nil {
			t.Fatal(err)
		}
		mkdir := func(who core.Subject, p string) *files.Node {
			t.Helper()
			n, err := s.Mkdir(ctx, who, r, files.SplitPath(p))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		mkdir(bob, "/shared")
		mine := mkdir(carol, "/shared/mine")
		put(t, s, carol, r, "/shared/mine/secret", "carol's")
		put(t, s, bob, r, "/shared/open", "bob's")
		if err := acl.SetGrants(ctx, db, mine.ContainerID, []acl.Grant{}); err != nil {
			t.Fatal(err)
		}
		shared, err := s.Lookup(ctx, bob, r, files.Path{"shared"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, bob, shared); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("bob deletes a folder holding carol's private one: %v, want forbidden", err)
		}
		if got := read(t, s, carol, r, "/shared/mine/secret"); got != "carol's" {
			t.Fatalf("carol's file: %q", got)
		}
		// A folder trashed while the sub-folder was still open to bob is
		// not purged once the sub-folder is private.
		if err := acl.SetGrants(ctx, db, mine.ContainerID, []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: team.ID, Level: acl.Write}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, bob, shared); err != nil {
			t.Fatal(err)
		}
		if err := acl.SetGrants(ctx, db, mine.ContainerID, []acl.Grant{}); err != nil {
			t.Fatal(err)
		}
		if err := s.Purge(ctx, bob, r, shared.ID); !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("bob purges a folder holding carol's private one: %v, want forbidden", err)
		}
		if k, err := s.EmptyTrash(ctx, bob, r); err != nil || k != 0 {
			t.Fatalf("bob empties the trash: %d purged, %v", k, err)
		}
		if _, err := s.Node(ctx, carol, mine.ID); err != nil {
			t.Fatalf("carol's folder after bob's purges: %v", err)
		}
		// Without hidden content the delete and the purge go through.
		mkdir(bob, "/plain")
		mkdir(bob, "/plain/sub")
		plain, _ := s.Lookup(ctx, bob, r, files.Path{"plain"})
		if err := s.Delete(ctx, bob, plain); err != nil {
			t.Fatal(err)
		}
		if err := s.Purge(ctx, bob, r, plain.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// TestWritesHonourLocks: every write of core/files refuses a locked path
// unless its token comes with it, whatever surface calls (issue 18: the
// check used to live only in the WebDAV adapter).
func TestWritesHonourLocks(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, who, r, _ := setup(t, db, files.Options{})
		put(t, s, who, r, "/doc.txt", "one")
		put(t, s, who, r, "/doc.txt", "two")
		if _, err := s.Mkdir(ctx, who, r, files.SplitPath("/dir")); err != nil {
			t.Fatal(err)
		}
		put(t, s, who, r, "/dir/in.txt", "in")
		for _, l := range []*files.Lock{
			{Token: "tok-doc", RootID: r.ContainerID, Path: "/doc.txt", AccountID: &who.AccountID},
			{Token: "tok-dir", RootID: r.ContainerID, Path: "/dir", DepthInfinity: true, AccountID: &who.AccountID},
		} {
			if err := s.CreateLock(ctx, l, time.Hour, nil); err != nil {
				t.Fatal(err)
			}
		}
		doc, _ := s.Lookup(ctx, who, r, files.SplitPath("/doc.txt"))
		dir, _ := s.Lookup(ctx, who, r, files.SplitPath("/dir"))
		_, vs, err := s.Versions(ctx, who, doc.ID)
		if err != nil || len(vs) == 0 {
			t.Fatalf("versions: %v %v", vs, err)
		}
		writes := map[string]func(ctx context.Context) error{
			"put": func(ctx context.Context) error {
				_, _, err := s.Put(ctx, who, r, files.SplitPath("/doc.txt"), strings.NewReader("x"), files.PutOptions{})
				return err
			},
			"put inside": func(ctx context.Context) error {
				_, _, err := s.Put(ctx, who, r, files.SplitPath("/dir/new.txt"), strings.NewReader("x"), files.PutOptions{})
				return err
			},
			"mkdir inside": func(ctx context.Context) error {
				_, err := s.Mkdir(ctx, who, r, files.SplitPath("/dir/sub"))
				return err
			},
			"rename": func(ctx context.Context) error {
				_, err := s.Move(ctx, who, doc, r, files.SplitPath("/renamed.txt"), false)
				return err
			},
			"move into": func(ctx context.Context) error {
				free := put(t, s, who, r, "/free-"+fmt.Sprint(time.Now().UnixNano()), "f")
				_, err := s.Move(ctx, who, free, r, files.Path{"dir", free.Name}, false)
				return err
			},
			"copy into": func(ctx context.Context) error {
				_, err := s.Copy(ctx, who, doc, r, files.SplitPath("/dir/copy.txt"), false, false)
				return err
			},
			"props": func(ctx context.Context) error {
				return s.PatchProps(ctx, who, doc, []files.PropOp{{Namespace: "x:", Name: "p", Value: "v"}}, nil)
			},
			"restore version": func(ctx context.Context) error {
				_, err := s.RestoreVersion(ctx, who, doc.ID, vs[0].ID)
				return err
			},
			"delete folder": func(ctx context.Context) error { return s.Delete(ctx, who, dir) },
			"delete":        func(ctx context.Context) error { return s.Delete(ctx, who, doc) },
		}
		for _, name := range []string{"put", "put inside", "mkdir inside", "move into", "copy into", "props", "restore version", "delete folder", "delete", "rename"} {
			err := writes[name](ctx)
			var le *files.LockedError
			if !errors.As(err, &le) || !errors.Is(err, files.ErrLocked) || !errors.Is(err, core.ErrConflict) {
				t.Errorf("%s without the token: %v, want a LockedError wrapping core.ErrConflict", name, err)
			}
		}
		with := files.WithLockTokens(ctx, []string{"tok-doc", "tok-dir"})
		for _, name := range []string{"put", "put inside", "mkdir inside", "move into", "copy into", "props", "restore version", "rename"} {
			if err := writes[name](with); err != nil {
				t.Errorf("%s with the tokens: %v", name, err)
			}
		}
	})
}
