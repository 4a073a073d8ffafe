package invite_test

import (
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"plaza/cmd/plaza/smtpmail"
	"plaza/cmd/plaza/smtpmail/smtptest"
	"plaza/core"
	"plaza/core/account"
	"plaza/core/coretest"
	"plaza/core/invite"
	pmail "plaza/core/mail"
	"plaza/core/space"
	"plaza/core/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type world struct {
	db       *store.DB
	clock    *clock
	accounts *account.Service
	spaces   *space.Service
	queue    *pmail.Queue
	invites  *invite.Service
	smtp     *smtptest.Server
	owner    *account.Account
	team     *space.Space
}

func newWorld(t *testing.T, db *store.DB) *world {
	ctx := context.Background()
	w := &world{db: db, clock: &clock{t: time.Now().UTC()}}
	w.accounts = account.New(db, w.clock.Now)
	w.spaces = space.New(db, w.clock.Now)
	w.smtp = smtptest.Start(t, smtptest.Options{})
	tr, err := smtpmail.Parse(w.smtp.URL(), "plaza.test")
	if err != nil {
		t.Fatal(err)
	}
	w.queue = pmail.New(db, pmail.Options{From: "plaza@example.org", Transport: tr, Now: w.clock.Now, Logger: coretest.Logger(t)})
	tpl, err := pmail.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	w.invites = invite.New(db, invite.Options{Accounts: w.accounts, Spaces: w.spaces, Queue: w.queue,
		Templates: tpl, BaseURL: "https://plaza.example.org/", Now: w.clock.Now})
	if w.owner, err = w.accounts.Create(ctx, account.NewAccount{Login: "owner", Name: "Olga Owner", Password: "owner-password"}); err != nil {
		t.Fatal(err)
	}
	if w.team, err = w.spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "The Team"}); err != nil {
		t.Fatal(err)
	}
	return w
}

var linkRE = regexp.MustCompile(`https://plaza\.example\.org/invite/([A-Za-z0-9_-]+)`)

// deliver sends the queue and returns the token of the n-th mail to addr.
func (w *world) deliver(t *testing.T, addr string) (token, subject string) {
	t.Helper()
	if _, _, err := w.queue.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, m := range w.smtp.Messages() {
		if m.To[0] != addr {
			continue
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		sm := linkRE.FindSubmatch(body)
		if sm == nil {
			t.Fatalf("no link in mail:\n%s", body)
		}
		return string(sm[1]), msg.Header.Get("Subject")
	}
	t.Fatalf("no mail to %s among %d", addr, len(w.smtp.Messages()))
	return "", ""
}

// The acceptance flow: the invitation mail arrives over SMTP, its link
// creates the account in the space, a second use is refused, and an
// unused invitation is refused after 7 days.
func TestInvitationByMail(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		_, _, err := w.invites.Create(ctx, w.owner.Subject(), invite.Spec{SpaceID: &w.team.ID,
			Email: "gus@example.org", Type: core.Guest, Role: space.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		token, subject := w.deliver(t, "gus@example.org")
		if !strings.Contains(subject, "The Team") {
			t.Errorf("subject %q", subject)
		}
		acc, err := w.invites.Accept(ctx, token, invite.Acceptance{Login: "gus", Name: "Gus Guest", Password: "short"})
		if !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("short password: %v", err)
		}
		acc, err = w.invites.Accept(ctx, token, invite.Acceptance{Login: "gus", Name: "Gus Guest", Password: "a good password"})
		if err != nil {
			t.Fatal(err)
		}
		if acc.Type != core.Guest || acc.Email != "gus@example.org" || acc.Name != "Gus Guest" {
			t.Errorf("account %+v", acc)
		}
		if _, err := w.accounts.Authenticate(ctx, "gus", "a good password"); err != nil {
			t.Errorf("cannot sign in: %v", err)
		}
		ms, _ := w.spaces.Members(ctx, w.team.ID)
		if len(ms) != 1 || ms[0].AccountID != acc.ID || ms[0].Role != space.RoleMember {
			t.Errorf("members %+v", ms)
		}
		if _, err := w.invites.Accept(ctx, token, invite.Acceptance{Login: "gus2", Password: "a good password"}); !errors.Is(err, invite.ErrUsed) {
			t.Errorf("second use: %v", err)
		}

		// Expiry: an invitation unused for 7 days is refused.
		_, _, err = w.invites.Create(ctx, w.owner.Subject(), invite.Spec{SpaceID: &w.team.ID, Email: "late@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		late, _ := w.deliver(t, "late@example.org")
		w.clock.Add(invite.Validity - time.Second)
		if _, err := w.invites.Lookup(ctx, late); err != nil {
			t.Fatalf("still valid just before 7 days: %v", err)
		}
		w.clock.Add(time.Second)
		if _, err := w.invites.Accept(ctx, late, invite.Acceptance{Login: "late", Password: "a good password"}); !errors.Is(err, invite.ErrExpired) {
			t.Fatalf("after 7 days: %v", err)
		}
		if _, err := w.accounts.ByLogin(ctx, "late"); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("expired link created an account: %v", err)
		}
	})
}

// A link without an address serves several people for 7 days, then no one.
func TestInvitationLinkReusableUntilExpiry(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		token, inv, err := w.invites.Create(ctx, w.owner.Subject(), invite.Spec{SpaceID: &w.team.ID, Type: core.User, Role: space.RoleAdmin})
		if err != nil || !inv.Reusable() {
			t.Fatal(err, inv)
		}
		for _, login := range []string{"ann", "bob"} {
			acc, err := w.invites.Accept(ctx, token, invite.Acceptance{Login: login, Email: login + "@example.org", Password: "a good password"})
			if err != nil {
				t.Fatalf("%s: %v", login, err)
			}
			if acc.Type != core.User {
				t.Errorf("%s type %s", login, acc.Type)
			}
		}
		if _, err := w.invites.Accept(ctx, token, invite.Acceptance{Login: "ann", Password: "a good password"}); !errors.Is(err, core.ErrConflict) {
			t.Errorf("taken login: %v", err)
		}
		ms, _ := w.spaces.Members(ctx, w.team.ID)
		if len(ms) != 2 || ms[0].Role != space.RoleAdmin {
			t.Errorf("members %+v", ms)
		}
		w.clock.Add(invite.Validity)
		if _, err := w.invites.Accept(ctx, token, invite.Acceptance{Login: "cy", Password: "a good password"}); !errors.Is(err, invite.ErrExpired) {
			t.Errorf("after 7 days: %v", err)
		}
	})
}

