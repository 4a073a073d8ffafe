package notify_test

import (
	"context"
	"sync"
	"testing"

	"plaza/cmd/plaza/icalarm"
	"plaza/core/coretest"
	"plaza/core/notify"
	"plaza/core/store"
)

// TestFirstRunInSeveralProcesses starts the periodic scans of several
// processes at once on a database that has no cursor yet: none fails
// (they used to collide creating the cursor).
func TestFirstRunInSeveralProcesses(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 8 {
			n := notify.New(db, notify.Options{})
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, err := n.WatchTasks(ctx)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := n.SendReminders(ctx, icalarm.Alarms)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}
