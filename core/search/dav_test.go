package search_test

import (
	"fmt"
	"testing"

	"plaza/core"
	"plaza/core/coretest"
	"plaza/core/search"
	"plaza/core/store"
)

// TestSearchEventInSeveralCalendars: an event bound into a second
// calendar (CalDAV BIND, or "also in" on the event form) is found by a
// reader of that calendar, not only by readers of the one it was indexed
// under; a personal calendar its owner turned off hides its events.
func TestSearchEventInSeveralCalendars(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		_, id := w.item(core.ModCalendar, "zebrabind", w.alice)
		w.drain()
		find := func(who core.Subject) int {
			t.Helper()
			res, err := w.search.Search(w.ctx, who, search.Query{Text: "zebrabind"})
			w.must(err)
			return len(res.Hits)
		}
		if find(w.alice) != 1 || find(w.bob) != 0 {
			t.Fatalf("before the bind: alice %d, bob %d", find(w.alice), find(w.bob))
		}
		bobs := w.container(core.ModCalendar, "calendar", w.bob)
		w.exec(`INSERT INTO dav_collections (container_id, kind, scope, slug) VALUES (?, 'calendar', 'team', ?)`, bobs, fmt.Sprint("c", bobs))
		w.exec(`INSERT INTO dav_members (collection_id, name, object_id, uid) VALUES (?, 'zebrabind.ics', ?, 'u-zebrabind')`, bobs, id)
		w.drain()
		if find(w.bob) != 1 || find(w.alice) != 1 {
			t.Errorf("after the bind: bob %d, alice %d", find(w.bob), find(w.alice))
		}
		// Bob's calendar is his personal one, and he turned it off
		w.exec(`UPDATE containers SET space_id = NULL, owner_id = ? WHERE id = ?`, w.bob.AccountID, bobs)
		w.exec(`UPDATE dav_collections SET personal = TRUE WHERE container_id = ?`, bobs)
		if find(w.bob) != 1 {
			t.Errorf("in Bob's personal calendar: %d", find(w.bob))
		}
		w.exec(`UPDATE accounts SET personal_calendar = FALSE WHERE id = ?`, w.bob.AccountID)
		if find(w.bob) != 0 {
			t.Errorf("Bob's personal agenda is off, yet he finds its event")
		}
	})
}
