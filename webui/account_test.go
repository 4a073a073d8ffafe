package webui_test

import (
	"context"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"plaza/cmd/plaza/smtpmail"
	"plaza/cmd/plaza/smtpmail/smtptest"
	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/admin"
	"plaza/core/coretest"
	"plaza/core/files"
	pmail "plaza/core/mail"
	"plaza/core/poll"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/webui"
)

// accountWorld is a server with mail (over a test SMTP server), password
// resets and administration, and four people: ann the owner, adam a
// plain administrator, sam the administrator of space "team" and mia a
// member of it; oscar is in no space.
type accountWorld struct {
	srv      *httptest.Server
	smtp     *smtptest.Server
	queue    *pmail.Queue
	accounts *account.Service
	team     *space.Space
	people   map[string]*account.Account
	db       *store.DB
}

func startAccounts(t *testing.T, db *store.DB) *accountWorld {
	ctx := context.Background()
	w := &accountWorld{db: db, accounts: account.New(db, nil), people: map[string]*account.Account{}}
	spaces := space.New(db, nil)
	for _, p := range []struct {
		login string
		typ   core.AccountType
	}{{"ann", core.User}, {"adam", core.Administrator}, {"sam", core.User}, {"mia", core.User}, {"oscar", core.User}} {
		a, err := w.accounts.Create(ctx, account.NewAccount{Login: p.login, Email: p.login + "@example.org", Type: p.typ, Password: p.login + "-password"})
		if err != nil {
			t.Fatal(err)
		}
		w.people[p.login] = a
	}
	w.team, _ = spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "The Team"})
	spaces.SetMember(ctx, w.team.ID, w.people["sam"].ID, space.RoleAdmin)
	spaces.SetMember(ctx, w.team.ID, w.people["mia"].ID, space.RoleMember)
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
	st := settings.New(db)
	engine := acl.New(db)
	adm := admin.New(db, admin.Options{Accounts: w.accounts, Spaces: spaces, Settings: st, Blobs: blobs})
	h, err := webui.New(webui.Options{Accounts: w.accounts, Spaces: spaces, Tasks: task.New(db, engine, nil), Polls: poll.New(db, nil),
		ACL: engine, Blobs: blobs, Files: files.New(files.Options{DB: db, Blobs: blobs}), Settings: st, Logger: coretest.Logger(t),
		BaseURL: "http://localhost", Jitsi: webui.JitsiOptions{URL: "https://meet.example"},
		AdminOptions: webui.AdminOptions{Admin: adm, Mail: w.queue,
			Resets: account.NewResets(w.accounts, account.ResetOptions{Queue: w.queue, Templates: tpl, BaseURL: "https://plaza.example"})}})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(h)
	t.Cleanup(w.srv.Close)
	return w
}

func (w *accountWorld) basic(t *testing.T, login, password string) *client {
	return &client{t, w.srv.URL, &http.Client{Transport: basicAuth{login, password}}}
}

var resetLinkRE = regexp.MustCompile(`https://plaza\.example(/password/reset/[A-Za-z0-9_-]+)`)

