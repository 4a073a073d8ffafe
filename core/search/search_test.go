package search_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/activity"
	"plaza/core/coretest"
	"plaza/core/files"
	"plaza/core/forum"
	"plaza/core/news"
	"plaza/core/poll"
	"plaza/core/search"
	"plaza/core/store"
	"plaza/core/task"
)

var searchable = []core.Module{core.ModFiles, core.ModCalendar, core.ModContacts, core.ModForum,
	core.ModNews, core.ModTasks, core.ModPolls, core.ModWiki, core.ModLinks}

// TestHiddenContent: for every module, an item granted to alice only is
// absent for bob from search results, counts and the activity feed, while
// alice finds it; a twin item every member may read is found by both (so
// an empty answer cannot pass for filtering).
func TestHiddenContent(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		type made struct {
			kind string
			id   int64
		}
		hidden := map[core.Module]made{}
		for _, m := range searchable {
			word := "zircon" + string(m)
			k, id := w.item(m, word, w.alice)
			hidden[m] = made{k, id}
			w.item(m, "common"+string(m), w.alice, w.bob)
		}
		w.drain()
		for _, m := range searchable {
			t.Run(string(m), func(t *testing.T) {
				h := hidden[m]
				word := "zircon" + string(m)
				ra, err := w.search.Search(w.ctx, w.alice, search.Query{Text: word})
				w.must(err)
				if ra.Total != 1 || len(ra.Hits) != 1 || ra.Hits[0].Kind != h.kind || ra.Hits[0].RefID != h.id || ra.Hits[0].Module != m {
					t.Fatalf("alice searching %q: %+v, want the %s %d", word, ra, h.kind, h.id)
				}
				if !strings.Contains(ra.Hits[0].Title+ra.Hits[0].Snippet, search.MarkStart) {
					t.Errorf("no highlight in %q / %q", ra.Hits[0].Title, ra.Hits[0].Snippet)
				}
				rb, err := w.search.Search(w.ctx, w.bob, search.Query{Text: word})
				w.must(err)
				if rb.Total != 0 || len(rb.Hits) != 0 {
					t.Errorf("bob finds alice's %s: %+v", m, rb)
				}
				// Counts: a word in both items, the module filter on.
				rb, err = w.search.Search(w.ctx, w.bob, search.Query{Text: "common" + string(m), Modules: []core.Module{m}})
				w.must(err)
				if rb.Total != 1 {
					t.Errorf("bob's count of shared %s items: %d, want 1", m, rb.Total)
				}
				// The feed, and its count.
				for _, who := range []core.Subject{w.alice, w.bob} {
					evs, err := w.feed.List(w.ctx, who, activity.Filter{Modules: []core.Module{m}, Limit: 200})
					w.must(err)
					n, err := w.feed.Count(w.ctx, who, activity.Filter{Modules: []core.Module{m}})
					w.must(err)
					seen := slices.ContainsFunc(evs, func(e activity.Event) bool { return e.Kind == h.kind && e.RefID == h.id })
					if want := who.AccountID == w.alice.AccountID; seen != want {
						t.Errorf("%s sees the event of alice's %s: %v, want %v", who.Login, m, seen, want)
					}
					if n != len(evs) {
						t.Errorf("%s: feed count %d, listed %d", who.Login, n, len(evs))
					}
				}
			})
		}
		// Listings of the other modules, through their own services.
		t.Run("listings", func(t *testing.T) {
			engine := acl.New(db)
			newsSvc, pollSvc, taskSvc := news.New(db, news.Options{Blobs: w.blobs}), poll.New(db, nil), task.New(db, engine, nil)
			forumSvc := forum.New(db, forum.Options{Blobs: w.blobs})
			for _, who := range []core.Subject{w.alice, w.bob} {
				seesAll := who.AccountID == w.alice.AccountID
				as, err := newsSvc.List(w.ctx, who, w.team, 0)
				w.must(err)
				if got := slices.ContainsFunc(as, func(a news.Article) bool { return a.ContainerID == hidden[core.ModNews].id }); got != seesAll {
					t.Errorf("%s lists alice's news: %v", who.Login, got)
				}
				ps, err := pollSvc.List(w.ctx, who, w.team)
				w.must(err)
				if got := slices.ContainsFunc(ps, func(p poll.Poll) bool { return p.ContainerID == hidden[core.ModPolls].id }); got != seesAll {
					t.Errorf("%s lists alice's poll: %v", who.Login, got)
				}
				ls, err := taskSvc.Lists(w.ctx, who, w.team)
				w.must(err)
				if len(ls) != map[bool]int{true: 2, false: 1}[seesAll] {
					t.Errorf("%s lists %d task lists", who.Login, len(ls))
				}
				cs, err := forumSvc.Categories(w.ctx, who, w.team)
				w.must(err)
				if len(cs) != map[bool]int{true: 2, false: 1}[seesAll] {
					t.Errorf("%s lists %d forum categories", who.Login, len(cs))
				}
				root, err := w.files.SpaceRoot(w.ctx, w.team)
				w.must(err)
				rn, err := w.files.Node(w.ctx, who, root.NodeID)
				w.must(err)
				kids, err := w.files.Children(w.ctx, who, rn)
				w.must(err)
				if len(kids) != map[bool]int{true: 2, false: 1}[seesAll] {
					t.Errorf("%s lists %d folders at the files root", who.Login, len(kids))
				}
			}
		})
		// Listings of the modules of this package.
		fa, err := w.wiki.Folders(w.ctx, w.alice, w.team)
		w.must(err)
		fb, err := w.wiki.Folders(w.ctx, w.bob, w.team)
		w.must(err)
		if len(fa) != 2 || len(fb) != 1 {
			t.Errorf("wiki folders: alice %d, bob %d; want 2 and 1", len(fa), len(fb))
		}
		if _, err := w.wiki.Get(w.ctx, w.bob, hidden[core.ModWiki].id); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("bob reads alice's wiki page: %v", err)
		}
		if _, err := w.links.Get(w.ctx, w.bob, hidden[core.ModLinks].id); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("bob reads alice's link: %v", err)
		}
		lf, err := w.links.Folders(w.ctx, w.bob, w.team)
		w.must(err)
		for _, f := range lf {
			ls, err := w.links.List(w.ctx, w.bob, f.ID, "")
			w.must(err)
			for _, l := range ls {
				if l.ID == hidden[core.ModLinks].id {
					t.Errorf("bob lists alice's link")
				}
			}
		}
		// Everything of olga's, unfiltered, for the author.
		ro, err := w.search.Search(w.ctx, w.olga, search.Query{Text: "zircon"})
		w.must(err)
		if ro.Total != len(searchable) {
			t.Errorf("olga (author of everything) finds %d items by prefix, want %d", ro.Total, len(searchable))
		}
		// Anonymous visitors find nothing in a private space.
		rn, err := w.search.Search(w.ctx, core.AnonymousSubject, search.Query{Text: "common"})
		w.must(err)
		if rn.Total != 0 {
			t.Errorf("anonymous finds %d items", rn.Total)
		}
	})
}

