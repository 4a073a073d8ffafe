package chat

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"plaza/core/store"
)

// Event kinds.
const (
	EvMessage      = "message"      // a new message
	EvEdit         = "edit"         // a message changed
	EvDelete       = "delete"       // a message was deleted
	EvConversation = "conversation" // a conversation was made or its people changed
	EvPresence     = "presence"     // someone connected or left a space
	EvRead         = "read"         // someone read a conversation up to MessageID
	evResync       = "resync"       // the listener lost events: clients must catch up
)

// Event is one change, as it travels between processes. It names what
// changed; each process loads the rows it needs once and fans out.
type Event struct {
	Kind           string `json:"k"`
	SpaceID        int64  `json:"s"`
	ConversationID int64  `json:"c,omitempty"`
	MessageID      int64  `json:"m,omitempty"`
	AccountID      int64  `json:"a,omitempty"`
}

// channel is the PostgreSQL notification channel of chat events.
const channel = "plaza_chat"

// bus carries events between processes: PostgreSQL NOTIFY inside the
// writing transaction and LISTEN on a dedicated connection; on SQLite, the
// process's own hub after commit.
type bus struct {
	db      *store.DB
	log     *slog.Logger
	deliver func(Event)
	ready   chan struct{}
}

func newBus(db *store.DB, log *slog.Logger, deliver func(Event)) *bus {
	return &bus{db: db, log: log, deliver: deliver, ready: make(chan struct{})}
}

// publish sends e from inside tx: PostgreSQL delivers it on commit, to
// every listening process (this one included).
func (b *bus) publish(ctx context.Context, tx bun.IDB, e Event) error {
	if b.db.Kind != store.Postgres {
		return nil
	}
	payload, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = tx.NewRaw("SELECT pg_notify(?, ?)", channel, string(payload)).Exec(ctx)
	return err
}

// committed hands events to this process's hub after their transaction
// committed, on SQLite (on PostgreSQL they come back through LISTEN).
func (b *bus) committed(es ...Event) {
	if b.db.Kind == store.Postgres {
		return
	}
	for _, e := range es {
		b.deliver(e)
	}
}

// run listens until ctx ends, reconnecting with backoff. After a
// reconnection it delivers a resync event: notifications sent while the
// connection was down are lost, so clients catch up from the database.
func (b *bus) run(ctx context.Context) {
	if b.db.Kind != store.Postgres {
		close(b.ready)
		<-ctx.Done()
		return
	}
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := b.listen(ctx, func() {
			if first {
				close(b.ready)
				first = false
			} else {
				b.deliver(Event{Kind: evResync})
			}
			backoff = 100 * time.Millisecond
		})
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("chat listener lost its connection; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// listen takes a connection out of the pool for LISTEN and waits for
// notifications on it until ctx ends or the connection fails.
func (b *bus) listen(ctx context.Context, listening func()) error {
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("chat listener: unexpected driver connection %T", dc)
		}
		c := pc.Conn()
		if _, err := c.Exec(ctx, "LISTEN "+channel); err != nil {
			return err
		}
		listening()
		for {
			n, err := c.WaitForNotification(ctx)
			if err != nil {
				// Never give a listening connection back to the pool:
				// closed, the pool drops it.
				cctx, cancel := context.WithTimeout(context.Background(), time.Second)
				c.Close(cctx) //nolint:errcheck
				cancel()
				return fmt.Errorf("%w (%w)", err, sql.ErrConnDone)
			}
			var e Event
			if err := json.Unmarshal([]byte(n.Payload), &e); err != nil {
				b.log.Warn("chat: bad notification", "payload", n.Payload, "err", err)
				continue
			}
			b.deliver(e)
		}
	})
}
