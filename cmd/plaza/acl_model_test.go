package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/store"
)

// TestACLModel is a model-based test of the access rules: it generates a
// random platform (spaces, members and space administrators, a guest,
// folders and files by their authors, calendars and events, grants, BINDs,
// then removals from spaces), and checks what every subject gets from the
// real server over DAV files, CalDAV, the JSON API and search against a
// small reference model of the rules the README states (model.level). A
// disagreement names the subject, surface, operation and resource.
//
// `make test` runs one fixed seed on each database; PLAZA_ACL_MODEL_SEEDS=N
// runs N seeds (from PLAZA_ACL_MODEL_SEED, default 1): `make acl-model`.
func TestACLModel(t *testing.T) {
	first, seeds := uint64(1), 1
	if v := os.Getenv("PLAZA_ACL_MODEL_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("PLAZA_ACL_MODEL_SEED: %v", err)
		}
		first = n
	}
	if v := os.Getenv("PLAZA_ACL_MODEL_SEEDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PLAZA_ACL_MODEL_SEEDS: %q", v)
		}
		seeds = n
	}
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			var total int64
			binds := map[int]int{}
			for seed := first; seed < first+uint64(seeds); seed++ {
				n := runACLModel(t, d, seed, binds)
				total += n
				if t.Failed() {
					t.Fatalf("seed %d failed (rerun with PLAZA_ACL_MODEL_SEED=%d PLAZA_ACL_MODEL_SEEDS=1)", seed, seed)
				}
			}
			// go test shows a passing package's output only with -v, so the
			// count also goes to the file PLAZA_ACL_MODEL_REPORT names, which
			// .ci/test (make test) prints after the suite.
			line := fmt.Sprintf("acl model (%s): %d seed(s) from %d, %d (subject, surface, operation) cases checked; BINDs: %d bound, %d refused 403, %d refused 404\n",
				d, seeds, first, total, binds[http.StatusCreated], binds[http.StatusForbidden], binds[http.StatusNotFound])
			fmt.Print(line)
			if p := os.Getenv("PLAZA_ACL_MODEL_REPORT"); p != "" {
				f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if _, err := f.WriteString(line); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

type mUser struct {
	login string
	id    int64
	guest bool
	admin bool // platform owner or administrator
}

func (u *mUser) pass() string { return "pw-" + u.login + "-model" }

type mSpace struct {
	slug   string
	id     int64
	public bool
}

type mCont struct {
	id     int64
	space  *mSpace // nil: personal
	owner  *mUser
	grants []acl.Grant
}

type mFile struct {
	id     int64 // of its node
	name   string
	dir    *mFolder // nil: at the space root
	space  *mSpace
	author *mUser
}

type mFolder struct {
	name  string
	space *mSpace
	cont  *mCont
	files []*mFile
}

type mCal struct {
	cont  *mCont
	slug  string // agenda (of a space) or personal
	owner *mUser // personal calendars
}

// segment is the calendar's name in the home of who.
func (c *mCal) segment(who *mUser) string {
	switch {
	case c.cont.space != nil:
		return c.slug + "@" + c.cont.space.slug
	case c.owner == who:
		return c.slug
	}
	return c.slug + "~" + c.owner.login
}

type mEvent struct {
	name   string
	uid    string
	author *mUser
	cals   []*mCal // every calendar holding it (BIND adds)
}

type model struct {
	users   []*mUser
	spaces  []*mSpace
	roles   map[[2]int64]string // (space id, account id) → admin | member
	roots   map[*mSpace]*mCont
	agendas map[*mSpace]*mCal
	persons map[*mUser]*mCal
	folders []*mFolder
	files   []*mFile
	events  []*mEvent
	boxes   []*mBox // wiki and links folders
}

// mBox is a wiki or links folder with its pages or links.
type mBox struct {
	kind    string // wiki or links
	space   *mSpace
	cont    *mCont
	entries []mEntry
}

type mEntry struct {
	id     int64
	author *mUser
}

// paths of a box's listing and of one entry, over the API.
func (b *mBox) listPath() string {
	if b.kind == "wiki" {
		return fmt.Sprintf("/api/v1/wiki/folders/%d/pages", b.cont.id)
	}
	return fmt.Sprintf("/api/v1/linkfolders/%d/links", b.cont.id)
}

func (b *mBox) entryPath(id int64) string {
	if b.kind == "wiki" {
		return fmt.Sprintf("/api/v1/wiki/pages/%d", id)
	}
	return fmt.Sprintf("/api/v1/links/%d", id)
}

func (m *model) member(u *mUser, s *mSpace) bool {
	if u.admin {
		return true
	}
	_, ok := m.roles[[2]int64{s.id, u.id}]
	return ok
}

// level is the README's rules, written out once more, plainly.
func (m *model) level(u *mUser, c *mCont) acl.Level {
	l := acl.None
	up := func(x acl.Level) {
		if x > l {
			l = x
		}
	}
	inSpace := c.space == nil || m.member(u, c.space)
	if c.owner == u && inSpace {
		up(acl.Full)
	}
	if c.space != nil && (u.admin || m.roles[[2]int64{c.space.id, u.id}] == "admin") {
		up(acl.Write)
	}
	for _, g := range c.grants {
		switch g.PrincipalKind {
		case acl.PrincipalUser:
			if g.PrincipalID == u.id && inSpace {
				up(g.Level)
			}
		case acl.PrincipalSpace:
			if c.space != nil && g.PrincipalID == c.space.id && m.member(u, c.space) {
				up(g.Level)
			}
		case acl.PrincipalAnonymous:
			// Guests see only the spaces they belong to.
			if c.space != nil && c.space.public && (!u.guest || m.member(u, c.space)) {
				up(acl.Read)
			}
		}
	}
	return l
}

func (m *model) itemLevel(u *mUser, c *mCont, author *mUser) acl.Level {
	if author == u && (c.space == nil || m.member(u, c.space)) {
		return acl.Full
	}
	return acl.ItemLevel(m.level(u, c), false)
}

func (m *model) fileCont(f *mFile) *mCont {
	if f.dir != nil {
		return f.dir.cont
	}
	return m.roots[f.space]
}

func (m *model) visibleSpaces(u *mUser) []string {
	var out []string
	for _, s := range m.spaces {
		if u.admin || m.member(u, s) || (s.public && !u.guest) {
			out = append(out, s.slug)
		}
	}
	sort.Strings(out)
	return out
}

// eventWritable: write-content on the event in every calendar holding it.
func (m *model) eventWritable(u *mUser, e *mEvent) bool {
	for _, c := range e.cals {
		if !acl.Allows(m.itemLevel(u, c.cont, e.author), false, acl.PrivWriteContent) {
			return false
		}
	}
	return true
}

func icsEvent(uid string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//plaza//model//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20261201T090000Z\r\nDTSTART:20261210T090000Z\r\nDTEND:20261210T100000Z\r\nSUMMARY:plazamodel\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// runACLModel builds one random platform from seed and checks it; it
// returns the number of cases checked and counts BIND answers in binds.
func runACLModel(t *testing.T, d store.Dialect, seed uint64, binds map[int]int) int64 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	in := newInstance(t, d)
	ctx := context.Background()
	m := &model{roles: map[[2]int64]string{}, roots: map[*mSpace]*mCont{}, agendas: map[*mSpace]*mCal{},
		persons: map[*mUser]*mCal{}}

	// Accounts and spaces, with the command line.
	m.users = append(m.users, &mUser{login: "root", admin: true})
	for i := range 4 {
		m.users = append(m.users, &mUser{login: fmt.Sprintf("u%d", i)})
	}
	m.users = append(m.users, &mUser{login: "gus", guest: true})
	for _, u := range m.users {
		args := []string{"user", "add", u.login}
		if u.guest {
			args = append(args, "--guest")
		}
		if r := in.run(u.pass()+"\n", args...); r.code != 0 {
			t.Fatalf("user add %s: %s", u.login, r.stderr)
		}
	}
	m.spaces = []*mSpace{{slug: "priv"}, {slug: "pub", public: true}}
	for _, s := range m.spaces {
		args := []string{"space", "add", s.slug}
		if s.public {
			args = append(args, "--public")
		}
		if r := in.run("", args...); r.code != 0 {
			t.Fatalf("space add: %s", r.stderr)
		}
	}
	type membership struct {
		s    *mSpace
		u    *mUser
		role string
	}
	var members []membership
	for _, s := range m.spaces {
		for _, u := range m.users[1:] {
			if rng.IntN(10) < 7 {
				role := "member"
				if !u.guest && rng.IntN(5) == 0 {
					role = "admin"
				}
				if r := in.run("", "space", "member", s.slug, u.login, "--role", role); r.code != 0 {
					t.Fatalf("space member: %s", r.stderr)
				}
				members = append(members, membership{s, u, role})
			}
		}
	}
	srv := in.serve()

	// The test reads ids and sets grants on folders and calendars in the
	// database: no protocol sets grants on those yet.
	db := in.openDB(ctx)
	for _, u := range m.users {
		if err := db.NewRaw(`SELECT id FROM accounts WHERE login = ?`, u.login).Scan(ctx, &u.id); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range m.spaces {
		if err := db.NewRaw(`SELECT id FROM spaces WHERE slug = ?`, s.slug).Scan(ctx, &s.id); err != nil {
			t.Fatal(err)
		}
	}
	for _, mb := range members {
		m.roles[[2]int64{mb.s.id, mb.u.id}] = mb.role
	}

	var cases atomic.Int64
	do := func(u *mUser, method, path, body string, hdr ...string) (int, string) {
		t.Helper()
		return request(t, srv.url, u.login, u.pass(), method, path, strings.NewReader(body), hdr...)
	}
	must := func(u *mUser, method, path, body string, want ...int) {
		t.Helper()
		code, b := do(u, method, path, body)
		if !slices.Contains(want, code) {
			t.Fatalf("set-up: %s %s %s: %d %s", u.login, method, path, code, b)
		}
	}
	contID := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.NewRaw(q, args...).Scan(ctx, &id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	randomGrants := func(c *mCont) {
		var gs []acl.Grant
		levels := []acl.Level{acl.Read, acl.Limited, acl.Write, acl.Full}
		if c.space != nil && rng.IntN(2) == 0 {
			gs = append(gs, acl.Grant{PrincipalKind: acl.PrincipalSpace, PrincipalID: c.space.id, Level: levels[rng.IntN(3)]})
		}
		for _, u := range m.users[1:] {
			if rng.IntN(4) == 0 {
				gs = append(gs, acl.Grant{PrincipalKind: acl.PrincipalUser, PrincipalID: u.id, Level: levels[rng.IntN(4)]})
			}
		}
		if c.space != nil && rng.IntN(3) == 0 {
			gs = append(gs, acl.Grant{PrincipalKind: acl.PrincipalAnonymous, Level: acl.Read})
		}
		if err := acl.SetGrants(ctx, db, c.id, gs); err != nil {
			t.Fatal(err)
		}
		c.grants = gs
	}

	// Content, by the members, over DAV.
	for _, u := range m.users {
		must(u, "PROPFIND", "/dav/calendars/"+u.login+"/", "", 207)
		c := &mCal{slug: "personal", owner: u}
		c.cont = &mCont{id: contID(`SELECT container_id FROM dav_collections WHERE kind = 'calendar' AND personal AND scope = ?`,
			"u"+strconv.FormatInt(u.id, 10)), owner: u}
		m.persons[u] = c
		e := &mEvent{name: "p-" + u.login + ".ics", uid: "p-" + u.login, author: u, cals: []*mCal{c}}
		must(u, "PUT", "/dav/calendars/"+u.login+"/personal/"+e.name, icsEvent(e.uid), 201)
		m.events = append(m.events, e)
	}
	for _, s := range m.spaces {
		must(m.users[0], "PROPFIND", "/dav/spaces/"+s.slug+"/", "", 207) // makes the tree
		root := &mCont{id: contID(`SELECT container_id FROM file_roots WHERE space_id = ?`, s.id), space: s,
			grants: []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: s.id, Level: acl.Write}}}
		m.roots[s] = root
		agenda := &mCal{slug: "agenda", cont: &mCont{space: s, grants: []acl.Grant{{PrincipalKind: acl.PrincipalSpace, PrincipalID: s.id, Level: acl.Write}}}}
		m.agendas[s] = agenda
		var in []*mUser
		for _, u := range m.users[1:] {
			if m.member(u, s) {
				in = append(in, u)
			}
		}
		for _, u := range in {
			dir := &mFolder{name: "d-" + u.login, space: s}
			must(u, "MKCOL", "/dav/spaces/"+s.slug+"/"+dir.name+"/", "", 201)
			dir.cont = &mCont{id: contID(`SELECT n.container_id FROM file_nodes n JOIN containers c ON c.id = n.container_id
				WHERE n.name = ? AND c.space_id = ?`, dir.name, s.id), space: s, owner: u, grants: root.grants}
			m.folders = append(m.folders, dir)
			for _, w := range []*mUser{u, in[rng.IntN(len(in))]} {
				f := &mFile{name: "f-" + w.login + "-in-" + dir.name + ".txt", dir: dir, space: s, author: w}
				if slices.ContainsFunc(dir.files, func(g *mFile) bool { return g.name == f.name }) {
					continue
				}
				must(w, "PUT", "/dav/spaces/"+s.slug+"/"+dir.name+"/"+f.name, "plazamodel "+f.name, 201)
				dir.files = append(dir.files, f)
				m.files = append(m.files, f)
			}
			f := &mFile{name: "r-" + u.login + ".txt", space: s, author: u}
			must(u, "PUT", "/dav/spaces/"+s.slug+"/"+f.name, "plazamodel "+f.name, 201)
			m.files = append(m.files, f)
			e := &mEvent{name: "e-" + u.login + "-" + s.slug + ".ics", uid: "e-" + u.login + "-" + s.slug, author: u, cals: []*mCal{agenda}}
			must(u, "PUT", "/dav/calendars/"+u.login+"/agenda@"+s.slug+"/"+e.name, icsEvent(e.uid), 201)
			m.events = append(m.events, e)
		}
		if len(in) > 0 {
			agenda.cont.id = contID(`SELECT container_id FROM dav_collections WHERE kind = 'calendar' AND scope = ? AND slug = 'agenda'`,
				"s"+strconv.FormatInt(s.id, 10))
		}
	}
	for _, f := range m.files {
		f.id = contID(`SELECT n.id FROM file_nodes n JOIN containers c ON c.id = n.container_id
			WHERE n.name = ? AND c.space_id = ?`, f.name, f.space.id)
	}
	// Wiki and links folders, with a page or link by their maker and one
	// by another member where the members' level lets them add.
	apiID := func(u *mUser, path, body string) int64 {
		t.Helper()
		code, b := do(u, "POST", path, body, "Content-Type", "application/json")
		var v struct {
			ID int64 `json:"id"`
		}
		if code != 201 || json.Unmarshal([]byte(b), &v) != nil || v.ID == 0 {
			t.Fatalf("set-up: %s POST %s: %d %s", u.login, path, code, b)
		}
		return v.ID
	}
	for _, s := range m.spaces {
		var in []*mUser
		for _, u := range m.users[1:] {
			if m.member(u, s) {
				in = append(in, u)
			}
		}
		for _, u := range in {
			for _, kind := range []string{"wiki", "links"} {
				lv := []string{"read", "limited", "write"}[rng.IntN(3)]
				b := &mBox{kind: kind, space: s, cont: &mCont{space: s}}
				b.cont.id = apiID(u, fmt.Sprintf("/api/v1/spaces/%d/%s/folders", s.id, kind), `{"name":"`+kind+"-"+u.login+`","members":"`+lv+`"}`)
				var owner *int64
				if err := db.NewRaw(`SELECT owner_id FROM containers WHERE id = ?`, b.cont.id).Scan(ctx, &owner); err != nil {
					t.Fatal(err)
				}
				if owner != nil && *owner == u.id {
					b.cont.owner = u
				}
				gs, err := acl.Grants(ctx, db, b.cont.id)
				if err != nil {
					t.Fatal(err)
				}
				b.cont.grants = gs
				writers := []*mUser{u}
				if v := in[rng.IntN(len(in))]; v != u && acl.Allows(m.level(v, b.cont), true, acl.PrivBind) {
					writers = append(writers, v)
				}
				for _, w := range writers {
					body := `{"title":"plazamodel ` + w.login + `","body":"x"}`
					if kind == "links" {
						body = `{"url":"https://example.org/` + w.login + `"}`
					}
					b.entries = append(b.entries, mEntry{id: apiID(w, b.listPath(), body), author: w})
				}
				m.boxes = append(m.boxes, b)
			}
		}
	}
	// Grants: folders and personal calendars get random ones.
	for _, b := range m.boxes {
		if rng.IntN(2) == 0 {
			randomGrants(b.cont)
		}
	}
	for _, dir := range m.folders {
		if rng.IntN(3) > 0 {
			randomGrants(dir.cont)
		}
	}
	for _, u := range m.users { // in order: the seed alone decides
		if rng.IntN(2) == 0 {
			randomGrants(m.persons[u].cont)
		}
	}
	// BINDs: people try to bind events they can address into their own
	// personal calendar.
	var fails []string
	fail := func(format string, a ...any) { fails = append(fails, fmt.Sprintf(format, a...)) }
	for i := range 24 {
		u := m.users[1+rng.IntN(len(m.users)-1)]
		to := m.persons[u]
		// Mostly events u can read (where the write rule decides), some
		// at random (mostly not found).
		type pick struct {
			e    *mEvent
			from *mCal
		}
		var picks []pick
		for _, e := range m.events {
			for _, c := range e.cals {
				if (i%4 == 0 || m.level(u, c.cont) >= acl.Read) && c.cont.id != 0 && !slices.Contains(e.cals, to) {
					picks = append(picks, pick{e, c})
				}
			}
		}
		if len(picks) == 0 {
			continue
		}
		pk := picks[rng.IntN(len(picks))]
		e, from := pk.e, pk.from
		body := `<?xml version="1.0" encoding="utf-8"?><D:bind xmlns:D="DAV:"><D:segment>` + e.name +
			`</D:segment><D:href>/dav/calendars/` + u.login + "/" + from.segment(u) + "/" + e.name + `</D:href></D:bind>`
		code, b := do(u, "BIND", "/dav/calendars/"+u.login+"/personal/", body, "Content-Type", "application/xml")
		cases.Add(1)
		want := http.StatusCreated
		switch {
		case m.level(u, from.cont) < acl.Read:
			want = http.StatusNotFound
		case !m.eventWritable(u, e):
			want = http.StatusForbidden
		}
		if code != want {
			fail("%s BIND %s from %s: %d, model %d (%s)", u.login, e.name, from.segment(u), code, want, strings.TrimSpace(b))
		}
		binds[code]++
		if code == http.StatusCreated {
			e.cals = append(e.cals, to)
		}
	}
	// Removals from spaces, by the platform owner over the API.
	for _, mb := range members {
		if rng.IntN(10) < 3 {
			must(m.users[0], "DELETE", fmt.Sprintf("/api/v1/admin/spaces/%d/members/%d", mb.s.id, mb.u.id), "", 204)
			delete(m.roles, [2]int64{mb.s.id, mb.u.id})
		}
	}

	// Search needs the indexer: wait until the platform owner finds every
	// file of the spaces.
	searchFiles := func(u *mUser) ([]string, int) {
		var out []string
		for offset := 0; ; offset += 100 { // 100 hits a page at most
			code, b := do(u, "GET", fmt.Sprintf("/api/v1/search?q=plazamodel&module=files&limit=100&offset=%d", offset), "")
			var res struct {
				Hits []struct {
					Title string `json:"title"`
				} `json:"hits"`
			}
			if code != 200 {
				return nil, code
			}
			if err := json.Unmarshal([]byte(b), &res); err != nil {
				t.Fatal(err)
			}
			for _, h := range res.Hits {
				out = append(out, h.Title)
			}
			if len(res.Hits) < 100 {
				break
			}
		}
		sort.Strings(out)
		return out, 200
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		got, _ := searchFiles(m.users[0])
		if len(got) == len(m.files) {
			break
		}
		if time.Now().After(deadline) {
			var want []string
			for _, f := range m.files {
				want = append(want, f.space.slug+"/"+f.name)
			}
			t.Fatalf("the indexer did not index the %d files %v: %v", len(m.files), want, got)
		}
		time.Sleep(200 * time.Millisecond)
	}

	hrefRE := regexp.MustCompile(`<(?:D:|d:)?href>([^<]+)</(?:D:|d:)?href>`)
	propfindNames := func(u *mUser, path string) (int, []string) {
		code, b := do(u, "PROPFIND", path, "", "Depth", "1")
		var names []string
		for _, mm := range hrefRE.FindAllStringSubmatch(b, -1) {
			h, _ := url.PathUnescape(mm[1])
			h = strings.TrimSuffix(strings.TrimPrefix(h, srv.url), "/")
			if h == strings.TrimSuffix(path, "/") {
				continue
			}
			names = append(names, h[strings.LastIndex(h, "/")+1:])
		}
		sort.Strings(names)
		return code, names
	}
	status := func(read, write bool) int {
		switch {
		case !read:
			return http.StatusNotFound
		case !write:
			return http.StatusForbidden
		}
		return http.StatusNoContent
	}

	for _, u := range m.users {
		// API and DAV listings of spaces.
		cases.Add(2)
		want := m.visibleSpaces(u)
		code, b := do(u, "GET", "/api/v1/spaces", "")
		var sp struct {
			Spaces []struct {
				Slug string `json:"slug"`
			} `json:"spaces"`
		}
		json.Unmarshal([]byte(b), &sp) //nolint:errcheck // compared below
		var got []string
		for _, s := range sp.Spaces {
			got = append(got, s.Slug)
		}
		sort.Strings(got)
		if code != 200 || !slices.Equal(got, want) {
			fail("%s GET /api/v1/spaces: %d %v, model %v", u.login, code, got, want)
		}
		if code, got := propfindNames(u, "/dav/spaces/"); code != 207 || !slices.Equal(got, want) {
			fail("%s PROPFIND /dav/spaces/: %d %v, model %v", u.login, code, got, want)
		}
		// Search over files.
		cases.Add(1)
		var wantFiles []string
		for _, f := range m.files {
			if m.itemLevel(u, m.fileCont(f), f.author) >= acl.Read {
				wantFiles = append(wantFiles, f.name)
			}
		}
		sort.Strings(wantFiles)
		if got, code := searchFiles(u); code != 200 || !slices.Equal(got, wantFiles) {
			fail("%s search files: %d %v, model %v", u.login, code, got, wantFiles)
		}
		// Folders: a listing shows what the model lets read.
		for _, dir := range m.folders {
			cases.Add(1)
			path := "/dav/spaces/" + dir.space.slug + "/" + dir.name + "/"
			code, got := propfindNames(u, path)
			if m.itemLevel(u, dir.cont, dir.cont.owner) < acl.Read {
				if code != http.StatusNotFound {
					fail("%s PROPFIND %s: %d, model 404", u.login, path, code)
				}
				continue
			}
			var want []string
			for _, f := range dir.files {
				if m.itemLevel(u, dir.cont, f.author) >= acl.Read {
					want = append(want, f.name)
				}
			}
			sort.Strings(want)
			if code != 207 || !slices.Equal(got, want) {
				fail("%s PROPFIND %s: %d %v, model %v", u.login, path, code, got, want)
			}
		}
		// Files: read and write each.
		for _, f := range m.files {
			cases.Add(2)
			path := "/dav/spaces/" + f.space.slug + "/" + f.name
			if f.dir != nil {
				path = "/dav/spaces/" + f.space.slug + "/" + f.dir.name + "/" + f.name
			}
			l := m.itemLevel(u, m.fileCont(f), f.author)
			wantGet := http.StatusOK
			if l < acl.Read {
				wantGet = http.StatusNotFound
			}
			if code, _ := do(u, "GET", path, ""); code != wantGet {
				fail("%s GET %s: %d, model %d (level %s)", u.login, path, code, wantGet, l)
			}
			wantPut := status(l >= acl.Read, acl.Allows(l, false, acl.PrivWriteContent))
			if f.dir != nil && m.itemLevel(u, f.dir.cont, f.dir.cont.owner) < acl.Read {
				// A folder one may not see is a missing parent (RFC 4918: 409).
				wantPut = http.StatusConflict
			}
			if code, _ := do(u, "PUT", path, "plazamodel "+f.name); code != wantPut {
				fail("%s PUT %s: %d, model %d (level %s)", u.login, path, code, wantPut, l)
			}
		}
		// Wiki pages and links over the API: each entry, each listing.
		for _, b := range m.boxes {
			cases.Add(1)
			code, body := do(u, "GET", b.listPath(), "")
			if m.level(u, b.cont) < acl.Read {
				if code != http.StatusNotFound {
					fail("%s GET %s: %d, model 404", u.login, b.listPath(), code)
				}
			} else {
				var got, want []int64
				var v map[string][]struct {
					ID int64 `json:"id"`
				}
				json.Unmarshal([]byte(body), &v) //nolint:errcheck // compared below
				for _, l := range v {
					for _, e := range l {
						got = append(got, e.ID)
					}
				}
				for _, e := range b.entries {
					if m.itemLevel(u, b.cont, e.author) >= acl.Read {
						want = append(want, e.id)
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				if code != 200 || !slices.Equal(got, want) {
					fail("%s GET %s: %d %v, model %v", u.login, b.listPath(), code, got, want)
				}
			}
			for _, e := range b.entries {
				cases.Add(1)
				want := http.StatusOK
				if m.itemLevel(u, b.cont, e.author) < acl.Read {
					want = http.StatusNotFound
				}
				if code, _ := do(u, "GET", b.entryPath(e.id), ""); code != want {
					fail("%s GET %s: %d, model %d", u.login, b.entryPath(e.id), code, want)
				}
			}
		}
		// Pages: each file's download in the web UI, with a session.
		jar, _ := cookiejar.New(nil)
		web := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		login, _ := json.Marshal(map[string]string{"login": u.login, "password": u.pass()})
		resp, err := web.Post(srv.url+"/api/v1/session", "application/json", strings.NewReader(string(login)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s signs in: %d", u.login, resp.StatusCode)
		}
		for _, f := range m.files {
			cases.Add(1)
			path := fmt.Sprintf("/s/%s/files/%d/raw", f.space.slug, f.id)
			resp, err := web.Get(srv.url + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := http.StatusOK
			if m.itemLevel(u, m.fileCont(f), f.author) < acl.Read {
				want = http.StatusNotFound
			}
			if resp.StatusCode != want {
				fail("%s page GET %s (%s): %d, model %d", u.login, path, f.name, resp.StatusCode, want)
			}
		}
		// Events, through every calendar holding them.
		for _, e := range m.events {
			for _, c := range e.cals {
				if c.cont.space == nil && c.owner != u && c.cont.id == 0 {
					continue
				}
				cases.Add(2)
				path := "/dav/calendars/" + u.login + "/" + c.segment(u) + "/" + e.name
				// An event is reached through a calendar one may read.
				read := m.level(u, c.cont) >= acl.Read && m.itemLevel(u, c.cont, e.author) >= acl.Read
				wantGet := http.StatusOK
				if !read {
					wantGet = http.StatusNotFound
				}
				if code, _ := do(u, "GET", path, ""); code != wantGet {
					fail("%s GET %s: %d, model %d", u.login, path, code, wantGet)
				}
				wantPut := status(read, m.eventWritable(u, e))
				if code, b := do(u, "PUT", path, icsEvent(e.uid), "Content-Type", "text/calendar"); code != wantPut {
					fail("%s PUT %s: %d, model %d (%s)", u.login, path, code, wantPut, strings.TrimSpace(b))
				}
			}
		}
	}
	for _, f := range fails {
		t.Errorf("seed %d: %s", seed, f)
	}
	return cases.Load()
}

// TestNoExistenceOracle: over DAV, a name taken by a sub-folder one cannot
// see answers PUT and MKCOL as one taken by a folder one may only read,
// and a private space or another person's files answer 404 with the same
// text as missing ones (issue 20, item 4).
func TestNoExistenceOracle(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			in := newInstance(t, d)
			for _, login := range []string{"root", "ann", "bob"} {
				if r := in.run("pw-"+login+"-model\n", "user", "add", login); r.code != 0 {
					t.Fatal(r.stderr)
				}
			}
			in.run("", "space", "add", "team")
			in.run("", "space", "add", "hidden")
			in.run("", "space", "member", "team", "ann")
			in.run("", "space", "member", "team", "bob")
			srv := in.serve()
			do := func(login, method, path string) (int, string) {
				t.Helper()
				var body io.Reader
				if method == "PUT" {
					body = strings.NewReader("x")
				}
				return request(t, srv.url, login, "pw-"+login+"-model", method, path, body)
			}
			for _, dir := range []string{"secret", "open"} {
				if code, b := do("ann", "MKCOL", "/dav/spaces/team/"+dir+"/"); code != 201 {
					t.Fatalf("MKCOL %s: %d %s", dir, code, b)
				}
			}
			db := in.openDB(ctx)
			var team int64
			if err := db.NewRaw(`SELECT id FROM spaces WHERE slug = 'team'`).Scan(ctx, &team); err != nil {
				t.Fatal(err)
			}
			for dir, gs := range map[string][]acl.Grant{"secret": {},
				"open": {{PrincipalKind: acl.PrincipalSpace, PrincipalID: team, Level: acl.Read}}} {
				var id int64
				if err := db.NewRaw(`SELECT container_id FROM file_nodes WHERE name = ?`, dir).Scan(ctx, &id); err != nil {
					t.Fatal(err)
				}
				if err := acl.SetGrants(ctx, db, id, gs); err != nil {
					t.Fatal(err)
				}
			}
			if code, _ := do("bob", "PROPFIND", "/dav/spaces/team/secret/"); code != 404 {
				t.Fatalf("bob sees the secret folder: %d", code)
			}
			for _, method := range []string{"MKCOL", "PUT"} {
				path := map[string]string{"MKCOL": "/", "PUT": ""}[method]
				hc, hb := do("bob", method, "/dav/spaces/team/secret"+path)
				vc, vb := do("bob", method, "/dav/spaces/team/open"+path)
				if hc != vc || hb != vb || hc < 400 {
					t.Errorf("%s on a hidden folder's name: %d %q; on a read-only one: %d %q", method, hc, hb, vc, vb)
				}
			}
			for _, pair := range [][2]string{
				{"/dav/spaces/hidden/", "/dav/spaces/nosuch/"},
				{"/dav/spaces/hidden/a.txt", "/dav/spaces/nosuch/a.txt"},
				{"/dav/files/ann/", "/dav/files/nobody/"},
				{"/dav/spaces/team/secret/a.txt", "/dav/spaces/team/nosuch/a.txt"},
			} {
				rc, rb := do("bob", "GET", pair[0])
				mc, mb := do("bob", "GET", pair[1])
				if rc != 404 || mc != 404 || rb != mb {
					t.Errorf("GET %s: %d %q; GET %s: %d %q", pair[0], rc, rb, pair[1], mc, mb)
				}
			}
		})
	}
}

// TestRemovedMemberLosesWhatTheyMade: someone removed from a space loses
// what they made there, on every surface: their DAV folder and file, their
// task list (API, page and its VTODO calendar), their wiki folder and page,
// their links folder and link (issue 20, item 2).
func TestRemovedMemberLosesWhatTheyMade(t *testing.T) {
	for _, d := range coretest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, d)
			for _, login := range []string{"root", "ann"} {
				if r := in.run("pw-"+login+"-model\n", "user", "add", login); r.code != 0 {
					t.Fatal(r.stderr)
				}
			}
			in.run("", "space", "add", "team")
			in.run("", "space", "member", "team", "ann")
			srv := in.serve()
			do := func(login, method, path, body string) (int, string) {
				t.Helper()
				return request(t, srv.url, login, "pw-"+login+"-model", method, path, strings.NewReader(body), "Content-Type", "application/json")
			}
			id := func(code int, body string) int64 {
				t.Helper()
				var v struct {
					ID int64 `json:"id"`
				}
				if code/100 != 2 || json.Unmarshal([]byte(body), &v) != nil || v.ID == 0 {
					t.Fatalf("%d %s", code, body)
				}
				return v.ID
			}
			var sp struct {
				Spaces []struct {
					ID int64 `json:"id"`
				} `json:"spaces"`
			}
			_, b := do("ann", "GET", "/api/v1/spaces", "")
			if json.Unmarshal([]byte(b), &sp) != nil || len(sp.Spaces) != 1 {
				t.Fatalf("spaces: %s", b)
			}
			team := sp.Spaces[0].ID
			annID := id(do("ann", "GET", "/api/v1/me", ""))

			// What ann makes: a folder and a file, a wiki folder and page, a
			// links folder and link (closed to other members), a task list.
			if code, b := do("ann", "MKCOL", "/dav/spaces/team/ann/", ""); code != 201 {
				t.Fatalf("MKCOL: %d %s", code, b)
			}
			if code, b := do("ann", "PUT", "/dav/spaces/team/ann/notes.txt", "mine"); code != 201 {
				t.Fatalf("PUT: %d %s", code, b)
			}
			wf := id(do("ann", "POST", fmt.Sprintf("/api/v1/spaces/%d/wiki/folders", team), `{"name":"Ann's","members":"none"}`))
			page := id(do("ann", "POST", fmt.Sprintf("/api/v1/wiki/folders/%d/pages", wf), `{"title":"Plans","body":"mine"}`))
			lf := id(do("ann", "POST", fmt.Sprintf("/api/v1/spaces/%d/links/folders", team), `{"name":"Ann's","members":"none"}`))
			link := id(do("ann", "POST", fmt.Sprintf("/api/v1/linkfolders/%d/links", lf), `{"url":"https://example.org/"}`))

			jar, _ := cookiejar.New(nil)
			web := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := web.Post(srv.url+"/api/v1/session", "application/json", strings.NewReader(`{"login":"ann","password":"pw-ann-model"}`))
			if err != nil {
				t.Fatal(err)
			}
			var sess struct {
				CSRF string `json:"csrf_token"`
			}
			json.NewDecoder(resp.Body).Decode(&sess) //nolint:errcheck // checked below
			resp.Body.Close()
			if sess.CSRF == "" {
				t.Fatalf("session: %d", resp.StatusCode)
			}
			v := url.Values{"name": {"Ann's list"}, "members": {"read"}, "_csrf": {sess.CSRF}}
			req, _ := http.NewRequest("POST", srv.url+"/s/team/tasks", strings.NewReader(v.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err = web.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			listPage := resp.Header.Get("Location")
			list, err := strconv.ParseInt(listPage[strings.LastIndex(listPage, "/")+1:], 10, 64)
			if resp.StatusCode != 303 || err != nil {
				t.Fatalf("new task list: %d %q", resp.StatusCode, listPage)
			}
			pageStatus := func(path string) int {
				resp, err := web.Get(srv.url + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}

			reads := []string{
				"/dav/spaces/team/ann/notes.txt",
				fmt.Sprintf("/api/v1/wiki/folders/%d/pages", wf),
				fmt.Sprintf("/api/v1/wiki/pages/%d", page),
				fmt.Sprintf("/api/v1/linkfolders/%d/links", lf),
				fmt.Sprintf("/api/v1/links/%d", link),
				fmt.Sprintf("/api/v1/tasklists/%d/tasks", list),
				fmt.Sprintf("/dav/calendars/ann/tasks-%d@team/", list),
			}
			check := func(member bool) {
				t.Helper()
				for _, p := range reads {
					method := "GET"
					if strings.HasSuffix(p, "/") {
						method = "PROPFIND"
					}
					code, b := do("ann", method, p, "")
					if member != (code/100 == 2) {
						t.Errorf("member %v: %s %s: %d %s", member, method, p, code, b)
					}
				}
				if code := pageStatus(listPage); member != (code == 200) {
					t.Errorf("member %v: page %s: %d", member, listPage, code)
				}
				code, _ := do("ann", "PUT", "/dav/spaces/team/ann/notes.txt", "still mine?")
				if member != (code/100 == 2) {
					t.Errorf("member %v: PUT notes.txt: %d", member, code)
				}
			}
			check(true)
			if code, b := do("root", "DELETE", fmt.Sprintf("/api/v1/admin/spaces/%d/members/%d", team, annID), ""); code != 204 {
				t.Fatalf("remove ann: %d %s", code, b)
			}
			check(false)
		})
	}
}

// openDB opens the instance's database from the test, to read ids and set
// grants no protocol sets yet.
func (in *instance) openDB(ctx context.Context) *store.DB {
	in.t.Helper()
	var o store.Options
	for _, kv := range in.env {
		if v, ok := strings.CutPrefix(kv, "PLAZA_DATA="); ok {
			o.DataDir = v
		}
		if v, ok := strings.CutPrefix(kv, "PLAZA_DATABASE_URL="); ok {
			o.URL = v
		}
	}
	db, err := store.Open(ctx, o)
	if err != nil {
		in.t.Fatal(err)
	}
	in.t.Cleanup(func() { db.Close() })
	return db
}

// request sends one request with Basic credentials (none when login is
// empty) and header pairs, and returns the status and body.
func request(t *testing.T, base, login, pass, method, path string, body io.Reader, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if login != "" {
		req.SetBasicAuth(login, pass)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
