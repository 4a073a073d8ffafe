package chat

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

type presenceRow struct {
	bun.BaseModel `bun:"table:chat_presence"`

	ConnID    string `bun:",pk"`
	Node      string
	AccountID int64
	SpaceID   int64
	ExpiresAt time.Time
}

// Connect registers a client of who in the chat of a space: who must be
// allowed in (see CanJoin). It counts as present, in every process, until
// Close or, should this process die, until its presence expires.
func (s *Service) Connect(ctx context.Context, who core.Subject, spaceID int64, sink Sink) (*Client, error) {
	if err := s.CanJoin(ctx, who, spaceID); err != nil {
		return nil, err
	}
	c := &Client{ID: randomID(), Who: who, SpaceID: spaceID, sink: sink, s: s}
	row := presenceRow{ConnID: c.ID, Node: s.node, AccountID: who.AccountID, SpaceID: spaceID,
		ExpiresAt: s.now().Add(s.ttl).UTC()}
	if err := s.presence.do(ctx, presenceOp{join: &row}); err != nil {
		return nil, err
	}
	s.hub.add(c)
	return c, nil
}

// Close unregisters the client; it is no longer present. Its presence
// row goes with the next batch, without waiting.
func (c *Client) Close(ctx context.Context) {
	if c.closed.Swap(true) {
		return
	}
	c.s.hub.remove(c)
	c.s.presence.do(ctx, presenceOp{leave: c.ID, space: c.SpaceID}) //nolint:errcheck // async
}

func (s *Service) presenceChanged(ctx context.Context, spaceID int64) {
	e := Event{Kind: EvPresence, SpaceID: spaceID}
	if err := s.bus.publish(ctx, s.db.DB, e); err != nil {
		s.log.Warn("chat: presence event", "err", err)
	}
	s.bus.committed(e)
}

// presenceOp is one connection arriving (join, waited for) or leaving.
type presenceOp struct {
	join  *presenceRow
	leave string
	space int64
	done  chan error
}

// presenceWriter writes joins and leaves in batches, one transaction
// each: a crowd connecting at once (a restart, a benchmark) costs a few
// commits rather than one per connection, and one presence event per
// space per batch. It bounds the connections presence takes from the
// pool to one.
type presenceWriter struct {
	s    *Service
	once sync.Once
	ops  chan presenceOp
}

