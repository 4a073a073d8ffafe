package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/chat"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
)

type fixture struct {
	db                    *store.DB
	chat                  *chat.Service
	blobs                 *blob.Store
	spaces                *space.Service
	ann, bob, rita, out   core.Subject
	spaceID, otherSpaceID int64
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	accts := account.New(db, nil)
	spaces := space.New(db, nil)
	mk := func(login string) core.Subject {
		a, err := accts.Create(ctx, account.NewAccount{Login: login, Name: strings.ToUpper(login[:1]) + login[1:], Password: "password-" + login})
		if err != nil {
			t.Fatal(err)
		}
		return a.Subject()
	}
	blobs, err := blob.New(blob.Options{Dir: t.TempDir(), DB: db})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, blobs: blobs, spaces: spaces}
	f.chat = chat.New(chat.Options{DB: db, ACL: acl.New(db), Blobs: blobs, Logger: coretest.Logger(t)})
	mk("root")
	f.ann, f.bob, f.rita, f.out = mk("ann"), mk("bob"), mk("rita"), mk("out")
	sp, _ := spaces.Create(ctx, space.NewSpace{Slug: "team"})
	other, _ := spaces.Create(ctx, space.NewSpace{Slug: "other"})
	f.spaceID, f.otherSpaceID = sp.ID, other.ID
	for _, m := range []struct {
		who  core.Subject
		role space.Role
	}{{f.ann, space.RoleAdmin}, {f.bob, space.RoleMember}, {f.rita, space.RoleMember}} {
		if err := spaces.SetMember(ctx, sp.ID, m.who.AccountID, m.role); err != nil {
			t.Fatal(err)
		}
	}
	spaces.SetMember(ctx, other.ID, f.out.AccountID, space.RoleMember)
	return f
}

func want(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: %v, want %v", what, err, target)
	}
}

func TestConversationsAndRights(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		c := f.chat
		d, err := c.Start(ctx, f.bob, f.spaceID, chat.Direct, "", []int64{f.rita.AccountID})
		if err != nil {
			t.Fatal(err)
		}
		if d.Title != "Rita" || len(d.Members) != 2 {
			t.Errorf("direct conversation as bob sees it: %+v", d)
		}
		again, err := c.Start(ctx, f.rita, f.spaceID, chat.Direct, "", []int64{f.bob.AccountID})
		if err != nil || again.ID != d.ID {
			t.Errorf("the pair's conversation again: %v %v, want %d", again, err, d.ID)
		}
		g, err := c.Start(ctx, f.bob, f.spaceID, chat.Group, "Launch", []int64{f.ann.AccountID, f.rita.AccountID})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Start(ctx, f.bob, f.spaceID, chat.Direct, "", []int64{f.out.AccountID})
		want(t, err, core.ErrInvalid, "conversation with a non-member of the space")
		_, err = c.Start(ctx, f.out, f.spaceID, chat.Direct, "", []int64{f.bob.AccountID})
		want(t, err, core.ErrNotFound, "non-member starts a conversation")
		_, err = c.Start(ctx, f.bob, f.spaceID, chat.Group, "", []int64{f.rita.AccountID})
		want(t, err, core.ErrInvalid, "group without a title")
		_, err = c.Start(ctx, f.bob, f.spaceID, chat.Direct, "", nil)
		want(t, err, core.ErrInvalid, "conversation with oneself")

		// Listings show one's own conversations only.
		for _, tc := range []struct {
			who  core.Subject
			want []int64
		}{{f.bob, []int64{g.ID, d.ID}}, {f.rita, []int64{g.ID, d.ID}}, {f.ann, []int64{g.ID}}} {
			cs, err := c.Conversations(ctx, tc.who, f.spaceID)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, x := range cs {
				got = append(got, x.ID)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0] && got[len(got)-1] != tc.want[len(tc.want)-1]) {
				t.Errorf("%s lists %v, want %v", tc.who.Login, got, tc.want)
			}
		}
		_, err = c.Conversations(ctx, f.out, f.spaceID)
		want(t, err, core.ErrNotFound, "non-member lists the space's conversations")

		// Reading and posting follow the ACL: participants only (and the
		// space administrator, who moderates).
		_, err = c.Post(ctx, f.out, d.ID, "hello")
		want(t, err, core.ErrNotFound, "non-member posts")
		_, err = c.Messages(ctx, f.out, d.ID, 0, 10)
		want(t, err, core.ErrNotFound, "non-member reads")
		if _, err := c.Messages(ctx, f.ann, d.ID, 0, 10); err != nil {
			t.Errorf("space administrator reads a conversation: %v", err)
		}
		if err := c.AddMembers(ctx, f.rita, g.ID, []int64{f.ann.AccountID}); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("a participant who did not make the group adds people: %v", err)
		}

		// A member removed from the space loses the conversation.
		if err := f.spaces.RemoveMember(ctx, f.spaceID, f.rita.AccountID); err != nil {
			t.Fatal(err)
		}
		_, err = c.Messages(ctx, f.rita, d.ID, 0, 10)
		want(t, err, core.ErrNotFound, "removed member reads")
		_, err = c.Post(ctx, f.rita, d.ID, "still here?")
		want(t, err, core.ErrNotFound, "removed member posts")

		// A module turned off grants nothing.
		if err := f.spaces.SetModule(ctx, f.spaceID, core.ModChat, false); err != nil {
			t.Fatal(err)
		}
		_, err = c.Post(ctx, f.bob, d.ID, "anyone?")
		want(t, err, core.ErrNotFound, "post with the chat module off")
	})
}

