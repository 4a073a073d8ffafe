package webui

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"plaza/core"
	"plaza/core/chat"
)

// Limits of one chat WebSocket.
const (
	chatReadLimit    = 64 << 10         // largest frame a client may send
	chatWriteTimeout = 10 * time.Second // a write that takes longer drops the client
	chatPingEvery    = 20 * time.Second // pings find dead peers; the pong must come within chatWriteTimeout
	chatBatchBytes   = 64 << 10         // frames queued for a client are sent together up to this size
)

// chatSocket is GET /s/{slug}/chat/ws: the real-time chat of a space.
// The handshake is refused (401, 404) unless the person may use the
// space's chat, before any upgrade. Query: after=ID (the last message the
// client has) and since=RFC 3339 time (of its last frame) ask for a
// catch-up of what it missed; without after there is none.
//
// Client frames (JSON): {"type":"send","conversation":ID,"body":"…","ref":"…"},
// {"type":"edit","id":ID,"body":"…"}, {"type":"delete","id":ID},
// {"type":"read","conversation":ID,"upto":ID}. Server frames: chat.Frame;
// a WebSocket message from the server holds one or more, one JSON
// document a line.
func (s *server) chatSocket(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	sp, err := s.Spaces.BySlug(ctx, r.PathValue("slug"))
	if err == nil {
		err = s.Chat.CanJoin(ctx, who, sp.ID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	var after int64
	var since time.Time
	catchUp := q.Has("after")
	if catchUp {
		after, err = strconv.ParseInt(q.Get("after"), 10, 64)
		if err == nil && q.Get("since") != "" {
			since, err = time.Parse(time.RFC3339Nano, q.Get("since"))
		}
		if err != nil || after < 0 {
			s.fail(w, r, invalid("after must be a message id and since an RFC 3339 time"))
			return
		}
	}
	me, err := s.Accounts.Get(ctx, who.AccountID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Refusals are told in the person's language.
	lang := pickLang(me.Language, r.Header.Get("Accept-Language"))
	// The default origin check refuses pages of other sites (no
	// cross-site WebSocket hijacking with the session cookie).
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept answered the client
	}
	conn.SetReadLimit(chatReadLimit)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wc := &wsClient{out: make(chan []byte, s.Chat.BufferSize()), kick: make(chan string, 1)}
	client, err := s.Chat.Connect(ctx, who, sp.ID, wc)
	if err != nil {
		conn.Close(websocket.StatusInternalError, "cannot join")
		return
	}
	defer client.Close(context.WithoutCancel(ctx))

	// Hello and the catch-up go out first, in order; live frames queue
	// meanwhile (clients drop duplicates by message id).
	write := func(b []byte) error {
		wctx, c := context.WithTimeout(ctx, chatWriteTimeout)
		defer c()
		return conn.Write(wctx, websocket.MessageText, b)
	}
	online, count, err := s.Chat.OnlineRange(ctx, sp.ID, 0, chat.OnlinePage)
	if err == nil {
		err = write(chat.Frame{Type: "hello", Me: &chat.Person{ID: me.ID, Login: me.Login, Name: me.Name},
			Online: online, Count: count, At: time.Now().UTC()}.Encode())
	}
	if err == nil && catchUp {
		var ms []chat.Message
		var truncated bool
		ms, truncated, err = s.Chat.CatchUp(ctx, who, sp.ID, after, since)
		for i := 0; err == nil && i < len(ms); i++ {
			typ := "message"
			if ms[i].ID <= after {
				typ = "update"
			}
			err = write(chat.Frame{Type: typ, Message: &ms[i], At: time.Now().UTC()}.Encode())
		}
		if err == nil {
			last := after
			if len(ms) > 0 {
				last = max(last, ms[len(ms)-1].ID)
			}
			err = write(chat.Frame{Type: "caughtup", LastID: last, Truncated: truncated, At: time.Now().UTC()}.Encode())
		}
	}
	if err != nil {
		conn.Close(websocket.StatusInternalError, "")
		return
	}

	go wc.writeLoop(ctx, cancel, conn)
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			wc.Send(chat.Frame{Type: "error", Error: s.errorText(lang, invalid("frames are JSON text")), At: time.Now().UTC()}.Encode())
			continue
		}
		s.chatRequest(ctx, who, sp.ID, lang, wc, data)
	}
}

