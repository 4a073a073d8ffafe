package chat

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"plaza/core"
)

// Frame is one message of the real-time protocol, server to client, as
// JSON. Type says which fields are set:
//
//	hello         Me, Online, Count: sent first on connecting; Online is the
//	              first page (OnlinePage people) of the Count online
//	online        Online, Offset, Count: a further page, asked for by the client
//	message       Message: a new message
//	update        Message: a message edited or deleted (Edited, Deleted)
//	caughtup      LastID, Truncated: the catch-up after a reconnection is complete
//	conversation  Conversation: a conversation was made or its people changed
//	presence      Joined, Left: who came online and who went offline in the
//	              space (changes only, never the whole list)
//	read          Conversation, Upto: this person read a conversation (other tabs)
//	resync        the server lost events: reconnect to catch up
//	error         Error, Ref: a request of the client was refused
type Frame struct {
	Type         string   `json:"type"`
	Me           *Person  `json:"me,omitempty"`
	Online       []Person `json:"online,omitempty"`
	Count        int      `json:"count,omitempty"`
	Offset       int      `json:"offset,omitempty"`
	Joined       []Person `json:"joined,omitempty"`
	Left         []int64  `json:"left,omitempty"`
	Message      *Message `json:"message,omitempty"`
	Conversation int64    `json:"conversation,omitempty"`
	Upto         int64    `json:"upto,omitempty"`
	LastID       int64    `json:"last_id,omitempty"`
	Truncated    bool     `json:"truncated,omitempty"`
	Error        string   `json:"error,omitempty"`
	Ref          string   `json:"ref,omitempty"`
	// At is the server's time, for the next catch-up's "since".
	At time.Time `json:"at"`
}

// Encode returns the frame as JSON.
func (f Frame) Encode() []byte {
	b, _ := json.Marshal(f) //nolint:errchkjson // plain data
	return b
}

// Sink receives one client's frames. Send must not block: it returns
// false when the client's bounded buffer is full, and the hub then kicks
// the client (it catches up when it reconnects). Kick closes the client.
type Sink interface {
	Send(frame []byte) bool
	Kick(reason string)
}

// Client is one connection of a person to the chat of a space.
type Client struct {
	ID      string
	Who     core.Subject
	SpaceID int64
	sink    Sink
	s       *Service
	closed  atomic.Bool
}

type convInfo struct {
	space   int64
	members map[int64]bool
	at      time.Time
}

// hub routes events to this process's clients.
type hub struct {
	s        *Service
	events   chan Event
	overflow atomic.Bool

	mu      sync.RWMutex
	bySpace map[int64]map[*Client]struct{}
	byID    map[string]*Client

	// Owned by the run goroutine.
	convs map[int64]*convInfo

	// Spaces whose presence changed, and who the presence goroutine last
	// told this process's clients is online in each (owned by it).
	dmu   sync.Mutex
	dirty map[int64]bool
	known map[int64]map[int64]bool
}

func newHub(s *Service) *hub {
	return &hub{s: s, events: make(chan Event, 8192), bySpace: map[int64]map[*Client]struct{}{},
		byID: map[string]*Client{}, convs: map[int64]*convInfo{}, dirty: map[int64]bool{},
		known: map[int64]map[int64]bool{}}
}

// enqueue never blocks the listener or a request: when the queue is full
// the hub tells every client to resynchronise instead.
func (h *hub) enqueue(e Event) {
	select {
	case h.events <- e:
	default:
		h.overflow.Store(true)
	}
}

func (h *hub) add(c *Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.bySpace[c.SpaceID]
	if set == nil {
		set = map[*Client]struct{}{}
		h.bySpace[c.SpaceID] = set
	}
	set[c] = struct{}{}
	h.byID[c.ID] = c
}

func (h *hub) remove(c *Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.bySpace[c.SpaceID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.bySpace, c.SpaceID)
		}
	}
	delete(h.byID, c.ID)
}

func (h *hub) clientIDs() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ids := make([]string, 0, len(h.byID))
	for id := range h.byID {
		ids = append(ids, id)
	}
	return ids
}

// BufferSize is how many frames a client's queue should hold.
func (s *Service) BufferSize() int { return s.cbuf }

// Clients returns how many clients this process holds.
func (s *Service) Clients() int {
	s.hub.mu.RLock()
	defer s.hub.mu.RUnlock()
	return len(s.hub.byID)
}

// fanout sends frame to the clients of a space that pass keep; those too
// slow to take it are kicked.
func (h *hub) fanout(space int64, keep func(*Client) bool, frame []byte) {
	var slow []*Client
	h.mu.RLock()
	for c := range h.bySpace[space] {
		if keep == nil || keep(c) {
			if !c.sink.Send(frame) {
				slow = append(slow, c)
			}
		}
	}
	h.mu.RUnlock()
	for _, c := range slow {
		c.sink.Kick("too slow: reconnect to catch up")
	}
}

func (h *hub) everyone(frame []byte) {
	h.mu.RLock()
	spaces := make([]int64, 0, len(h.bySpace))
	for sp := range h.bySpace {
		spaces = append(spaces, sp)
	}
	h.mu.RUnlock()
	for _, sp := range spaces {
		h.fanout(sp, nil, frame)
	}
}

// Ready is closed when the service listens for events (on PostgreSQL,
// once LISTEN is in place).
func (s *Service) Ready() <-chan struct{} { return s.bus.ready }

