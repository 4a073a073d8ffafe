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
