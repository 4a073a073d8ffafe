package files

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAppendHrefSegment: the listing's href writer escapes every name as
// escapeSegment then xmlEscape do.
func TestAppendHrefSegment(t *testing.T) {
	names := []string{"plain.txt", "a b+c&d", "é NFD e\u0301", "100%;,?#[]<>\"'{}|\\^`", "~$:=@!*()", "日本語", "\x7f\x01"}
	var all strings.Builder
	for c := 1; c < 256; c++ {
		all.WriteByte(byte(c))
	}
	names = append(names, all.String())
	for _, name := range names {
		var want strings.Builder
		xmlEscape(&want, escapeSegment(name))
		if got := string(appendHrefSegment(nil, name)); got != want.String() {
			t.Errorf("%q: %s, want %s", name, got, want.String())
		}
	}
}

func TestAppendHTTPDate(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 11, 23, 19, 59, 19, 504623000, time.UTC),
		time.Date(2001, 2, 3, 4, 5, 6, 0, time.FixedZone("x", 3600)),
		time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(0, 0),
	} {
		want := tm.UTC().Format(http.TimeFormat)
		if got := string(appendHTTPDate(nil, tm)); got != want {
			t.Errorf("%v: %s, want %s", tm, got, want)
		}
	}
}
