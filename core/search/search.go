// Package search is one query over every module: file names and text,
// calendar events, contacts, forum topics and posts, news, tasks, polls,
// wiki pages and links. It is built on the database's own full-text
// engine: an FTS5 table on SQLite, a tsvector column with a GIN index on
// PostgreSQL. The index is fed by a durable queue (see index.go).
//
// Results are filtered by the ACL engine's SQL expression inside the
// query, with the count computed by the same query: what the caller may
// not read is never returned, counted, ranked against nor hinted at.
package search

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/activity"
	"plaza/core/calendar"
	"plaza/core/store"
)

// Highlight markers around matched words in Hit.Title and Hit.Snippet.
const (
	MarkStart = "\x02"
	MarkEnd   = "\x03"
)

// Query is one search.
type Query struct {
	Text     string
	Modules  []core.Module // empty: all
	SpaceID  int64         // 0: everywhere who may read
	AuthorID int64         // 0: anyone
	From, To time.Time     // last change in [From, To); zero: open
	Limit    int           // default 20, at most 100
	Offset   int
}

// Hit is one result.
type Hit struct {
	Kind        string      `json:"kind"`
	RefID       int64       `json:"ref_id"`
	Module      core.Module `json:"module"`
	SpaceID     *int64      `json:"space_id"`
	ContainerID int64       `json:"container_id"`
	AuthorID    *int64      `json:"author_id"`
	Title       string      `json:"title"`   // with MarkStart/MarkEnd around matches
	Snippet     string      `json:"snippet"` // idem
	UpdatedAt   time.Time   `json:"updated_at"`
	Rank        float64     `json:"-"`
	id          int64
}

// Result is a page of hits and how many there are in all (at most
// RankLimit: More says there are more).
type Result struct {
	Total int   `json:"total"`
	More  bool  `json:"more"`
	Hits  []Hit `json:"hits"`
}

// RankLimit is the number of results up to which they are counted exactly
// and ranked by relevance; beyond it, the newest come first.
const RankLimit = 2000

// matchExpr turns words into the engine's query: every word, the last
// one also as a prefix.
func matchExpr(kind store.Dialect, ts []string) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		if kind == store.Postgres {
			parts[i] = t
		} else {
			parts[i] = `"` + t + `"`
		}
	}
	if kind == store.Postgres {
		parts[len(parts)-1] += ":*"
		return strings.Join(parts, " & ")
	}
	parts[len(parts)-1] += "*"
	return strings.Join(parts, " ")
}

// Service answers searches.
type Service struct {
	db *store.DB
}

// New returns the search service.
func New(db *store.DB) *Service { return &Service{db: db} }

// terms splits text into the words searched for: letters and digits,
// lower-cased, at most 12.
func terms(text string) []string {
	f := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(f) > 12 {
		f = f[:12]
	}
	return f
}

