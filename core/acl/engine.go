package acl

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// Engine decides access. It holds no state but the database.
type Engine struct {
	db *store.DB
}

// New returns the access engine.
func New(db *store.DB) *Engine { return &Engine{db: db} }

// Target is what a decision is about: a container, or content in it with
// its author (AuthorID 0 when the target is the container itself).
type Target struct {
	ContainerID int64
	AuthorID    int64
	Item        bool // content rather than the container
}

// Level returns the level who has on t.
func (e *Engine) Level(ctx context.Context, who core.Subject, t Target) (Level, error) {
	expr, args := LevelSQL(who, "c", "")
	var l Level
	// A prepared statement, reused: its text depends only on the kind
	// of subject.
	err := e.db.Get(ctx, e.db.DB, "SELECT "+expr+" FROM containers c WHERE c.id = ?", append(args, t.ContainerID), &l)
	if err != nil {
		return None, fmt.Errorf("container %d: %w", t.ContainerID, store.Translate(err))
	}
	if !t.Item {
		return l, nil
	}
	// The author rule holds only where the module is on (a module turned
	// off grants nothing, even to authors) and, in a space, only while the
	// author is a member of it.
	author := t.AuthorID != 0 && t.AuthorID == who.AccountID && !who.IsAnonymous()
	if author {
		on, err := e.authorCounts(ctx, who, t.ContainerID)
		if err != nil {
			return None, err
		}
		author = on
	}
	return ItemLevel(l, author), nil
}

// AuthorSQL returns an SQL expression, 1 when the author rule applies to
// who in the container aliased c and 0 otherwise, with its arguments:
// callers that compute content levels from a container's level
// (ItemLevel) select it beside LevelSQL so authorship counts only where
// Level would count it.
func AuthorSQL(who core.Subject, c string) (string, []any) {
	if who.IsAnonymous() {
		return "0", nil
	}
	return "(CASE WHEN " + moduleOnSQL(c) + " AND " + liveSQL(c) + " AND " + inSpaceSQL(who, c) + " THEN 1 ELSE 0 END)", memberArgs(who)
}

// authorCounts reports whether the author rule applies to who in the
// container: its module is on and who still belongs to its space.
func (e *Engine) authorCounts(ctx context.Context, who core.Subject, containerID int64) (bool, error) {
	var n int
	err := e.db.Get(ctx, e.db.DB, `SELECT COUNT(*) FROM containers c WHERE c.id = ? AND `+moduleOnSQL("c")+` AND `+liveSQL("c")+` AND `+inSpaceSQL(who, "c"),
		append([]any{containerID}, memberArgs(who)...), &n)
	return n > 0, store.Translate(err)
}

// memberSQL is the condition "who belongs to the space whose id is the SQL
// expression space" (platform administrators count as members of every
// space), and memberArgs its arguments.
func memberSQL(who core.Subject, space string) string {
	if who.Type.PlatformAdmin() {
		return "TRUE"
	}
	return "EXISTS (SELECT 1 FROM space_members mm WHERE mm.space_id = " + space + " AND mm.account_id = ?)"
}

func memberArgs(who core.Subject) []any {
	if who.Type.PlatformAdmin() {
		return nil
	}
	return []any{who.AccountID}
}

// inSpaceSQL is the condition "the container aliased c is personal, or who
// belongs to its space": what grants to a person, their ownership and their
// authorship need to count. Its arguments are memberArgs(who).
func inSpaceSQL(who core.Subject, c string) string {
	return "(" + c + ".space_id IS NULL OR " + memberSQL(who, c+".space_id") + ")"
}

// Decide returns nil when who has privilege p on t. It returns
// ErrNotFound when who may not even read t (its existence stays hidden),
// and ErrForbidden when who may read it but not do p.
func (e *Engine) Decide(ctx context.Context, who core.Subject, t Target, p Privilege) error {
	l, err := e.Level(ctx, who, t)
	if err != nil {
		return err
	}
	if l < Read {
		return fmt.Errorf("%w: no access", core.ErrNotFound)
	}
	if !Allows(l, !t.Item, p) {
		return &DeniedError{Need: p, Have: l}
	}
	return nil
}

// DeniedError tells which privilege was missing, for DAV's need-privileges.
type DeniedError struct {
	Need Privilege
	Have Level
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("forbidden: needs %s (has %s)", e.Need, e.Have)
}

// Is makes a DeniedError match core.ErrForbidden.
func (e *DeniedError) Is(target error) bool { return target == core.ErrForbidden }

// IsDenied returns the missing privilege of a refused decision.
func IsDenied(err error) (Privilege, bool) {
	var d *DeniedError
	if errors.As(err, &d) {
		return d.Need, true
	}
	return "", false
}

