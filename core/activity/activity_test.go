package activity_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/activity"
	"plaza/core/coretest"
	"plaza/core/store"
)

func TestFeedTokens(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var id int64
		now := time.Now().UTC()
		if err := db.NewRaw(`INSERT INTO accounts (login, type, created_at, updated_at) VALUES ('ann', 'user', ?, ?) RETURNING id`, now, now).Scan(ctx, &id); err != nil {
			t.Fatal(err)
		}
		svc := activity.New(db, nil)
		tok, err := svc.NewFeedToken(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := svc.FeedAccount(ctx, tok); err != nil || got != id {
			t.Fatalf("token opens %d, %v", got, err)
		}
		if _, err := svc.FeedAccount(ctx, tok+"x"); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("wrong token: %v", err)
		}
		tok2, err := svc.NewFeedToken(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.FeedAccount(ctx, tok); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("a new token leaves the old one valid: %v", err)
		}
		if err := svc.RevokeFeedTokens(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.FeedAccount(ctx, tok2); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("revoked token: %v", err)
		}
		if _, err := svc.NewFeedToken(ctx, 0); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("anonymous feed: %v", err)
		}
	})
}
