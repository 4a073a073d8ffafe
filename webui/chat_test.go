package webui_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/chat"
	"plaza/core/coretest"
	"plaza/core/poll"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/migrations"
	"plaza/webui"
)

// chatWorld is a space "team" with ann (administrator), bob and rita
// (members), and out, a member of another space only.
type chatWorld struct {
	db                  *store.DB
	ann, bob, rita, out core.Subject
	team, lab           *space.Space
}

func chatPeople(t *testing.T, db *store.DB) *chatWorld {
	t.Helper()
	ctx := context.Background()
	accts := account.New(db, nil)
	spaces := space.New(db, nil)
	w := &chatWorld{db: db}
	mk := func(login, name string) core.Subject {
		a, err := accts.Create(ctx, account.NewAccount{Login: login, Name: name, Password: "password-" + login})
		if err != nil {
			t.Fatal(err)
		}
		return a.Subject()
	}
	w.ann, w.bob, w.rita, w.out = mk("ann", "Ann Admin"), mk("bob", "Bob Builder"), mk("rita", "Rita Reader"), mk("out", "Otto Outsider")
	var err error
	if w.team, err = spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "The Team"}); err != nil {
		t.Fatal(err)
	}
	if w.lab, err = spaces.Create(ctx, space.NewSpace{Slug: "lab", Name: "The Lab"}); err != nil {
		t.Fatal(err)
	}
	spaces.SetMember(ctx, w.team.ID, w.ann.AccountID, space.RoleAdmin)
	spaces.SetMember(ctx, w.team.ID, w.bob.AccountID, space.RoleMember)
	spaces.SetMember(ctx, w.team.ID, w.rita.AccountID, space.RoleMember)
	spaces.SetMember(ctx, w.lab.ID, w.out.AccountID, space.RoleMember)
	return w
}

// chatServer serves the web UI with chat over db, as one process: its own
// chat service and listener. Several on one PostgreSQL database are
// several processes as far as chat is concerned.
func chatServer(t *testing.T, db *store.DB, jitsiURL string, opts ...func(*chat.Options)) (*httptest.Server, *chat.Service) {
	t.Helper()
	engine := acl.New(db)
	blobs := testBlobs(t, db)
	o := chat.Options{DB: db, ACL: engine, Blobs: blobs, Logger: coretest.Logger(t)}
	for _, f := range opts {
		f(&o)
	}
	svc := chat.New(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	select {
	case <-svc.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("chat listener not ready")
	}
	if jitsiURL == "" {
		jitsiURL = "https://meet.example"
	}
	h, err := webui.New(webui.Options{Accounts: account.New(db, nil), Spaces: space.New(db, nil), Tasks: task.New(db, engine, nil),
		Polls: poll.New(db, nil), ACL: engine, Blobs: blobs, Settings: settings.New(db), Chat: svc,
		Logger: coretest.Logger(t), BaseURL: "http://127.0.0.1", Jitsi: webui.JitsiOptions{URL: jitsiURL}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	if o.ClientBuffer > 0 && o.ClientBuffer < 16 {
		// A test of slow clients: small socket buffers fill sooner.
		srv.Listener = smallBuffers{srv.Listener}
	}
	srv.Start()
	t.Cleanup(func() {
		cancel() // kicks the WebSocket clients
		<-done
		for deadline := time.Now().Add(5 * time.Second); svc.Clients() > 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		srv.Close()
	})
	return srv, svc
}

// wsClient is a test WebSocket client speaking the chat protocol.
type wsClient struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan chat.Frame
	lastID int64
	lastAt time.Time
	online map[int64]bool // from hello, then presence changes
}

func wsURL(base, slug, query string) string {
	u := "ws" + strings.TrimPrefix(base, "http") + "/s/" + slug + "/chat/ws"
	if query != "" {
		u += "?" + query
	}
	return u
}

func dialChat(t *testing.T, base, slug, login, query string, hdr ...string) (*wsClient, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	if login != "" {
		r, _ := http.NewRequest("GET", base, nil)
		r.SetBasicAuth(login, "password-"+login)
		h.Set("Authorization", r.Header.Get("Authorization"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, wsURL(base, slug, query), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, resp, err
	}
	c := &wsClient{t: t, conn: conn, frames: make(chan chat.Frame, 1000)}
	go func() {
		defer close(c.frames)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			for _, line := range bytes.Split(b, []byte("\n")) {
				var f chat.Frame
				if err := json.Unmarshal(line, &f); err != nil {
					t.Errorf("bad frame %s: %v", line, err)
					return
				}
				c.frames <- f
			}
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return c, resp, nil
}

func mustDial(t *testing.T, base, slug, login, query string) *wsClient {
	t.Helper()
	c, resp, err := dialChat(t, base, slug, login, query)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("%s joins %s: %v (HTTP %d)", login, slug, err, status)
	}
	c.next("hello")
	return c
}

// track keeps who is online: the hello's list, then the changes.
func (c *wsClient) track(f chat.Frame) {
	switch f.Type {
	case "hello":
		c.online = map[int64]bool{}
		fallthrough
	case "online":
		for _, p := range f.Online {
			c.online[p.ID] = true
		}
	case "presence":
		if len(f.Online) != 0 {
			c.t.Errorf("a presence frame with the whole list: %+v", f)
		}
		for _, p := range f.Joined {
			c.online[p.ID] = true
		}
		for _, id := range f.Left {
			delete(c.online, id)
		}
	}
}

// waitOnline reads frames until n people are online.
func (c *wsClient) waitOnline(n int) {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for c.online == nil || len(c.online) != n {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("connection closed while waiting for %d online", n)
			}
			if !f.At.IsZero() {
				c.lastAt = f.At
			}
			c.track(f)
		case <-deadline:
			c.t.Fatalf("timed out waiting for %d online (have %v)", n, c.online)
		}
	}
}

// next returns the next frame of type typ, skipping others.
func (c *wsClient) next(typ string) chat.Frame {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("connection closed while waiting for %s", typ)
			}
			if f.Message != nil && f.Message.ID > c.lastID {
				c.lastID = f.Message.ID
			}
			if !f.At.IsZero() {
				c.lastAt = f.At
			}
			c.track(f)
			if f.Type == typ {
				return f
			}
		case <-deadline:
			c.t.Fatalf("no %s frame within 10 s", typ)
		}
	}
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

