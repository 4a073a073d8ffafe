package main

import (
	"context"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/calendar"
	"plaza/core/coretest"
	"plaza/core/files"
	"plaza/core/forum"
	"plaza/core/links"
	"plaza/core/news"
	"plaza/core/poll"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/core/wiki"
)

// crawlWorld is the whole server, wired as `plaza serve` wires it, on a
// random loopback port, with a little of everything in it.
type crawlWorld struct {
	url string
	svc *services
}

func startCrawlWorld(t *testing.T, d store.Dialect) *crawlWorld {
	t.Helper()
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := Config{Addr: ln.Addr().String(), BaseURL: base, DataDir: t.TempDir(), JitsiURL: "https://meet.example",
		JitsiAppID: "plaza", LogLevel: "info"}
	if d == store.Postgres {
		cfg.DatabaseURL = coretest.FreshPostgresURL(t)
	}
	svc, err := open(ctx, cfg, coretest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	h, _, err := routes(svc, newMetrics(svc.db))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	seedCrawlWorld(t, svc)
	return &crawlWorld{url: base, svc: svc}
}

// seedCrawlWorld makes an owner, a member and a guest of a private space
// "team", a public space "lobby", and one of each kind of content, all
// titled with the word "alpha" so that one search finds every kind.
func seedCrawlWorld(t *testing.T, svc *services) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mk := func(login, name string, typ core.AccountType) *account.Account {
		a, err := svc.accounts.Create(ctx, account.NewAccount{Login: login, Name: name, Email: login + "@example.org",
			Password: "password-" + login, Type: typ})
		must(err)
		return a
	}
	olga, mia, gus := mk("olga", "Olga Owner", ""), mk("mia", "Mia Member", core.User), mk("gus", "Gus Guest", core.Guest)
	team, err := svc.spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "The Team"})
	must(err)
	lobby, err := svc.spaces.Create(ctx, space.NewSpace{Slug: "lobby", Name: "The Lobby", Public: true})
	must(err)
	must(svc.spaces.SetMember(ctx, team.ID, olga.ID, space.RoleAdmin))
	must(svc.spaces.SetMember(ctx, team.ID, mia.ID, space.RoleMember))
	must(svc.spaces.SetMember(ctx, team.ID, gus.ID, space.RoleMember))
	must(svc.spaces.SetMember(ctx, lobby.ID, olga.ID, space.RoleAdmin))
	o, m := olga.Subject(), mia.Subject()

	// Tasks: one late, one due soon, one done.
	list, err := svc.tasks.CreateList(ctx, o, team.ID, "Alpha plan", nil)
	must(err)
	today := time.Now().UTC()
	for i, in := range []task.Input{
		{Title: "Alpha late", DueDate: today.AddDate(0, 0, -3).Format(time.DateOnly), Assignees: []int64{mia.ID}},
		{Title: "Alpha soon", StartDate: today.Format(time.DateOnly), DueDate: today.AddDate(0, 0, 2).Format(time.DateOnly), Assignees: []int64{mia.ID, olga.ID}},
		{Title: "Alpha someday", Description: "no date"},
	} {
		if _, err := svc.tasks.Add(ctx, o, list.ID, in); err != nil {
			t.Fatalf("task %d: %v", i, err)
		}
	}
	// Files: a folder with a file, a file, a file deleted to the trash.
	root, err := svc.files.SpaceRoot(ctx, team.ID)
	must(err)
	_, err = svc.files.Mkdir(ctx, o, root, files.Path{"alpha-docs"})
	must(err)
	put := func(p files.Path, body string) *files.Node {
		n, _, err := svc.files.Put(ctx, o, root, p, strings.NewReader(body), files.PutOptions{ContentType: "text/plain"})
		must(err)
		return n
	}
	put(files.Path{"alpha-docs", "alpha-readme.txt"}, "alpha read me")
	put(files.Path{"alpha-notes.txt"}, "alpha notes")
	must(svc.files.Delete(ctx, o, put(files.Path{"alpha-old.txt"}, "alpha old")))
	// Agenda: an event of the space, one in Olga's personal calendar.
	if _, err := svc.calendar.Home(ctx, o); err != nil {
		t.Fatal(err)
	}
	agenda, err := svc.calendar.Resolve(ctx, o, "agenda@team")
	must(err)
	personal, err := svc.calendar.Resolve(ctx, o, "personal")
	must(err)
	ev := func(uid, summary string, at time.Time) []byte {
		return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
			"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:" + at.Format("20060102T150405Z") + "\r\nDURATION:PT1H\r\nSUMMARY:" + summary +
			"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	}
	_, _, err = svc.calendar.Put(ctx, o, agenda, "review.ics", ev("review", "Alpha review", today.Add(26*time.Hour).Truncate(time.Hour)), calendar.Conditions{})
	must(err)
	_, _, err = svc.calendar.Put(ctx, o, personal, "dentist.ics", ev("dentist", "Alpha dentist", today.Add(50*time.Hour).Truncate(time.Hour)), calendar.Conditions{})
	must(err)
	// Contacts: a card in the space's directory.
	dirID, err := svc.contacts.EnsureSpace(ctx, team.ID, "Directory")
	must(err)
	dir, err := svc.contacts.ByID(ctx, o, dirID)
	must(err)
	_, _, err = svc.contacts.Put(ctx, o, dir, "ada.vcf", []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ada\r\nFN:Alpha Lovelace\r\nEMAIL:ada@example.org\r\nEND:VCARD\r\n"), calendar.Conditions{})
	must(err)
	// Forum, news, poll, chat, wiki, links.
	for _, sp := range []*space.Space{team, lobby} {
		cat, err := svc.forum.CreateCategory(ctx, o, forum.NewCategory{SpaceID: sp.ID, Slug: "general", Name: "General"})
		must(err)
		topic, err := svc.forum.CreateTopic(ctx, o, cat.ContainerID, forum.NewTopic{Title: "Alpha topic", Body: "Hello"})
		must(err)
		_, err = svc.forum.Reply(ctx, o, topic.ContainerID, forum.NewPost{Body: "A reply"})
		must(err)
		_, err = svc.news.Create(ctx, o, news.NewArticle{SpaceID: sp.ID, Title: "Alpha news", Summary: "Short", Body: "Long"})
		must(err)
	}
	_, err = svc.polls.Create(ctx, o, poll.NewPoll{SpaceID: team.ID, Question: "Alpha lunch?", Options: []string{"Yes", "No"}})
	must(err)
	conv, err := svc.chat.Start(ctx, o, team.ID, "direct", "", []int64{mia.ID})
	must(err)
	_, err = svc.chat.Post(ctx, m, conv.ID, "alpha hello")
	must(err)
	wf, err := svc.content.Wiki.CreateFolder(ctx, o, team.ID, "Handbook", nil)
	must(err)
	_, err = svc.content.Wiki.Create(ctx, o, wf.ID, wiki.Input{Title: "Alpha guide", Body: "# Guide"})
	must(err)
	lf, err := svc.content.Links.CreateFolder(ctx, o, team.ID, "Bookmarks", nil)
	must(err)
	_, err = svc.content.Links.Add(ctx, o, lf.ID, links.Input{URL: "https://example.org/", Title: "Alpha site"})
	must(err)
	// Search index and activity feed, as the server's indexer makes them.
	if _, err := svc.indexer.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}

// crawler follows every link a page offers, as one person.
type crawler struct {
	t        *testing.T
	role     string
	base     *url.URL
	client   *http.Client
	seen     map[string]bool
	expanded map[string]int
	checked  int
	// pages are the HTML pages met, one per shape.
	pages []string
}

var (
	linkAttr = regexp.MustCompile(`(?i)\s(?:href|src)="([^"]*)"`)
	digits   = regexp.MustCompile(`[0-9]+`)
)

// shape is what pages of one kind share: their path with numbers blanked
// and their query's names. A shape is expanded a few times only, so that
// endless calendars (next month, next month…) end.
func shape(u *url.URL) string {
	keys := []string{}
	for k := range u.Query() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return digits.ReplaceAllString(u.Path, "N") + "?" + strings.Join(keys, "&")
}

func (c *crawler) crawl(starts ...string) {
	type item struct{ url, from string }
	var queue []item
	for _, s := range starts {
		queue = append(queue, item{c.base.String() + s, "(start)"})
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if c.seen[it.url] {
			continue
		}
		c.seen[it.url] = true
		resp, err := c.client.Get(it.url)
		if err != nil {
			c.t.Fatalf("%s: GET %s: %v", c.role, it.url, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c.checked++
		if os.Getenv("CRAWL_DEBUG") != "" {
			c.t.Logf("%s %d %s", c.role, resp.StatusCode, it.url)
		}
		if resp.StatusCode >= 400 {
			c.t.Errorf("%s: %s (offered by %s) → %d", c.role, it.url, it.from, resp.StatusCode)
			continue
		}
		final := resp.Request.URL
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || final.Host != c.base.Host {
			continue
		}
		if c.expanded[shape(final)] >= 3 {
			continue
		}
		if c.expanded[shape(final)] == 0 {
			c.pages = append(c.pages, final.String())
		}
		c.expanded[shape(final)]++
		for _, m := range linkAttr.FindAllStringSubmatch(string(body), -1) {
			ref, err := final.Parse(html.UnescapeString(m[1]))
			if err != nil {
				c.t.Errorf("%s: %s offers a bad address %q", c.role, final, m[1])
				continue
			}
			if ref.Host != c.base.Host || (ref.Scheme != "http" && ref.Scheme != "https") {
				continue // another site (Jitsi, maps), mailto:, tel:
			}
			ref.Fragment = ""
			if !c.seen[ref.String()] {
				queue = append(queue, item{ref.String(), final.String()})
			}
		}
	}
}

// signIn returns a client with a session of login, through the sign-in form.
func signIn(t *testing.T, base, login string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(base+"/login", url.Values{"login": {login}, "password": {"password-" + login}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/spaces" {
		t.Fatalf("sign in as %s: %d at %s", login, resp.StatusCode, resp.Request.URL)
	}
	return c
}

// No dead ends: every link, image, script and style that any page offers
// to the owner, a member, a guest or an anonymous visitor answers without
// an error, with data of every kind present.
func TestCrawlEveryLinkAsEveryRole(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			w := startCrawlWorld(t, d)
			base, _ := url.Parse(w.url)
			total := 0
			for _, role := range []struct{ name, login string }{
				{"owner", "olga"}, {"member", "mia"}, {"guest", "gus"}, {"visitor", ""},
			} {
				client := &http.Client{}
				if role.login != "" {
					client = signIn(t, w.url, role.login)
				}
				c := &crawler{t: t, role: role.name, base: base, client: client, seen: map[string]bool{}, expanded: map[string]int{}}
				starts := []string{"/", "/search?q=alpha", "/activity", "/s/team"}
				if role.name != "guest" { // a guest sees only the spaces it was invited into
					starts = append(starts, "/s/lobby/forum", "/s/lobby/news")
				}
				c.crawl(starts...)
				t.Logf("%s: %d links checked", role.name, c.checked)
				if role.name == "member" {
					// Forms are offered only to who may use them.
					resp, err := client.Get(w.url + "/s/team/forum")
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if strings.Contains(string(b), `action="/s/team/forum"`) {
						t.Error("a member is offered the administrators' forum category form")
					}
				}
				total += c.checked
			}
			t.Logf("crawler: %d links checked in all", total)
		})
	}
}

func pageBody(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	return html.UnescapeString(string(b))
}

// The personal home and a space's dashboard show what needs attention,
// in widgets each person orders and hides for themselves.
func TestDashboards(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			w := startCrawlWorld(t, d)
			mia, olga := signIn(t, w.url, "mia"), signIn(t, w.url, "olga")
			home := pageBody(t, mia, w.url+"/spaces")
			for _, want := range []string{"My tasks: late or due this week", "Alpha late", "Alpha soon", "late",
				"Next events", "Alpha review", "Polls awaiting your answer", "Alpha lunch?", "Latest activity", "Unread in the forum", "Alpha topic"} {
				if !strings.Contains(home, want) {
					t.Errorf("mia's home lacks %q", want)
				}
			}
			if strings.Contains(home, "Alpha someday") || strings.Contains(home, "Alpha dentist") {
				t.Error("mia's home shows a task without a date or olga's personal event")
			}
			if strings.Index(home, "Alpha late") > strings.Index(home, "Alpha soon") {
				t.Error("late tasks do not come first")
			}
			// Olga has mia's message to read.
			ohome := pageBody(t, olga, w.url+"/spaces")
			if !strings.Contains(ohome, "Unread chat") || !strings.Contains(ohome, `href="/s/team/chat"`) || !strings.Contains(ohome, "Alpha dentist") {
				t.Error("olga's home lacks her unread chat or her personal event")
			}
			space := pageBody(t, mia, w.url+"/s/team")
			if !strings.Contains(space, "Alpha late") || !strings.Contains(space, `action="/dashboard"`) {
				t.Error("the space dashboard lacks mia's tasks or the layout form")
			}
			// Mia puts polls first and hides the activity on her home.
			csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(home)[1]
			form := url.Values{"_csrf": {csrf}, "scope": {"home"}, "back": {"/spaces"}}
			for i, name := range []string{"polls", "tasks", "events", "activity", "chat", "forum"} {
				form.Set("pos_"+name, strconv.Itoa(i+1))
				if name != "activity" {
					form.Set("show_"+name, "on")
				}
			}
			resp, err := mia.PostForm(w.url+"/dashboard", form)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Request.URL.Path != "/spaces" {
				t.Fatalf("save the layout: %d at %s", resp.StatusCode, resp.Request.URL)
			}
			home = pageBody(t, mia, w.url+"/spaces")
			if strings.Contains(home, `id="w-activity"`) || strings.Index(home, `id="w-polls"`) > strings.Index(home, `id="w-tasks"`) {
				t.Error("mia's layout is not applied")
			}
			// Hers only, and only on her home.
			if o := pageBody(t, olga, w.url+"/spaces"); !strings.Contains(o, `id="w-activity"`) {
				t.Error("mia's layout changed olga's home")
			}
			if sp := pageBody(t, mia, w.url+"/s/team"); !strings.Contains(sp, `id="w-activity"`) {
				t.Error("mia's home layout changed the space dashboard")
			}
			form.Set("scope", "nowhere")
			if resp, _ := mia.PostForm(w.url+"/dashboard", form); resp.StatusCode != 400 {
				t.Errorf("layout of an unknown scope: %d, want 400", resp.StatusCode)
			}
		})
	}
}

