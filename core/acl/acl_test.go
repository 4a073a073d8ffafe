package acl_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/space"
	"plaza/core/store"
)

// world is a platform with every kind of subject and container the rules
// distinguish.
type world struct {
	db       *store.DB
	eng      *acl.Engine
	subjects map[string]core.Subject
	spaces   map[string]*space.Space
	conts    map[string]int64
	groupID  int64
}

func build(t testing.TB, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	accts := account.New(db, nil)
	spaces := space.New(db, nil)
	w := &world{db: db, eng: acl.New(db), subjects: map[string]core.Subject{},
		spaces: map[string]*space.Space{}, conts: map[string]int64{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []struct {
		login string
		typ   core.AccountType
	}{{"owner", core.Owner}, {"admin", core.Administrator}, {"alice", core.User}, {"bob", core.User},
		{"carol", core.User}, {"dave", core.User}, {"gina", core.Guest}, {"erin", core.User}} {
		acc, err := accts.Create(ctx, account.NewAccount{Login: a.login, Type: a.typ, Password: "password-" + a.login})
		must(err)
		w.subjects[a.login] = acc.Subject()
	}
	w.subjects["anon"] = core.AnonymousSubject
	for _, s := range []space.NewSpace{{Slug: "team"}, {Slug: "pub", Public: true},
		{Slug: "locked", Public: true, Password: "visitor-pw"}, {Slug: "gone", Public: true}} {
		sp, err := spaces.Create(ctx, s)
		must(err)
		w.spaces[s.Slug] = sp
	}
	_, err := db.NewUpdate().Model((*space.Space)(nil)).Set("archived_at = ?", time.Now().UTC()).
		Where("slug = 'gone'").Exec(ctx)
	must(err)
	team := w.spaces["team"].ID
	for login, role := range map[string]space.Role{"alice": space.RoleAdmin, "bob": space.RoleMember,
		"carol": space.RoleMember, "gina": space.RoleMember} {
		must(spaces.SetMember(ctx, team, w.subjects[login].AccountID, role))
	}
	g, err := accts.CreateGroup(ctx, &team, "editors")
	must(err)
	w.groupID = g.ID
	must(accts.AddToGroup(ctx, g.ID, w.subjects["carol"].AccountID))
	must(accts.AddToGroup(ctx, g.ID, w.subjects["dave"].AccountID)) // not a member of team
	must(spaces.SetModule(ctx, team, core.ModTasks, false))

	id := func(login string) *int64 { v := w.subjects[login].AccountID; return &v }
	sp := func(slug string) *int64 { v := w.spaces[slug].ID; return &v }
	user := func(login string, l acl.Level) acl.Grant {
		return acl.Grant{PrincipalKind: acl.PrincipalUser, PrincipalID: w.subjects[login].AccountID, Level: l}
	}
	members := func(l acl.Level) acl.Grant {
		return acl.Grant{PrincipalKind: acl.PrincipalSpace, PrincipalID: team, Level: l}
	}
	anon := acl.Grant{PrincipalKind: acl.PrincipalAnonymous, Level: acl.Read}
	for _, c := range []struct {
		name   string
		space  *int64
		module core.Module
		owner  *int64
		grants []acl.Grant
	}{
		{"bob-folder", sp("team"), core.ModFiles, id("bob"), []acl.Grant{}},
		{"carol-read", sp("team"), core.ModFiles, nil, []acl.Grant{user("carol", acl.Read)}},
		{"group-write", sp("team"), core.ModFiles, nil, []acl.Grant{{PrincipalKind: acl.PrincipalGroup, PrincipalID: w.groupID, Level: acl.Write}}},
		{"members-limited", sp("team"), core.ModFiles, nil, []acl.Grant{members(acl.Limited)}},
		{"highest", sp("team"), core.ModFiles, nil, []acl.Grant{members(acl.Read), user("carol", acl.Full)}},
		{"outsider-grant", sp("team"), core.ModFiles, nil, []acl.Grant{user("dave", acl.Write)}},
		{"private-anon", sp("team"), core.ModFiles, nil, []acl.Grant{anon}},
		{"tasks-off", sp("team"), core.ModTasks, id("bob"), []acl.Grant{members(acl.Write)}},
		{"public", sp("pub"), core.ModNews, nil, []acl.Grant{anon}},
		{"public-nogrant", sp("pub"), core.ModNews, nil, []acl.Grant{}},
		{"locked", sp("locked"), core.ModNews, nil, []acl.Grant{anon}},
		{"archived", sp("gone"), core.ModNews, nil, []acl.Grant{anon}},
		{"personal", nil, core.ModFiles, id("bob"), []acl.Grant{user("dave", acl.Read)}},
		// Made by dave, who is not (any more) a member of team.
		{"left-behind", sp("team"), core.ModFiles, id("dave"), []acl.Grant{user("dave", acl.Full)}},
	} {
		cont := &acl.Container{SpaceID: c.space, Module: c.module, Kind: "folder", Name: c.name, OwnerID: c.owner}
		must(acl.CreateContainer(ctx, db, cont, c.grants, time.Now()))
		w.conts[c.name] = cont.ID
	}
	// A subfolder made without grants copies its parent's.
	parent := w.conts["group-write"]
	sub := &acl.Container{SpaceID: sp("team"), Module: core.ModFiles, Kind: "folder", Name: "sub", ParentID: &parent}
	must(acl.CreateContainer(ctx, db, sub, nil, time.Now()))
	w.conts["group-write/sub"] = sub.ID
	return w
}

func (w *world) subject(name string) core.Subject {
	if name == "anon+unlocked" {
		s := core.AnonymousSubject
		s.UnlockedSpaces = []int64{w.spaces["locked"].ID}
		return s
	}
	return w.subjects[name]
}

func TestLevels(t *testing.T) {
	cases := []struct {
		rule, who, container string
		want                 acl.Level
	}{
		{"owner of a container has full", "bob", "bob-folder", acl.Full},
		{"counter: another member has nothing without a grant", "carol", "bob-folder", acl.None},
		{"user grant", "carol", "carol-read", acl.Read},
		{"counter: user grant names someone else", "bob", "carol-read", acl.None},
		{"group grant", "carol", "group-write", acl.Write},
		{"counter: not in the group", "bob", "group-write", acl.None},
		{"group grant counts only for members of the space", "dave", "group-write", acl.None},
		{"subfolder inherits the parent's grants at creation", "carol", "group-write/sub", acl.Write},
		{"all members of the space", "bob", "members-limited", acl.Limited},
		{"guest member gets the members grant", "gina", "members-limited", acl.Limited},
		{"counter: non-member gets no members grant", "dave", "members-limited", acl.None},
		{"highest level wins", "carol", "highest", acl.Full},
		{"counter: others keep the lower grant", "bob", "highest", acl.Read},
		{"space administrator has write on everything", "alice", "carol-read", acl.Write},
		{"space administrator keeps a higher grant", "alice", "members-limited", acl.Write},
		{"counter: space administrator of one space has nothing elsewhere", "alice", "personal", acl.None},
		{"platform administrator has write in spaces", "admin", "carol-read", acl.Write},
		{"platform owner has write in spaces", "owner", "bob-folder", acl.Write},
		{"counter: platform administrator gets nothing in personal containers", "admin", "personal", acl.None},
		{"user grant to a non-member of the space counts for nothing", "dave", "outsider-grant", acl.None},
		{"personal container: owner full", "bob", "personal", acl.Full},
		{"counter: owner no longer in the space keeps nothing", "dave", "left-behind", acl.None},
		{"personal container: user grant", "dave", "personal", acl.Read},
		{"counter: personal container: others nothing", "carol", "personal", acl.None},
		{"disabled module grants nothing to members", "carol", "tasks-off", acl.None},
		{"disabled module grants nothing to its owner", "bob", "tasks-off", acl.None},
		{"disabled module grants nothing to space administrators", "alice", "tasks-off", acl.None},
		{"anonymous visitor reads a public space's granted container", "anon", "public", acl.Read},
		{"logged-in non-member reads what anonymous may", "dave", "public", acl.Read},
		{"counter: a guest reads nothing of a public space it is not in", "gina", "public", acl.None},
		{"counter: anonymous without a grant sees nothing", "anon", "public-nogrant", acl.None},
		{"counter: anonymous grant in a private space counts for nothing", "anon", "private-anon", acl.None},
		{"counter: password-protected public space before the password", "anon", "locked", acl.None},
		{"password-protected public space after the password", "anon+unlocked", "locked", acl.Read},
		{"counter: archived public space", "anon", "archived", acl.None},
		{"counter: anonymous has nothing on members' containers", "anon", "members-limited", acl.None},
	}
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := build(t, db)
		ctx := context.Background()
		for _, c := range cases {
			t.Run(c.rule, func(t *testing.T) {
				got, err := w.eng.Level(ctx, w.subject(c.who), acl.Target{ContainerID: w.conts[c.container]})
				if err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Errorf("%s on %s: level %s, want %s", c.who, c.container, got, c.want)
				}
			})
		}
	})
}