func TestMessagesPagingEditsUnread(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		c := f.chat
		g, err := c.Start(ctx, f.bob, f.spaceID, chat.Group, "Launch", []int64{f.ann.AccountID, f.rita.AccountID})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for i, who := range []core.Subject{f.bob, f.rita, f.bob, f.rita, f.bob} {
			m, err := c.Post(ctx, who, g.ID, strings.Repeat("x", i+1))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		_, err = c.Post(ctx, f.bob, g.ID, "   ")
		want(t, err, core.ErrInvalid, "empty message")
		_, err = c.Post(ctx, f.bob, g.ID, strings.Repeat("é", chat.MaxBody+1))
		want(t, err, core.ErrInvalid, "message too long")

		page, err := c.Messages(ctx, f.ann, g.ID, 0, 2)
		if err != nil || len(page) != 2 || page[0].ID != ids[3] || page[1].ID != ids[4] {
			t.Fatalf("latest page: %v %v", page, err)
		}
		if page[1].AuthorName != "Bob" {
			t.Errorf("author name %q", page[1].AuthorName)
		}
		page, _ = c.Messages(ctx, f.ann, g.ID, page[0].ID, 2)
		if len(page) != 2 || page[0].ID != ids[1] || page[1].ID != ids[2] {
			t.Errorf("second page: %v", page)
		}
		page, _ = c.Messages(ctx, f.ann, g.ID, page[0].ID, 2)
		if len(page) != 1 || page[0].ID != ids[0] {
			t.Errorf("last page: %v", page)
		}

		// Unread: ann read nothing, rita read up to her own last message.
		unread := func(who core.Subject) int {
			n, err := c.Unread(ctx, who, f.spaceID)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := unread(f.ann); n != 5 {
			t.Errorf("ann unread %d, want 5", n)
		}
		if n := unread(f.rita); n != 1 {
			t.Errorf("rita unread %d, want 1 (posting reads what came before)", n)
		}
		if err := c.MarkRead(ctx, f.ann, g.ID, ids[2]); err != nil {
			t.Fatal(err)
		}
		if n := unread(f.ann); n != 2 {
			t.Errorf("ann unread after reading 3: %d", n)
		}

		// Edit and delete one's own only.
		// Everything so far happened a minute ago, beyond the catch-up's slack.
		if _, err := db.NewRaw(`UPDATE chat_messages SET changed_at = ?`, time.Now().UTC().Add(-time.Minute)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		since := time.Now().UTC()
		time.Sleep(5 * time.Millisecond)
		if _, err := c.Edit(ctx, f.rita, ids[0], "changed"); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("rita edits bob's message: %v", err)
		}
		if err := c.Delete(ctx, f.rita, ids[0]); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("rita deletes bob's message: %v", err)
		}
		m, err := c.Edit(ctx, f.bob, ids[0], "changed")
		if err != nil || !m.Edited || m.Body != "changed" {
			t.Fatalf("bob edits his message: %v %v", m, err)
		}
		if err := c.Delete(ctx, f.rita, ids[1]); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Edit(ctx, f.rita, ids[1], "back"); !errors.Is(err, core.ErrConflict) {
			t.Errorf("edit a deleted message: %v", err)
		}
		if err := c.Delete(ctx, f.ann, ids[2]); err != nil {
			t.Errorf("the space administrator deletes a message (moderation): %v", err)
		}
		page, _ = c.Messages(ctx, f.bob, g.ID, 0, 10)
		if page[0].Body != "changed" || !page[0].Edited || page[1].Body != "" || !page[1].Deleted {
			t.Errorf("after edit and delete: %+v %+v", page[0], page[1])
		}

		// Catch-up: new messages after an id, and changes since a time.
		late, _ := c.Post(ctx, f.rita, g.ID, "late")
		got, truncated, err := c.CatchUp(ctx, f.bob, f.spaceID, ids[4], since)
		if err != nil || truncated {
			t.Fatal(err, truncated)
		}
		var gotIDs []int64
		for _, m := range got {
			gotIDs = append(gotIDs, m.ID)
		}
		wantIDs := []int64{ids[0], ids[1], ids[2], late.ID}
		if len(gotIDs) != len(wantIDs) {
			t.Fatalf("catch-up %v, want %v", gotIDs, wantIDs)
		}
		for i := range wantIDs {
			if gotIDs[i] != wantIDs[i] {
				t.Errorf("catch-up %v, want %v", gotIDs, wantIDs)
			}
		}
		got, _, _ = c.CatchUp(ctx, f.bob, f.spaceID, late.ID, time.Time{})
		if len(got) != 0 {
			t.Errorf("catch-up after the last: %v", got)
		}
		// A message whose id is below the client's last one but that
		// committed just before its last frame (concurrent writers on
		// PostgreSQL) is caught up too.
		if _, err := db.NewRaw(`UPDATE chat_messages SET changed_at = ? WHERE id = ?`,
			time.Now().UTC().Add(-2*time.Second), ids[3]).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		got, _, _ = c.CatchUp(ctx, f.bob, f.spaceID, late.ID, time.Now())
		var has4, has5 bool
		for _, m := range got {
			has4 = has4 || m.ID == ids[3]
			has5 = has5 || m.ID == ids[4]
		}
		if !has4 || has5 {
			t.Errorf("catch-up of a late commit: message %d there %v (want true), message %d (a minute old) there %v", ids[3], has4, ids[4], has5)
		}
		_, _, err = c.CatchUp(ctx, f.out, f.spaceID, 0, time.Time{})
		want(t, err, core.ErrNotFound, "non-member catches up")
	})
}