// Chat shows times in the reader's zone and date format, like every other
// page, and the profile offers every IANA zone.
func TestChatTimesFollowTheProfile(t *testing.T) {
	w := startCrawlWorld(t, store.SQLite)
	ctx := context.Background()
	olga, err := w.svc.accounts.ByLogin(ctx, "olga")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.accounts.UpdateProfile(ctx, olga.ID, account.Profile{Name: "Olga Owner", Language: "en",
		Timezone: "Pacific/Chatham", DateFormat: "dmy", PersonalCalendar: true}); err != nil {
		t.Fatal(err)
	}
	c := signIn(t, w.url, "olga")
	chat := pageBody(t, c, w.url+"/s/team/chat")
	conv := regexp.MustCompile(`href="/s/team/chat/([0-9]+)"`).FindStringSubmatch(chat)
	if conv == nil {
		t.Fatal("no conversation listed")
	}
	page := pageBody(t, c, w.url+"/s/team/chat/"+conv[1])
	zone, _ := time.LoadLocation("Pacific/Chatham") // +12:45 or +13:45: no other zone gives these minutes
	now := time.Now()
	ok := false
	for _, d := range []time.Duration{-time.Minute, 0, time.Minute} {
		ok = ok || strings.Contains(page, now.Add(d).In(zone).Format("02/01/2006 15:04"))
	}
	if !ok || !strings.Contains(page, `data-tz="Pacific/Chatham"`) {
		t.Errorf("chat times are not in the reader's zone and format")
	}
	profile := pageBody(t, c, w.url+"/profile")
	if n := strings.Count(profile, "<option>"); n < 300 || !strings.Contains(profile, "<option>America/Argentina/Ushuaia</option>") {
		t.Errorf("the profile offers %d zones", n)
	}
}