// Who may invite: space administrators; members only when the space
// allows it and only as members; never guests; administrators only by
// platform administrators.
func TestWhoMayInvite(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		mk := func(login string, typ core.AccountType, role space.Role) core.Subject {
			a, err := w.accounts.Create(ctx, account.NewAccount{Login: login, Type: typ, Password: "a good password"})
			if err != nil {
				t.Fatal(err)
			}
			if role != "" {
				if err := w.spaces.SetMember(ctx, w.team.ID, a.ID, role); err != nil {
					t.Fatal(err)
				}
			}
			return a.Subject()
		}
		sadmin := mk("sadmin", core.User, space.RoleAdmin)
		member := mk("member", core.User, space.RoleMember)
		guest := mk("guest", core.Guest, space.RoleMember)
		outsider := mk("outsider", core.User, "")
		spec := invite.Spec{SpaceID: &w.team.ID, Type: core.User, Role: space.RoleMember}
		cases := []struct {
			name string
			who  core.Subject
			spec invite.Spec
			ok   bool
		}{
			{"space admin", sadmin, spec, true},
			{"space admin, admin role", sadmin, invite.Spec{SpaceID: &w.team.ID, Role: space.RoleAdmin}, true},
			{"space admin, platform administrator", sadmin, invite.Spec{SpaceID: &w.team.ID, Type: core.Administrator}, false},
			{"member, not allowed", member, spec, false},
			{"guest", guest, spec, false},
			{"outsider", outsider, spec, false},
			{"space admin, platform only", sadmin, invite.Spec{}, false},
			{"owner, platform only", w.owner.Subject(), invite.Spec{Type: core.Administrator}, true},
			{"guest as admin", w.owner.Subject(), invite.Spec{SpaceID: &w.team.ID, Type: core.Guest, Role: space.RoleAdmin}, false},
		}
		for _, c := range cases {
			_, _, err := w.invites.Create(ctx, c.who, c.spec)
			if (err == nil) != c.ok {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		if _, err := db.NewUpdate().Model((*space.Space)(nil)).Set("allow_member_invites = TRUE").Where("id = ?", w.team.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.invites.Create(ctx, member, spec); err != nil {
			t.Errorf("member, allowed: %v", err)
		}
		if _, _, err := w.invites.Create(ctx, member, invite.Spec{SpaceID: &w.team.ID, Role: space.RoleAdmin}); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("member inviting an admin: %v", err)
		}
	})
}