func TestAttachments(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		c := f.chat
		d, _ := c.Start(ctx, f.bob, f.spaceID, chat.Direct, "", []int64{f.rita.AccountID})
		m, err := c.Attach(ctx, f.bob, d.ID, "", "../../plan.txt", "text/plain", strings.NewReader("the plan"))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].Name != "plan.txt" || m.Attachments[0].Size != 8 {
			t.Fatalf("attachment: %+v", m.Attachments)
		}
		aid := m.Attachments[0].ID
		a, r, err := c.OpenAttachment(ctx, f.rita, aid)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		if string(b) != "the plan" || a.ContentType != "text/plain" {
			t.Errorf("rita reads %q (%s)", b, a.ContentType)
		}
		if _, _, err := c.OpenAttachment(ctx, f.ann, aid); err != nil {
			t.Errorf("space administrator opens it: %v", err)
		}
		_, _, err = c.OpenAttachment(ctx, f.out, aid)
		want(t, err, core.ErrNotFound, "non-member opens an attachment")
		page, _ := c.Messages(ctx, f.rita, d.ID, 0, 10)
		if len(page) != 1 || len(page[0].Attachments) != 1 {
			t.Errorf("listed with its file: %+v", page)
		}
		var blobHash string
		if err := db.NewRaw(`SELECT blob_hash FROM chat_attachments WHERE id = ?`, aid).Scan(ctx, &blobHash); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.blobs.Refs(ctx, blobHash); n != 1 {
			t.Errorf("refs %d, want 1", n)
		}
		if err := c.Delete(ctx, f.bob, m.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.blobs.Refs(ctx, blobHash); n != 0 {
			t.Errorf("refs after delete %d, want 0", n)
		}
		_, _, err = c.OpenAttachment(ctx, f.rita, aid)
		want(t, err, core.ErrNotFound, "attachment of a deleted message")
	})
}

// sink records frames like a WebSocket client would receive them.
type sink struct {
	mu     sync.Mutex
	frames []chat.Frame
	cap    int
	kicked string
	ch     chan chat.Frame
}

func newSink(capacity int) *sink { return &sink{cap: capacity, ch: make(chan chat.Frame, 1000)} }

func (s *sink) Send(b []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cap > 0 && len(s.frames) >= s.cap {
		return false
	}
	var f chat.Frame
	if err := json.Unmarshal(b, &f); err != nil {
		panic(err)
	}
	s.frames = append(s.frames, f)
	select {
	case s.ch <- f:
	default:
	}
	return true
}

func (s *sink) Kick(reason string) {
	s.mu.Lock()
	s.kicked = reason
	s.mu.Unlock()
}

func (s *sink) wasKicked() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kicked
}

// next waits for a frame of type typ.
func (s *sink) next(t *testing.T, typ string) chat.Frame {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f := <-s.ch:
			if f.Type == typ {
				return f
			}
		case <-deadline:
			t.Fatalf("no %s frame within 5 s", typ)
		}
	}
}

func (s *sink) none(t *testing.T, typ string, wait time.Duration) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case f := <-s.ch:
			if f.Type == typ {
				t.Fatalf("unexpected %s frame: %+v", typ, f)
			}
		case <-deadline:
			return
		}
	}
}

