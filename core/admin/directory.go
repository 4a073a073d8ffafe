package admin

import (
	"context"
	"strings"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// Person is what the people directory shows of an account.
type Person struct {
	ID    int64            `json:"id"`
	Login string           `json:"login"`
	Name  string           `json:"name"`
	Email string           `json:"email"`
	Type  core.AccountType `json:"type"`
}

// Directory lists the people who may see: everyone active for users and
// administrators; for a guest only the people who share a space with them
// (a guest sees no directory beyond their spaces). Anonymous visitors see
// no one. query filters by login, name or email.
func (s *Service) Directory(ctx context.Context, who core.Subject, query string, limit int) ([]Person, error) {
	if who.IsAnonymous() {
		return nil, core.ErrUnauthenticated
	}
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	out := []Person{}
	q := s.db.NewSelect().TableExpr("accounts AS a").ColumnExpr("a.id, a.login, a.name, a.email, a.type").
		Where("NOT a.disabled").Order("a.name", "a.login").Limit(int64(limit))
	if who.Type == core.Guest {
		q = q.Where(`(a.id = ? OR `+acl.SharesSpaceSQL("?", "a.id")+`)`, who.AccountID, who.AccountID)
	}
	if query = strings.TrimSpace(query); query != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(query)) + "%"
		q = q.Where(`(LOWER(a.login) LIKE ? ESCAPE '\' OR LOWER(a.name) LIKE ? ESCAPE '\' OR LOWER(a.email) LIKE ? ESCAPE '\')`, like, like, like)
	}
	err := q.Scan(ctx, &out)
	return out, store.Translate(err)
}
