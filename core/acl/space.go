package acl

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// The space-level rules: "is who a member of the space?", "a space
// administrator?", "is the module on?", "a guest outside its spaces?",
// "a disabled account?". They live here, beside the container decision,
// and every package asks them through Standing, RequireSpace or the SQL
// conditions below rather than reading space_members and space_modules
// itself (.ci/lint refuses that outside core/acl and core/space).
//
// One answer for not found versus forbidden, as for containers: what who
// may not even see is not found; what who sees but may not do is
// forbidden. Who sees a space: its members, platform administrators, and
// anyone but guests when the space is public and live (a guest sees only
// its own spaces). A visitor without an account asked to act is
// unauthenticated (sign in first).

// Standing is where who stands in one space.
type Standing struct {
	SpaceID  int64
	Role     string // stored role: "admin", "member" or "" (not a member)
	Member   bool   // a member, or a platform administrator
	Admin    bool   // a space administrator, or a platform administrator
	Visible  bool   // who may know the space exists
	Public   bool
	Archived bool
	Disabled bool // who's account is disabled: it counts as no one
	Modules  map[core.Module]bool
	// ModuleRoles: who's own roles in the space's modules.
	ModuleRoles map[core.Module]ModuleRole
}

// SpaceNeed is what an operation asks of who in a space.
type SpaceNeed struct {
	Module core.Module // "" asks no module
	Admin  bool        // a space administrator (or platform administrator)
	Change bool        // the operation changes something: the space must be live
	// Visitor lets anyone who sees the space through (a visitor of a
	// public space, a signed-in non-member): otherwise members only.
	Visitor bool
}

// StandingIn reads where who stands in the space (ErrNotFound when the
// space does not exist).
func StandingIn(ctx context.Context, db bun.IDB, who core.Subject, spaceID int64) (*Standing, error) {
	var row struct {
		Public   bool
		Archived bool
		Role     string
		Disabled bool
	}
	err := db.NewRaw(`SELECT s.public, s.archived_at IS NOT NULL AS archived,
		COALESCE((SELECT m.role FROM space_members m WHERE m.space_id = s.id AND m.account_id = ?), '') AS role,
		COALESCE((SELECT a.disabled FROM accounts a WHERE a.id = ?), FALSE) AS disabled
		FROM spaces s WHERE s.id = ?`, who.AccountID, who.AccountID, spaceID).Scan(ctx, &row)
	if err != nil {
		return nil, fmt.Errorf("space %d: %w", spaceID, store.Translate(err))
	}
	var mods []struct {
		Module  core.Module
		Enabled bool
	}
	if err := db.NewRaw(`SELECT module, enabled FROM space_modules WHERE space_id = ?`, spaceID).Scan(ctx, &mods); err != nil {
		return nil, store.Translate(err)
	}
	st := &Standing{SpaceID: spaceID, Public: row.Public, Archived: row.Archived, Modules: map[core.Module]bool{}}
	for _, m := range mods {
		st.Modules[m.Module] = m.Enabled
	}
	if who.IsAnonymous() {
		st.Visible = st.Public && !st.Archived
		return st, nil
	}
	st.Disabled = row.Disabled
	if st.Disabled {
		return st, nil
	}
	st.Role = row.Role
	var roles []struct {
		Module core.Module
		Role   ModuleRole
	}
	if err := db.NewRaw(`SELECT module, role FROM space_module_roles WHERE space_id = ? AND principal_kind = 'user' AND principal_id = ?`,
		spaceID, who.AccountID).Scan(ctx, &roles); err != nil {
		return nil, store.Translate(err)
	}
	st.ModuleRoles = map[core.Module]ModuleRole{}
	for _, r := range roles {
		st.ModuleRoles[r.Module] = r.Role
	}
	st.Member = row.Role != "" || who.Type.PlatformAdmin()
	st.Admin = row.Role == "admin" || who.Type.PlatformAdmin()
	st.Visible = st.Member || (st.Public && !st.Archived && who.Type != core.Guest)
	return st, nil
}

// Require returns nil when the standing meets need, and otherwise the one
// answer: ErrUnauthenticated for a visitor asked to act as a member,
// ErrNotFound for what who may not see, ErrForbidden for the rest.
func (st *Standing) Require(who core.Subject, need SpaceNeed) error {
	if !st.Visible {
		if who.IsAnonymous() && !need.Visitor {
			return fmt.Errorf("%w: sign in first", core.ErrUnauthenticated)
		}
		return fmt.Errorf("space %d: %w", st.SpaceID, core.ErrNotFound)
	}
	if need.Module != "" && !st.Modules[need.Module] {
		if !st.Member {
			return fmt.Errorf("%s in space %d: %w", need.Module, st.SpaceID, core.ErrNotFound)
		}
		return fmt.Errorf("%w: the %s module is off in this space", core.ErrForbidden, need.Module)
	}
	if !st.Member && !need.Visitor {
		if who.IsAnonymous() {
			return fmt.Errorf("%w: sign in first", core.ErrUnauthenticated)
		}
		return fmt.Errorf("%w: only members of the space do this", core.ErrForbidden)
	}
	if need.Admin && !st.Admin {
		return fmt.Errorf("%w: space administrators only", core.ErrForbidden)
	}
	if need.Change && st.Archived {
		return fmt.Errorf("%w: the space is archived (read-only)", core.ErrForbidden)
	}
	if need.Change && need.Module != "" && !st.Admin && st.ModuleRoles[need.Module] == ModuleReader {
		return fmt.Errorf("%w: readers of the %s module add nothing to it", core.ErrForbidden, need.Module)
	}
	return nil
}

