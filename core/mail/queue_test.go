package mail_test

import (
	"context"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"plaza/cmd/plaza/smtpmail"
	"plaza/cmd/plaza/smtpmail/smtptest"
	"plaza/core/coretest"
	pmail "plaza/core/mail"
	"plaza/core/store"
)

func transport(t *testing.T, srv *smtptest.Server) *smtpmail.Transport {
	t.Helper()
	tr, err := smtpmail.Parse(srv.URL(), "plaza.test")
	if err != nil {
		t.Fatal(err)
	}
	tr.TLSConfig = srv.ClientTLS()
	tr.Timeout = 5 * time.Second
	return tr
}

// A message goes over STARTTLS with AUTH when the server offers them, and
// arrives with its subject and body intact.
func TestSendOverSTARTTLSWithAuth(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := smtptest.Start(t, smtptest.Options{STARTTLS: true, User: "plaza", Password: "s3cret"})
		q := pmail.New(db, pmail.Options{From: "plaza@example.org", Transport: transport(t, srv), Logger: coretest.Logger(t)})
		err := q.Enqueue(ctx, db, pmail.Message{To: "ann@example.org", Subject: "Réunion demain", Text: "Bonjour Ann,\nà demain."})
		if err != nil {
			t.Fatal(err)
		}
		sent, failed, err := q.RunOnce(ctx)
		if err != nil || sent != 1 || failed != 0 {
			t.Fatalf("RunOnce = %d sent, %d failed, %v", sent, failed, err)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "plaza" || msgs[0].To[0] != "ann@example.org" {
			t.Fatalf("captured %+v", msgs)
		}
		m, err := mail.ReadMessage(strings.NewReader(string(msgs[0].Data)))
		if err != nil {
			t.Fatal(err)
		}
		subj, _ := new(mimeDecoder).DecodeHeader(m.Header.Get("Subject"))
		if subj != "Réunion demain" {
			t.Errorf("subject %q", subj)
		}
		// Sent once: a second run finds nothing due.
		if sent, _, _ := q.RunOnce(ctx); sent != 0 {
			t.Errorf("second run sent %d", sent)
		}
		st, _ := q.Stats(ctx)
		if st[pmail.Sent] != 1 {
			t.Errorf("stats %v", st)
		}
	})
}

// Wrong credentials fail the attempt; the row stays pending with a later
// next attempt (backoff) and its error recorded.
func TestFailureBacksOff(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := smtptest.Start(t, smtptest.Options{User: "plaza", Password: "right"})
		tr, _ := smtpmail.Parse("smtp://plaza:wrong@"+srv.Addr(), "")
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		q := pmail.New(db, pmail.Options{Transport: tr, Now: func() time.Time { return now }})
		if err := q.Enqueue(ctx, db, pmail.Message{To: "bob@example.org", Subject: "x", Text: "y"}); err != nil {
			t.Fatal(err)
		}
		if _, failed, err := q.RunOnce(ctx); failed != 1 || err != nil {
			t.Fatalf("failed %d, %v", failed, err)
		}
		rows, _ := q.Rows(ctx, 10)
		if rows[0].Status != pmail.Pending || rows[0].Attempts != 1 || !rows[0].NextAttemptAt.Equal(now.Add(time.Minute)) || rows[0].LastError == "" {
			t.Fatalf("row after failure: %+v", rows[0])
		}
		if sent, failed, _ := q.RunOnce(ctx); sent+failed != 0 {
			t.Fatal("retried before its backoff")
		}
		if len(srv.Messages()) != 0 {
			t.Fatal("accepted without auth")
		}
	})
}

// Many processes drain one queue together: every message is delivered
// exactly once.
func TestConcurrentSendersDeliverOnce(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := smtptest.Start(t, smtptest.Options{})
		var msgs []pmail.Message
		for i := range 60 {
			msgs = append(msgs, pmail.Message{To: fmt.Sprintf("u%d@example.org", i), Subject: "hello", Text: "hi"})
		}
		if err := pmail.New(db, pmail.Options{}).Enqueue(ctx, db, msgs...); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				q := pmail.New(db, pmail.Options{Transport: transport(t, srv), Batch: 5})
				if _, _, err := q.RunOnce(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		assertOnce(t, srv.Messages(), 60)
	})
}

func assertOnce(t *testing.T, got []smtptest.Message, n int) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range got {
		seen[m.To[0]]++
	}
	for i := range n {
		if c := seen[fmt.Sprintf("u%d@example.org", i)]; c != 1 {
			t.Errorf("u%d received %d times", i, c)
		}
	}
	if len(got) != n {
		t.Errorf("%d messages, want %d", len(got), n)
	}
}

func TestTemplatesBothLanguages(t *testing.T) {
	tpl, err := pmail.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"Inviter": "Ann", "Space": "Team", "Platform": "Plaza", "Link": "http://x/invite/abc", "Expires": "2026-05-08"}
	en, body, err := tpl.Render("en", "invite", data)
	if err != nil || en != "Ann invites you to Team on Plaza" || !strings.Contains(body, "http://x/invite/abc") {
		t.Fatalf("en: %q %q %v", en, body, err)
	}
	fr, body, err := tpl.Render("fr", "invite", data)
	if err != nil || fr != "Ann vous invite dans Team sur Plaza" || !strings.Contains(body, "expire le 2026-05-08") {
		t.Fatalf("fr: %q %q %v", fr, body, err)
	}
}

type mimeDecoder = mime.WordDecoder

// A recipient the server refuses for good (550) is marked failed at once
// and does not hold back the others.
func TestPermanentRefusal(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := smtptest.Start(t, smtptest.Options{Reject: "u1@example.org"})
		q := pmail.New(db, pmail.Options{Transport: transport(t, srv)})
		var msgs []pmail.Message
		for i := range 4 {
			msgs = append(msgs, pmail.Message{To: fmt.Sprintf("u%d@example.org", i), Subject: "s", Text: "t"})
		}
		if err := q.Enqueue(ctx, db, msgs...); err != nil {
			t.Fatal(err)
		}
		sent, failed, err := q.RunOnce(ctx)
		if sent != 3 || failed != 1 || err != nil {
			t.Fatalf("sent %d failed %d %v", sent, failed, err)
		}
		st, _ := q.Stats(ctx)
		if st[pmail.Failed] != 1 || st[pmail.Sent] != 3 || st[pmail.Pending] != 0 {
			t.Errorf("stats %v", st)
		}
	})
}

// When the server goes away mid-batch, the rows not yet tried are due
// again at once rather than held for the claim's lease.
func TestOutageReleasesTheRest(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := smtptest.Start(t, smtptest.Options{})
		tr := transport(t, srv)
		srv.Stop()
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		q := pmail.New(db, pmail.Options{Transport: tr, Now: func() time.Time { return now }})
		var msgs []pmail.Message
		for i := range 5 {
			msgs = append(msgs, pmail.Message{To: fmt.Sprintf("u%d@example.org", i), Subject: "s", Text: "t"})
		}
		q.Enqueue(ctx, db, msgs...)
		if _, failed, _ := q.RunOnce(ctx); failed != 1 {
			t.Fatalf("failed %d, want 1 (then stop)", failed)
		}
		rows, _ := q.Rows(ctx, 10)
		due := 0
		for _, r := range rows {
			if !r.NextAttemptAt.After(now) {
				due++
			}
		}
		if due != 4 {
			t.Errorf("%d rows due again, want 4", due)
		}
	})
}
