package search_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/activity"
	"plaza/core/blob"
	"plaza/core/files"
	"plaza/core/links"
	"plaza/core/search"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/wiki"
)

// world is a space "team" where olga writes content, alice is granted
// some of it and bob (a member too) none of it.
type world struct {
	t      *testing.T
	db     *store.DB
	ctx    context.Context
	team   int64
	olga   core.Subject
	alice  core.Subject
	bob    core.Subject
	blobs  *blob.Store
	files  *files.Service
	wiki   *wiki.Service
	links  *links.Service
	search *search.Service
	index  *search.Indexer
	feed   *activity.Service
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, db: db, ctx: ctx}
	spaces := space.New(db, nil)
	sp, err := spaces.Create(ctx, space.NewSpace{Slug: "team", Name: "Team"})
	w.must(err)
	w.team = sp.ID
	for _, who := range []*core.Subject{&w.olga, &w.alice, &w.bob} {
		login := map[*core.Subject]string{&w.olga: "olga", &w.alice: "alice", &w.bob: "bob"}[who]
		var id int64
		w.must(db.NewRaw(`INSERT INTO accounts (login, type, created_at, updated_at) VALUES (?, 'user', ?, ?) RETURNING id`,
			login, time.Now().UTC(), time.Now().UTC()).Scan(ctx, &id))
		*who = core.Subject{AccountID: id, Login: login, Type: core.User}
		w.must(spaces.SetMember(ctx, sp.ID, id, space.RoleMember))
	}
	w.blobs, err = blob.New(blob.Options{Dir: t.TempDir(), DB: db})
	w.must(err)
	engine := acl.New(db)
	w.files = files.New(files.Options{DB: db, Blobs: w.blobs})
	w.wiki = wiki.New(db, engine, nil)
	w.links = links.New(db, engine, w.blobs, nil)
	w.search = search.New(db)
	w.index = search.NewIndexer(db, w.blobs, nil)
	w.feed = activity.New(db, nil)
	return w
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) drain() {
	w.t.Helper()
	_, err := w.index.Drain(w.ctx)
	w.must(err)
}

func (w *world) exec(q string, args ...any) {
	w.t.Helper()
	_, err := w.db.NewRaw(q, args...).Exec(w.ctx)
	w.must(err)
}

// container makes a container of module m in the team space, granting
// read to the given subjects only.
func (w *world) container(m core.Module, kind string, readers ...core.Subject) int64 {
	w.t.Helper()
	var gs []acl.Grant
	for _, r := range readers {
		gs = append(gs, acl.Grant{PrincipalKind: acl.PrincipalUser, PrincipalID: r.AccountID, Level: acl.Read})
	}
	c := &acl.Container{SpaceID: &w.team, Module: m, Kind: kind, Name: fmt.Sprintf("%s-%d", kind, time.Now().UnixNano())}
	w.must(acl.CreateContainer(w.ctx, w.db, c, gs, time.Now()))
	return c.ID
}