func TestItemLevels(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := build(t, db)
		ctx := context.Background()
		bob, carol, dave := w.subjects["bob"].AccountID, w.subjects["carol"].AccountID, w.subjects["dave"].AccountID
		cases := []struct {
			rule, who, container string
			author               int64
			want                 acl.Level
		}{
			{"author always has full on own content", "bob", "members-limited", bob, acl.Full},
			{"limited is read on others' content", "carol", "members-limited", bob, acl.Read},
			{"write on the container is write on content", "carol", "group-write", bob, acl.Write},
			{"author with no grant on the container still has full", "carol", "bob-folder", carol, acl.Full},
			{"counter: disabled module grants nothing even to the author", "carol", "tasks-off", carol, acl.None},
			{"space administrator writes others' content", "alice", "members-limited", bob, acl.Write},
			{"counter: author no longer in the space keeps nothing", "dave", "members-limited", dave, acl.None},
			{"author of personal content keeps full", "dave", "personal", dave, acl.Full},
		}
		for _, c := range cases {
			t.Run(c.rule, func(t *testing.T) {
				got, err := w.eng.Level(ctx, w.subject(c.who), acl.Target{ContainerID: w.conts[c.container], AuthorID: c.author, Item: true})
				if err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Errorf("level %s, want %s", got, c.want)
				}
			})
		}
	})
}