func sendFrame(conv int64, body string) map[string]any {
	return map[string]any{"type": "send", "conversation": conv, "body": body}
}

func TestChatWebSocket(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := chatPeople(t, db)
		srv, svc := chatServer(t, db, "")
		conv, err := svc.Start(ctx, w.bob, w.team.ID, chat.Group, "Launch", []int64{w.rita.AccountID, w.ann.AccountID})
		if err != nil {
			t.Fatal(err)
		}

		// Refused at the handshake, before any upgrade.
		for _, c := range []struct {
			name, login, slug string
			status            int
		}{
			{"member of another space only", "out", "team", http.StatusNotFound},
			{"no such space", "bob", "nowhere", http.StatusNotFound},
			{"anonymous", "", "team", http.StatusUnauthorized},
		} {
			_, resp, err := dialChat(t, srv.URL, c.slug, c.login, "")
			if err == nil {
				t.Errorf("%s: WebSocket accepted", c.name)
				continue
			}
			if resp == nil || resp.StatusCode != c.status {
				t.Errorf("%s: %v, want HTTP %d", c.name, resp, c.status)
			}
		}
		// Another site's page may not open the socket with our cookie.
		h := http.Header{"Origin": {"https://evil.example"}}
		r, _ := http.NewRequest("GET", srv.URL, nil)
		r.SetBasicAuth("bob", "password-bob")
		h.Set("Authorization", r.Header.Get("Authorization"))
		if _, resp, err := websocket.Dial(ctx, wsURL(srv.URL, "team", ""), &websocket.DialOptions{HTTPHeader: h}); err == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin handshake: %v %v", resp, err)
		}
		if _, resp, _ := dialChat(t, srv.URL, "team", "bob", "after=x"); resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("bad after: %v", resp)
		}

		bob := mustDial(t, srv.URL, "team", "bob", "")
		rita := mustDial(t, srv.URL, "team", "rita", "")
		bob.waitOnline(2)
		// The online list in pages, past the hello's.
		bob.send(map[string]any{"type": "online", "offset": 1})
		if p := bob.next("online"); p.Offset != 1 || p.Count != 2 || len(p.Online) != 1 {
			t.Errorf("second page of the online list: %+v", p)
		}

		bob.send(sendFrame(conv.ID, "first"))
		if m := rita.next("message").Message; m.Body != "first" || m.AuthorName != "Bob Builder" || m.ConversationID != conv.ID {
			t.Errorf("rita got %+v", m)
		}
		bob.next("message")
		bob.send(sendFrame(conv.ID, "  "))
		if e := bob.next("error"); !strings.Contains(e.Error, "characters") {
			t.Errorf("empty message: %+v", e)
		}
		// Someone who reads French is refused in French.
		if err := account.New(db, nil).UpdateProfile(ctx, w.ann.AccountID, account.Profile{Name: "Ann", Language: "fr", Timezone: "UTC", DateFormat: "iso", PersonalCalendar: true}); err != nil {
			t.Fatal(err)
		}
		annFR := mustDial(t, srv.URL, "team", "ann", "")
		annFR.send(sendFrame(conv.ID, "  "))
		if e := annFR.next("error"); !strings.Contains(e.Error, "Un message a de 1 à") {
			t.Errorf("empty message in French: %+v", e)
		}
		bob.send(map[string]any{"type": "edit", "id": rita.lastID, "body": "nope"})
		rita.send(map[string]any{"type": "edit", "id": rita.lastID, "body": "theirs"})
		if e := rita.next("error"); e.Error == "" {
			t.Errorf("rita edits bob's message: %+v", e)
		}

		// Rita drops; meanwhile bob writes twice and edits the first.
		ritaLast, ritaAt := rita.lastID, rita.lastAt
		rita.conn.CloseNow()
		firstID := ritaLast
		bob.send(sendFrame(conv.ID, "second"))
		bob.next("message")
		bob.send(sendFrame(conv.ID, "third"))
		bob.next("message")
		bob.send(map[string]any{"type": "edit", "id": firstID, "body": "first (edited)"})
		bob.next("update")

		// Reconnecting from where she was, she gets what she missed.
		q := url.Values{"after": {fmt.Sprint(ritaLast)}, "since": {ritaAt.Format(time.RFC3339Nano)}}
		rita = mustDial(t, srv.URL, "team", "rita", q.Encode())
		var got []string
		for {
			select {
			case f := <-rita.frames:
				switch f.Type {
				case "message", "update":
					got = append(got, f.Type+":"+f.Message.Body)
				}
				if f.Type != "caughtup" {
					continue
				}
				if f.LastID <= ritaLast {
					t.Errorf("caughtup last id %d", f.LastID)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no caughtup frame")
			}
			break
		}
		want := []string{"update:first (edited)", "message:second", "message:third"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("catch-up: %q, want %q", got, want)
		}

		// Unread counts follow reads sent over the socket.
		if n, _ := svc.Unread(ctx, w.ann, w.team.ID); n != 3 {
			t.Errorf("ann unread %d, want 3", n)
		}
		ann := mustDial(t, srv.URL, "team", "ann", "")
		ann.send(map[string]any{"type": "read", "conversation": conv.ID, "upto": ritaLast + 1000})
		ann.next("read")
		if n, _ := svc.Unread(ctx, w.ann, w.team.ID); n != 0 {
			t.Errorf("ann unread after reading %d", n)
		}

		// Removed from the space, rita is disconnected at the next heartbeat.
		if err := space.New(db, nil).RemoveMember(ctx, w.team.ID, w.rita.AccountID); err != nil {
			t.Fatal(err)
		}
		if err := svc.Heartbeat(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(10 * time.Second)
	drain:
		for {
			select {
			case _, ok := <-rita.frames:
				if !ok {
					break drain
				}
			case <-deadline:
				t.Fatal("rita, removed from the space, is still connected")
			}
		}
		var ce websocket.CloseError
		_, _, err = rita.conn.Read(ctx)
		if !errors.As(err, &ce) && err == nil {
			t.Errorf("rita's socket after removal: %v", err)
		}
		if _, resp, err := dialChat(t, srv.URL, "team", "rita", ""); err == nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("removed member rejoins: %v", err)
		}
	})
}