// Run delivers events to this process's clients, renews their presence
// and sweeps expired presence until ctx ends; then it disconnects them and
// removes their presence at once (other processes see them leave without
// waiting for the expiry). cmd/plaza starts it once per process and waits
// for it before exiting.
func (s *Service) Run(ctx context.Context) {
	go s.bus.run(ctx)
	go s.heartbeatLoop(ctx)
	h := s.hub
	go h.presenceLoop(ctx)
	flush := time.NewTicker(400 * time.Millisecond)
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			// Clients reconnect (to another process behind the load
			// balancer, or to this one restarted) and catch up.
			h.mu.RLock()
			for _, c := range h.byID {
				c.sink.Kick("server shutting down")
			}
			h.mu.RUnlock()
			s.leaveAll(context.WithoutCancel(ctx))
			return
		case e := <-h.events:
			h.handle(ctx, e)
		case <-flush.C:
			if h.overflow.Swap(false) {
				h.everyone(Frame{Type: evResync, At: s.now().UTC()}.Encode())
			}
		}
	}
}

func (h *hub) conv(ctx context.Context, id int64) (*convInfo, error) {
	now := time.Now()
	if ci := h.convs[id]; ci != nil && now.Sub(ci.at) < 30*time.Second {
		return ci, nil
	}
	var rows []struct {
		SpaceID   int64 `bun:"space_id"`
		AccountID int64 `bun:"account_id"`
	}
	err := h.s.db.NewRaw(`SELECT cc.space_id, p.account_id FROM chat_conversations cc
		JOIN chat_participants p ON p.conversation_id = cc.container_id WHERE cc.container_id = ?`, id).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	if len(h.convs) > 10000 {
		clear(h.convs)
	}
	ci := &convInfo{members: map[int64]bool{}, at: now}
	for _, r := range rows {
		ci.space = r.SpaceID
		ci.members[r.AccountID] = true
	}
	h.convs[id] = ci
	return ci, nil
}

func (h *hub) handle(ctx context.Context, e Event) {
	now := h.s.now().UTC()
	switch e.Kind {
	case EvMessage, EvEdit, EvDelete:
		m, err := h.s.message(ctx, e.MessageID)
		if err != nil {
			h.s.log.Warn("chat: load message for fan-out", "id", e.MessageID, "err", err)
			return
		}
		ci, err := h.conv(ctx, e.ConversationID)
		if err != nil {
			h.s.log.Warn("chat: load conversation for fan-out", "id", e.ConversationID, "err", err)
			return
		}
		typ := "message"
		if e.Kind != EvMessage {
			typ = "update"
		}
		frame := Frame{Type: typ, Message: m, At: now}.Encode()
		h.fanout(ci.space, func(c *Client) bool { return ci.members[c.Who.AccountID] }, frame)
	case EvConversation:
		delete(h.convs, e.ConversationID)
		ci, err := h.conv(ctx, e.ConversationID)
		if err != nil {
			h.s.log.Warn("chat: load conversation for fan-out", "id", e.ConversationID, "err", err)
			return
		}
		frame := Frame{Type: "conversation", Conversation: e.ConversationID, At: now}.Encode()
		h.fanout(ci.space, func(c *Client) bool { return ci.members[c.Who.AccountID] }, frame)
	case EvRead:
		frame := Frame{Type: "read", Conversation: e.ConversationID, Upto: e.MessageID, At: now}.Encode()
		h.fanout(e.SpaceID, func(c *Client) bool { return c.Who.AccountID == e.AccountID }, frame)
	case EvPresence:
		h.dmu.Lock()
		h.dirty[e.SpaceID] = true
		h.dmu.Unlock()
	case evResync:
		clear(h.convs)
		h.everyone(Frame{Type: evResync, At: now}.Encode())
	}
}

// presenceLoop tells clients who came and went, apart from the run
// goroutine: message delivery never waits behind presence queries.
func (h *hub) presenceLoop(ctx context.Context) {
	t := time.NewTicker(400 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.flushPresence(ctx)
		}
	}
}

// flushPresence tells the clients of each space whose presence changed
// who joined and who left since the last flush: changes are coalesced,
// so a crowd connecting at once costs one query and one frame per client
// per tick, and a frame names only the people who changed (the whole
// list would cost each client the square of the crowd). A client starts
// from the list of its hello; a change racing with that hello may be told
// again, which changes nothing, or be followed by its reverse in the next
// flush, as presence events keep coming until the set settles.
func (h *hub) flushPresence(ctx context.Context) {
	h.dmu.Lock()
	spaces := make([]int64, 0, len(h.dirty))
	for sp := range h.dirty {
		spaces = append(spaces, sp)
	}
	clear(h.dirty)
	h.dmu.Unlock()
	for _, space := range spaces {
		h.mu.RLock()
		n := len(h.bySpace[space])
		h.mu.RUnlock()
		if n == 0 {
			delete(h.known, space) // the next client here starts afresh
			continue
		}
		now, err := h.s.onlineIDs(ctx, space)
		if err != nil {
			h.s.log.Warn("chat: presence", "space", space, "err", err)
			continue
		}
		old := h.known[space]
		var joined, left []int64
		for id := range now {
			if !old[id] {
				joined = append(joined, id)
			}
		}
		for id := range old {
			if !now[id] {
				left = append(left, id)
			}
		}
		h.known[space] = now
		if len(joined)+len(left) == 0 {
			continue
		}
		people, err := h.s.people(ctx, joined)
		if err != nil {
			h.s.log.Warn("chat: presence", "space", space, "err", err)
			continue
		}
		slices.Sort(left)
		h.fanout(space, nil, Frame{Type: "presence", Joined: people, Left: left, At: h.s.now().UTC()}.Encode())
	}
}
