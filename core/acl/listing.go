package acl

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// Readable is a container with the level its reader has on it: a task
// list, a wiki or links folder as a listing shows it.
type Readable struct {
	Container `bun:",extend"`
	Level     Level `bun:"level,scanonly" json:"level"`
	// AuthorRule: the author rule applies to the reader here (the module
	// is on and the reader belongs to the space).
	AuthorRule bool `bun:"author_rule,scanonly" json:"-"`
}

// ItemLevel is the reader's level on content of this container written by
// author (nil: unknown author).
func (r *Readable) ItemLevel(who core.Subject, author *int64) Level {
	return ItemLevel(r.Level, r.AuthorRule && author != nil && *author == who.AccountID && !who.IsAnonymous())
}

// RequireMember refuses who unless module m is on in the space, the
// space is live and who is a member of it (platform administrators pass):
// the rule for creating a container at a module's root.
func RequireMember(ctx context.Context, db bun.IDB, who core.Subject, spaceID int64, m core.Module) error {
	return RequireSpace(ctx, db, who, spaceID, SpaceNeed{Module: m, Change: true})
}

// ReadableIn lists the containers of a kind in a space's module that who
// may read, with their level, by name.
func (e *Engine) ReadableIn(ctx context.Context, who core.Subject, spaceID int64, m core.Module, kind string) ([]Readable, error) {
	var out []Readable
	expr, args := LevelSQL(who, "c", "")
	aexpr, aargs := AuthorSQL(who, "c")
	q := e.db.NewSelect().Model(&out).ColumnExpr("c.*").ColumnExpr(expr+" AS level", args...).
		ColumnExpr(aexpr+" AS author_rule", aargs...).
		Where("c.space_id = ? AND c.module = ? AND c.kind = ?", spaceID, m, kind).
		OrderExpr("c.name, c.id")
	if err := WhereReadable(q, who, "c").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return out, nil
}

// ReadableByID returns container id, of the given kind, if who may read
// it; ErrNotFound otherwise.
func (e *Engine) ReadableByID(ctx context.Context, who core.Subject, id int64, kind string) (*Readable, error) {
	var out []Readable
	expr, args := LevelSQL(who, "c", "")
	aexpr, aargs := AuthorSQL(who, "c")
	err := e.db.NewSelect().Model(&out).ColumnExpr("c.*").ColumnExpr(expr+" AS level", args...).
		ColumnExpr(aexpr+" AS author_rule", aargs...).Where("c.id = ?", id).Scan(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	if len(out) == 0 || out[0].Level < Read || out[0].Kind != kind {
		return nil, fmt.Errorf("%s %d: %w", kind, id, core.ErrNotFound)
	}
	return &out[0], nil
}