// TestFileText: the text of PDF and DOCX files is found by a word it
// holds, and no longer once the file is deleted or its folder trashed.
func TestFileText(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		root, err := w.files.SpaceRoot(w.ctx, w.team)
		w.must(err)
		pdf, _, err := w.files.Put(w.ctx, w.olga, root, files.Path{"report.pdf"}, bytes.NewReader(pdfWith("Quarterly figures of the quasar project")), files.PutOptions{})
		w.must(err)
		docx, _, err := w.files.Put(w.ctx, w.olga, root, files.Path{"memo.docx"}, bytes.NewReader(docxWith("The nebula initiative starts")), files.PutOptions{})
		w.must(err)
		_, err = w.files.Mkdir(w.ctx, w.olga, root, files.Path{"archive"})
		w.must(err)
		_, _, err = w.files.Put(w.ctx, w.olga, root, files.Path{"archive", "old.md"}, bytes.NewBufferString("# Pulsar\nold notes"), files.PutOptions{})
		w.must(err)
		w.drain()
		find := func(word string) []search.Hit {
			t.Helper()
			r, err := w.search.Search(w.ctx, w.bob, search.Query{Text: word, Modules: []core.Module{core.ModFiles}})
			w.must(err)
			return r.Hits
		}
		if h := find("quasar"); len(h) != 1 || h[0].RefID != pdf.ID || !strings.Contains(h[0].Snippet, search.MarkStart+"quasar"+search.MarkEnd) {
			t.Fatalf("PDF text: %+v", h)
		}
		if h := find("nebula"); len(h) != 1 || h[0].RefID != docx.ID {
			t.Fatalf("DOCX text: %+v", h)
		}
		if h := find("paragraph"); len(h) != 1 {
			t.Errorf("DOCX second paragraph: %+v", h)
		}
		if h := find("pulsar"); len(h) != 1 {
			t.Fatalf("Markdown text: %+v", h)
		}
		if h := find("report"); len(h) != 1 || h[0].RefID != pdf.ID {
			t.Errorf("file name: %+v", h)
		}

		n, err := w.files.Node(w.ctx, w.olga, pdf.ID)
		w.must(err)
		w.must(w.files.Delete(w.ctx, w.olga, n))
		arch, err := w.files.Lookup(w.ctx, w.olga, root, files.Path{"archive"})
		w.must(err)
		w.must(w.files.Delete(w.ctx, w.olga, arch))
		w.drain()
		if h := find("quasar"); len(h) != 0 {
			t.Errorf("deleted PDF still found: %+v", h)
		}
		if h := find("pulsar"); len(h) != 0 {
			t.Errorf("file in a trashed folder still found: %+v", h)
		}
		if h := find("nebula"); len(h) != 1 {
			t.Errorf("the other file is gone too: %+v", h)
		}
		evs, err := w.feed.List(w.ctx, w.olga, activity.Filter{Modules: []core.Module{core.ModFiles}})
		w.must(err)
		if !slices.ContainsFunc(evs, func(e activity.Event) bool {
			return e.RefID == pdf.ID && e.Verb == activity.Delete && e.Title == "report.pdf"
		}) {
			t.Errorf("no delete event for the PDF in %+v", evs)
		}
	})
}

