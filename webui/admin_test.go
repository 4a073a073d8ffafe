package webui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"plaza/cmd/plaza/smtpmail"
	"plaza/cmd/plaza/smtpmail/smtptest"
	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/admin"
	"plaza/core/calendar"
	"plaza/core/coretest"
	"plaza/core/invite"
	pmail "plaza/core/mail"
	"plaza/core/newsletter"
	"plaza/core/notify"
	"plaza/core/poll"
	"plaza/core/proposal"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/dav/caldav/ics"
	"plaza/webui"
)

type adminWorld struct {
	srv   *httptest.Server
	smtp  *smtptest.Server
	queue *pmail.Queue
	cal   *calendar.Service
	mu    sync.Mutex
	now   time.Time
}

func (w *adminWorld) clock() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
func (w *adminWorld) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func startAdmin(t *testing.T, db *store.DB) *adminWorld {
	ctx := context.Background()
	w := &adminWorld{now: time.Now().UTC()}
	accts := account.New(db, nil)
	if _, err := accts.Create(ctx, account.NewAccount{Login: "ann", Email: "ann@example.org", Password: "ann-password"}); err != nil {
		t.Fatal(err)
	}
	spaces := space.New(db, nil)
	w.cal = calendar.New(db, acl.New(db), ics.Codec{}, nil)
	w.smtp = smtptest.Start(t, smtptest.Options{})
	tr, err := smtpmail.Parse(w.smtp.URL(), "")
	if err != nil {
		t.Fatal(err)
	}
	blobs := testBlobs(t, db)
	w.queue = pmail.New(db, pmail.Options{Transport: tr, Blobs: blobs})
	tpl, err := pmail.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	inv := invite.New(db, invite.Options{Accounts: accts, Spaces: spaces, Queue: w.queue, Templates: tpl,
		BaseURL: "https://plaza.example", Now: w.clock})
	st := settings.New(db)
	adm := admin.New(db, admin.Options{Accounts: accts, Spaces: spaces, Invites: inv, Settings: st, Blobs: blobs})
	h, err := webui.New(webui.Options{Accounts: accts, Spaces: spaces, Tasks: task.New(db, acl.New(db), nil), Polls: poll.New(db, nil),
		ACL: acl.New(db), Blobs: blobs, Settings: st, Logger: coretest.Logger(t), BaseURL: "http://localhost",
		Jitsi: webui.JitsiOptions{URL: "https://meet.example"},
		AdminOptions: webui.AdminOptions{Admin: adm, Invites: inv, Mail: w.queue,
			Newsletters: newsletter.New(db, newsletter.Options{Spaces: spaces, Queue: w.queue, Blobs: blobs}),
			Notify:      notify.New(db, notify.Options{Queue: w.queue, Templates: tpl}),
			Proposals:   proposal.New(db, spaces, w.cal, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(h)
	t.Cleanup(w.srv.Close)
	return w
}

var inviteLinkRE = regexp.MustCompile(`https://plaza\.example/invite/([A-Za-z0-9_-]+)`)

// The invitation flow over HTTP: an administrator invites a guest by
// email through the API, the mail arrives over SMTP, its link opens a
// form that creates the account, signs the guest in and lands them in
// the space; the link does not work twice, and a shared link is refused
// after 7 days. The guest then sees only their space's people and no
// administration.
func TestInvitationOverHTTP(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAdmin(t, db)
		ann := &client{t, w.srv.URL, &http.Client{Transport: basicAuth{"ann", "ann-password"}}}
		code, body := ann.do("POST", "/api/v1/admin/spaces", `{"slug":"team","name":"The Team"}`)
		if code != 201 {
			t.Fatalf("create space: %d %s", code, body)
		}
		var sp space.Space
		json.Unmarshal([]byte(body), &sp)
		code, body = ann.do("POST", "/api/v1/invitations", `{"space_id":`+itoa(sp.ID)+`,"email":"gus@example.org","type":"guest"}`)
		if code != 201 {
			t.Fatalf("invite: %d %s", code, body)
		}
		if _, _, err := w.queue.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		msgs := w.smtp.Messages()
		if len(msgs) != 1 || msgs[0].To[0] != "gus@example.org" {
			t.Fatalf("mails: %+v", msgs)
		}
		m, _ := mail.ReadMessage(strings.NewReader(string(msgs[0].Data)))
		text, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
		sm := inviteLinkRE.FindSubmatch(text)
		if sm == nil {
			t.Fatalf("no link in\n%s", text)
		}
		token := string(sm[1])

		jar, _ := cookiejar.New(nil)
		gus := &client{t, w.srv.URL, &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		if code, body := gus.do("GET", "/invite/"+token, ""); code != 200 || !strings.Contains(body, "The Team") {
			t.Fatalf("invite page: %d", code)
		}
		form := url.Values{"login": {"gus"}, "name": {"Gus"}, "password": {"gus-password"}, "password2": {"gus-password"}}.Encode()
		code, _ = gus.do("POST", "/invite/"+token, form, "Content-Type", "application/x-www-form-urlencoded")
		if code != http.StatusSeeOther {
			t.Fatalf("accept: %d", code)
		}
		if code, body := gus.do("GET", "/api/v1/me", ""); code != 200 || !strings.Contains(body, `"login":"gus"`) || !strings.Contains(body, `"guest"`) {
			t.Fatalf("me after accepting: %d %s", code, body)
		}
		if code, body := gus.do("GET", "/api/v1/spaces", ""); code != 200 || !strings.Contains(body, `"team"`) {
			t.Errorf("guest spaces: %d %s", code, body)
		}
		anon := &client{t, w.srv.URL, http.DefaultClient}
		if code, _ := anon.do("GET", "/invite/"+token, ""); code != http.StatusForbidden {
			t.Errorf("used link: %d", code)
		}

		// A guest: no user listing, no administration, a directory of their space only.
		if code, _ := gus.do("GET", "/api/v1/admin/users", ""); code != http.StatusForbidden {
			t.Errorf("guest lists users: %d", code)
		}
		if code, _ := gus.do("GET", "/admin", ""); code != http.StatusForbidden {
			t.Errorf("guest admin page: %d", code)
		}
		code, body = gus.do("GET", "/api/v1/directory", "")
		if code != 200 || !strings.Contains(body, `"gus"`) || strings.Contains(body, `"ann"`) {
			t.Errorf("guest directory: %d %s", code, body)
		}
		if code, body := ann.do("GET", "/api/v1/directory?q=gus", ""); code != 200 || !strings.Contains(body, `"gus"`) {
			t.Errorf("owner directory: %d %s", code, body)
		}

		// A member invites on the space's page only when the space allows it.
		code, body = ann.do("POST", "/api/v1/admin/users", `{"login":"mo","password":"mo-password"}`)
		var created0 struct{ User account.Account }
		if json.Unmarshal([]byte(body), &created0); code != 201 || created0.User.ID == 0 {
			t.Fatalf("member account: %d %s", code, body)
		}
		if code, _ := ann.do("PUT", "/api/v1/admin/spaces/"+itoa(sp.ID)+"/members/"+itoa(created0.User.ID), `{"role":"member"}`); code != 204 {
			t.Fatalf("add member: %d", code)
		}
		moc := &client{t, w.srv.URL, &http.Client{Transport: basicAuth{"mo", "mo-password"}}}
		form2 := "email=pal%40example.org&type=user"
		if code, _ := moc.do("POST", "/s/team/invite", form2, "Content-Type", "application/x-www-form-urlencoded"); code != http.StatusForbidden {
			t.Errorf("member invites in a closed space: %d", code)
		}
		if code, _ := ann.do("PATCH", "/api/v1/admin/spaces/"+itoa(sp.ID), `{"allow_member_invites":true}`); code != 200 {
			t.Fatal("allow member invites")
		}
		if code, body := moc.do("POST", "/s/team/invite", form2, "Content-Type", "application/x-www-form-urlencoded"); code != 200 || !strings.Contains(body, "https://plaza.example/invite/") {
			t.Errorf("member invites: %d", code)
		}

		// A shared link, refused after 7 days.
		code, body = ann.do("POST", "/api/v1/invitations", `{"space_id":`+itoa(sp.ID)+`,"type":"user"}`)
		if code != 201 {
			t.Fatal(code, body)
		}
		var created struct{ Link string }
		json.Unmarshal([]byte(body), &created)
		path := strings.TrimPrefix(created.Link, "https://plaza.example")
		if code, _ := anon.do("GET", path, ""); code != 200 {
			t.Errorf("fresh link: %d", code)
		}
		w.advance(invite.Validity)
		if code, _ := anon.do("GET", path, ""); code != http.StatusForbidden {
			t.Errorf("link after 7 days: %d", code)
		}
		if code, _ := anon.do("POST", "/api/v1/invitations/"+path[len("/invite/"):]+"/accept", `{"login":"late","password":"late-password"}`); code != http.StatusForbidden {
			t.Errorf("accept after 7 days: %d", code)
		}
	})
}

// CSV import and export over the API, and the administration page.
func TestAdminUsersAPI(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAdmin(t, db)
		ann := &client{t, w.srv.URL, &http.Client{Transport: basicAuth{"ann", "ann-password"}}}
		csv := "login,email,name,type\nbob,bob@example.org,Bob,user\nBAD LOGIN,x@example.org,,user\ncy,cy@example.org,Cy,guest\n"
		code, body := ann.do("POST", "/api/v1/admin/users/import", csv, "Content-Type", "text/csv")
		if code != 200 {
			t.Fatalf("import: %d %s", code, body)
		}
		var rep admin.ImportReport
		json.Unmarshal([]byte(body), &rep)
		if rep.Created != 2 || len(rep.Rejected) != 1 || rep.Rejected[0].Line != 3 {
			t.Errorf("report %+v", rep)
		}
		if code, body := ann.do("GET", "/api/v1/admin/users/export", ""); code != 200 || !strings.Contains(body, "cy,cy@example.org,Cy,guest,false") {
			t.Errorf("export: %d %s", code, body)
		}
		code, body = ann.do("GET", "/api/v1/admin/users?q=bob", "")
		var list struct {
			Users []account.Account
			Total int
		}
		json.Unmarshal([]byte(body), &list)
		if code != 200 || list.Total != 1 {
			t.Fatalf("list: %d %s", code, body)
		}
		if code, body := ann.do("PATCH", "/api/v1/admin/users/"+itoa(list.Users[0].ID), `{"type":"administrator","disabled":true}`); code != 200 ||
			!strings.Contains(body, `"administrator"`) || !strings.Contains(body, `"disabled":true`) {
			t.Errorf("update: %d %s", code, body)
		}
		if code, _ := ann.do("PATCH", "/api/v1/admin/users/"+itoa(list.Users[0].ID), `{"type":"emperor"}`); code != 400 {
			t.Errorf("bad type: %d", code)
		}
		if code, body := ann.do("POST", "/api/v1/admin/groups", `{"name":"Staff"}`); code != 201 {
			t.Errorf("group: %d %s", code, body)
		}
		if code, _ := ann.do("POST", "/admin/groups", "action=add&group=1&login=bob", "Content-Type", "application/x-www-form-urlencoded"); code != http.StatusSeeOther && code != 200 {
			t.Errorf("add to group: %d", code)
		}
		if code, body := ann.do("GET", "/api/v1/admin/groups/1/members", ""); code != 200 || !strings.Contains(body, `"bob"`) {
			t.Errorf("group members: %d %s", code, body)
		}
		if code, body := ann.do("GET", "/admin", ""); code != 200 || !strings.Contains(body, "bob@example.org") || !strings.Contains(body, "Staff") {
			t.Errorf("admin page: %d", code)
		}
		png := "\x89PNG\r\n\x1a\n-not-really-an-image"
		var lb bytes.Buffer
		lw := multipart.NewWriter(&lb)
		lw.WriteField("name", "Maison")
		lw.WriteField("language", "en")
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", `form-data; name="logo"; filename="logo.png"`)
		h.Set("Content-Type", "image/png")
		pw, _ := lw.CreatePart(h)
		pw.Write([]byte(png))
		lw.Close()
		if code, _ := ann.do("POST", "/admin/settings", lb.String(), "Content-Type", lw.FormDataContentType()); code != http.StatusSeeOther && code != 200 {
			t.Errorf("logo upload: %d", code)
		}
		if code, body := (&client{t, w.srv.URL, http.DefaultClient}).do("GET", "/platform/logo", ""); code != 200 || body != png {
			t.Errorf("logo: %d %q", code, body)
		}
		if code, body := ann.do("PUT", "/api/v1/admin/settings", `{"name":"Maison","language":"fr"}`); code != 200 || !strings.Contains(body, "Maison") {
			t.Errorf("settings: %d %s", code, body)
		}
		if code, _ := ann.do("POST", "/notifications", "mode=digest", "Content-Type", "application/x-www-form-urlencoded"); code != http.StatusSeeOther && code != 200 {
			t.Errorf("notification mode: %d", code)
		}
		if code, body := ann.do("GET", "/notifications", ""); code != 200 || !strings.Contains(body, `value="digest" checked`) {
			t.Errorf("notification page: %d", code)
		}
		if code, _ := ann.do("PUT", "/api/v1/me/notifications", `{"mode":"never"}`); code != 400 {
			t.Errorf("bad mode: %d", code)
		}
		if code, body := ann.do("GET", "/api/v1/admin/mail", ""); code != 200 || !strings.Contains(body, `"pending":2`) {
			t.Errorf("mail queue: %d %s", code, body)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A visitor proposes an event on the public form (with the space's
// password); it shows in the space's administration queue and joins the
// agenda when accepted there.
func TestEventProposalOverHTTP(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAdmin(t, db)
		ann := &client{t, w.srv.URL, &http.Client{Transport: basicAuth{"ann", "ann-password"}}}
		code, body := ann.do("POST", "/api/v1/admin/spaces", `{"slug":"club","name":"Club","public":true,"password":"open sesame"}`)
		if code != 201 {
			t.Fatalf("space: %d %s", code, body)
		}
		var sp space.Space
		json.Unmarshal([]byte(body), &sp)
		anon := &client{t, w.srv.URL, http.DefaultClient}
		if code, body := anon.do("GET", "/s/club/propose", ""); code != 200 || !strings.Contains(body, `name="space_password"`) {
			t.Fatalf("form: %d", code)
		}
		form := url.Values{"name": {"Vi"}, "summary": {"Picnic"}, "start": {"2026-07-01T12:00"}, "end": {"2026-07-01T15:00"}}
		if code, _ := anon.do("POST", "/s/club/propose", form.Encode(), "Content-Type", "application/x-www-form-urlencoded"); code != 403 {
			t.Errorf("without the password: %d", code)
		}
		form.Set("space_password", "open sesame")
		if code, _ := anon.do("POST", "/s/club/propose", form.Encode(), "Content-Type", "application/x-www-form-urlencoded"); code != 200 {
			t.Fatalf("propose: %d", code)
		}
		code, body = ann.do("GET", "/admin/spaces/"+itoa(sp.ID), "")
		m := regexp.MustCompile(`/admin/spaces/\d+/proposals/(\d+)`).FindStringSubmatch(body)
		if code != 200 || m == nil || !strings.Contains(body, "Picnic") {
			t.Fatalf("queue: %d", code)
		}
		if code, _ := ann.do("POST", "/api/v1/admin/proposals/"+m[1], `{"accept":true}`); code != 200 {
			t.Fatalf("accept: %d", code)
		}
		if code, _ := ann.do("POST", "/api/v1/admin/proposals/"+m[1], `{"accept":false}`); code != 409 {
			t.Errorf("decided twice: %d", code)
		}
		id, err := w.cal.EnsureSpace(context.Background(), sp.ID, "Agenda")
		if err != nil {
			t.Fatal(err)
		}
		c, err := w.cal.ByID(context.Background(), core.Subject{AccountID: 1, Type: core.Owner}, id)
		if err != nil {
			t.Fatal(err)
		}
		objs, _ := w.cal.List(context.Background(), c)
		if len(objs) != 1 {
			t.Errorf("agenda has %d events", len(objs))
		}
	})
}

// A newsletter composed on the page, with an attachment and the space's
// video call link, reaches the members over SMTP; the history lists it.
func TestNewsletterPage(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAdmin(t, db)
		ann := &client{t, w.srv.URL, &http.Client{Transport: basicAuth{"ann", "ann-password"}}}
		if code, body := ann.do("POST", "/api/v1/admin/spaces", `{"slug":"team","name":"Team","admin_id":1}`); code != 201 {
			t.Fatalf("space: %d %s", code, body)
		}
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("subject", "Monthly news")
		mw.WriteField("body", "Hello **team**\n\n<script>x()</script>")
		mw.WriteField("jitsi", "on")
		fw, _ := mw.CreateFormFile("files", "minutes.txt")
		fw.Write([]byte("minutes of the meeting"))
		mw.Close()
		code, body := ann.do("POST", "/s/team/newsletter", buf.String(), "Content-Type", mw.FormDataContentType())
		m := regexp.MustCompile(`/s/team/newsletter/(\d+)/send`).FindStringSubmatch(body)
		if code != 200 || m == nil {
			t.Fatalf("compose: %d %s", code, body)
		}
		if code, _ := ann.do("POST", "/s/team/newsletter/"+m[1]+"/send", "members=on&extra=friend%40example.net", "Content-Type", "application/x-www-form-urlencoded"); code != http.StatusSeeOther && code != 200 {
			t.Fatalf("send: %d", code)
		}
		if _, _, err := w.queue.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := w.smtp.Messages()
		if len(got) != 2 {
			t.Fatalf("%d mails", len(got))
		}
		data := string(got[0].Data)
		if !strings.Contains(data, "minutes.txt") || !strings.Contains(data, "https://meet.example/") || strings.Contains(data, "x()") ||
			!strings.Contains(data, "<strong>team</strong>") {
			t.Errorf("mail:\n%s", data)
		}
		if code, body := ann.do("GET", "/s/team/newsletter", ""); code != 200 || !strings.Contains(body, "Monthly news") {
			t.Errorf("history: %d", code)
		}
	})
}
