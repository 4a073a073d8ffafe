//go:build bench

package search_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/search"
	"plaza/core/store"
)

const benchItems = 100_000

func benchVocab() []string {
	vocab := make([]string, 5000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%sx%d", strings.Repeat(string(rune('a'+i%26)), 1+i%4), i)
	}
	return vocab
}

// TestBenchSearch fills the index with 100,000 mixed items (tasks, wiki
// pages, links) in 300 containers, a third of them closed to the
// searcher, with words drawn from a Zipf law over 5,000 words, and times
// searches by a member: frequent words, rare words, two words, prefixes.
// It prints the median and the 95th percentile, with the database size.
// With PLAZA_BENCH_DIR set, the SQLite database is kept there and reused.
func TestBenchSearch(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if dir := os.Getenv("PLAZA_BENCH_DIR"); dir != "" && db.Kind == store.SQLite {
			var err error
			if db, err = store.Open(ctx, store.Options{DataDir: dir}); err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			coretest.Migrate(t, db)
		}
		var have int
		if err := db.NewRaw(`SELECT COUNT(*) FROM search_docs`).Scan(ctx, &have); err != nil {
			t.Fatal(err)
		}
		var w *world
		if have == benchItems {
			w = reuseWorld(t, db)
		} else {
			w = newWorld(t, db)
			fill(t, w)
		}
		measure(t, w)
	})
}

func fill(t *testing.T, w *world) {
	ctx, db := w.ctx, w.db
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := benchVocab()
	zipf := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.1, 2, uint64(len(vocab)-1))
	text := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = vocab[zipf.Uint64()]
		}
		return strings.Join(ws, " ")
	}
	type cont struct {
		id     int64
		module core.Module
	}
	var conts []cont
	st := map[int64]int64{}
	for i := range 300 {
		m := []core.Module{core.ModTasks, core.ModWiki, core.ModLinks}[i%3]
		readers := []core.Subject{w.alice, w.bob}
		if i%3 == 0 {
			readers = []core.Subject{w.bob}
		}
		kind := map[core.Module]string{core.ModTasks: "tasklist", core.ModWiki: "wikifolder", core.ModLinks: "linkfolder"}[m]
		id := w.container(m, kind, readers...)
		conts = append(conts, cont{id, m})
		if m == core.ModTasks {
			var s int64
			w.must(db.NewRaw(`INSERT INTO task_statuses (container_id, name, position) VALUES (?, 'To do', 0) RETURNING id`, id).Scan(ctx, &s))
			st[id] = s
		}
	}
	start := time.Now()
	now := time.Now().UTC()
	olga := w.olga.AccountID
	for b := 0; b < benchItems; b += 2000 {
		w.must(db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for i := b; i < b+2000 && i < benchItems; i++ {
				c := conts[rng.IntN(len(conts))]
				var err error
				switch c.module {
				case core.ModTasks:
					_, err = tx.NewRaw(`INSERT INTO tasks (container_id, title, description, status_id, position, author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
						c.id, text(5), text(40), st[c.id], i, olga, now, now).Exec(ctx)
				case core.ModWiki:
					_, err = tx.NewRaw(`INSERT INTO wiki_pages (ref, container_id, space_id, title, body, format, version, author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'markdown', 1, ?, ?, ?)`,
						fmt.Sprintf("r%d", i), c.id, w.team, text(4), text(150), olga, now, now).Exec(ctx)
				case core.ModLinks:
					_, err = tx.NewRaw(`INSERT INTO links (container_id, url, title, description, author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
						c.id, fmt.Sprintf("https://example.org/%d", i), text(4), text(20), olga, now, now).Exec(ctx)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}))
	}
	t.Logf("inserted %d items in %v", benchItems, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	n, err := w.index.Drain(ctx)
	w.must(err)
	t.Logf("indexed %d queued changes in %v", n, time.Since(start).Round(time.Millisecond))
	var docs int
	w.must(db.NewRaw(`SELECT COUNT(*) FROM search_docs`).Scan(ctx, &docs))
	if docs != benchItems {
		t.Fatalf("%d documents indexed, want %d", docs, benchItems)
	}
	// Steady state: statistics gathered, SQLite's write-ahead log folded
	// back into the database (as its automatic checkpoints do over time).
	if db.Kind == store.Postgres {
		_, err = db.ExecContext(ctx, `ANALYZE`)
	} else {
		_, err = db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	w.must(err)
}

func measure(t *testing.T, w *world) {
	ctx, db := w.ctx, w.db
	rng := rand.New(rand.NewPCG(5, 6))
	vocab := benchVocab()
	var queries []string
	for i := range 80 {
		switch i % 4 {
		case 0: // frequent word
			queries = append(queries, vocab[rng.IntN(20)])
		case 1: // rare word
			queries = append(queries, vocab[500+rng.IntN(4000)])
		case 2: // two words
			queries = append(queries, vocab[rng.IntN(50)]+" "+vocab[rng.IntN(300)])
		case 3: // prefix of a mid-frequency word
			v := vocab[20+rng.IntN(200)]
			queries = append(queries, v[:len(v)-1])
		}
	}
	var times []time.Duration
	total := 0
	for round := range 2 {
		for _, q := range queries {
			t0 := time.Now()
			r, err := w.search.Search(ctx, w.alice, search.Query{Text: q})
			w.must(err)
			if round == 1 {
				times = append(times, time.Since(t0))
				total += r.Total
				if testing.Verbose() && os.Getenv("PLAZA_BENCH_DIR") != "" {
					t.Logf("%-20s %8v %5d", q, time.Since(t0).Round(10*time.Microsecond), r.Total)
				}
			}
		}
	}
	// Correctness under load: alice never sees bob-only containers.
	r, err := w.search.Search(ctx, w.alice, search.Query{Text: vocab[2], Limit: 100})
	w.must(err)
	for _, h := range r.Hits {
		if l, err := acl.New(db).Level(ctx, w.alice, acl.Target{ContainerID: h.ContainerID}); err != nil || l < acl.Read {
			t.Fatalf("hit in a container alice may not read: %+v", h)
		}
	}
	slices.Sort(times)
	median, p95 := times[len(times)/2], times[len(times)*95/100]
	var size int64
	if db.Kind == store.Postgres {
		w.must(db.NewRaw(`SELECT pg_database_size(current_database())`).Scan(ctx, &size))
	} else {
		w.must(db.NewRaw(`SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`).Scan(ctx, &size))
	}
	fmt.Printf("\nsearch over %d mixed items (%s): median %v, p95 %v, max %v over %d queries (%.0f results on average, counted up to %d); database %.1f MiB\n",
		benchItems, db.Kind, median.Round(10*time.Microsecond), p95.Round(10*time.Microsecond), times[len(times)-1].Round(10*time.Microsecond),
		len(times), float64(total)/float64(len(times)), search.RankLimit, float64(size)/(1<<20))
	if median > 100*time.Millisecond {
		t.Errorf("median %v, want under 100 ms", median)
	}
}
