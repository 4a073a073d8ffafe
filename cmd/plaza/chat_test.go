package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"plaza/core/coretest"
	"plaza/core/store"
)

// TestServeChatAcrossProcesses starts two `plaza serve` processes on one
// PostgreSQL database: a message sent over a WebSocket to one reaches a
// client of the other, presence is shared, and a process shutting down
// closes its chat clients (they reconnect elsewhere).
func TestServeChatAcrossProcesses(t *testing.T) {
	if !slicesContainsPostgres(coretest.Dialects()) {
		t.Skip("needs PostgreSQL: set " + coretest.EnvDatabaseURL)
	}
	t.Parallel()
	in := newInstance(t, store.Postgres)
	for _, step := range []struct {
		stdin string
		args  []string
	}{
		{"root-password\n", []string{"user", "add", "root"}},
		{"password-bob\n", []string{"user", "add", "bob", "--name", "Bob"}},
		{"password-rita\n", []string{"user", "add", "rita", "--name", "Rita"}},
		{"", []string{"space", "add", "team"}},
		{"", []string{"space", "member", "team", "bob"}},
		{"", []string{"space", "member", "team", "rita"}},
	} {
		if r := in.run(step.stdin, step.args...); r.code != 0 {
			t.Fatalf("%v: %s", step.args, r.stderr)
		}
	}
	a, b := in.serve(), in.serve()

	// Bob starts a conversation with Rita through A's page.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", a.url+"/s/team/chat", nil)
	req.SetBasicAuth("bob", "password-bob")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	page.ReadFrom(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="member" value="(\d+)"> Rita`).FindStringSubmatch(page.String())
	if m == nil {
		t.Fatalf("chat page without Rita: %d %s", resp.StatusCode, page.String())
	}
	req, _ = http.NewRequest("POST", a.url+"/s/team/chat", strings.NewReader(url.Values{"member": {m[1]}}.Encode()))
	req.SetBasicAuth("bob", "password-bob")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	conv := strings.TrimPrefix(resp.Header.Get("Location"), "/s/team/chat/")
	if resp.StatusCode != http.StatusSeeOther || conv == "" {
		t.Fatalf("start a conversation: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	bob, bobCh, _ := dialChat(t, a.url, "bob")
	_, ritaCh, _ := dialChat(t, b.url, "rita")
	// Bob's view of who is online: the hello's list, then the changes.
	online := map[int64]bool{}
	count := func(n int) func(f chatFrame) bool {
		return func(f chatFrame) bool {
			for _, p := range append(f.Online, f.Joined...) {
				online[p.ID] = true
			}
			for _, id := range f.Left {
				delete(online, id)
			}
			return len(online) == n
		}
	}
	waitFrame(t, bobCh, "rita online through B", count(2))

	ctx := context.Background()
	send := `{"type":"send","conversation":` + conv + `,"body":"from A to B"}`
	if err := bob.Write(ctx, websocket.MessageText, []byte(send)); err != nil {
		t.Fatal(err)
	}
	waitFrame(t, ritaCh, "bob's message on B", func(f chatFrame) bool {
		return f.Type == "message" && f.Message != nil && f.Message.Body == "from A to B"
	})

	// B shuts down: its clients are closed, and A sees Rita leave.
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(15 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-ritaCh:
		case <-deadline:
			t.Fatal("rita's socket to B stays open after SIGTERM")
		}
	}
	waitFrame(t, bobCh, "rita offline", count(1))
	select {
	case err := <-b.done:
		if err != nil {
			t.Errorf("B exits: %v", err)
		}
	case <-time.After(35 * time.Second):
		t.Error("B did not exit")
	}
}

// chatFrame is what these tests read of a chat frame.
type chatFrame struct {
	Type    string `json:"type"`
	Online  []struct{ ID int64 }
	Joined  []struct{ ID int64 }
	Left    []int64
	Message *struct{ Body string }
}

// dialChat opens the chat WebSocket of space team at base as login, and
// returns it with its frames and the handshake's response.
func dialChat(t *testing.T, base, login string) (*websocket.Conn, chan chatFrame, *http.Response) {
	t.Helper()
	r, _ := http.NewRequest("GET", base, nil)
	r.SetBasicAuth(login, "password-"+login)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/s/team/chat/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {r.Header.Get("Authorization")}}})
	if err != nil {
		t.Fatalf("%s dials %s: %v", login, base, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	ch := make(chan chatFrame, 1000)
	go func() {
		defer close(ch)
		for {
			_, data, err := c.Read(context.Background())
			if err != nil {
				return
			}
			for _, line := range bytes.Split(data, []byte("\n")) {
				var f chatFrame
				if json.Unmarshal(line, &f) == nil {
					ch <- f
				}
			}
		}
	}()
	return c, ch, resp
}

// waitFrame reads frames from ch until one is ok.
func waitFrame(t *testing.T, ch chan chatFrame, what string, ok func(chatFrame) bool) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case f, open := <-ch:
			if !open {
				t.Fatalf("closed while waiting for %s", what)
			}
			if ok(f) {
				return
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func slicesContainsPostgres(ds []store.Dialect) bool {
	for _, d := range ds {
		if d == store.Postgres {
			return true
		}
	}
	return false
}
