package newsletter_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"plaza/cmd/plaza/smtpmail"
	"plaza/cmd/plaza/smtpmail/smtptest"
	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/admin"
	"plaza/core/blob"
	"plaza/core/contacts"
	"plaza/core/coretest"
	pmail "plaza/core/mail"
	"plaza/core/newsletter"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/dav/carddav/vcf"
)

// The acceptance scenario: a newsletter to 30 members and a directory of
// 12 contacts (2 of them also members) reaches each of the 40 addresses
// exactly once, with its attachment, although the SMTP server is down
// when it is sent and the sending process is replaced by a new one.
func TestNewsletterReachesEveryoneOnceAcrossOutageAndRestart(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accounts, spaces := account.New(db, nil), space.New(db, nil)
		blobs, err := blob.New(blob.Options{Dir: t.TempDir(), DB: db})
		if err != nil {
			t.Fatal(err)
		}
		owner, err := accounts.Create(ctx, account.NewAccount{Login: "owner", Email: "owner@example.org", Password: "owner-password"})
		if err != nil {
			t.Fatal(err)
		}
		adm := admin.New(db, admin.Options{Accounts: accounts, Spaces: spaces, Settings: settings.New(db)})
		var csvRows strings.Builder
		csvRows.WriteString("login,email\n")
		for i := range 30 {
			fmt.Fprintf(&csvRows, "m%02d,m%02d@example.org\n", i, i)
		}
		csvRows.WriteString("nomail,\n")
		if rep, err := adm.ImportUsersCSV(ctx, owner.Subject(), strings.NewReader(csvRows.String())); err != nil || rep.Created != 31 {
			t.Fatal(rep, err)
		}
		sp, err := spaces.Create(ctx, space.NewSpace{Slug: "club", Name: "Club"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 31 {
			login := fmt.Sprintf("m%02d", i)
			if i == 30 {
				login = "nomail"
			}
			a, _ := accounts.ByLogin(ctx, login)
			if err := spaces.SetMember(ctx, sp.ID, a.ID, space.RoleMember); err != nil {
				t.Fatal(err)
			}
		}
		// The space's directory: 10 outside contacts, 2 members again (other case).
		dir := contacts.New(db, acl.New(db), vcf.Codec{}, nil)
		dirID, err := dir.EnsureSpace(ctx, sp.ID, "Directory")
		if err != nil {
			t.Fatal(err)
		}
		coll, err := dir.ByID(ctx, owner.Subject(), dirID)
		if err != nil {
			t.Fatal(err)
		}
		var cards strings.Builder
		cards.WriteString("full_name,email\n")
		for i := range 10 {
			fmt.Fprintf(&cards, "Contact %d,c%d@example.net\n", i, i)
		}
		cards.WriteString("Member Again,M01@EXAMPLE.ORG\nMember Twice,m02@example.org\n")
		if rep, err := dir.ImportCSV(ctx, owner.Subject(), coll, strings.NewReader(cards.String())); err != nil || rep.Created != 12 {
			t.Fatal(rep, err)
		}

		srv := smtptest.Start(t, smtptest.Options{})
		srv.Stop() // the mail server is down
		tr, err := smtpmail.Parse(srv.URL(), "plaza.test")
		if err != nil {
			t.Fatal(err)
		}
		tr.Timeout = 2 * time.Second
		backoff := func(int) time.Duration { return 200 * time.Millisecond }
		first := pmail.New(db, pmail.Options{Transport: tr, Blobs: blobs, Backoff: backoff, Batch: 7, From: "club@example.org"})
		nl := newsletter.New(db, newsletter.Options{Spaces: spaces, Queue: first, Blobs: blobs, Directory: dir})
		n, err := nl.Create(ctx, owner.Subject(), sp.ID, newsletter.Draft{Subject: "Club news",
			Body: `<h1>Hello</h1><p>Meet us <a href="https://meet.example/club">here</a>.</p><script>alert(1)</script>` +
				newsletter.JitsiParagraph("https://meet.jit.si/abc", "Video call")},
			[]newsletter.Upload{{Name: "agenda.txt", ContentType: "text/plain", Body: strings.NewReader("1. news\n2. cake\n")}})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(n.BodyHTML, "script") {
			t.Errorf("not sanitized: %s", n.BodyHTML)
		}
		count, err := nl.Send(ctx, owner.Subject(), n.ID, newsletter.Audience{Members: true, Directories: []int64{dirID}})
		if err != nil || count != 40 {
			t.Fatalf("send: %d, %v", count, err)
		}
		if _, err := nl.Send(ctx, owner.Subject(), n.ID, newsletter.Audience{Members: true}); !errors.Is(err, core.ErrConflict) {
			t.Errorf("second send: %v", err)
		}
		// Process 1 tries while the server is down, then dies.
		if sent, failed, err := first.RunOnce(ctx); sent != 0 || failed == 0 || err != nil {
			t.Fatalf("while down: sent %d failed %d %v", sent, failed, err)
		}
		// A new process over the same database, the server back up.
		srv.Resume()
		second := pmail.New(db, pmail.Options{Transport: tr, Blobs: blobs, Backoff: backoff, Batch: 7, From: "club@example.org"})
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, _, err := second.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			st, _ := second.Stats(ctx)
			if st[pmail.Pending] == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		got := srv.Messages()
		seen := map[string]int{}
		for _, m := range got {
			seen[strings.ToLower(m.To[0])]++
		}
		want := []string{}
		for i := range 30 {
			want = append(want, fmt.Sprintf("m%02d@example.org", i))
		}
		for i := range 10 {
			want = append(want, fmt.Sprintf("c%d@example.net", i))
		}
		for _, w := range want {
			if seen[w] != 1 {
				t.Errorf("%s received %d", w, seen[w])
			}
		}
		if len(got) != 40 {
			t.Errorf("%d messages, want 40", len(got))
		}
		// One message has the HTML, the text and the attachment.
		m, err := mail.ReadMessage(strings.NewReader(string(got[0].Data)))
		if err != nil {
			t.Fatal(err)
		}
		parts := walk(t, m.Header.Get("Content-Type"), m.Body)
		if !strings.Contains(parts["text/html"], "https://meet.jit.si/abc") || !strings.Contains(parts["text/plain"], "here (https://meet.example/club)") ||
			parts["text/plain; attachment"] != "1. news\n2. cake\n" {
			t.Errorf("parts: %q", parts)
		}
		got2, err := nl.Get(ctx, owner.Subject(), n.ID)
		if err != nil || got2.Delivery[pmail.Sent] != 40 || got2.Recipients != 40 {
			t.Errorf("history: %+v %v", got2, err)
		}
		// Reuse: a new draft with the same text and attachment.
		again, err := nl.Reuse(ctx, owner.Subject(), n.ID)
		if err != nil || again.SentAt != nil || len(again.Attachments) != 1 || again.Subject != "Club news" {
			t.Fatalf("reuse: %+v %v", again, err)
		}
		if h, _ := nl.History(ctx, owner.Subject(), sp.ID); len(h) != 2 {
			t.Errorf("history has %d", len(h))
		}
		// A member is not a space administrator: no newsletter.
		m5, _ := accounts.ByLogin(ctx, "m05")
		if _, err := nl.History(ctx, m5.Subject(), sp.ID); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("member: %v", err)
		}
	})
}

// walk maps each leaf part's content type (with "; attachment" for
// attachments) to its decoded body.
func walk(t *testing.T, ct string, body io.Reader) map[string]string {
	out := map[string]string{}
	var rec func(ct string, body io.Reader, disp string)
	rec = func(ct string, body io.Reader, disp string) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				d, _, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
				var r io.Reader = p
				if p.Header.Get("Content-Transfer-Encoding") == "base64" {
					r = base64.NewDecoder(base64.StdEncoding, p)
				}
				rec(p.Header.Get("Content-Type"), r, d)
			}
		}
		b, _ := io.ReadAll(body)
		key := mt
		if disp == "attachment" {
			key += "; attachment"
		}
		out[key] = string(b)
	}
	rec(ct, body, "")
	return out
}
