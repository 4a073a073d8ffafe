package federation

import (
	"context"
	"net/http"

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