// chatRequest runs one frame a client sent; a refusal is an error frame
// whose text is in lang.
func (s *server) chatRequest(ctx context.Context, who core.Subject, spaceID int64, lang string, wc *wsClient, data []byte) {
	var req struct {
		Type         string `json:"type"`
		Conversation int64  `json:"conversation"`
		ID           int64  `json:"id"`
		Upto         int64  `json:"upto"`
		Body         string `json:"body"`
		Ref          string `json:"ref"`
		Offset       int    `json:"offset"`
	}
	err := json.Unmarshal(data, &req)
	if err != nil {
		err = invalid("malformed JSON frame")
	} else {
		switch req.Type {
		case "send":
			_, err = s.Chat.Post(ctx, who, req.Conversation, req.Body)
		case "edit":
			_, err = s.Chat.Edit(ctx, who, req.ID, req.Body)
		case "delete":
			err = s.Chat.Delete(ctx, who, req.ID)
		case "read":
			err = s.Chat.MarkRead(ctx, who, req.Conversation, req.Upto)
		case "online":
			// The next page of the list the hello began.
			var page []chat.Person
			var count int
			if page, count, err = s.Chat.OnlineRange(ctx, spaceID, req.Offset, chat.OnlinePage); err == nil {
				wc.Send(chat.Frame{Type: "online", Online: page, Offset: req.Offset, Count: count, At: time.Now().UTC()}.Encode())
			}
		default:
			err = invalid("unknown frame type")
		}
	}
	if err != nil {
		msg := s.catalog.translate(lang, "error.internal")
		switch {
		case errors.Is(err, core.ErrNotFound):
			msg = s.catalog.translate(lang, "error.not_found")
		case errors.Is(err, core.ErrForbidden), errors.Is(err, core.ErrInvalid), errors.Is(err, core.ErrConflict):
			msg = cmp.Or(s.errorText(lang, err), s.catalog.translate(lang, "error.invalid"))
		default:
			s.Logger.Error("chat request", "type", req.Type, "err", err)
		}
		if len(req.Ref) > 64 {
			req.Ref = ""
		}
		wc.Send(chat.Frame{Type: "error", Error: msg, Ref: req.Ref, At: time.Now().UTC()}.Encode())
	}
}

// wsClient is the hub's side of one WebSocket: a bounded queue of frames
// and a kick signal, drained by writeLoop.
type wsClient struct {
	out  chan []byte
	kick chan string
}

// Send queues a frame without blocking; false when the queue is full.
func (c *wsClient) Send(frame []byte) bool {
	select {
	case c.out <- frame:
		return true
	default:
		return false
	}
}

// Kick asks writeLoop to close the connection with reason.
func (c *wsClient) Kick(reason string) {
	select {
	case c.kick <- reason:
	default:
	}
}

// writeLoop writes queued frames, each within chatWriteTimeout, and pings
// the client; a failed write or ping, or a kick, closes the connection
// (cancel stops the reader too).
func (c *wsClient) writeLoop(ctx context.Context, cancel context.CancelFunc, conn *websocket.Conn) {
	defer cancel()
	ping := time.NewTicker(chatPingEvery)
	defer ping.Stop()
	var batch []byte
	for {
		select {
		case <-ctx.Done():
			conn.CloseNow()
			return
		case reason := <-c.kick:
			conn.Close(websocket.StatusTryAgainLater, reason)
			return
		case b := <-c.out:
			// Frames queued meanwhile share the WebSocket message, one JSON
			// document a line: a busy client costs fewer writes.
			if len(c.out) > 0 {
				batch = append(batch[:0], b...)
				for more := true; more && len(batch) < chatBatchBytes; {
					select {
					case f := <-c.out:
						batch = append(append(batch, '\n'), f...)
					default:
						more = false
					}
				}
				b = batch
			}
			wctx, done := context.WithTimeout(ctx, chatWriteTimeout)
			err := conn.Write(wctx, websocket.MessageText, b)
			done()
			if err != nil {
				conn.CloseNow()
				return
			}
		case <-ping.C:
			pctx, done := context.WithTimeout(ctx, chatWriteTimeout)
			err := conn.Ping(pctx)
			done()
			if err != nil {
				conn.CloseNow()
				return
			}
		}
	}
}