// item stores one piece of content of module m whose text holds word, in
// a container readable by readers only, written by olga, through the
// module's own tables (their triggers feed the index). It returns the
// kind and id the index knows it by.
func (w *world) item(m core.Module, word string, readers ...core.Subject) (string, int64) {
	w.t.Helper()
	now := time.Now().UTC()
	olga := w.olga.AccountID
	var id int64
	switch m {
	case core.ModFiles:
		root, err := w.files.SpaceRoot(w.ctx, w.team)
		w.must(err)
		dir := fmt.Sprintf("d%d", time.Now().UnixNano())
		d, err := w.files.Mkdir(w.ctx, w.olga, root, files.Path{dir})
		w.must(err)
		var gs []acl.Grant
		for _, r := range readers {
			gs = append(gs, acl.Grant{PrincipalKind: acl.PrincipalUser, PrincipalID: r.AccountID, Level: acl.Read})
		}
		w.must(acl.SetGrants(w.ctx, w.db, d.ContainerID, gs))
		n, _, err := w.files.Put(w.ctx, w.olga, root, files.Path{dir, "notes.txt"}, bytes.NewBufferString("minutes about "+word), files.PutOptions{})
		w.must(err)
		return "file", n.ID
	case core.ModCalendar, core.ModContacts:
		kind, comp, data := "calendar", "VEVENT", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u-"+word+"\r\nSUMMARY:Meeting "+word+"\r\nDESCRIPTION:agenda\\nitems\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		ik := "event"
		if m == core.ModContacts {
			kind, comp, data, ik = "addressbook", "VCARD", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u-"+word+"\r\nFN:Jane "+word+"\r\nEMAIL:jane@example.org\r\nEND:VCARD\r\n", "contact"
		}
		cid := w.container(m, kind, readers...)
		w.exec(`INSERT INTO dav_collections (container_id, kind, scope, slug) VALUES (?, ?, ?, ?)`, cid, kind, "team", fmt.Sprint("c", cid))
		w.must(w.db.NewRaw(`INSERT INTO dav_objects (uid, component, data, etag, author_id, created_at, updated_at) VALUES (?, ?, ?, 'e', ?, ?, ?) RETURNING id`,
			"u-"+word, comp, data, olga, now, now).Scan(w.ctx, &id))
		w.exec(`INSERT INTO dav_members (collection_id, name, object_id, uid) VALUES (?, ?, ?, ?)`, cid, word+".ics", id, "u-"+word)
		return ik, id
	case core.ModForum:
		cat := w.container(m, "category", readers...)
		w.exec(`INSERT INTO forum_categories (container_id, space_id, slug, created_at) VALUES (?, ?, ?, ?)`, cat, w.team, fmt.Sprint("c", cat), now)
		topic := &acl.Container{SpaceID: &w.team, Module: m, Kind: "topic", Name: "t", ParentID: &cat}
		w.must(acl.CreateContainer(w.ctx, w.db, topic, nil, now))
		w.exec(`INSERT INTO forum_topics (container_id, category_id, title, body, author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			topic.ID, cat, "Topic", "<p>opening</p>", olga, now, now)
		w.must(w.db.NewRaw(`INSERT INTO forum_posts (topic_id, body, author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			topic.ID, "<p>a reply about <b>"+word+"</b></p>", olga, now, now).Scan(w.ctx, &id))
		return "post", id
	case core.ModNews:
		cid := w.container(m, "item", readers...)
		w.exec(`INSERT INTO news_articles (container_id, space_id, title, summary, body, author_id, published_at, updated_at) VALUES (?, ?, ?, '', ?, ?, ?, ?)`,
			cid, w.team, "News of "+word, "<p>body</p>", olga, now, now)
		return "news", cid
	case core.ModTasks:
		cid := w.container(m, "tasklist", readers...)
		var st int64
		w.must(w.db.NewRaw(`INSERT INTO task_statuses (container_id, name, position) VALUES (?, 'To do', 0) RETURNING id`, cid).Scan(w.ctx, &st))
		w.must(w.db.NewRaw(`INSERT INTO tasks (container_id, title, description, status_id, position, author_id, created_at, updated_at) VALUES (?, ?, '', ?, 0, ?, ?, ?) RETURNING id`,
			cid, "Do "+word, st, olga, now, now).Scan(w.ctx, &id))
		return "task", id
	case core.ModPolls:
		cid := w.container(m, "item", readers...)
		w.exec(`INSERT INTO polls (container_id, space_id, question, results, author_id, created_at) VALUES (?, ?, ?, 'always', ?, ?)`,
			cid, w.team, "Shall we "+word+"?", olga, now)
		return "poll", cid
	case core.ModWiki:
		var gs []acl.Grant
		for _, r := range readers {
			gs = append(gs, acl.Grant{PrincipalKind: acl.PrincipalUser, PrincipalID: r.AccountID, Level: acl.Read})
		}
		f, err := w.wiki.CreateFolder(w.ctx, w.olga, w.team, "folder "+word, gs)
		w.must(err)
		p, err := w.wiki.Create(w.ctx, w.olga, f.ID, wiki.Input{Title: "Page", Body: "# Heading\n\nAll about " + word})
		w.must(err)
		return "wiki", p.ID
	case core.ModLinks:
		var gs []acl.Grant
		for _, r := range readers {
			gs = append(gs, acl.Grant{PrincipalKind: acl.PrincipalUser, PrincipalID: r.AccountID, Level: acl.Read})
		}
		f, err := w.links.CreateFolder(w.ctx, w.olga, w.team, "folder "+word, gs)
		w.must(err)
		l, err := w.links.Add(w.ctx, w.olga, f.ID, links.Input{URL: "https://example.org/" + word, Title: "Site", Description: "see " + word})
		w.must(err)
		return "link", l.ID
	}
	w.t.Fatalf("no item for module %s", m)
	return "", 0
}

// pdfWith returns a one-page PDF showing text.
func pdfWith(text string) []byte {
	content := "BT /F1 18 Tf 72 720 Td (" + text + ") Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// docxWith returns a minimal Word document holding text.
func docxWith(text string) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for name, body := range map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"word/document.xml": `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>` +
			text + `</w:t></w:r></w:p><w:p><w:r><w:t>second</w:t></w:r><w:r><w:t xml:space="preserve"> paragraph</w:t></w:r></w:p></w:body></w:document>`,
	} {
		f, _ := z.Create(name)
		f.Write([]byte(body))
	}
	z.Close()
	return b.Bytes()
}

// reuseWorld finds the subjects of a world built earlier in db.
func reuseWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, db: db, ctx: ctx, search: search.New(db)}
	for _, p := range []struct {
		s     *core.Subject
		login string
	}{{&w.olga, "olga"}, {&w.alice, "alice"}, {&w.bob, "bob"}} {
		var id int64
		w.must(db.NewRaw(`SELECT id FROM accounts WHERE login = ?`, p.login).Scan(ctx, &id))
		*p.s = core.Subject{AccountID: id, Login: p.login, Type: core.User}
	}
	w.must(db.NewRaw(`SELECT id FROM spaces WHERE slug = 'team'`).Scan(ctx, &w.team))
	return w
}
