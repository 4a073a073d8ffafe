package admin_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/admin"
	"plaza/core/coretest"
	"plaza/core/invite"
	pmail "plaza/core/mail"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
)

type world struct {
	db       *store.DB
	accounts *account.Service
	spaces   *space.Service
	queue    *pmail.Queue
	invites  *invite.Service
	admin    *admin.Service
	owner    core.Subject
}

func newWorld(t *testing.T, db *store.DB) *world {
	ctx := context.Background()
	w := &world{db: db, accounts: account.New(db, nil), spaces: space.New(db, nil)}
	w.queue = pmail.New(db, pmail.Options{})
	tpl, err := pmail.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	w.invites = invite.New(db, invite.Options{Accounts: w.accounts, Spaces: w.spaces, Queue: w.queue, Templates: tpl, BaseURL: "https://p.example"})
	w.admin = admin.New(db, admin.Options{Accounts: w.accounts, Spaces: w.spaces, Invites: w.invites, Settings: settings.New(db)})
	o, err := w.accounts.Create(ctx, account.NewAccount{Login: "owner", Password: "owner-password"})
	if err != nil {
		t.Fatal(err)
	}
	w.owner = o.Subject()
	return w
}

// 1,000 rows with 5 bad ones: 995 accounts, the 5 reported with their
// line and reason, a password link mailed to each new account.
func TestImportUsersCSV(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		var b bytes.Buffer
		cw := csv.NewWriter(&b)
		cw.Write([]string{"Login", "Email", "Name", "Type"})
		bad := map[int]string{ // data row index → what is wrong
			10:  "login",
			200: "email",
			400: "type",
			600: "repeat",
			999: "taken",
		}
		for i := range 1000 {
			login, email, typ := fmt.Sprintf("user%04d", i), fmt.Sprintf("user%04d@example.org", i), "user"
			switch bad[i] {
			case "login":
				login = "Bad Login!"
			case "email":
				email = "not-an-address"
			case "type":
				typ = "emperor"
			case "repeat":
				login = "user0001"
			case "taken":
				login = "owner"
			}
			if i%3 == 0 {
				typ = strings.ToUpper(typ[:1]) + typ[1:]
				if bad[i] == "" {
					typ = "guest"
				}
			}
			cw.Write([]string{login, email, fmt.Sprintf("User %d", i), typ})
		}
		cw.Flush()
		start := time.Now()
		rep, err := w.admin.ImportUsersCSV(ctx, w.owner, &b)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("import of 1,000 rows: %v", time.Since(start))
		if rep.Created != 995 || len(rep.Rejected) != 5 {
			t.Fatalf("created %d, rejected %+v", rep.Created, rep.Rejected)
		}
		wantLines := []int{12, 202, 402, 602, 1001} // header is line 1
		for i, r := range rep.Rejected {
			if r.Line != wantLines[i] || r.Reason == "" {
				t.Errorf("rejected[%d] = %+v, want line %d", i, r, wantLines[i])
			}
		}
		if !strings.Contains(rep.Rejected[4].Reason, "taken") || !strings.Contains(rep.Rejected[3].Reason, "repeated") {
			t.Errorf("reasons: %+v", rep.Rejected)
		}
		n, _ := w.accounts.Count(ctx)
		if n != 996 {
			t.Errorf("%d accounts, want 996", n)
		}
		g, err := w.accounts.ByLogin(ctx, "user0003")
		if err != nil || g.Type != core.Guest || g.Email != "user0003@example.org" {
			t.Errorf("user0003: %+v %v", g, err)
		}
		// No password yet: cannot sign in, but a link was queued for each.
		if _, err := w.accounts.Authenticate(ctx, "user0003", ""); err == nil {
			t.Error("signed in without a password")
		}
		st, _ := w.queue.Stats(ctx)
		if st[pmail.Pending] != 995 {
			t.Errorf("queued mails: %v", st)
		}
		// Export gives every account back.
		var out bytes.Buffer
		if err := w.admin.ExportUsersCSV(ctx, w.owner, &out); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&out).ReadAll()
		if err != nil || len(recs) != 997 || recs[0][0] != "login" {
			t.Fatalf("export: %d rows, %v", len(recs), err)
		}
		// Only administrators import.
		if _, err := w.admin.ImportUsersCSV(ctx, g.Subject(), strings.NewReader("login\nx\n")); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("guest import: %v", err)
		}
	})
}

