package search

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/activity"
	"plaza/core/blob"
	"plaza/core/store"
)

// The index is kept by a durable queue: triggers on every content table
// (migration 0011) insert a search_queue row in the writer's transaction,
// and the Indexer turns queued rows into search documents and activity
// events. A change is never lost: a row leaves the queue only in the
// transaction that indexed it. Several processes may index at once on
// PostgreSQL (rows are taken FOR UPDATE SKIP LOCKED).

// doc is one searchable item.
type doc struct {
	bun.BaseModel `bun:"table:search_docs,alias:d"`

	ID          int64       `bun:",pk,autoincrement"`
	Kind        string      `bun:"kind"`
	RefID       int64       `bun:"ref_id"`
	Module      core.Module `bun:"module"`
	SpaceID     *int64      `bun:"space_id"`
	ContainerID int64       `bun:"container_id"`
	AuthorID    *int64      `bun:"author_id"`
	Title       string      `bun:"title"`
	Body        string      `bun:"body"`
	UpdatedAt   time.Time   `bun:"updated_at"`

	createdAt time.Time
	dir       bool // a folder: its moves and deletions affect its descendants
}

type queued struct {
	ID       int64     `bun:"id"`
	Kind     string    `bun:"kind"`
	RefID    int64     `bun:"ref_id"`
	Op       string    `bun:"op"`
	ActorID  *int64    `bun:"actor_id"`
	QueuedAt time.Time `bun:"queued_at"`
}

// source is a row loaded from a content table.
type source struct {
	ID          int64       `bun:"id"`
	ContainerID int64       `bun:"container_id"`
	SpaceID     *int64      `bun:"space_id"`
	Module      core.Module `bun:"module"`
	AuthorID    *int64      `bun:"author_id"`
	Title       string      `bun:"title"`
	Body        string      `bun:"body"`
	Aux         string      `bun:"aux"`
	Dir         bool        `bun:"dir"`
	Size        int64       `bun:"size"`
	CreatedAt   time.Time   `bun:"created_at"`
	UpdatedAt   time.Time   `bun:"updated_at"`
}

// loaders select the live rows of each queued kind; a row missing from
// the answer is gone (deleted, trashed) and leaves the index.
var loaders = map[string]string{
	"file": `SELECT n.id, n.container_id, c.space_id, c.module, n.author_id, n.name AS title, '' AS body,
		n.blob_hash AS aux, n.is_dir AS dir, n.size, n.created_at, n.modified_at AS updated_at
		FROM file_nodes n JOIN containers c ON c.id = n.container_id
		WHERE n.id IN (?) AND n.parent_id IS NOT NULL AND n.trashed_at IS NULL`,
	"dav": `SELECT o.id, m.collection_id AS container_id, c.space_id, c.module, o.author_id, '' AS title, o.data AS body,
		o.component AS aux, FALSE AS dir, 0 AS size, o.created_at, o.updated_at
		FROM dav_objects o JOIN dav_members m ON m.object_id = o.id JOIN containers c ON c.id = m.collection_id
		WHERE o.id IN (?) AND c.kind <> 'tasklist' ORDER BY m.collection_id`, // a task list's VTODOs are indexed as tasks
	"topic": `SELECT t.container_id AS id, t.container_id, c.space_id, c.module, t.author_id, t.title, t.body,
		'' AS aux, FALSE AS dir, 0 AS size, t.created_at, t.updated_at
		FROM forum_topics t JOIN containers c ON c.id = t.container_id WHERE t.container_id IN (?)`,
	"post": `SELECT p.id, p.topic_id AS container_id, c.space_id, c.module, p.author_id, COALESCE(t.title, '') AS title, p.body,
		'' AS aux, FALSE AS dir, 0 AS size, p.created_at, p.updated_at
		FROM forum_posts p JOIN containers c ON c.id = p.topic_id LEFT JOIN forum_topics t ON t.container_id = p.topic_id
		WHERE p.id IN (?)`,
	"news": `SELECT a.container_id AS id, a.container_id, c.space_id, c.module, a.author_id, a.title,
		a.summary || ' ' || a.body AS body, '' AS aux, FALSE AS dir, 0 AS size, a.published_at AS created_at, a.updated_at
		FROM news_articles a JOIN containers c ON c.id = a.container_id WHERE a.container_id IN (?)`,
	"task": `SELECT t.id, t.container_id, c.space_id, c.module, t.author_id, t.title, t.description AS body,
		'' AS aux, FALSE AS dir, 0 AS size, t.created_at, t.updated_at
		FROM tasks t JOIN containers c ON c.id = t.container_id WHERE t.id IN (?)`,
	"poll": `SELECT p.container_id AS id, p.container_id, c.space_id, c.module, p.author_id, p.question AS title, '' AS body,
		'' AS aux, FALSE AS dir, 0 AS size, p.created_at, p.created_at AS updated_at
		FROM polls p JOIN containers c ON c.id = p.container_id WHERE p.container_id IN (?)`,
	"wiki": `SELECT p.id, p.container_id, c.space_id, c.module, p.author_id, p.title, p.body,
		p.format AS aux, FALSE AS dir, 0 AS size, p.created_at, p.updated_at
		FROM wiki_pages p JOIN containers c ON c.id = p.container_id WHERE p.id IN (?)`,
	"link": `SELECT l.id, l.container_id, c.space_id, c.module, l.author_id, l.title, l.description || ' ' || l.url AS body,
		'' AS aux, FALSE AS dir, 0 AS size, l.created_at, l.updated_at
		FROM links l JOIN containers c ON c.id = l.container_id WHERE l.id IN (?)`,
}