func TestDecide(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := build(t, db)
		ctx := context.Background()
		carol := w.subject("carol")
		bob := w.subject("bob")
		on := func(name string) acl.Target { return acl.Target{ContainerID: w.conts[name]} }

		if err := w.eng.Decide(ctx, carol, on("carol-read"), acl.PrivRead); err != nil {
			t.Errorf("read with a read grant: %v", err)
		}
		err := w.eng.Decide(ctx, carol, on("carol-read"), acl.PrivBind)
		if !errors.Is(err, core.ErrForbidden) {
			t.Errorf("bind with a read grant: %v, want forbidden", err)
		}
		if p, ok := acl.IsDenied(err); !ok || p != acl.PrivBind {
			t.Errorf("denied privilege %q, want bind", p)
		}
		if err := w.eng.Decide(ctx, bob, on("carol-read"), acl.PrivRead); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("read without any grant: %v, want not found (existence hidden)", err)
		}
		if err := w.eng.Decide(ctx, bob, on("members-limited"), acl.PrivBind); err != nil {
			t.Errorf("bind with limited: %v", err)
		}
		if err := w.eng.Decide(ctx, bob, on("members-limited"), acl.PrivWriteACL); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("write-acl with limited: %v", err)
		}
		if err := w.eng.Decide(ctx, bob, acl.Target{ContainerID: 1 << 40}, acl.PrivRead); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("unknown container: %v", err)
		}
	})
}