// A password given in the CSV is hashed for that account alone.
func TestImportWithPasswords(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		rep, err := w.admin.ImportUsersCSV(ctx, w.owner, strings.NewReader("login,password\nann,same password\nbob,same password\ncy,short\n"))
		if err != nil || rep.Created != 2 || len(rep.Rejected) != 1 || rep.Rejected[0].Line != 4 {
			t.Fatalf("%+v %v", rep, err)
		}
		a, _ := w.accounts.ByLogin(ctx, "ann")
		b, _ := w.accounts.ByLogin(ctx, "bob")
		if a.PasswordHash == b.PasswordHash {
			t.Error("two accounts share one hash (and salt)")
		}
		if _, err := w.accounts.Authenticate(ctx, "bob", "same password"); err != nil {
			t.Error(err)
		}
	})
}

func TestUserAndSpaceAdministration(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		u, token, err := w.admin.CreateUser(ctx, w.owner, admin.NewUser{Login: "ann", Email: "ann@example.org", Type: core.Administrator})
		if err != nil || token == "" {
			t.Fatal(err, token)
		}
		if _, err := w.invites.Accept(ctx, token, invite.Acceptance{Password: "ann's password"}); err != nil {
			t.Fatal(err)
		}
		ann, err := w.accounts.Authenticate(ctx, "ann", "ann's password")
		if err != nil || ann.Type != core.Administrator {
			t.Fatalf("%+v %v", ann, err)
		}
		// An administrator cannot touch the owner nor demote itself.
		guest := core.Guest
		if _, err := w.admin.UpdateUser(ctx, ann, w.owner.AccountID, admin.UserUpdate{Type: &guest}); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("admin edits owner: %v", err)
		}
		if _, err := w.admin.UpdateUser(ctx, ann, u.ID, admin.UserUpdate{Type: &guest}); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("self demotion: %v", err)
		}
		bob, _, err := w.admin.CreateUser(ctx, ann, admin.NewUser{Login: "bob", Password: "bob's password"})
		if err != nil {
			t.Fatal(err)
		}
		sp, err := w.admin.CreateSpace(ctx, ann, space.NewSpace{Slug: "team"}, bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Demoting bob to guest takes his space administration away.
		if _, err := w.admin.UpdateUser(ctx, ann, bob.ID, admin.UserUpdate{Type: &guest}); err != nil {
			t.Fatal(err)
		}
		ms, _ := w.admin.Members(ctx, ann, sp.ID)
		if len(ms) != 1 || ms[0].Role != space.RoleMember || ms[0].Type != core.Guest {
			t.Errorf("members %+v", ms)
		}
		// Deactivation ends sign-in.
		yes := true
		if _, err := w.admin.UpdateUser(ctx, ann, bob.ID, admin.UserUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.accounts.Authenticate(ctx, "bob", "bob's password"); err == nil {
			t.Error("disabled account signed in")
		}
		// Public with a password, then member invitations, then archive and delete.
		pub, pw, inv := true, "open sesame", true
		if _, err := w.admin.UpdateSpace(ctx, ann, sp.ID, admin.SpaceUpdate{Public: &pub, Password: &pw, AllowMemberInvites: &inv}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.spaces.Unlock(ctx, core.AnonymousSubject, "team", "open sesame"); err != nil {
			t.Errorf("visitor password: %v", err)
		}
		if err := w.admin.SetModule(ctx, ann, sp.ID, core.ModChat, false); err != nil {
			t.Fatal(err)
		}
		if mods, _ := w.spaces.Modules(ctx, sp.ID); mods[core.ModChat] {
			t.Error("chat still on")
		}
		if err := w.admin.DeleteSpace(ctx, ann, sp.ID); !errors.Is(err, core.ErrConflict) {
			t.Errorf("delete live space: %v", err)
		}
		if err := w.admin.ArchiveSpace(ctx, ann, sp.ID, true); err != nil {
			t.Fatal(err)
		}
		if vis, _ := w.spaces.Visible(ctx, ann); len(vis) != 1 || vis[0].ArchivedAt == nil {
			t.Errorf("archived space, seen by an administrator (read-only): %+v", vis)
		}
		if vis, _ := w.spaces.Visible(ctx, core.AnonymousSubject); len(vis) != 0 {
			t.Errorf("archived public space visible to visitors: %+v", vis)
		}
		if err := w.admin.DeleteSpace(ctx, ann, sp.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.spaces.Get(ctx, sp.ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("deleted space: %v", err)
		}
		// Platform settings.
		if err := w.admin.SetPlatform(ctx, ann, "Maison", "fr"); err != nil {
			t.Fatal(err)
		}
		if p, _ := w.admin.PlatformSettings(ctx); p.Name != "Maison" || p.Language != "fr" {
			t.Errorf("settings %+v", p)
		}
		if err := w.admin.SetPlatform(ctx, bob.Subject(), "X", "en"); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("non-admin settings: %v", err)
		}
	})
}

