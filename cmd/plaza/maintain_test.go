package main

import (
	"testing"
	"time"

	"plaza/core/account"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
)

// TestMaintainPrunesActivity: the housekeeping serve runs every hour
// drops activity older than the retention and keeps the rest.
func TestMaintainPrunesActivity(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			cfg := Config{DataDir: t.TempDir()}
			if d == store.Postgres {
				cfg.DatabaseURL = coretest.FreshPostgresURL(t)
			}
			ctx := t.Context()
			svc, err := open(ctx, cfg, coretest.Logger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer svc.Close()
			a, err := svc.accounts.Create(ctx, account.NewAccount{Login: "ann", Password: "ann-password"})
			if err != nil {
				t.Fatal(err)
			}
			sp, err := svc.spaces.Create(ctx, space.NewSpace{Slug: "team"})
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.spaces.SetMember(ctx, sp.ID, a.ID, space.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			list, err := svc.tasks.CreateList(ctx, a.Subject(), sp.ID, "List", nil)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			for i, at := range []time.Time{now.Add(-activityRetention - time.Hour), now.Add(-activityRetention + time.Hour), now} {
				if _, err := svc.db.NewRaw(`INSERT INTO activity_events (module, kind, ref_id, verb, space_id, container_id, actor_id, author_id, title, at)
					VALUES ('tasks', 'task', ?, 'create', ?, ?, ?, ?, 't', ?)`, i+1, sp.ID, list.ID, a.ID, a.ID, at).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			maintainOnce(ctx, svc)
			var left []int64
			if err := svc.db.NewRaw(`SELECT ref_id FROM activity_events ORDER BY ref_id`).Scan(ctx, &left); err != nil {
				t.Fatal(err)
			}
			if len(left) != 2 || left[0] != 2 || left[1] != 3 {
				t.Fatalf("activity left after maintenance: %v (want refs 2 and 3)", left)
			}
		})
	}
}
