package forum

import (
	"html"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// The policies are built once and only read afterwards (bluemonday
// policies are safe for concurrent use once configured).
var (
	localPolicy  = sync.OnceValue(func() *bluemonday.Policy { return newPolicy(true) })
	remotePolicy = sync.OnceValue(func() *bluemonday.Policy { return newPolicy(false) })
)

func newPolicy(relative bool) *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(relative)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	return p
}

// Sanitize returns rich text written here with everything but safe
// markup removed (scripts, event handlers, styles, javascript: links).
// Relative links, to images of this server for instance, stay.
func Sanitize(s string) string {
	return strings.TrimSpace(localPolicy().Sanitize(noNUL(s)))
}

// SanitizeRemote cleans HTML received from another server: as Sanitize,
// and relative links are dropped since they would point at this server.
func SanitizeRemote(s string) string {
	return strings.TrimSpace(remotePolicy().Sanitize(noNUL(s)))
}

// PlainText strips every tag (for names and titles received as HTML).
func PlainText(s string) string {
	return noNUL(strings.TrimSpace(html.UnescapeString(bluemonday.StrictPolicy().Sanitize(s))))
}

// noNUL drops NUL characters, which PostgreSQL refuses in text.
func noNUL(s string) string { return strings.ReplaceAll(s, "\x00", "") }