// sendMail delivers the queue and returns the reset link path mailed to
// address ("" when none).
func (w *accountWorld) resetLink(t *testing.T, address string) string {
	t.Helper()
	if _, _, err := w.queue.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	link := ""
	for _, m := range w.smtp.Messages() {
		if m.To[0] != address {
			continue
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
		if err != nil {
			t.Fatal(err)
		}
		text, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if sm := resetLinkRE.FindSubmatch(text); sm != nil {
			link = string(sm[1])
		}
	}
	return link
}

// Self-service over the JSON API: change of password, app passwords
// (and what they may not do), the second factor, reset by mail.
func TestAccountSelfServiceAPI(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAccounts(t, db)
		mia := w.basic(t, "mia", "mia-password")
		if code, body := mia.do("PUT", "/api/v1/me/password", `{"current":"wrong-password","new":"mia-new-password"}`); code != 400 || !strings.Contains(body, "current password is wrong") {
			t.Errorf("wrong current password: %d %s", code, body)
		}
		if code, body := mia.do("PUT", "/api/v1/me/password", `{"current":"mia-password","new":"short"}`); code != 400 {
			t.Errorf("short password: %d %s", code, body)
		}
		if code, body := mia.do("PUT", "/api/v1/me/password", `{"current":"mia-password","new":"mia-new-password"}`); code != 204 {
			t.Fatalf("change: %d %s", code, body)
		}
		if code, _ := mia.do("GET", "/api/v1/me", ""); code != 401 {
			t.Errorf("old password after the change: %d", code)
		}
		mia = w.basic(t, "mia", "mia-new-password")

		// App passwords: made, listed, used, limited, revoked.
		code, body := mia.do("POST", "/api/v1/me/app-passwords", `{"label":"Phone"}`)
		var ap struct {
			ID       int64
			Label    string
			Password string
		}
		if json.Unmarshal([]byte(body), &ap); code != 201 || !strings.HasPrefix(ap.Password, "plz-") || ap.Label != "Phone" {
			t.Fatalf("create app password: %d %s", code, body)
		}
		if code, _ := mia.do("POST", "/api/v1/me/app-passwords", `{"label":""}`); code != 400 {
			t.Errorf("app password without a label: %d", code)
		}
		if code, body := mia.do("GET", "/api/v1/me/app-passwords", ""); code != 200 || !strings.Contains(body, `"label":"Phone"`) || strings.Contains(body, ap.Password) {
			t.Errorf("list: %d %s", code, body)
		}
		phone := w.basic(t, "mia", ap.Password)
		if code, body := phone.do("GET", "/api/v1/me", ""); code != 200 || !strings.Contains(body, `"login":"mia"`) {
			t.Errorf("app password on the API: %d %s", code, body)
		}
		for _, req := range [][2]string{
			{"POST /api/v1/me/app-passwords", `{"label":"another"}`},
			{"PUT /api/v1/me/password", `{"current":"mia-new-password","new":"phone-chosen-pw"}`},
			{"POST /api/v1/me/totp", ``},
		} {
			method, path, _ := strings.Cut(req[0], " ")
			if code, _ := phone.do(method, path, req[1]); code != 403 {
				t.Errorf("app password does %s: %d, want 403", req[0], code)
			}
		}
		if code, _ := mia.do("DELETE", "/api/v1/me/app-passwords/"+itoa(ap.ID), ""); code != 204 {
			t.Errorf("revoke: %d", code)
		}
		if code, _ := phone.do("GET", "/api/v1/me", ""); code != 401 {
			t.Errorf("revoked app password: %d", code)
		}
		if code, _ := mia.do("DELETE", "/api/v1/me/app-passwords/"+itoa(ap.ID), ""); code != 404 {
			t.Errorf("revoke twice: %d", code)
		}

		// The second factor: Basic takes app passwords only, the session
		// login asks for a code.
		code, body = mia.do("POST", "/api/v1/me/totp", "")
		var enrol struct{ URI, Secret string }
		if json.Unmarshal([]byte(body), &enrol); code != 201 || enrol.Secret == "" || !strings.HasPrefix(enrol.URI, "otpauth://totp/") {
			t.Fatalf("begin TOTP: %d %s", code, body)
		}
		if code, _ := mia.do("POST", "/api/v1/me/totp/confirm", `{"code":"000000"}`); code != 400 {
			t.Errorf("wrong confirmation code: %d", code)
		}
		now := time.Now()
		otpCode, _ := totp.GenerateCode(enrol.Secret, now)
		code, body = mia.do("POST", "/api/v1/me/totp/confirm", `{"code":"`+otpCode+`"}`)
		var rec struct {
			RecoveryCodes []string `json:"recovery_codes"`
		}
		if json.Unmarshal([]byte(body), &rec); code != 200 || len(rec.RecoveryCodes) != account.RecoveryCodeCount {
			t.Fatalf("confirm: %d %s", code, body)
		}
		if code, _ := mia.do("GET", "/api/v1/me", ""); code != 401 {
			t.Errorf("Basic with the password and TOTP on: %d, want 401", code)
		}
		dav := &client{t, w.srv.URL, http.DefaultClient}
		if code, _ := dav.do("POST", "/api/v1/session", `{"login":"mia","password":"mia-new-password"}`); code != 401 {
			t.Errorf("session without a code: %d", code)
		}
		if code, body := dav.do("POST", "/api/v1/session", `{"login":"mia","password":"mia-new-password"}`); !strings.Contains(body, `"code_required":true`) {
			t.Errorf("session without a code says: %d %s", code, body)
		}
		if code, _ := dav.do("POST", "/api/v1/session", `{"login":"mia","password":"mia-new-password","code":"`+rec.RecoveryCodes[0]+`"}`); code != 200 {
			t.Errorf("session with a recovery code: %d", code)
		}

		// Reset by mail: the same answer for any address, a link once.
		anon := &client{t, w.srv.URL, http.DefaultClient}
		code1, body1 := anon.do("POST", "/api/v1/password-resets", `{"email":"oscar@example.org"}`)
		code2, body2 := anon.do("POST", "/api/v1/password-resets", `{"email":"nobody@example.org"}`)
		if code1 != 202 || code1 != code2 || body1 != body2 {
			t.Errorf("reset answers differ: %d %s / %d %s", code1, body1, code2, body2)
		}
		link := w.resetLink(t, "oscar@example.org")
		if link == "" {
			t.Fatal("no reset link mailed")
		}
		token := strings.TrimPrefix(link, "/password/reset/")
		if code, _ := anon.do("POST", "/api/v1/password-resets/"+token, `{"password":"short"}`); code != 400 {
			t.Errorf("short password: %d", code)
		}
		if code, _ := anon.do("POST", "/api/v1/password-resets/"+token, `{"password":"oscar-new-password"}`); code != 204 {
			t.Errorf("complete: %d", code)
		}
		if code, _ := anon.do("POST", "/api/v1/password-resets/"+token, `{"password":"oscar-again-password"}`); code != 404 {
			t.Errorf("link used twice: %d", code)
		}
		if code, _ := w.basic(t, "oscar", "oscar-new-password").do("GET", "/api/v1/me", ""); code != 200 {
			t.Errorf("new password: %d", code)
		}
	})
}