func TestSearchFilters(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, m := range []core.Module{core.ModTasks, core.ModWiki, core.ModNews} {
			w.item(m, "orbit", w.alice, w.bob)
		}
		w.drain()
		q := func(sq search.Query) int {
			t.Helper()
			sq.Text = "orbit"
			r, err := w.search.Search(w.ctx, w.bob, sq)
			w.must(err)
			return r.Total
		}
		for _, c := range []struct {
			name string
			q    search.Query
			want int
		}{
			{"all", search.Query{}, 3},
			{"module", search.Query{Modules: []core.Module{core.ModWiki, core.ModTasks}}, 2},
			{"space", search.Query{SpaceID: w.team}, 3},
			{"other space", search.Query{SpaceID: w.team + 1000}, 0},
			{"author", search.Query{AuthorID: w.olga.AccountID}, 3},
			{"other author", search.Query{AuthorID: w.bob.AccountID}, 0},
			{"from the past", search.Query{From: time.Now().Add(-time.Hour)}, 3},
			{"from the future", search.Query{From: time.Now().Add(time.Hour)}, 0},
			{"until the past", search.Query{To: time.Now().Add(-time.Hour)}, 0},
			{"page past the end still counts", search.Query{Offset: 10}, 3},
		} {
			if got := q(c.q); got != c.want {
				t.Errorf("%s: %d results, want %d", c.name, got, c.want)
			}
		}
		// The feed by person: olga wrote everything, bob nothing.
		if n, err := w.feed.Count(w.ctx, w.bob, activity.Filter{PersonID: w.olga.AccountID}); err != nil || n != 3 {
			t.Errorf("feed of olga's changes: %d %v", n, err)
		}
		if n, err := w.feed.Count(w.ctx, w.bob, activity.Filter{PersonID: w.bob.AccountID}); err != nil || n != 0 {
			t.Errorf("feed of bob's changes: %d %v", n, err)
		}
		if n, err := w.feed.Count(w.ctx, w.bob, activity.Filter{SpaceIDs: []int64{w.team + 1000}}); err != nil || n != 0 {
			t.Errorf("feed of another space: %d %v", n, err)
		}
		r, err := w.search.Search(w.ctx, w.bob, search.Query{Text: "orb", Limit: 2})
		w.must(err)
		if r.Total != 3 || len(r.Hits) != 2 {
			t.Errorf("prefix with a page of 2: total %d, %d hits", r.Total, len(r.Hits))
		}
		if _, err := w.search.Search(w.ctx, w.bob, search.Query{Text: " -- "}); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("empty query: %v", err)
		}
		// Operators of the engines are plain words here.
		if _, err := w.search.Search(w.ctx, w.bob, search.Query{Text: `orbit" OR NEAR(x) & !:* |`}); err != nil {
			t.Errorf("query with operators: %v", err)
		}
	})
}

func TestSegments(t *testing.T) {
	got := search.Segments("a " + search.MarkStart + "b" + search.MarkEnd + " c")
	want := []search.Segment{{Text: "a "}, {Text: "b", Match: true}, {Text: " c"}}
	if !slices.Equal(got, want) {
		t.Errorf("segments %+v", got)
	}
}

// TestBadRowDoesNotStallTheQueue: a change the indexer cannot read (here a
// task whose time SQLite stored as garbage) is dropped after a retry one
// by one; the changes queued with it are indexed.
func TestBadRowDoesNotStallTheQueue(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	w := newWorld(t, db)
	w.item(core.ModTasks, "before", w.alice)
	cid := w.container(core.ModTasks, "tasklist", w.alice)
	var st int64
	w.must(db.NewRaw(`INSERT INTO task_statuses (container_id, name, position) VALUES (?, 'To do', 0) RETURNING id`, cid).Scan(w.ctx, &st))
	w.exec(`INSERT INTO tasks (container_id, title, status_id, position, created_at, updated_at) VALUES (?, 'broken', ?, 0, 'garbage', 'garbage')`, cid, st)
	w.item(core.ModWiki, "after", w.alice)
	w.drain()
	for _, word := range []string{"before", "after"} {
		r, err := w.search.Search(w.ctx, w.alice, search.Query{Text: word})
		w.must(err)
		if r.Total != 1 {
			t.Errorf("%q: %d results, want 1", word, r.Total)
		}
	}
	if r, err := w.search.Search(w.ctx, w.alice, search.Query{Text: "broken"}); err != nil || r.Total != 0 {
		t.Errorf("the unreadable task was indexed after all (%v, %v): the test shows nothing", r, err)
	}
	var left int
	w.must(db.NewRaw(`SELECT COUNT(*) FROM search_queue`).Scan(w.ctx, &left))
	if left != 0 {
		t.Errorf("%d changes left in the queue", left)
	}
}
