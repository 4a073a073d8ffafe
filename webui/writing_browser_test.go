package webui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"plaza/core/coretest"
	"plaza/core/forum"
	"plaza/core/store"
	"plaza/core/wiki"
)

// switchTo logs the browser in as another person.
func switchTo(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	run(t, ctx, "forget the session", network.ClearBrowserCookies())
	login(t, ctx, base, user)
}

// The forum on the web: Markdown with the toolbar's preview, topic edit,
// attachment, follow (and the notification it brings), reply edit and
// delete by its author, topic delete.
func TestBrowserForumManage(t *testing.T) {
	w := startWriting(t, coretest.OpenDB(t, store.SQLite))
	ctx := browser(t)
	base := w.srv.URL
	cat, err := w.forum.CreateCategory(context.Background(), w.people["ann"].Subject(), forum.NewCategory{SpaceID: w.team.ID, Slug: "general", Name: "General"})
	if err != nil {
		t.Fatal(err)
	}
	catURL := base + "/s/team/forum/" + itoa(cat.ContainerID)
	login(t, ctx, base, "ann")
	var preview, body string
	run(t, ctx, "write a topic in Markdown and preview it",
		chromedp.Navigate(catURL),
		chromedp.WaitVisible(`.md-toolbar[data-for=ft-body]`, chromedp.ByQuery),
		chromedp.SendKeys(`#ft-title`, "Summer party", chromedp.ByID),
		chromedp.SendKeys(`#ft-body`, "Bring <b>snacks</b>\n\n| what | who |\n|---|---|\n| cake | Ann |\n\n", chromedp.ByID),
		chromedp.Click(`.md-toolbar[data-for=ft-body] button[data-md=italic]`, chromedp.ByQuery),
		chromedp.SendKeys(`#ft-body`, "done", chromedp.ByID),
		chromedp.Click(`.md-toolbar[data-for=ft-body] button[data-md=preview]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ft-body-preview table`, chromedp.ByQuery),
		chromedp.InnerHTML(`#ft-body-preview`, &preview, chromedp.ByQuery),
		chromedp.Click(`.md-toolbar[data-for=ft-body] button[data-md=preview]`, chromedp.ByQuery),
	)
	run(t, ctx, "open the topic",
		chromedp.Click(`//button[text()="Open the topic"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#topic-follow`, chromedp.ByID),
		chromedp.InnerHTML(`#topic .body`, &body, chromedp.ByQuery),
	)
	for _, h := range []string{preview, body} {
		if !strings.Contains(h, "<td>cake</td>") || !strings.Contains(h, "<p><em>done</em></p>") || strings.Contains(h, "<b>") {
			t.Errorf("rendered topic %q", h)
		}
	}
	if preview != body {
		t.Errorf("preview %q differs from the page %q", preview, body)
	}
	file := filepath.Join(t.TempDir(), "menu.txt")
	os.WriteFile(file, []byte("cake"), 0o600)
	var title, attachments string
	run(t, ctx, "edit the topic, attach a file, follow it",
		chromedp.Click(`#topic-edit summary`, chromedp.ByQuery),
		chromedp.SetValue(`#te-title`, "Summer party (Friday)", chromedp.ByID),
		chromedp.SetValue(`#te-body`, "Bring _snacks_", chromedp.ByID),
		chromedp.Click(`#topic-edit form[action$="/edit"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#topic-follow`, chromedp.ByID),
		chromedp.Click(`#topic-edit summary`, chromedp.ByQuery),
		chromedp.SetUploadFiles(`#te-file`, []string{file}, chromedp.ByID),
		chromedp.Click(`#topic-edit form[action$="/attach"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#attachments`, chromedp.ByID),
		chromedp.Text(`#attachments`, &attachments, chromedp.ByID),
		chromedp.Text(`#topic h1`, &title, chromedp.ByQuery),
		chromedp.Click(`#topic-follow`, chromedp.ByID),
		chromedp.WaitVisible(`#topic-unfollow`, chromedp.ByID),
		chromedp.InnerHTML(`#topic .body`, &body, chromedp.ByQuery),
	)
	if title != "Summer party (Friday)" || body != "<p>Bring <em>snacks</em></p>" || !strings.Contains(attachments, "menu.txt") {
		t.Errorf("after edit: %q %q %q", title, body, attachments)
	}
	topicURL := ""
	run(t, ctx, "where the topic is", chromedp.Location(&topicURL))

	switchTo(t, ctx, base, "rita")
	var widget string
	run(t, ctx, "the dashboard lists the unread topic",
		chromedp.Navigate(base+"/s/team"),
		chromedp.WaitVisible(`section[aria-labelledby=w-forum]`, chromedp.ByQuery),
		chromedp.Text(`section[aria-labelledby=w-forum]`, &widget, chromedp.ByQuery),
	)
	if !strings.Contains(widget, "Summer party (Friday)") {
		t.Errorf("unread widget before reading: %q", widget)
	}
	var posts string
	run(t, ctx, "reply, edit the reply, reply again, delete that one",
		chromedp.Navigate(topicURL),
		chromedp.WaitVisible(`#fr-body`, chromedp.ByID),
		chromedp.SendKeys(`#fr-body`, "Count **me** in", chromedp.ByID),
		chromedp.Click(`//button[text()="Reply"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#posts details.post-edit`, chromedp.ByQuery),
		chromedp.Click(`#posts li:first-child details.post-edit summary`, chromedp.ByQuery),
		chromedp.SetValue(`#posts li:first-child textarea`, "Count me in, with a cake", chromedp.ByQuery),
		chromedp.Click(`#posts li:first-child form[action$="/edit"] button`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#posts li:first-child details[open]`, chromedp.ByQuery),
		chromedp.SendKeys(`#fr-body`, "Oops, wrong topic", chromedp.ByID),
		chromedp.Click(`//button[text()="Reply"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#posts li:nth-child(2)`, chromedp.ByQuery),
		chromedp.Click(`#posts li:nth-child(2) details.post-edit summary`, chromedp.ByQuery),
		chromedp.Click(`#posts li:nth-child(2) form[action$="/delete"] button`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#posts li:nth-child(2)`, chromedp.ByQuery),
		chromedp.Text(`#posts`, &posts, chromedp.ByID),
	)
	if !strings.Contains(posts, "Count me in, with a cake") || strings.Contains(posts, "Oops") {
		t.Errorf("replies: %q", posts)
	}
	var n int
	run(t, ctx, "rita may not edit ann's topic", chromedp.Evaluate(`document.querySelectorAll("#topic-edit, #topic-delete").length`, &n))
	if n != 0 {
		t.Errorf("rita sees %d edit controls on ann's topic", n)
	}
	run(t, ctx, "read, the topic leaves the widget",
		chromedp.Navigate(base+"/s/team"),
		chromedp.WaitVisible(`section[aria-labelledby=w-forum]`, chromedp.ByQuery),
		chromedp.Text(`section[aria-labelledby=w-forum]`, &widget, chromedp.ByQuery),
	)
	if strings.Contains(widget, "Summer party") {
		t.Errorf("unread widget after reading: %q", widget)
	}

	switchTo(t, ctx, base, "ann")
	var badge, inbox string
	run(t, ctx, "ann was told of the replies; she deletes the topic",
		chromedp.WaitVisible(`#inbox-unread`, chromedp.ByID),
		chromedp.Text(`#inbox-unread`, &badge, chromedp.ByID),
		chromedp.Click(`#inbox-link`, chromedp.ByID),
		chromedp.WaitVisible(`#inbox`, chromedp.ByID),
		chromedp.Text(`#inbox`, &inbox, chromedp.ByID),
	)
	run(t, ctx, "open a notification", chromedp.Click(`#inbox li:last-child a`, chromedp.ByQuery), chromedp.WaitVisible(`#topic-delete`, chromedp.ByID))
	run(t, ctx, "delete the topic", chromedp.Click(`#topic-delete`, chromedp.ByID), chromedp.WaitVisible(`#ft-title`, chromedp.ByID))
	if badge != "2" || !strings.Contains(inbox, "Re: Summer party (Friday) (Rita Member)") {
		t.Errorf("badge %q, inbox %q", badge, inbox)
	}
	if ts, _ := w.forum.Topics(context.Background(), w.people["ann"].Subject(), cat.ContainerID, 10); len(ts) != 0 {
		t.Errorf("topics left: %+v", ts)
	}
}

// The wiki on the web: [[Title]] links resolved or shown missing (and
// leading to a prefilled new page), no lock when editing, a conflicting
// save refused with the differences and kept text, follow and the
// notifications it brings, comments added and deleted by their author.
func TestBrowserWikiConflictFollowComments(t *testing.T) {
	w := startWriting(t, coretest.OpenDB(t, store.SQLite))
	ctx := browser(t)
	base := w.srv.URL
	bg := context.Background()
	ann, bob := w.people["ann"].Subject(), w.people["bob"].Subject()
	folder, err := w.wiki.CreateFolder(bg, ann, w.team.ID, "Docs", nil) // members: limited
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.wiki.Create(bg, ann, folder.ID, wiki.Input{Title: "Home", Body: "welcome"}); err != nil {
		t.Fatal(err)
	}
	// Bob's page: he and the space's administrator may edit it.
	page, err := w.wiki.Create(bg, bob, folder.ID, wiki.Input{Title: "Plan", Body: "See [[home]] and [[Road map]].\n\nline two"})
	if err != nil {
		t.Fatal(err)
	}
	pageURL := base + "/s/team/wiki/page/" + itoa(page.ID)

	login(t, ctx, base, "rita")
	var html, newTitle string
	run(t, ctx, "links resolved and missing; follow the page",
		chromedp.Navigate(pageURL),
		chromedp.WaitVisible(`#wiki-follow`, chromedp.ByID),
		chromedp.InnerHTML(`#wiki-body`, &html, chromedp.ByID),
		chromedp.Click(`#wiki-follow`, chromedp.ByID),
		chromedp.WaitVisible(`//button[@id="wiki-follow" and text()="Stop following"]`, chromedp.BySearch),
		chromedp.Click(`#wiki-body a.missing`, chromedp.ByQuery),
		chromedp.WaitVisible(`details[open] input[name=title]`, chromedp.ByQuery),
		chromedp.Value(`details[open] input[name=title]`, &newTitle, chromedp.ByQuery),
	)
	if !strings.Contains(html, ">home</a>") || strings.Contains(html, `class="missing" href="/wiki/ref`) ||
		!strings.Contains(html, `<a class="missing" href="/s/team/wiki?new=Road+map"`) {
		t.Errorf("rendered links: %s", html)
	}
	if newTitle != "Road map" {
		t.Errorf("new page title %q", newTitle)
	}

	switchTo(t, ctx, base, "ann")
	run(t, ctx, "open the editor (no lock)",
		chromedp.Navigate(pageURL+"/edit"),
		chromedp.WaitVisible(`#we-body`, chromedp.ByID),
	)
	// Bob saves meanwhile, from the version ann opened.
	if _, err := w.wiki.Save(bg, bob, page.ID, wiki.Input{Title: "Plan", Body: "See [[home]] and [[Road map]].\n\nline two, by Bob", BaseVersion: 1}); err != nil {
		t.Fatalf("bob saves while ann edits: %v", err)
	}
	var notice, diff, kept string
	run(t, ctx, "ann's save is refused with the differences",
		chromedp.SetValue(`#we-body`, "See [[home]] and [[Road map]].\n\nline two, by Ann", chromedp.ByID),
		chromedp.Click(`#we-save`, chromedp.ByID),
		chromedp.WaitVisible(`#wiki-conflict`, chromedp.ByID),
		chromedp.Text(`#wiki-conflict`, &notice, chromedp.ByID),
		chromedp.Text(`#wiki-conflict-diff`, &diff, chromedp.ByID),
		chromedp.Value(`#we-body`, &kept, chromedp.ByID),
	)
	if !strings.Contains(notice, "version 2") || !strings.Contains(diff, "- line two, by Bob") || !strings.Contains(diff, "+ line two, by Ann") ||
		!strings.Contains(kept, "by Ann") {
		t.Errorf("conflict: %q %q %q", notice, diff, kept)
	}
	run(t, ctx, "merge and save again",
		chromedp.SetValue(`#we-body`, "See [[home]] and [[Road map]].\n\nline two, by Bob and Ann", chromedp.ByID),
		chromedp.Click(`#we-save`, chromedp.ByID),
		chromedp.WaitVisible(`#wiki-body`, chromedp.ByID),
		chromedp.InnerHTML(`#wiki-body`, &html, chromedp.ByID),
	)
	if !strings.Contains(html, "by Bob and Ann") {
		t.Errorf("after merge: %s", html)
	}
	run(t, ctx, "ann comments",
		chromedp.SendKeys(`#wc-body`, "Looks **good**", chromedp.ByID),
		chromedp.Click(`//button[text()="Add the comment"]`, chromedp.BySearch),
		chromedp.WaitVisible(`.comment strong + small + .rich strong`, chromedp.ByQuery),
	)

	switchTo(t, ctx, base, "rita")
	var inbox string
	run(t, ctx, "rita heard of both saves and the comment",
		chromedp.Navigate(base+"/inbox"),
		chromedp.WaitVisible(`#inbox`, chromedp.ByID),
		chromedp.Text(`#inbox`, &inbox, chromedp.ByID),
	)
	for _, want := range []string{"Plan (v2, Bob Member)", "Plan (v3, Ann Admin)", "Plan: comment (Ann Admin)", "Looks good"} {
		if !strings.Contains(inbox, want) {
			t.Errorf("inbox lacks %q: %q", want, inbox)
		}
	}
	var comments int
	run(t, ctx, "rita comments and deletes her comment, not ann's",
		chromedp.Navigate(pageURL),
		chromedp.WaitVisible(`#wc-body`, chromedp.ByID),
		chromedp.SendKeys(`#wc-body`, "Typo", chromedp.ByID),
		chromedp.Click(`//button[text()="Add the comment"]`, chromedp.BySearch),
		chromedp.WaitVisible(`.comment:nth-of-type(2) form button`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll(".comment form").length`, &comments),
	)
	if comments != 1 {
		t.Errorf("rita may delete %d comments, want her own only", comments)
	}
	run(t, ctx, "delete it",
		chromedp.Click(`.comment form button`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`.comment form button`, chromedp.ByQuery),
	)
	if cs, _ := w.wiki.Comments(bg, ann, page.ID); len(cs) != 1 || cs[0].Body != "Looks **good**" {
		t.Errorf("comments left: %+v", cs)
	}
}

// News on the web: a Markdown article with a video embed, edited, given
// an image; a reader comments (the author, following by default, is
// told), deletes their comment; the author deletes the article.
func TestBrowserNewsManage(t *testing.T) {
	w := startWriting(t, coretest.OpenDB(t, store.SQLite))
	ctx := browser(t)
	base := w.srv.URL
	login(t, ctx, base, "ann")
	var body string
	run(t, ctx, "publish an article in Markdown",
		chromedp.Navigate(base+"/s/team/news"),
		chromedp.Click(`details.card summary`, chromedp.ByQuery),
		chromedp.SendKeys(`#na-title`, "We moved", chromedp.ByID),
		chromedp.SendKeys(`#na-body`, "Third floor, **left**.\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n", chromedp.ByID),
		chromedp.Click(`//button[text()="Publish"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#news-unfollow`, chromedp.ByID),
		chromedp.InnerHTML(`#article .body`, &body, chromedp.ByQuery),
	)
	if !strings.Contains(body, "<strong>left</strong>") || !strings.Contains(body, `<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"`) {
		t.Errorf("article body %q", body)
	}
	var articleURL string
	run(t, ctx, "where", chromedp.Location(&articleURL))
	png := filepath.Join(t.TempDir(), "office.png")
	os.WriteFile(png, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"), 0o600)
	var title string
	run(t, ctx, "edit it and give it an image",
		chromedp.Click(`#news-edit summary`, chromedp.ByQuery),
		chromedp.SetValue(`#ne-title`, "We moved (again)", chromedp.ByID),
		chromedp.Click(`#ne-save`, chromedp.ByID),
		chromedp.WaitVisible(`//h1[text()="We moved (again)"]`, chromedp.BySearch),
		chromedp.Click(`#news-edit summary`, chromedp.ByQuery),
		chromedp.SetUploadFiles(`#ne-image`, []string{png}, chromedp.ByID),
		chromedp.Click(`#ne-image-send`, chromedp.ByID),
		chromedp.WaitVisible(`#article-image`, chromedp.ByID),
		chromedp.Text(`#article h1`, &title, chromedp.ByQuery),
	)
	var loaded bool
	run(t, ctx, "the image loads", chromedp.Poll(`document.getElementById("article-image").naturalWidth === 1`, &loaded, chromedp.WithPollingTimeout(5*time.Second)))

	switchTo(t, ctx, base, "rita")
	var comments string
	run(t, ctx, "rita comments twice and deletes one; she may not edit",
		chromedp.Navigate(articleURL),
		chromedp.WaitVisible(`#nc-body`, chromedp.ByID),
		chromedp.SendKeys(`#nc-body`, "Which _building_?", chromedp.ByID),
		chromedp.Click(`#nc-send`, chromedp.ByID),
		chromedp.WaitVisible(`.comment .rich em`, chromedp.ByQuery),
		chromedp.SendKeys(`#nc-body`, "Never mind", chromedp.ByID),
		chromedp.Click(`#nc-send`, chromedp.ByID),
		chromedp.WaitVisible(`.comment:nth-of-type(2)`, chromedp.ByQuery),
		chromedp.Click(`.comment:nth-of-type(2) form button`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`.comment:nth-of-type(2)`, chromedp.ByQuery),
		chromedp.Text(`#comments`, &comments, chromedp.ByID),
	)
	if !strings.Contains(comments, "Which building?") || strings.Contains(comments, "Never mind") {
		t.Errorf("comments %q", comments)
	}
	var n int
	run(t, ctx, "no edit controls for rita", chromedp.Evaluate(`document.querySelectorAll("#news-edit, #news-delete").length`, &n))
	if n != 0 {
		t.Errorf("rita sees %d edit controls", n)
	}

	switchTo(t, ctx, base, "ann")
	var inbox string
	run(t, ctx, "ann was told; she deletes the article",
		chromedp.Navigate(base+"/inbox"),
		chromedp.WaitVisible(`#inbox`, chromedp.ByID),
		chromedp.Text(`#inbox`, &inbox, chromedp.ByID),
		chromedp.Navigate(articleURL),
		chromedp.WaitVisible(`#news-delete`, chromedp.ByID),
		chromedp.Click(`#news-delete`, chromedp.ByID),
		chromedp.WaitVisible(`#na-title`, chromedp.ByID),
	)
	if !strings.Contains(inbox, "We moved (again): comment (Rita Member)") {
		t.Errorf("inbox %q", inbox)
	}
	if as, _ := w.news.List(context.Background(), w.people["ann"].Subject(), w.team.ID, 10); len(as) != 0 {
		t.Errorf("articles left: %+v", as)
	}
}
