package main

import (
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"plaza/cmd/plaza/smtpmail/smtptest"
	"plaza/core/coretest"
)

func send(t *testing.T, method, url, user, pass, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// `plaza serve` with PLAZA_SMTP_URL: an invitation made over the API is
// mailed by the server's own sender, and its link creates the account.
func TestServeSendsInvitationMail(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			smtp := smtptest.Start(t, smtptest.Options{})
			in := newInstance(t, d)
			srv := in.serve("PLAZA_ADMIN_PASSWORD=first-owner-pw", "PLAZA_ADMIN_LOGIN=root", "PLAZA_SMTP_URL="+smtp.URL())
			code, body := send(t, "POST", srv.url+"/api/v1/admin/spaces", "root", "first-owner-pw", `{"slug":"team","name":"Team"}`)
			if code != 201 {
				t.Fatalf("space: %d %s", code, body)
			}
			id := regexp.MustCompile(`"id":(\d+)`).FindStringSubmatch(body)[1]
			code, body = send(t, "POST", srv.url+"/api/v1/invitations", "root", "first-owner-pw",
				`{"space_id":`+id+`,"email":"gus@example.org","type":"guest","language":"fr"}`)
			if code != 201 {
				t.Fatalf("invite: %d %s", code, body)
			}
			msgs := smtp.Wait(1, 20*time.Second)
			if len(msgs) != 1 {
				t.Fatalf("%d mails", len(msgs))
			}
			m, err := mail.ReadMessage(strings.NewReader(string(msgs[0].Data)))
			if err != nil {
				t.Fatal(err)
			}
			text, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
			if !strings.Contains(string(text), "vous invite") || !strings.HasSuffix(msgs[0].From, "@127.0.0.1") {
				t.Errorf("mail from %s:\n%s", msgs[0].From, text)
			}
			link := regexp.MustCompile(`http://\S+/invite/([A-Za-z0-9_-]+)`).FindSubmatch(text)
			if link == nil {
				t.Fatalf("no link in\n%s", text)
			}
			if code, _ := get(t, string(link[0]), "", ""); code != 200 {
				t.Errorf("invitation page: %d", code)
			}
			code, body = send(t, "POST", srv.url+"/api/v1/invitations/"+string(link[1])+"/accept", "", "",
				`{"login":"gus","name":"Gus","password":"gus-password"}`)
			if code != 201 {
				t.Fatalf("accept: %d %s", code, body)
			}
			if code, body := get(t, srv.url+"/api/v1/me", "gus", "gus-password"); code != 200 || !strings.Contains(body, `"guest"`) {
				t.Errorf("me: %d %s", code, body)
			}
		})
	}
}
