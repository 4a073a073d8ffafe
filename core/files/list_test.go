package files

import (
	"testing"
	"time"
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
		got, err := parseStamp([]byte(c.in))
		if err != nil || !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("%s: %v %v, want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2026-11-23 19:59:1x+00:00", "2026-11-23 19:59:19 UTC"} {
		if _, err := parseStamp([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