// TestChatAcrossProcesses runs two web UI instances, each with its own
// database pool, chat service and LISTEN connection, on one PostgreSQL
// database: what one process accepts reaches clients of the other, and
// presence is shared.
func TestChatAcrossProcesses(t *testing.T) {
	t.Parallel()
	if !slicesHasPostgres() {
		t.Skip("needs PostgreSQL: set " + coretest.EnvDatabaseURL)
	}
	ctx := context.Background()
	dbURL := coretest.FreshPostgresURL(t)
	open := func() *store.DB {
		db, err := store.Open(ctx, store.Options{URL: dbURL})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ms, err := migrations.For(string(db.Kind))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx, ms, nil); err != nil {
			t.Fatal(err)
		}
		return db
	}
	dbA, dbB := open(), open()
	w := chatPeople(t, dbA)
	srvA, svcA := chatServer(t, dbA, "")
	srvB, _ := chatServer(t, dbB, "")
	conv, err := svcA.Start(ctx, w.bob, w.team.ID, chat.Direct, "", []int64{w.rita.AccountID})
	if err != nil {
		t.Fatal(err)
	}
	bob := mustDial(t, srvA.URL, "team", "bob", "")
	rita := mustDial(t, srvB.URL, "team", "rita", "")
	bob.waitOnline(2) // rita, connected to B, is online for A's clients
	bob.send(sendFrame(conv.ID, "through A"))
	if m := rita.next("message").Message; m.Body != "through A" {
		t.Errorf("rita on B got %+v", m)
	}
	rita.send(sendFrame(conv.ID, "through B"))
	if m := bob.next("message").Message; m.Body != "through A" {
		t.Errorf("bob's own message first, got %+v", m)
	}
	if m := bob.next("message").Message; m.Body != "through B" {
		t.Errorf("bob on A got %+v", m)
	}
	rita.conn.Close(websocket.StatusNormalClosure, "")
	bob.waitOnline(1) // rita left B: A's clients see it
}