func run(t *testing.T, c *chat.Service) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-c.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("chat listener not ready")
	}
}

func TestFanOutAndPresence(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		c := f.chat
		run(t, c)
		d, _ := c.Start(ctx, f.bob, f.spaceID, chat.Direct, "", []int64{f.rita.AccountID})

		bobSink, ritaSink, annSink := newSink(0), newSink(0), newSink(0)
		bob, err := c.Connect(ctx, f.bob, f.spaceID, bobSink)
		if err != nil {
			t.Fatal(err)
		}
		defer bob.Close(ctx)
		rita, err := c.Connect(ctx, f.rita, f.spaceID, ritaSink)
		if err != nil {
			t.Fatal(err)
		}
		ann, err := c.Connect(ctx, f.ann, f.spaceID, annSink)
		if err != nil {
			t.Fatal(err)
		}
		defer ann.Close(ctx)
		if _, err := c.Connect(ctx, f.out, f.spaceID, newSink(0)); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("non-member connects: %v", err)
		}

		online, err := c.Online(ctx, f.spaceID)
		if err != nil || len(online) != 3 {
			t.Errorf("online: %v %v", online, err)
		}
		// Presence comes as changes: who joined, who left.
		seen := map[int64]bool{}
		presence := func(want int) {
			t.Helper()
			for len(seen) != want {
				p := bobSink.next(t, "presence")
				if len(p.Online) != 0 {
					t.Fatalf("a presence frame with the whole list: %+v", p)
				}
				for _, j := range p.Joined {
					seen[j.ID] = true
				}
				for _, l := range p.Left {
					delete(seen, l)
				}
			}
		}
		presence(3)

		m, err := c.Post(ctx, f.bob, d.ID, "hi rita")
		if err != nil {
			t.Fatal(err)
		}
		got := ritaSink.next(t, "message")
		if got.Message.ID != m.ID || got.Message.Body != "hi rita" || got.Message.AuthorName != "Bob" {
			t.Errorf("rita got %+v", got.Message)
		}
		bobSink.next(t, "message") // the author's other tabs get it too
		if _, err := c.Edit(ctx, f.bob, m.ID, "hi Rita"); err != nil {
			t.Fatal(err)
		}
		if u := ritaSink.next(t, "update"); u.Message.Body != "hi Rita" || !u.Message.Edited {
			t.Errorf("update: %+v", u.Message)
		}
		annSink.none(t, "message", 300*time.Millisecond) // not a participant

		rita.Close(ctx)
		presence(2)
		if seen[f.rita.AccountID] {
			t.Error("rita still online after leaving")
		}

		// A client that cannot keep up is kicked, not waited for.
		slow := newSink(1)
		sc, err := c.Connect(ctx, f.bob, f.spaceID, slow)
		if err != nil {
			t.Fatal(err)
		}
		defer sc.Close(ctx)
		for range 3 {
			if _, err := c.Post(ctx, f.rita, d.ID, "x"); err != nil {
				t.Fatal(err)
			}
		}
		bobSink.next(t, "message")
		waitFor(t, "the slow client kicked", func() bool { return slow.wasKicked() != "" })
		if bobSink.wasKicked() != "" {
			t.Errorf("a client keeping up was kicked: %s", bobSink.wasKicked())
		}

		// Presence of a process that died expires: another process (its
		// own service, same database) connected and never renewed.
		other := chat.New(chat.Options{DB: db, ACL: acl.New(db), PresenceTTL: time.Second})
		if _, err := other.Connect(ctx, f.rita, f.spaceID, newSink(0)); err != nil {
			t.Fatal(err)
		}
		if on, _ := c.Online(ctx, f.spaceID); len(on) != 3 {
			t.Errorf("online with rita through another process: %v", on)
		}
		time.Sleep(1100 * time.Millisecond)
		if err := c.Heartbeat(ctx); err != nil {
			t.Fatal(err)
		}
		var rows int
		db.NewRaw(`SELECT COUNT(*) FROM chat_presence WHERE account_id = ?`, f.rita.AccountID).Scan(ctx, &rows)
		if on, _ := c.Online(ctx, f.spaceID); len(on) != 2 || rows != 0 {
			t.Errorf("after expiry: online %v, rita's rows %d", on, rows)
		}

		// Someone removed from the space is disconnected at the next heartbeat.
		if err := f.spaces.RemoveMember(ctx, f.spaceID, f.bob.AccountID); err != nil {
			t.Fatal(err)
		}
		if err := c.Heartbeat(ctx); err != nil {
			t.Fatal(err)
		}
		if bobSink.wasKicked() == "" {
			t.Error("bob, removed from the space, stays connected")
		}
		if annSink.wasKicked() != "" {
			t.Error("ann was kicked")
		}
	})
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
