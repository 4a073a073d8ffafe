package federation

import (
	"context"
	"net/http"
	"net/url"
	"path"

	"github.com/uptrace/bun"
)

// EnqueueForTest queues body for inbox, signed by the instance actor.
func (q *Queue) EnqueueForTest(ctx context.Context, activityID, inbox string, body []byte) error {
	a := q.s.instanceActor()
	return q.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return q.enqueue(ctx, tx, a, activityID, body, []string{inbox})
	})
}

// SignForTest signs r as signRequest does, with an explicit Date.
var SignForTest = signRequest

// ParseSignatureForTest exposes the Signature header parser.
func ParseSignatureForTest(h string) error { _, err := parseSignature(h); return err }

var _ = http.MethodGet

// FollowerForTest is a remote follower added by AddFollowersForTest.
type FollowerForTest struct{ URI, Inbox, SharedInbox string }

// AddFollowersForTest stores remote actors following the local actor key
// ("group:ID"), as accepted Follows would (benchmarks: thousands of them).
func (s *Server) AddFollowersForTest(ctx context.Context, key string, fs []FollowerForTest) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for len(fs) > 0 {
			n := min(len(fs), 500)
			var as []remoteActor
			for _, f := range fs[:n] {
				u, _ := url.Parse(f.URI)
				as = append(as, remoteActor{URI: f.URI, Type: "Person", Username: path.Base(u.Path), Host: u.Host,
					Inbox: f.Inbox, SharedInbox: f.SharedInbox, KeyID: f.URI + "#main-key", FetchedAt: s.now().UTC()})
			}
			if _, err := tx.NewInsert().Model(&as).Returning("id").Exec(ctx); err != nil {
				return err
			}
			var follows []Follow
			for _, a := range as {
				follows = append(follows, Follow{LocalActor: key, RemoteActorID: a.ID, Direction: "in", ActivityID: a.URI + "#follow",
					Accepted: true, CreatedAt: s.now().UTC()})
			}
			if _, err := tx.NewInsert().Model(&follows).Exec(ctx); err != nil {
				return err
			}
			fs = fs[n:]
		}
		return nil
	})
}