// docKinds maps a queued kind to the kinds of documents it makes.
func docKinds(kind string) []string {
	if kind == "dav" {
		return []string{"event", "contact"}
	}
	return []string{kind}
}

// Indexer drains the queue.
type Indexer struct {
	db    *store.DB
	blobs *blob.Store
	log   *slog.Logger
	batch int
}

// NewIndexer returns an indexer; blobs (may be nil) gives file text.
func NewIndexer(db *store.DB, blobs *blob.Store, log *slog.Logger) *Indexer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Indexer{db: db, blobs: blobs, log: log, batch: 500}
}

// Run indexes until ctx ends, looking at the queue every interval.
func (ix *Indexer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := ix.Drain(ctx); err != nil && ctx.Err() == nil {
			ix.log.Error("search indexing", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Drain indexes everything queued and returns how many queue rows it took.
// A batch that fails is retried one change at a time, and a single change
// that still fails is logged and dropped (the item is indexed again at its
// next change, or by Reindex) so one bad row cannot stall the queue.
func (ix *Indexer) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, _, err := ix.step(ctx, ix.batch)
		if err != nil && ctx.Err() == nil {
			ix.log.Warn("search indexing: batch failed, retrying one by one", "err", err)
			for range ix.batch {
				k, id, err := ix.step(ctx, 1)
				if err != nil {
					if ctx.Err() != nil {
						return total, err
					}
					ix.log.Error("search indexing: change dropped", "queue_id", id, "err", err)
					if _, derr := ix.db.NewRaw(`DELETE FROM search_queue WHERE id = ?`, id).Exec(ctx); derr != nil {
						return total, derr
					}
					k = 1
				}
				total += k
				if k == 0 {
					break
				}
			}
			continue
		}
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// step indexes up to limit queued changes in one transaction. It returns
// how many it took and the first one's queue id.
func (ix *Indexer) step(ctx context.Context, limit int) (int, int64, error) {
	var n int
	var first int64
	// File text is extracted before the transaction: a large PDF must not
	// hold SQLite's write lock.
	texts := ix.prefetch(ctx, limit)
	err := ix.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := `SELECT id, kind, ref_id, op, actor_id, queued_at FROM search_queue ORDER BY id LIMIT ?`
		if ix.db.Kind == store.Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		var rows []queued
		if err := tx.NewRaw(q, limit).Scan(ctx, &rows); err != nil {
			return err
		}
		n = len(rows)
		if n == 0 {
			return nil
		}
		first = rows[0].ID
		if err := ix.apply(ctx, tx, rows, texts); err != nil {
			return err
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		_, err := tx.NewRaw(`DELETE FROM search_queue WHERE id IN (?)`, bun.In(ids)).Exec(ctx)
		return err
	})
	return n, first, err
}

type key struct {
	kind string
	id   int64
}

func (ix *Indexer) apply(ctx context.Context, tx bun.Tx, rows []queued, texts map[string]string) error {
	byKind := map[string][]int64{}
	for _, r := range rows {
		if _, ok := loaders[r.Kind]; !ok {
			continue
		}
		if !slices.Contains(byKind[r.Kind], r.RefID) {
			byKind[r.Kind] = append(byKind[r.Kind], r.RefID)
		}
	}
	// What the index held before, for the titles of deletions.
	before := map[key]*doc{}
	after := map[key]*doc{}
	for kind, ids := range byKind {
		var old []doc
		if err := tx.NewSelect().Model(&old).Where("kind IN (?) AND ref_id IN (?)", bun.In(docKinds(kind)), bun.In(ids)).Scan(ctx); err != nil {
			return err
		}
		for i := range old {
			before[key{kind, old[i].RefID}] = &old[i]
		}
		docs, err := ix.load(ctx, tx, kind, ids, texts)
		if err != nil {
			return fmt.Errorf("index %s: %w", kind, err)
		}
		for _, d := range docs {
			after[key{kind, d.RefID}] = d
		}
		var gone []int64
		for _, id := range ids {
			if after[key{kind, id}] == nil {
				gone = append(gone, id)
			}
		}
		if len(gone) > 0 {
			if _, err := tx.NewDelete().Model((*doc)(nil)).Where("kind IN (?) AND ref_id IN (?)", bun.In(docKinds(kind)), bun.In(gone)).Exec(ctx); err != nil {
				return err
			}
		}
		if err := upsert(ctx, tx, docs); err != nil {
			return err
		}
	}
	// A folder moved, trashed or restored changes what is under it.
	for _, r := range rows {
		if r.Kind != "file" || r.Op != "update" {
			continue
		}
		if a := after[key{"file", r.RefID}]; a == nil || a.dir {
			if err := ix.reindexBelow(ctx, tx, r.RefID); err != nil {
				return err
			}
		}
	}
	for _, r := range rows {
		k := key{r.Kind, r.RefID}
		if _, ok := loaders[r.Kind]; !ok {
			continue
		}
		if err := record(ctx, tx, r, before[k], after[k]); err != nil {
			return err
		}
	}
	return nil
}

// record writes the activity event of one queued change.
func record(ctx context.Context, tx bun.Tx, r queued, b, a *doc) error {
	verb := activity.Verb(r.Op)
	d := a
	if a == nil { // gone now: deleted, or trashed by an update
		if b == nil {
			return nil
		}
		d, verb = b, activity.Delete
	} else if verb == activity.Delete { // queued a deletion but it is back
		verb = activity.Update
	}
	if d.dir && verb == activity.Update {
		return nil
	}
	at := r.QueuedAt
	if verb == activity.Create && !d.createdAt.IsZero() {
		at = d.createdAt
	} else if at.Nanosecond() == 0 {
		// SQLite's CURRENT_TIMESTAMP has whole seconds: the queue order
		// within the second keeps two changes in one second apart.
		at = at.Add(time.Duration(r.ID%1_000_000) * time.Microsecond)
	}
	actor := r.ActorID
	if actor == nil {
		actor = d.AuthorID
	}
	return activity.Record(ctx, tx, &activity.Event{Module: d.Module, Kind: d.Kind, RefID: d.RefID, Verb: verb,
		SpaceID: d.SpaceID, ContainerID: d.ContainerID, ActorID: actor, AuthorID: d.AuthorID, Title: d.Title, At: at})
}

func (ix *Indexer) reindexBelow(ctx context.Context, tx bun.Tx, dirID int64) error {
	var ids []int64
	err := tx.NewRaw(`WITH RECURSIVE down(id) AS (
			SELECT id FROM file_nodes WHERE parent_id = ?
			UNION ALL SELECT f.id FROM file_nodes f JOIN down ON f.parent_id = down.id)
		SELECT id FROM down`, dirID).Scan(ctx, &ids)
	if err != nil || len(ids) == 0 {
		return err
	}
	for chunk := range slices.Chunk(ids, 500) {
		docs, err := ix.load(ctx, tx, "file", chunk, nil)
		if err != nil {
			return err
		}
		live := map[int64]bool{}
		for _, d := range docs {
			live[d.RefID] = true
		}
		var gone []int64
		for _, id := range chunk {
			if !live[id] {
				gone = append(gone, id)
			}
		}
		if len(gone) > 0 {
			if _, err := tx.NewDelete().Model((*doc)(nil)).Where("kind = 'file' AND ref_id IN (?)", bun.In(gone)).Exec(ctx); err != nil {
				return err
			}
		}
		if err := upsert(ctx, tx, docs); err != nil {
			return err
		}
	}
	return nil
}

func upsert(ctx context.Context, tx bun.Tx, docs []*doc) error {
	if len(docs) == 0 {
		return nil
	}
	_, err := tx.NewInsert().Model(&docs).ExcludeColumn("id").
		On("CONFLICT (kind, ref_id) DO UPDATE").
		Set("module = EXCLUDED.module, space_id = EXCLUDED.space_id, container_id = EXCLUDED.container_id").
		Set("author_id = EXCLUDED.author_id, title = EXCLUDED.title, body = EXCLUDED.body, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	return err
}

// load reads the live rows of kind among ids and makes their documents.
func (ix *Indexer) load(ctx context.Context, tx bun.Tx, kind string, ids []int64, texts map[string]string) ([]*doc, error) {
	var srcs []source
	if err := tx.NewRaw(loaders[kind], bun.In(ids)).Scan(ctx, &srcs); err != nil {
		return nil, err
	}
	var dead map[int64]bool
	if kind == "file" && len(srcs) > 0 {
		var err error
		if dead, err = trashedAbove(ctx, tx, ids); err != nil {
			return nil, err
		}
	}
	seen := map[int64]bool{}
	var docs []*doc
	for _, s := range srcs {
		if seen[s.ID] || dead[s.ID] {
			continue
		}
		seen[s.ID] = true
		d := &doc{Kind: kind, RefID: s.ID, Module: s.Module, SpaceID: s.SpaceID, ContainerID: s.ContainerID,
			AuthorID: s.AuthorID, Title: s.Title, Body: s.Body, UpdatedAt: s.UpdatedAt.UTC(), createdAt: s.CreatedAt, dir: s.Dir}
		switch kind {
		case "file":
			if !s.Dir && s.Aux != "" && Extractable(s.Title) {
				d.Body = ix.fileText(s.Title, s.Aux, s.Size, texts)
			}
		case "dav":
			d.Kind = "event"
			if strings.EqualFold(s.Aux, "VCARD") {
				d.Kind = "contact"
			}
			d.Title, d.Body = calendarText(s.Body)
		case "topic", "post", "news":
			d.Body = StripHTML(d.Body)
		case "wiki":
			if s.Aux == "html" {
				d.Body = StripHTML(d.Body)
			}
		}
		d.Title, d.Body = clip(d.Title), clip(d.Body)
		docs = append(docs, d)
	}
	return docs, nil
}

// trashedAbove returns the ids among ids that sit in the trash, directly or
// under a trashed folder.
func trashedAbove(ctx context.Context, tx bun.Tx, ids []int64) (map[int64]bool, error) {
	var dead []int64
	err := tx.NewRaw(`WITH RECURSIVE up(origin, parent_id, trashed) AS (
			SELECT id, parent_id, CASE WHEN trashed_at IS NULL THEN 0 ELSE 1 END FROM file_nodes WHERE id IN (?)
			UNION ALL
			SELECT up.origin, f.parent_id, CASE WHEN f.trashed_at IS NULL THEN 0 ELSE 1 END
			FROM file_nodes f JOIN up ON f.id = up.parent_id WHERE up.trashed = 0)
		SELECT DISTINCT origin FROM up WHERE trashed = 1`, bun.In(ids)).Scan(ctx, &dead)
	m := map[int64]bool{}
	for _, id := range dead {
		m[id] = true
	}
	return m, err
}

func (ix *Indexer) fileText(name, hash string, size int64, texts map[string]string) string {
	if t, ok := texts[textKey(name, hash)]; ok {
		return t
	}
	if ix.blobs == nil || size > MaxExtract {
		return ""
	}
	f, err := ix.blobs.Open(hash)
	if err != nil {
		ix.log.Warn("search: open blob", "name", name, "err", err)
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	text, err := ExtractText(name, f, st.Size())
	if err != nil && !os.IsNotExist(err) {
		ix.log.Info("search: text not extracted", "name", name, "err", err)
	}
	return text
}

// textKey names the text of a blob read as a file named name: blobs are
// content-addressed, so the text depends only on the hash and the type.
func textKey(name, hash string) string {
	return strings.ToLower(path.Ext(name)) + "|" + hash
}

// prefetch extracts the text of the files among the next limit queued
// changes, outside any transaction. Errors only mean less prefetched.
func (ix *Indexer) prefetch(ctx context.Context, limit int) map[string]string {
	var files []struct {
		Name string `bun:"name"`
		Hash string `bun:"blob_hash"`
		Size int64  `bun:"size"`
	}
	err := ix.db.NewRaw(`SELECT n.name, n.blob_hash, n.size FROM file_nodes n
		WHERE n.id IN (SELECT q.ref_id FROM (SELECT kind, ref_id FROM search_queue ORDER BY id LIMIT ?) q WHERE q.kind = 'file')
		AND NOT n.is_dir AND n.blob_hash <> ''`, limit).Scan(ctx, &files)
	if err != nil || len(files) == 0 {
		return nil
	}
	texts := map[string]string{}
	for _, f := range files {
		if k := textKey(f.Name, f.Hash); Extractable(f.Name) && ctx.Err() == nil {
			if _, ok := texts[k]; !ok {
				texts[k] = ix.fileText(f.Name, f.Hash, f.Size, nil)
			}
		}
	}
	return texts
}

// Reindex queues every item of every module again (after a restore of an
// old backup, or to rebuild the index from scratch).
func (ix *Indexer) Reindex(ctx context.Context) error {
	return ix.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, q := range []string{
			`INSERT INTO search_queue (kind, ref_id, op, queued_at) SELECT 'file', id, 'create', CURRENT_TIMESTAMP FROM file_nodes`,
			`INSERT INTO search_queue (kind, ref_id, op, queued_at) SELECT 'dav', id, 'create', CURRENT_TIMESTAMP FROM dav_objects`,
			`INSERT INTO search_queue (kind, ref_id, op, queued_at) SELECT 'topic', container_id, 'create', CURRENT_TIMESTAMP FROM forum_topics`,
			`INSERT INTO search_queue (kind, ref_id, op, queued_at) SELECT 'post', id, 'create', CURRENT_TIMESTAMP FROM forum_posts`,
			`INSERT INTO search_queue (kind, ref_id, op, queued_at) SELECT 'news', container_id, 'create', CURRENT_TIMESTAMP FROM news_articles`,
			`INSERT INTO search_queue (kind, ref_id, op, queued_at) SELECT 'task', id, 'create', CURRENT_TIMESTAMP FROM tasks`,
			`INSERT INTO search_queue (kind, ref_id, op, queued_at) SELECT 'poll', container_id, 'create', CURRENT_TIMESTAMP FROM polls`,
			`INSERT INTO search_queue (kind, ref_id, op, queued_at) SELECT 'wiki', id, 'create', CURRENT_TIMESTAMP FROM wiki_pages`,
			`INSERT INTO search_queue (kind, ref_id, op, queued_at) SELECT 'link', id, 'create', CURRENT_TIMESTAMP FROM links`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}
