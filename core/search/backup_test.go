package search_test

import (
	"bytes"
	"testing"

	"plaza/core"
	"plaza/core/activity"
	"plaza/core/backup"
	"plaza/core/blob"
	"plaza/core/coretest"
	"plaza/core/search"
	"plaza/core/store"
)

// TestIndexAfterRestore: the search tables stay out of backups; a restore
// re-queues every restored row through the triggers, so the new database
// finds what the old one found, and the feed keeps one creation per item.
func TestIndexAfterRestore(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, m := range []core.Module{core.ModFiles, core.ModTasks, core.ModWiki, core.ModLinks, core.ModForum} {
			w.item(m, "garnet", w.alice)
		}
		w.drain()
		before, err := w.search.Search(w.ctx, w.alice, search.Query{Text: "garnet"})
		w.must(err)
		evBefore, err := w.feed.Count(w.ctx, w.alice, activity.Filter{})
		w.must(err)
		if before.Total != 5 {
			t.Fatalf("before: %d results", before.Total)
		}
		var buf bytes.Buffer
		if _, err := backup.Write(w.ctx, db, w.blobs, &buf); err != nil {
			t.Fatal(err)
		}
		db2 := coretest.OpenDB(t, db.Kind)
		blobs2, err := blob.New(blob.Options{Dir: t.TempDir(), DB: db2})
		w.must(err)
		if _, err := backup.Restore(w.ctx, db2, blobs2, &buf); err != nil {
			t.Fatal(err)
		}
		if _, err := search.NewIndexer(db2, blobs2, nil).Drain(w.ctx); err != nil {
			t.Fatal(err)
		}
		after, err := search.New(db2).Search(w.ctx, w.alice, search.Query{Text: "garnet"})
		w.must(err)
		if after.Total != before.Total {
			t.Errorf("after restore: %d results, want %d", after.Total, before.Total)
		}
		if r, _ := search.New(db2).Search(w.ctx, w.bob, search.Query{Text: "garnet"}); r == nil || r.Total != 0 {
			t.Errorf("bob after restore: %+v", r)
		}
		evAfter, err := activity.New(db2, nil).Count(w.ctx, w.alice, activity.Filter{})
		w.must(err)
		if evAfter != evBefore {
			t.Errorf("feed after restore: %d events, want %d (restored rows are no new creations)", evAfter, evBefore)
		}
	})
}
