package space

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"plaza/core"
	"plaza/core/secret"
)

// Visitor passes: a visitor who gave a public space's password keeps, for
// the rest of the browser session, a pass per space (a digest of the
// password's hash, useless elsewhere and void once the password changes)
// rather than the password.

// VisitorPass returns the pass of a space whose password was given.
func (sp *Space) VisitorPass() string {
	return secret.Digest("space-visit:" + strconv.FormatInt(sp.ID, 10) + ":" + sp.PasswordHash)
}

// PassesCookie renders passes as one cookie value: "ID.PASS ID.PASS".
func PassesCookie(passes map[int64]string) string {
	var parts []string
	for id, p := range passes {
		parts = append(parts, strconv.FormatInt(id, 10)+"."+p)
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// ParsePasses reads a cookie value made by PassesCookie (at most 50 spaces).
func ParsePasses(v string) map[int64]string {
	out := map[int64]string{}
	for i, part := range strings.Fields(v) {
		if i >= 50 {
			break
		}
		id, p, ok := strings.Cut(part, ".")
		n, err := strconv.ParseInt(id, 10, 64)
		if ok && err == nil && n > 0 && len(p) == 64 {
			out[n] = p
		}
	}
	return out
}

// WithPasses returns who with the public spaces whose pass is right
// unlocked.
func (s *Service) WithPasses(ctx context.Context, who core.Subject, passes map[int64]string) core.Subject {
	for id, p := range passes {
		sp, err := s.Get(ctx, id)
		if err != nil || !sp.Public || !sp.HasPassword() || sp.VisitorPass() != p || slices.Contains(who.UnlockedSpaces, id) {
			continue
		}
		who.UnlockedSpaces = append(who.UnlockedSpaces, id)
	}
	return who
}