// Only the owner manages administrators, over the API and the admin
// page; members list their space's people; a space administrator
// archives the space, which its members still read.
func TestOwnerRulesMembersAndArchive(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAccounts(t, db)
		adam, ann := w.basic(t, "adam", "adam-password"), w.basic(t, "ann", "ann-password")
		mia, sam, oscar := w.basic(t, "mia", "mia-password"), w.basic(t, "sam", "sam-password"), w.basic(t, "oscar", "oscar-password")
		form := "Content-Type"
		if code, body := adam.do("PATCH", "/api/v1/admin/users/"+itoa(w.people["oscar"].ID), `{"type":"administrator"}`); code != 403 {
			t.Errorf("administrator promotes over the API: %d %s", code, body)
		}
		if code, _ := adam.do("POST", "/admin/users/"+itoa(w.people["oscar"].ID), "type=administrator", form, "application/x-www-form-urlencoded"); code != 403 {
			t.Errorf("administrator promotes on the admin page: %d", code)
		}
		if code, _ := ann.do("PATCH", "/api/v1/admin/users/"+itoa(w.people["oscar"].ID), `{"type":"administrator"}`); code != 200 {
			t.Errorf("owner promotes: %d", code)
		}
		if code, _ := adam.do("PATCH", "/api/v1/admin/users/"+itoa(w.people["oscar"].ID), `{"disabled":true}`); code != 403 {
			t.Errorf("administrator deactivates an administrator: %d", code)
		}
		if code, _ := adam.do("POST", "/admin/users/"+itoa(w.people["oscar"].ID), "disabled=true", form, "application/x-www-form-urlencoded"); code != 403 {
			t.Errorf("administrator deactivates an administrator on the page: %d", code)
		}
		if code, _ := ann.do("PATCH", "/api/v1/admin/users/"+itoa(w.people["oscar"].ID), `{"type":"user"}`); code != 200 {
			t.Errorf("owner demotes: %d", code)
		}
		if code, _ := adam.do("PATCH", "/api/v1/admin/users/"+itoa(w.people["mia"].ID), `{"name":"Mia M."}`); code != 200 {
			t.Errorf("administrator edits a user: %d", code)
		}

		// Member list, for members only.
		code, body := mia.do("GET", "/api/v1/spaces/team/members", "")
		if code != 200 || !strings.Contains(body, `"login":"sam","name":"sam","role":"admin"`) || !strings.Contains(body, `"login":"mia"`) || strings.Contains(body, "@example.org") {
			t.Errorf("members: %d %s", code, body)
		}
		if code, _ := oscar.do("GET", "/api/v1/spaces/team/members", ""); code != 404 {
			t.Errorf("outsider lists members: %d", code)
		}
		if code, body := mia.do("GET", "/s/team/members", ""); code != 200 || !strings.Contains(body, "Space administrator") || !strings.Contains(body, `href="/s/team/members"`) {
			t.Errorf("members page: %d", code)
		}

		// Archive: refused to a member, done by the space administrator.
		if code, _ := mia.do("POST", "/api/v1/admin/spaces/"+itoa(w.team.ID)+"/archive", `{"archived":true}`); code != 403 {
			t.Errorf("member archives: %d", code)
		}
		if code, _ := mia.do("POST", "/s/team/archive", "", form, "application/x-www-form-urlencoded"); code != 403 {
			t.Errorf("member archives on the page: %d", code)
		}
		if code, body := sam.do("POST", "/api/v1/admin/spaces/"+itoa(w.team.ID)+"/archive", `{"archived":true}`); code != 204 {
			t.Fatalf("space admin archives: %d %s", code, body)
		}
		if code, body := mia.do("GET", "/s/team", ""); code != 200 {
			t.Errorf("member opens the archived space: %d", code)
		} else if code, body = mia.do("GET", "/s/team/members", ""); !strings.Contains(body, `id="archived-notice"`) {
			t.Errorf("members page of the archived space: %d", code)
		}
		if code, _ := oscar.do("GET", "/s/team", ""); code != 404 {
			t.Errorf("outsider opens the archived space: %d", code)
		}
		if code, body := sam.do("POST", "/s/team/archive", "", form, "application/x-www-form-urlencoded"); code != 200 || !strings.Contains(body, "Archive this space") {
			t.Errorf("space admin restores on the page: %d", code)
		}
		if code, body := mia.do("GET", "/api/v1/spaces/team/members", ""); code != 200 || !strings.Contains(body, `"archived":false`) {
			t.Errorf("restored: %d %s", code, body)
		}
	})
}