// RequireSpace reads who's standing in the space and checks need.
func RequireSpace(ctx context.Context, db bun.IDB, who core.Subject, spaceID int64, need SpaceNeed) error {
	st, err := StandingIn(ctx, db, who, spaceID)
	if err != nil {
		return err
	}
	return st.Require(who, need)
}

// IsMember reports whether who is a member of the space (platform
// administrators count as members of every space; disabled accounts and
// visitors of none).
func IsMember(ctx context.Context, db bun.IDB, who core.Subject, spaceID int64) (bool, error) {
	if who.IsAnonymous() {
		return false, nil
	}
	st, err := StandingIn(ctx, db, who, spaceID)
	if err != nil {
		return false, err
	}
	return st.Member, nil
}

// IsSpaceAdmin reports whether who administers the space (platform
// administrators administer every space).
func IsSpaceAdmin(ctx context.Context, db bun.IDB, who core.Subject, spaceID int64) (bool, error) {
	if who.IsAnonymous() {
		return false, nil
	}
	st, err := StandingIn(ctx, db, who, spaceID)
	if err != nil {
		return false, err
	}
	return st.Admin, nil
}

// RoleIn returns the stored role of an account in a space: "admin",
// "member", or "" when it is not a member.
func RoleIn(ctx context.Context, db bun.IDB, spaceID, accountID int64) (string, error) {
	var roles []string
	err := db.NewRaw(`SELECT role FROM space_members WHERE space_id = ? AND account_id = ?`, spaceID, accountID).Scan(ctx, &roles)
	if err != nil {
		return "", store.Translate(err)
	}
	if len(roles) == 0 {
		return "", nil
	}
	return roles[0], nil
}

// AllMembers reports whether every account in ids is a member of the space
// (platform administrators count only when they are members).
func AllMembers(ctx context.Context, db bun.IDB, spaceID int64, ids []int64) (bool, error) {
	if len(ids) == 0 {
		return true, nil
	}
	var n int
	err := db.NewRaw(`SELECT COUNT(DISTINCT account_id) FROM space_members WHERE space_id = ? AND account_id IN (?)`,
		spaceID, bun.In(ids)).Scan(ctx, &n)
	if err != nil {
		return false, store.Translate(err)
	}
	want := map[int64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	return n == len(want), nil
}

// MemberOfSQL is the SQL condition "the account whose id is the SQL
// expression account is a member of the space whose id is the SQL
// expression space" (stored memberships only), for queries that list.
func MemberOfSQL(space, account string) string {
	return "EXISTS (SELECT 1 FROM space_members mo WHERE mo.space_id = " + space + " AND mo.account_id = " + account + ")"
}

// AdminOfSQL is MemberOfSQL for the space administrator role.
func AdminOfSQL(space, account string) string {
	return "EXISTS (SELECT 1 FROM space_members mo WHERE mo.space_id = " + space + " AND mo.account_id = " + account + " AND mo.role = 'admin')"
}

// SharesSpaceSQL is the condition "the accounts whose ids are the SQL
// expressions a and b are members of a common live space".
func SharesSpaceSQL(a, b string) string {
	return `EXISTS (SELECT 1 FROM space_members mine JOIN space_members theirs
			ON theirs.space_id = mine.space_id JOIN spaces sp ON sp.id = mine.space_id
			WHERE mine.account_id = ` + a + ` AND theirs.account_id = ` + b + ` AND sp.archived_at IS NULL)`
}

// ModuleOnSQL is the condition "the space whose id is the SQL expression
// space has the module named by the SQL expression module on".
func ModuleOnSQL(space, module string) string {
	return "EXISTS (SELECT 1 FROM space_modules smo WHERE smo.space_id = " + space + " AND smo.module = " + module + " AND smo.enabled)"
}

// MembersCountSQL is an SQL expression counting the members of the space
// whose id is the SQL expression space.
func MembersCountSQL(space string) string {
	return "(SELECT COUNT(*) FROM space_members mc WHERE mc.space_id = " + space + ")"
}

// MembershipsTable names the memberships table (aliased as given, with
// columns space_id, account_id, role, created_at) for the few listings
// that select from it: the member lists of space administration, chat and
// federation's moderators.
func MembershipsTable(alias string) string {
	return "space_members AS " + strings.TrimSpace(alias)
}

// DropPrincipal removes every grant naming a principal (a deleted group
// or space), in the caller's transaction.
func DropPrincipal(ctx context.Context, db bun.IDB, kind PrincipalKind, id int64) error {
	_, err := db.NewDelete().Model((*Grant)(nil)).Where("principal_kind = ? AND principal_id = ?", kind, id).Exec(ctx)
	return store.Translate(err)
}