func slicesHasPostgres() bool {
	for _, d := range coretest.Dialects() {
		if d == store.Postgres {
			return true
		}
	}
	return false
}

// TestChatPages: the pages work without JavaScript: start a conversation,
// post, edit and delete through forms, send a file and download it; a
// member of another space gets 404 everywhere.
func TestChatPages(t *testing.T) {
	t.Parallel()
	db := coretest.OpenDB(t, store.SQLite)
	w := chatPeople(t, db)
	srv, svc := chatServer(t, db, "")
	as := func(login string) *client {
		return &client{t, srv.URL, &http.Client{Transport: basicAuth{login, "password-" + login},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	}
	bob, rita, out := as("bob"), as("rita"), as("out")
	form := func(c *client, path string, v url.Values) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	code, loc, _ := form(bob, "/s/team/chat", url.Values{"member": {fmt.Sprint(w.rita.AccountID)}})
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/s/team/chat/") {
		t.Fatalf("start: %d %s", code, loc)
	}
	convPath := loc
	code, _, _ = form(bob, convPath, url.Values{"body": {"Without <script>JavaScript</script>"}})
	if code != http.StatusSeeOther {
		t.Fatalf("post: %d", code)
	}
	code, body := rita.do("GET", convPath, "")
	if code != 200 || !strings.Contains(body, "Without &lt;script&gt;JavaScript&lt;/script&gt;") || !strings.Contains(body, `id="chat-video"`) {
		t.Fatalf("rita's page: %d %s", code, body)
	}
	code, body = rita.do("GET", "/s/team/chat", "")
	if code != 200 || !strings.Contains(body, "Bob Builder") {
		t.Errorf("rita's list: %d", code)
	}
	if code, _ := out.do("GET", convPath, ""); code != http.StatusNotFound {
		t.Errorf("outsider reads the conversation: %d", code)
	}
	if code, _ := out.do("GET", "/s/team/chat", ""); code != http.StatusNotFound {
		t.Errorf("outsider lists the space's chat: %d", code)
	}

	// A file, over multipart; rita downloads it, the outsider cannot.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "notes.txt")
	fw.Write([]byte("meeting notes"))
	mw.WriteField("body", "the notes")
	mw.Close()
	req, _ := http.NewRequest("POST", srv.URL+convPath+"/attach", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := bob.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("attach: %d", resp.StatusCode)
	}
	convID, _ := strconv.ParseInt(strings.TrimPrefix(convPath, "/s/team/chat/"), 10, 64)
	ms, err := svc.Messages(context.Background(), w.rita, convID, 0, 10)
	if err != nil || len(ms) != 2 || len(ms[1].Attachments) != 1 {
		t.Fatalf("messages: %+v %v", ms, err)
	}
	filePath := fmt.Sprintf("/s/team/chat/file/%d", ms[1].Attachments[0].ID)
	if code, body := rita.do("GET", filePath, ""); code != 200 || body != "meeting notes" {
		t.Errorf("rita downloads: %d %q", code, body)
	}
	if code, _ := out.do("GET", filePath, ""); code != http.StatusNotFound {
		t.Errorf("outsider downloads: %d", code)
	}

	// Edit and delete through the forms: one's own only.
	msgPath := fmt.Sprintf("%s/message/%d", convPath, ms[0].ID)
	if code, _, _ := form(rita, msgPath+"/edit", url.Values{"body": {"hijacked"}}); code != http.StatusForbidden {
		t.Errorf("rita edits bob's message: %d", code)
	}
	if code, _, _ := form(bob, msgPath+"/edit", url.Values{"body": {"edited by bob"}}); code != http.StatusSeeOther {
		t.Errorf("bob edits: %d", code)
	}
	if code, _, _ := form(bob, msgPath+"/delete", nil); code != http.StatusSeeOther {
		t.Errorf("bob deletes: %d", code)
	}
	ms, _ = svc.Messages(context.Background(), w.rita, convID, 0, 10)
	if !ms[0].Deleted || ms[0].Body != "" {
		t.Errorf("after delete: %+v", ms[0])
	}
}

// TestChatSlowClient: a client that stops reading fills its socket and
// then its bounded queue; it is disconnected while the others keep
// receiving every message in time.
func TestChatSlowClient(t *testing.T) {
	t.Parallel()
	db := coretest.OpenDB(t, store.SQLite)
	w := chatPeople(t, db)
	srv, svc := chatServer(t, db, "", func(o *chat.Options) { o.ClientBuffer = 4 })
	ctx := context.Background()
	conv, err := svc.Start(ctx, w.ann, w.team.ID, chat.Group, "Flood", []int64{w.bob.AccountID, w.rita.AccountID})
	if err != nil {
		t.Fatal(err)
	}
	bob := mustDial(t, srv.URL, "team", "bob", "")
	// Rita's socket has a tiny receive buffer and she never reads.
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
	}}
	r, _ := http.NewRequest("GET", srv.URL, nil)
	r.SetBasicAuth("rita", "password-rita")
	slow, _, err := websocket.Dial(ctx, wsURL(srv.URL, "team", ""), &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {r.Header.Get("Authorization")}},
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("both connected", func() bool { return svc.Clients() == 2 })
	// Random text: a repeated character would compress to nothing on the
	// wire and never fill the socket buffers.
	noise := make([]byte, (chat.MaxBody-10)/2)
	sent := 0
	for i := 0; svc.Clients() == 2; i++ {
		sent = i
		if i == 30000 {
			t.Fatal("the client that does not read was never disconnected")
		}
		start := time.Now()
		rand.Read(noise)
		if _, err := svc.Post(ctx, w.ann, conv.ID, fmt.Sprintf("%d %x", i, noise)); err != nil {
			t.Fatal(err)
		}
		bob.next("message")
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("message %d reached bob after %s: the slow client stalls him", i, d)
		}
	}
	t.Logf("the client that does not read was disconnected after %d messages", sent)
	// Bob still gets messages at once.
	if _, err := svc.Post(ctx, w.ann, conv.ID, "after the flood"); err != nil {
		t.Fatal(err)
	}
	if m := bob.next("message").Message; m.Body != "after the flood" {
		t.Errorf("bob got %q", m.Body)
	}
}

// smallBuffers gives accepted connections a small send buffer.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}