func adminFilter() admin.UserFilter { return admin.UserFilter{} }

// Accounts imported with passwords (all the same one) are hashed on
// every CPU, each with its own salt.
func TestImportManyPasswords(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	ctx := context.Background()
	w := newWorld(t, db)
	var b strings.Builder
	b.WriteString("login,password\n")
	for i := range 16 {
		fmt.Fprintf(&b, "p%03d,the same password\n", i)
	}
	start := time.Now()
	rep, err := w.admin.ImportUsersCSV(ctx, w.owner, strings.NewReader(b.String()))
	if err != nil || rep.Created != 16 {
		t.Fatal(rep, err)
	}
	t.Logf("16 accounts with passwords: %v", time.Since(start))
	var hashes []string
	if err := db.NewSelect().Model((*account.Account)(nil)).Column("password_hash").Where("login LIKE 'p%'").Scan(ctx, &hashes); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, h := range hashes {
		if seen[h] {
			t.Fatal("two accounts share a hash")
		}
		seen[h] = true
	}
	if _, err := w.accounts.Authenticate(ctx, "p015", "the same password"); err != nil {
		t.Error(err)
	}
}

func TestGroups(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		bob, _, err := w.admin.CreateUser(ctx, w.owner, admin.NewUser{Login: "bob"})
		if err != nil {
			t.Fatal(err)
		}
		g, err := w.admin.CreateGroup(ctx, w.owner, nil, "Staff")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.admin.CreateGroup(ctx, w.owner, nil, "Staff"); !errors.Is(err, core.ErrConflict) {
			t.Errorf("same name twice: %v", err)
		}
		if err := w.admin.SetGroupMember(ctx, w.owner, g.ID, bob.ID, true); err != nil {
			t.Fatal(err)
		}
		gs, _ := w.admin.Groups(ctx, w.owner, nil)
		if len(gs) != 1 || gs[0].Members != 1 {
			t.Errorf("groups %+v", gs)
		}
		if ms, _ := w.admin.GroupMembers(ctx, w.owner, g.ID); len(ms) != 1 || ms[0].Login != "bob" {
			t.Errorf("members %+v", ms)
		}
		if _, err := w.admin.Groups(ctx, bob.Subject(), nil); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("user lists groups: %v", err)
		}
		if err := w.admin.DeleteGroup(ctx, w.owner, g.ID); err != nil {
			t.Fatal(err)
		}
		if gs, _ := w.admin.Groups(ctx, w.owner, nil); len(gs) != 0 {
			t.Errorf("after delete %+v", gs)
		}
	})
}