func (w *presenceWriter) do(ctx context.Context, op presenceOp) error {
	w.once.Do(func() {
		w.ops = make(chan presenceOp, 4096)
		go w.loop()
	})
	if op.join != nil {
		op.done = make(chan error, 1)
	}
	select {
	case w.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	}
	if op.done == nil {
		return nil
	}
	select {
	case err := <-op.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *presenceWriter) loop() {
	for op := range w.ops {
		batch := []presenceOp{op}
		timeout := time.After(2 * time.Millisecond)
	collect:
		for len(batch) < 500 {
			select {
			case op := <-w.ops:
				batch = append(batch, op)
			case <-timeout:
				break collect
			}
		}
		w.write(batch)
	}
}

func (w *presenceWriter) write(batch []presenceOp) {
	s := w.s
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var joins []presenceRow
	var leaves []string
	spaces := map[int64]bool{}
	for _, op := range batch {
		if op.join != nil {
			joins = append(joins, *op.join)
			spaces[op.join.SpaceID] = true
		} else {
			leaves = append(leaves, op.leave)
			spaces[op.space] = true
		}
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if len(joins) > 0 {
			if _, err := tx.NewInsert().Model(&joins).Exec(ctx); err != nil {
				return err
			}
		}
		if len(leaves) > 0 {
			if _, err := tx.NewDelete().Model((*presenceRow)(nil)).Where("conn_id IN (?)", bun.In(leaves)).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("chat: presence", "joins", len(joins), "leaves", len(leaves), "err", err)
	} else {
		for sp := range spaces {
			s.presenceChanged(ctx, sp)
		}
	}
	for _, op := range batch {
		if op.done != nil {
			op.done <- err
		}
	}
}

// OnlinePage is how many people a hello frame, or a page asked for
// after it, lists.
const OnlinePage = 100

// OnlineRange lists up to limit people connected to the chat of a space
// now, through any process, from offset in the order of their names, and
// how many are online in all.
func (s *Service) OnlineRange(ctx context.Context, spaceID int64, offset, limit int) ([]Person, int, error) {
	var total int
	err := s.db.NewRaw(`SELECT COUNT(DISTINCT account_id) FROM chat_presence WHERE space_id = ? AND expires_at > ?`,
		spaceID, s.now().UTC()).Scan(ctx, &total)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	ps := []Person{}
	err = s.db.NewRaw(`SELECT a.id, a.login, a.name FROM accounts a WHERE a.id IN
		(SELECT p.account_id FROM chat_presence p WHERE p.space_id = ? AND p.expires_at > ?)
		ORDER BY a.name, a.login, a.id LIMIT ? OFFSET ?`, spaceID, s.now().UTC(), limit, max(offset, 0)).Scan(ctx, &ps)
	for i := range ps {
		ps[i].Name = displayName(ps[i].Name, ps[i].Login)
	}
	return ps, total, store.Translate(err)
}

// onlineIDs is the set of people connected to the chat of a space now.
func (s *Service) onlineIDs(ctx context.Context, spaceID int64) (map[int64]bool, error) {
	var ids []int64
	err := s.db.NewRaw(`SELECT DISTINCT account_id FROM chat_presence WHERE space_id = ? AND expires_at > ?`,
		spaceID, s.now().UTC()).Scan(ctx, &ids)
	if err = store.Translate(err); err != nil && !errors.Is(err, core.ErrNotFound) {
		return nil, err
	}
	set := make(map[int64]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}

// people returns the names of the accounts ids.
func (s *Service) people(ctx context.Context, ids []int64) ([]Person, error) {
	ps := []Person{}
	if len(ids) == 0 {
		return ps, nil
	}
	err := s.db.NewRaw(`SELECT id, login, name FROM accounts WHERE id IN (?) ORDER BY name, login, id`, bun.In(ids)).Scan(ctx, &ps)
	for i := range ps {
		ps[i].Name = displayName(ps[i].Name, ps[i].Login)
	}
	return ps, store.Translate(err)
}

// Online lists the people connected to the chat of a space now, through
// any process.
func (s *Service) Online(ctx context.Context, spaceID int64) ([]Person, error) {
	ps := []Person{}
	err := s.db.NewRaw(`SELECT a.id, a.login, a.name FROM accounts a WHERE a.id IN
		(SELECT p.account_id FROM chat_presence p WHERE p.space_id = ? AND p.expires_at > ?)
		ORDER BY a.name, a.login`, spaceID, s.now().UTC()).Scan(ctx, &ps)
	for i := range ps {
		ps[i].Name = displayName(ps[i].Name, ps[i].Login)
	}
	return ps, store.Translate(err)
}

func (s *Service) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(s.beat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.heartbeat(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("chat: heartbeat", "err", err)
			}
		}
	}
}

// heartbeat renews the presence of this process's clients, sweeps the
// presence of processes that stopped renewing theirs, and disconnects
// clients whose person may no longer use the space's chat (removed from
// the space, account disabled, module turned off).
func (s *Service) heartbeat(ctx context.Context) error {
	now := s.now().UTC()
	ids := s.hub.clientIDs()
	if len(ids) > 0 {
		res, err := s.db.NewUpdate().Model((*presenceRow)(nil)).Set("expires_at = ?", now.Add(s.ttl)).
			Where("node = ?", s.node).Exec(ctx)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); int(n) < len(ids) {
			// Rows swept while this process was stalled: put them back.
			s.hub.mu.RLock()
			var rows []presenceRow
			for _, c := range s.hub.byID {
				rows = append(rows, presenceRow{ConnID: c.ID, Node: s.node, AccountID: c.Who.AccountID,
					SpaceID: c.SpaceID, ExpiresAt: now.Add(s.ttl)})
			}
			s.hub.mu.RUnlock()
			if len(rows) > 0 {
				if _, err := s.db.NewInsert().Model(&rows).On("CONFLICT (conn_id) DO UPDATE").
					Set("expires_at = EXCLUDED.expires_at").Exec(ctx); err != nil {
					return store.Translate(err)
				}
			}
		}
	}
	var gone []int64
	if err := s.db.NewRaw(`DELETE FROM chat_presence WHERE expires_at <= ? RETURNING space_id`, now).Scan(ctx, &gone); err != nil {
		return store.Translate(err)
	}
	seen := map[int64]bool{}
	for _, sp := range gone {
		if !seen[sp] {
			seen[sp] = true
			s.presenceChanged(ctx, sp)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var revoked []string
	err := s.db.NewRaw(`SELECT p.conn_id FROM chat_presence p JOIN accounts a ON a.id = p.account_id
		WHERE p.node = ? AND (a.disabled
			OR NOT `+acl.ModuleOnSQL("p.space_id", "?")+`
			OR (a.type NOT IN ('owner', 'administrator')
				AND NOT `+acl.MemberOfSQL("p.space_id", "p.account_id")+`))`,
		s.node, core.ModChat).Scan(ctx, &revoked)
	if err != nil {
		return store.Translate(err)
	}
	for _, id := range revoked {
		s.hub.mu.RLock()
		c := s.hub.byID[id]
		s.hub.mu.RUnlock()
		if c != nil {
			c.sink.Kick("no longer allowed in this space's chat")
		}
	}
	return nil
}

// leaveAll removes the presence of every client of this process, on
// shutdown.
func (s *Service) leaveAll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var spaces []int64
	if err := s.db.NewRaw(`DELETE FROM chat_presence WHERE node = ? RETURNING space_id`, s.node).Scan(ctx, &spaces); err != nil {
		s.log.Warn("chat: leave on shutdown", "err", err)
		return
	}
	seen := map[int64]bool{}
	for _, sp := range spaces {
		if !seen[sp] {
			seen[sp] = true
			s.presenceChanged(ctx, sp)
		}
	}
}

// Heartbeat runs one heartbeat now (tests use it instead of waiting).
func (s *Service) Heartbeat(ctx context.Context) error { return s.heartbeat(ctx) }