// Search returns what who may read matching q, best first. Every word must
// match; the last one also matches as a prefix (search as you type).
func (s *Service) Search(ctx context.Context, who core.Subject, q Query) (*Result, error) {
	ts := terms(q.Text)
	if len(ts) == 0 {
		return nil, fmt.Errorf("%w: search for at least one word", core.ErrInvalid)
	}
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 20
	}
	if q.Offset < 0 || q.Offset > 10_000 {
		return nil, fmt.Errorf("%w: offset out of range", core.ErrInvalid)
	}
	for _, m := range q.Modules {
		if !m.Valid() {
			return nil, fmt.Errorf("%w: unknown module %q", core.ErrInvalid, m)
		}
	}
	match := matchExpr(s.db.Kind, ts)
	// from returns the matching documents who may read, filtered by q.
	// On SQLite the full-text match drives the loop (CROSS JOIN keeps it
	// outside): probing FTS5 once per document would be far slower.
	from := func(sel *bun.SelectQuery, fts string) *bun.SelectQuery {
		if s.db.Kind == store.Postgres {
			sel = sel.TableExpr("search_docs AS d").Where("d.tsv @@ to_tsquery('simple', ?)", match)
		} else {
			sel = sel.TableExpr("(SELECT rowid AS id"+fts+" FROM search_fts WHERE search_fts MATCH ?) AS m", match).
				Join("CROSS JOIN search_docs AS d ON d.id = m.id")
		}
		// An event or a card may be held by several collections (a
		// BIND, an event in several calendars): it is found by whoever
		// reads any of them that is shown, not only the one it was
		// indexed under.
		sel = sel.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			q = q.WhereGroup(" OR ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return activity.WhereReadable(q.Where("d.kind NOT IN ('event', 'contact')"), who, "d.container_id", "d.author_id")
			})
			held := s.db.NewSelect().ColumnExpr("1").TableExpr("dav_members AS hm").
				Join("JOIN dav_collections AS hc ON hc.container_id = hm.collection_id").
				Where("hm.object_id = d.ref_id").Where(calendar.ShownSQL("hc"))
			held = activity.WhereReadable(held, who, "hm.collection_id", "d.author_id")
			return q.WhereOr("d.kind IN ('event', 'contact') AND EXISTS (?)", held)
		})
		if len(q.Modules) > 0 {
			sel = sel.Where("d.module IN (?)", bun.In(q.Modules))
		}
		if q.SpaceID != 0 {
			sel = sel.Where("d.space_id = ?", q.SpaceID)
		}
		if q.AuthorID != 0 {
			sel = sel.Where("d.author_id = ?", q.AuthorID)
		}
		if !q.From.IsZero() {
			sel = sel.Where("d.updated_at >= ?", q.From.UTC())
		}
		if !q.To.IsZero() {
			sel = sel.Where("d.updated_at < ?", q.To.UTC())
		}
		return sel
	}
	// Count first, up to RankLimit: the count stops early for common words.
	var n int
	inner := from(s.db.NewSelect().ColumnExpr("1"), "").Limit(RankLimit + 1)
	if err := s.db.NewSelect().ColumnExpr("COUNT(*)").TableExpr("(?) AS x", inner).Scan(ctx, &n); err != nil {
		return nil, fmt.Errorf("search: %w", store.Translate(err))
	}
	res := &Result{Hits: []Hit{}, Total: min(n, RankLimit), More: n > RankLimit}
	if n == 0 || q.Offset >= n {
		return res, nil
	}
	cols := "d.id, d.kind, d.ref_id, d.module, d.space_id, d.container_id, d.author_id, d.updated_at"
	var sel *bun.SelectQuery
	switch {
	case n > RankLimit:
		// A word in that many documents says little about relevance (its
		// IDF is near zero): newest first, which the engines walk without
		// scoring every match.
		sel = from(s.db.NewSelect(), "").ColumnExpr(cols).ColumnExpr("0.0 AS rank")
		if s.db.Kind == store.Postgres {
			sel = sel.OrderExpr("d.id DESC")
		} else {
			sel = sel.OrderExpr("m.id DESC")
		}
	case s.db.Kind == store.Postgres:
		sel = from(s.db.NewSelect(), "").ColumnExpr(cols).
			ColumnExpr("ts_rank_cd(d.tsv, to_tsquery('simple', ?)) AS rank", match).
			OrderExpr("rank DESC, d.id DESC")
	default:
		sel = from(s.db.NewSelect(), ", bm25(search_fts, 4.0, 1.0) AS rank").ColumnExpr(cols).
			ColumnExpr("m.rank AS rank").OrderExpr("m.rank ASC, d.id DESC")
	}
	sel = sel.Limit(int64(q.Limit)).Offset(int64(q.Offset))
	var rows []struct {
		ID          int64       `bun:"id"`
		Kind        string      `bun:"kind"`
		RefID       int64       `bun:"ref_id"`
		Module      core.Module `bun:"module"`
		SpaceID     *int64      `bun:"space_id"`
		ContainerID int64       `bun:"container_id"`
		AuthorID    *int64      `bun:"author_id"`
		UpdatedAt   time.Time   `bun:"updated_at"`
		Rank        float64     `bun:"rank"`
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("search: %w", store.Translate(err))
	}
	if len(rows) == 0 {
		return res, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		res.Hits = append(res.Hits, Hit{id: r.ID, Kind: r.Kind, RefID: r.RefID, Module: r.Module, SpaceID: r.SpaceID,
			ContainerID: r.ContainerID, AuthorID: r.AuthorID, UpdatedAt: r.UpdatedAt, Rank: r.Rank})
	}
	// Highlights only for the page shown, in Go over the stored text: the
	// same on both databases, and cheaper than the engines' functions
	// (FTS5 walks a long doclist per row, ts_headline reparses the text).
	var texts []struct {
		ID    int64  `bun:"id"`
		Title string `bun:"title"`
		Body  string `bun:"body"`
	}
	if err := s.db.NewRaw(`SELECT id, title, body FROM search_docs WHERE id IN (?)`, bun.In(ids)).Scan(ctx, &texts); err != nil {
		return nil, fmt.Errorf("search highlights: %w", store.Translate(err))
	}
	byID := map[int64]int{}
	for i := range texts {
		byID[texts[i].ID] = i
	}
	for i := range res.Hits {
		if j, ok := byID[res.Hits[i].id]; ok {
			res.Hits[i].Title = highlight(texts[j].Title, ts, -1)
			res.Hits[i].Snippet = highlight(texts[j].Body, ts, 28)
		}
	}
	return res, nil
}

// Segment is a piece of highlighted text.
type Segment struct {
	Text  string
	Match bool
}

// Segments splits a highlighted string at its markers, for templates.
func Segments(s string) []Segment {
	var out []Segment
	match := false
	for s != "" {
		marker := MarkStart
		if match {
			marker = MarkEnd
		}
		i := strings.Index(s, marker)
		if i < 0 {
			out = append(out, Segment{Text: strings.NewReplacer(MarkStart, "", MarkEnd, "").Replace(s), Match: match})
			break
		}
		if i > 0 {
			out = append(out, Segment{Text: s[:i], Match: match})
		}
		s = s[i+len(marker):]
		match = !match
	}
	return out
}

// Plain removes the highlight markers.
func Plain(s string) string {
	return strings.NewReplacer(MarkStart, "", MarkEnd, "").Replace(s)
}
