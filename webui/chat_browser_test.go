package webui_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"plaza/core/coretest"
	"plaza/core/store"
)

// TestBrowserChat: two people, each in their own headless Chromium, chat
// in real time; the chat bar shows who is online; the conversation offers
// its video call.
func TestBrowserChat(t *testing.T) {
	if _, err := exec.LookPath(chromium); err != nil {
		t.Fatalf("%s is missing (make test installs Debian's chromium): %v", chromium, err)
	}
	db := coretest.OpenDB(t, store.SQLite)
	chatPeople(t, db)
	fj := &fakeJitsi{}
	jsrv := httptest.NewServer(fj)
	t.Cleanup(jsrv.Close)
	srv, _ := chatServer(t, db, jsrv.URL)
	base := srv.URL

	ann, rita := chatBrowser(t), chatBrowser(t)
	login(t, ann, base, "ann")
	login(t, rita, base, "rita")

	// Ann starts a one-to-one conversation with Rita from the chat page.
	var loc string
	run(t, ann, "ann opens the chat",
		chromedp.Navigate(base+"/s/team"),
		chromedp.WaitVisible(`//nav[contains(@class,"modules")]//a[text()="Chat" and @href="/s/team/chat"]`, chromedp.BySearch),
		chromedp.Navigate(base+"/s/team/chat"),
		chromedp.WaitVisible(`//label[contains(., "Rita Reader")]/input`, chromedp.BySearch),
		chromedp.Click(`//label[contains(., "Rita Reader")]/input`, chromedp.BySearch),
		chromedp.Click(`//button[text()="Start"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#chat-log`, chromedp.ByID),
		chromedp.Location(&loc),
	)
	convURL := loc

	// Rita, elsewhere in the space, sees Ann online in the chat bar.
	var online string
	run(t, rita, "rita sees the chat bar",
		chromedp.Navigate(base+"/s/team"),
		chromedp.WaitVisible(`#chatbar`, chromedp.ByID),
		chromedp.Text(`#chatbar-people`, &online, chromedp.ByID),
	)
	if !strings.Contains(online, "Ann Admin") {
		t.Errorf("chat bar: %q, want Ann online", online)
	}

	// Ann writes while Rita is elsewhere: the bar counts it unread.
	run(t, ann, "ann writes",
		chromedp.WaitVisible(`#chat-body`, chromedp.ByID),
		chromedp.SendKeys(`#chat-body`, "Hello Rita\n", chromedp.ByID),
		chromedp.WaitVisible(`//ol[@id="chat-log"]/li[contains(., "Hello Rita")]`, chromedp.BySearch),
	)
	var unread string
	run(t, rita, "rita sees an unread message",
		chromedp.WaitVisible(`#chatbar-unread`, chromedp.ByID),
		chromedp.Text(`#chatbar-unread`, &unread, chromedp.ByID),
	)
	if unread != "1" {
		t.Errorf("unread badge %q, want 1", unread)
	}

	// Both on the conversation: messages go both ways without reloading.
	run(t, rita, "rita opens the conversation",
		chromedp.Navigate(base+"/s/team/chat"),
		chromedp.Click(`//ul[@id="chat-list"]//a[contains(., "Ann Admin")]`, chromedp.BySearch),
		chromedp.WaitVisible(`//ol[@id="chat-log"]/li[contains(., "Hello Rita")]`, chromedp.BySearch),
		chromedp.Location(&loc),
	)
	if loc != convURL {
		t.Errorf("rita's conversation %s, ann's %s", loc, convURL)
	}
	typeMessage(t, rita, "rita answers", "Hi Ann, in real time")
	run(t, ann, "ann sees the answer without reloading",
		chromedp.WaitVisible(`//ol[@id="chat-log"]/li[contains(., "Hi Ann, in real time")]`, chromedp.BySearch),
	)
	typeMessage(t, ann, "ann writes again", "Live both ways")
	run(t, rita, "rita sees it without reloading",
		chromedp.WaitVisible(`//ol[@id="chat-log"]/li[contains(., "Live both ways")]`, chromedp.BySearch),
	)

	// Ann edits her last message in place; Rita sees the change.
	var msgID string
	var found bool
	run(t, ann, "ann finds her message",
		chromedp.AttributeValue(`//ol[@id="chat-log"]/li[contains(., "Live both ways")]`, "data-id", &msgID, &found, chromedp.BySearch),
	)
	li := `#chat-log li[data-id="` + msgID + `"]`
	run(t, ann, "ann edits",
		chromedp.Click(li+` button.chat-edit`, chromedp.ByQuery),
		chromedp.WaitVisible(li+` input`, chromedp.ByQuery),
		chromedp.SetValue(li+` input`, "Live both ways, edited", chromedp.ByQuery),
		chromedp.Click(li+` button`, chromedp.ByQuery),
		chromedp.WaitVisible(`//ol[@id="chat-log"]/li[contains(., "Live both ways, edited")]`, chromedp.BySearch),
	)
	run(t, rita, "rita sees the edit",
		chromedp.WaitVisible(`//ol[@id="chat-log"]/li[contains(., "Live both ways, edited") and contains(., "(edited)")]`, chromedp.BySearch),
	)

	// The video call opens the conversation's own Jitsi room.
	var href string
	var ok bool
	run(t, rita, "video call link",
		chromedp.AttributeValue(`#chat-video`, "href", &href, &ok, chromedp.ByID),
	)
	if !strings.HasPrefix(href, jsrv.URL+"/") || len(strings.TrimPrefix(href, jsrv.URL+"/")) < 16 {
		t.Errorf("video link %q", href)
	}
	var annHref string
	run(t, ann, "ann's video link", chromedp.AttributeValue(`#chat-video`, "href", &annHref, &ok, chromedp.ByID))
	room := func(u string) string { return strings.SplitN(strings.TrimPrefix(u, jsrv.URL+"/"), "#", 2)[0] }
	if room(href) != room(annHref) {
		t.Errorf("rooms differ: %s and %s", href, annHref)
	}
	var shot []byte
	run(t, rita, "screenshot", chromedp.FullScreenshot(&shot, 100))
	if err := os.WriteFile(filepath.Join(screenshotDir(t), "chat.png"), shot, 0o644); err != nil {
		t.Error(err)
	}
}

// chatBrowser is browser() with a profile directory removed leniently:
// Chromium's helpers may still write to it while the test ends, which
// would fail t.TempDir's strict clean-up.
func chatBrowser(t *testing.T) context.Context {
	t.Helper()
	dir, err := os.MkdirTemp("", "plaza-chat-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(dir),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelT()
		cancelC()
		cancelA()
		for range 20 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return ctx
}

// typeMessage types a message into the composer and sends it. The list
// page reloads itself when a conversation appears, so a composer found a
// moment ago may have been replaced: that one error is retried on the new
// page.
func typeMessage(t *testing.T, ctx context.Context, step, text string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		err := chromedp.Run(ctx,
			chromedp.WaitVisible(`#chat-body`, chromedp.ByID),
			chromedp.SendKeys(`#chat-body`, text+"\n", chromedp.ByID))
		if err == nil {
			return
		}
		if attempt == 5 || !strings.Contains(err.Error(), "Could not find node") {
			t.Fatalf("%s: %v", step, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