// TestFilterAgreesWithDecision checks, for every subject and container,
// that the listing filter returns exactly what Level allows to read, for
// containers and for content.
func TestFilterAgreesWithDecision(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := build(t, db)
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `CREATE TABLE test_items (id BIGINT PRIMARY KEY, container_id BIGINT NOT NULL, author_id BIGINT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		type item struct{ id, container, author int64 }
		var items []item
		n := int64(0)
		for _, cid := range w.conts {
			for _, author := range []string{"bob", "carol", "dave"} {
				n++
				it := item{n, cid, w.subjects[author].AccountID}
				items = append(items, it)
				if _, err := db.NewRaw(`INSERT INTO test_items VALUES (?, ?, ?)`, it.id, it.container, it.author).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		names := []string{"anon", "anon+unlocked"}
		for name := range w.subjects {
			names = append(names, name)
		}
		for _, name := range names {
			who := w.subject(name)
			var listed []int64
			q := db.NewSelect().TableExpr("containers AS c").Column("c.id").Order("c.id")
			if err := acl.WhereReadable(q, who, "c").Scan(ctx, &listed); err != nil {
				t.Fatal(err)
			}
			var want []int64
			for _, cid := range w.conts {
				l, err := w.eng.Level(ctx, who, acl.Target{ContainerID: cid})
				if err != nil {
					t.Fatal(err)
				}
				if l >= acl.Read {
					want = append(want, cid)
				}
			}
			slices.Sort(want)
			if !slices.Equal(listed, want) {
				t.Errorf("%s: containers listed %v, decided readable %v", name, listed, want)
			}

			var listedItems []int64
			qi := db.NewSelect().TableExpr("test_items AS i").Join("JOIN containers AS c ON c.id = i.container_id").
				Column("i.id").Order("i.id")
			if err := acl.WhereReadableItems(qi, who, "c", "i.author_id").Scan(ctx, &listedItems); err != nil {
				t.Fatal(err)
			}
			var wantItems []int64
			for _, it := range items {
				l, err := w.eng.Level(ctx, who, acl.Target{ContainerID: it.container, AuthorID: it.author, Item: true})
				if err != nil {
					t.Fatal(err)
				}
				if l >= acl.Read {
					wantItems = append(wantItems, it.id)
				}
			}
			slices.Sort(wantItems)
			if !slices.Equal(listedItems, wantItems) {
				t.Errorf("%s: items listed %v, decided readable %v", name, listedItems, wantItems)
			}
		}
	})
}

func TestGrantValidation(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := build(t, db)
		ctx := context.Background()
		cid := w.conts["public"]
		for _, g := range []acl.Grant{
			{PrincipalKind: acl.PrincipalAnonymous, Level: acl.Write},
			{PrincipalKind: acl.PrincipalUser, PrincipalID: 0, Level: acl.Read},
			{PrincipalKind: "robot", PrincipalID: 1, Level: acl.Read},
			{PrincipalKind: acl.PrincipalUser, PrincipalID: 1, Level: 9},
		} {
			err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				return acl.SetGrants(ctx, tx, cid, []acl.Grant{g})
			})
			if !errors.Is(err, core.ErrInvalid) {
				t.Errorf("grant %+v: %v, want invalid", g, err)
			}
		}
		gs, err := acl.Grants(ctx, db, cid)
		if err != nil || len(gs) != 1 {
			t.Errorf("grants after refused changes: %v %v", gs, err)
		}
	})
}

func TestPrivilegeMapping(t *testing.T) {
	for _, c := range []struct {
		level      acl.Level
		collection bool
		has, lacks []acl.Privilege
	}{
		{acl.None, true, nil, []acl.Privilege{acl.PrivRead}},
		{acl.Read, true, []acl.Privilege{acl.PrivRead, acl.PrivReadCurrentUserPrivs}, []acl.Privilege{acl.PrivBind, acl.PrivWrite}},
		{acl.Limited, true, []acl.Privilege{acl.PrivRead, acl.PrivBind}, []acl.Privilege{acl.PrivUnbind, acl.PrivWrite, acl.PrivWriteContent}},
		{acl.Write, false, []acl.Privilege{acl.PrivWrite, acl.PrivWriteContent, acl.PrivWriteProperties, acl.PrivBind, acl.PrivUnbind}, []acl.Privilege{acl.PrivAll, acl.PrivWriteACL}},
		{acl.Full, true, []acl.Privilege{acl.PrivAll, acl.PrivReadACL, acl.PrivWriteACL, acl.PrivWrite}, nil},
	} {
		t.Run(fmt.Sprint(c.level), func(t *testing.T) {
			for _, p := range c.has {
				if !acl.Allows(c.level, c.collection, p) {
					t.Errorf("%s lacks %s", c.level, p)
				}
			}
			for _, p := range c.lacks {
				if acl.Allows(c.level, c.collection, p) {
					t.Errorf("%s has %s", c.level, p)
				}
			}
		})
	}
	if l, ok := acl.RoomRoleLevel("content-creator"); !ok || l != acl.Limited {
		t.Errorf("content-creator maps to %s", l)
	}
	if l, ok := acl.RoomRoleLevel("room-manager"); !ok || l != acl.Full {
		t.Errorf("room-manager maps to %s", l)
	}
}
