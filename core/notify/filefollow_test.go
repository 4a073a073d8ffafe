package notify_test

import (
	"context"
	"mime"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"

	"plaza/cmd/plaza/smtpmail"
	"plaza/cmd/plaza/smtpmail/smtptest"
	"plaza/core/account"
	"plaza/core/blob"
	"plaza/core/coretest"
	"plaza/core/files"
	pmail "plaza/core/mail"
	"plaza/core/notify"
	"plaza/core/space"
	"plaza/core/store"
)

// TestFolderFollow: who follows a folder gets a mail when a file is added
// to it by someone else, not when a file changes or lands elsewhere
// (issue 18: no mail when a file is added).
func TestFolderFollow(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		accounts, spaces := account.New(db, nil), space.New(db, nil)
		srv := smtptest.Start(t, smtptest.Options{})
		tr, _ := smtpmail.Parse(srv.URL(), "")
		q := pmail.New(db, pmail.Options{Transport: tr})
		tpl, _ := pmail.LoadTemplates()
		n := notify.New(db, notify.Options{Queue: q, Templates: tpl, BaseURL: "https://p.example"})
		bs, err := blob.New(blob.Options{Dir: filepath.Join(t.TempDir(), "blobs"), DB: db})
		if err != nil {
			t.Fatal(err)
		}
		fs := files.New(files.Options{DB: db, Blobs: bs})
		fs.AddHook(n)
		sp, _ := spaces.Create(ctx, space.NewSpace{Slug: "team"})
		mk := func(login string) *account.Account {
			a, err := accounts.Create(ctx, account.NewAccount{Login: login, Email: login + "@example.org", Password: "a good password"})
			if err != nil {
				t.Fatal(err)
			}
			spaces.SetMember(ctx, sp.ID, a.ID, space.RoleMember)
			return a
		}
		ann, bob := mk("ann"), mk("bob")
		root, _ := fs.SpaceRoot(ctx, sp.ID)
		dir, err := fs.Mkdir(ctx, ann.Subject(), root, files.Path{"Reports"})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Follow(ctx, ann.Subject(), notify.Target{Kind: notify.KindFolder, ID: dir.ContainerID}, dir.ContainerID); err != nil {
			t.Fatal(err)
		}
		put := func(who *account.Account, p ...string) {
			if _, _, err := fs.Put(ctx, who.Subject(), root, files.Path(p), strings.NewReader("x"), files.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		put(bob, "Reports", "q4.txt")
		put(bob, "Reports", "q4.txt") // a new content: no mail
		put(bob, "elsewhere.txt")
		put(ann, "Reports", "mine.txt") // her own: no mail
		q.RunOnce(ctx)
		var subjects []string
		for _, m := range srv.Messages() {
			msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
			if err != nil {
				t.Fatal(err)
			}
			subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			subjects = append(subjects, m.To[0]+" "+subj)
		}
		if len(subjects) != 1 || !strings.Contains(subjects[0], "ann@example.org") || !strings.Contains(subjects[0], "New file in Reports: q4.txt") {
			t.Errorf("mails: %q", subjects)
		}
	})
}