// WhereReadable restricts a query over containers (aliased c) to those who
// may read, in SQL: listings use it rather than a check per row.
func WhereReadable(q *bun.SelectQuery, who core.Subject, c string) *bun.SelectQuery {
	expr, args := LevelSQL(who, c, "")
	return q.Where("("+expr+") >= ?", append(args, Read)...)
}

// WhereReadableItems restricts a query over content to what who may read:
// content in a container they may read, or content they wrote (where the
// module is on). c is the alias of the joined containers row and author
// the column holding the content's author.
func WhereReadableItems(q *bun.SelectQuery, who core.Subject, c, author string) *bun.SelectQuery {
	expr, args := LevelSQL(who, c, author)
	return q.Where("("+expr+") >= ?", append(args, Read)...)
}

func moduleOnSQL(c string) string {
	return fmt.Sprintf(`(%[1]s.space_id IS NULL OR EXISTS (SELECT 1 FROM space_modules sm
		WHERE sm.space_id = %[1]s.space_id AND sm.module = %[1]s.module AND sm.enabled))`, c)
}

// LevelSQL returns a scalar SQL expression of the level who has on the
// container aliased c (and, with author set, on content whose author
// column that is), with its arguments. It is the single statement of the
// rules in SQL; Level and the listing filters both use it.
func LevelSQL(who core.Subject, c, author string) (string, []any) {
	var b strings.Builder
	var args []any
	add := func(sql string, a ...any) {
		b.WriteString("\n\t\tUNION ALL ")
		b.WriteString(strings.ReplaceAll(sql, "$c", c))
		args = append(args, a...)
	}
	u := who.AccountID
	member := func(space string) string { return memberSQL(who, space) }
	memberArgs := func() []any { return memberArgs(who) }

	b.WriteString("SELECT 0")
	if !who.IsAnonymous() {
		// Owners, authors and people named in grants keep their rights in
		// a space only while they belong to it: someone removed from a
		// space loses them all, also on what they made there.
		inSpace := inSpaceSQL(who, "$c")
		add("SELECT 4 WHERE $c.owner_id = ? AND "+inSpace, append([]any{u}, memberArgs()...)...)
		if author != "" {
			add("SELECT 4 WHERE "+author+" = ? AND "+inSpace, append([]any{u}, memberArgs()...)...)
		}
		if who.Type.PlatformAdmin() {
			add("SELECT 3 WHERE $c.space_id IS NOT NULL")
		} else {
			add("SELECT 3 FROM space_members sa WHERE sa.space_id = $c.space_id AND sa.account_id = ? AND sa.role = 'admin'", u)
		}
		add(moduleRoleSQL+" AND "+inSpace, append([]any{u, u}, memberArgs()...)...)
		add("SELECT g.level FROM grants g WHERE g.container_id = $c.id AND g.principal_kind = 'user' AND g.principal_id = ? AND "+inSpace,
			append([]any{u}, memberArgs()...)...)
		add("SELECT g.level FROM grants g JOIN user_group_members gm ON gm.group_id = g.principal_id "+
			"WHERE g.container_id = $c.id AND g.principal_kind = 'group' AND gm.account_id = ? AND "+inSpace,
			append([]any{u}, memberArgs()...)...)
		add("SELECT g.level FROM grants g WHERE g.container_id = $c.id AND g.principal_kind = 'space' AND "+member("g.principal_id"),
			memberArgs()...)
	}
	// Anonymous grants: public, unarchived space, and its password given
	// (members need no password). Capped at read.
	var unlocked []string
	var anonArgs []any
	for _, id := range who.UnlockedSpaces {
		unlocked = append(unlocked, "?")
		anonArgs = append(anonArgs, id)
	}
	cond := "s.password_hash = ''"
	if len(unlocked) > 0 {
		cond += " OR s.id IN (" + strings.Join(unlocked, ", ") + ")"
	}
	if !who.IsAnonymous() {
		cond += " OR " + member("s.id")
		anonArgs = append(anonArgs, memberArgs()...)
	}
	if who.Type == core.Guest {
		// A guest sees only the spaces it belongs to, public ones too
		// (as its space list, pages and directory do).
		cond, anonArgs = member("s.id"), memberArgs()
	}
	add("SELECT 1 FROM grants g JOIN spaces s ON s.id = $c.space_id WHERE g.container_id = $c.id "+
		"AND g.principal_kind = 'anonymous' AND s.public AND s.archived_at IS NULL AND ("+cond+")", anonArgs...)
	b.WriteString("\n\t\tORDER BY 1 DESC LIMIT 1")

	return archivedCap(c, b.String(), args)
}
