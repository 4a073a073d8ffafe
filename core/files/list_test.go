package files

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"plaza/core/coretest"
	"plaza/core/store"
)

func TestParseStamp(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"2026-11-23 19:59:19.504623+00:00", time.Date(2026, 11, 23, 19, 59, 19, 504623000, time.UTC)},
		{"2026-11-23 19:59:19+00:00", time.Date(2026, 11, 23, 19, 59, 19, 0, time.UTC)},
		{"2026-11-23 19:59:19", time.Date(2026, 11, 23, 19, 59, 19, 0, time.UTC)},
		{"2026-11-23T19:59:19.5Z", time.Date(2026, 11, 23, 19, 59, 19, 500000000, time.UTC)},
		{"2026-11-23 19:59:19.123456789123+00:00", time.Date(2026, 11, 23, 19, 59, 19, 123456789, time.UTC)},
		{"2026-11-23 21:59:19.25+02:00", time.Date(2026, 11, 23, 19, 59, 19, 250000000, time.UTC)},
		{"2026-11-23T14:29:19-05:30", time.Date(2026, 11, 23, 19, 59, 19, 0, time.UTC)},
	} {
		got, err := parseStamp(c.in)
		if err != nil || !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("%s: %v %v, want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2026-11-23 19:59:1x+00:00", "2026-11-23 19:59:19 UTC"} {
		if _, err := parseStamp(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestParseUTCStamp checks the hand-written date arithmetic against
// time.Parse across four centuries.
func TestParseUTCStamp(t *testing.T) {
	for d := time.Date(1899, 12, 25, 23, 59, 58, 0, time.UTC); d.Year() < 2300; d = d.Add(89*time.Hour + 17*time.Minute + 3*time.Second + 123456789) {
		s := d.Format("2006-01-02 15:04:05.999999999-07:00")
		got, ok := parseUTCStamp(s)
		if !ok || !got.Equal(d) {
			t.Fatalf("%s: %v %v", s, got, ok)
		}
	}
	for _, bad := range []string{"2026-13-01 00:00:00", "2026-00-10 00:00:00", "2026-01-01 24:00:00", "2026-01-01 00:60:00"} {
		if _, ok := parseUTCStamp(bad); ok {
			t.Errorf("%s parsed", bad)
		}
	}
}

// TestListingReadsOnlyAnIndex: a folder's listing is answered from one
// index, in name order, without reading table rows (on PostgreSQL, with
// scans other than by index turned off, so the plan does not depend on
// the table's size).
func TestListingReadsOnlyAnIndex(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, parity := range []int{-1, 0} {
			query, args := listQuery(db.Kind, 1, parity)
			var plan []string
			err := db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				explain := "EXPLAIN QUERY PLAN "
				if db.Kind == store.Postgres {
					explain = "EXPLAIN "
					for _, set := range []string{"SET LOCAL enable_seqscan = off", "SET LOCAL enable_bitmapscan = off", "SET LOCAL enable_sort = off"} {
						if _, err := tx.ExecContext(ctx, set); err != nil {
							return err
						}
					}
				}
				rows, err := tx.QueryContext(ctx, explain+query, args...)
				if err != nil {
					return err
				}
				defer rows.Close()
				cols, _ := rows.Columns()
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						return err
					}
					plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(plan, "\n")
			want := "USING COVERING INDEX file_nodes_list"
			if db.Kind == store.Postgres {
				want = "Index Only Scan using file_nodes_name"
			}
			if !strings.Contains(got, want) || strings.Contains(got, "TEMP B-TREE") || strings.Contains(got, "Sort") {
				t.Errorf("parity %d: plan\n%s\nwants %q and no sort", parity, got, want)
			}
		}
	})
}
