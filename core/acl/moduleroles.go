package acl

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// Module roles: Acollab's per-application roles in a space. A person (or a
// group) is administrator, editor, author or reader of one module of a
// space, and that role counts as a grant of the matching level on every
// container of that module in the space: administrator full, editor write,
// author limited, reader read. Like every grant it counts only for members
// of the space and the highest level wins; in addition a reader of a
// module creates nothing at its root (RequireMember refuses).
//
// DocSpace's room roles map onto them (RoomRoleModuleRole): viewer,
// commenter and reviewer are readers, form filler and content creator
// authors, editor editor, room manager administrator.

// ModuleRole is a role in one module of a space.
type ModuleRole string

const (
	ModuleAdministrator ModuleRole = "administrator"
	ModuleEditor        ModuleRole = "editor"
	ModuleAuthor        ModuleRole = "author"
	ModuleReader        ModuleRole = "reader"
)

// Level is the level a module role gives on the module's containers.
func (r ModuleRole) Level() Level {
	switch r {
	case ModuleAdministrator:
		return Full
	case ModuleEditor:
		return Write
	case ModuleAuthor:
		return Limited
	case ModuleReader:
		return Read
	}
	return None
}

// RoomRoleModuleRole maps a DocSpace room role onto a module role.
func RoomRoleModuleRole(room string) (ModuleRole, bool) {
	l, ok := RoomRoleLevel(room)
	if !ok {
		return "", false
	}
	switch l {
	case Full:
		return ModuleAdministrator, true
	case Write:
		return ModuleEditor, true
	case Limited:
		return ModuleAuthor, true
	}
	return ModuleReader, true
}

// moduleRoleSQL is the level subquery of module roles of the account ?
// (twice) on the container aliased c.
const moduleRoleSQL = `SELECT CASE mr.role WHEN 'administrator' THEN 4 WHEN 'editor' THEN 3 WHEN 'author' THEN 2 ELSE 1 END
	FROM space_module_roles mr WHERE mr.space_id = $c.space_id AND mr.module = $c.module
	AND ((mr.principal_kind = 'user' AND mr.principal_id = ?) OR (mr.principal_kind = 'group'
		AND EXISTS (SELECT 1 FROM user_group_members mg WHERE mg.group_id = mr.principal_id AND mg.account_id = ?)))`

// AssignedRole is a module role as a listing shows it.
type AssignedRole struct {
	Module        core.Module   `json:"module"`
	PrincipalKind PrincipalKind `json:"principal_kind"`
	PrincipalID   int64         `json:"principal_id"`
	Name          string        `json:"name"`
	Role          ModuleRole    `json:"role"`
}

// ModuleRoles lists the module roles of a space (its members read them).
func (e *Engine) ModuleRoles(ctx context.Context, who core.Subject, spaceID int64) ([]AssignedRole, error) {
	return ModuleRoles(ctx, e.db, who, spaceID)
}

// SetModuleRole is SetModuleRole on the engine's database.
func (e *Engine) SetModuleRole(ctx context.Context, who core.Subject, spaceID int64, m core.Module, kind PrincipalKind, id int64, role ModuleRole) error {
	return SetModuleRole(ctx, e.db, who, spaceID, m, kind, id, role)
}

// ModuleRoles lists the module roles of a space (its members read them).
func ModuleRoles(ctx context.Context, db bun.IDB, who core.Subject, spaceID int64) ([]AssignedRole, error) {
	if err := RequireSpace(ctx, db, who, spaceID, SpaceNeed{}); err != nil {
		return nil, err
	}
	out := []AssignedRole{}
	err := db.NewRaw(`SELECT mr.module, mr.principal_kind, mr.principal_id, mr.role,
		COALESCE(CASE mr.principal_kind
			WHEN 'user' THEN (SELECT CASE WHEN a.name <> '' THEN a.name ELSE a.login END FROM accounts a WHERE a.id = mr.principal_id)
			ELSE (SELECT ug.name FROM user_groups ug WHERE ug.id = mr.principal_id) END, '') AS name
		FROM space_module_roles mr WHERE mr.space_id = ? ORDER BY mr.module, name, mr.principal_id`, spaceID).Scan(ctx, &out)
	return out, store.Translate(err)
}

// SetModuleRole gives a member (or a group) a role in a module of a space,
// or takes it away (role ""); space administrators do it.
func SetModuleRole(ctx context.Context, db bun.IDB, who core.Subject, spaceID int64, m core.Module, kind PrincipalKind, id int64, role ModuleRole) error {
	if err := RequireSpace(ctx, db, who, spaceID, SpaceNeed{Admin: true, Change: true}); err != nil {
		return err
	}
	return setModuleRole(ctx, db, spaceID, m, kind, id, role)
}

func setModuleRole(ctx context.Context, db bun.IDB, spaceID int64, m core.Module, kind PrincipalKind, id int64, role ModuleRole) error {
	if !m.Valid() {
		return fmt.Errorf("%w: unknown module %q", core.ErrInvalid, m)
	}
	var n int
	var err error
	switch kind {
	case PrincipalUser:
		err = db.NewRaw(`SELECT COUNT(*) FROM accounts a WHERE a.id = ? AND `+MemberOfSQL("?", "a.id"), id, spaceID).Scan(ctx, &n)
	case PrincipalGroup:
		err = db.NewRaw(`SELECT COUNT(*) FROM user_groups WHERE id = ? AND (space_id IS NULL OR space_id = ?)`, id, spaceID).Scan(ctx, &n)
	default:
		return fmt.Errorf("%w: a module role goes to a member or a group", core.ErrInvalid)
	}
	if err != nil {
		return store.Translate(err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s %d is not a member or group of this space", core.ErrInvalid, kind, id)
	}
	if _, err := db.NewRaw(`DELETE FROM space_module_roles WHERE space_id = ? AND module = ? AND principal_kind = ? AND principal_id = ?`,
		spaceID, m, kind, id).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	if role == "" {
		return nil
	}
	if role.Level() == None {
		return fmt.Errorf("%w: a module role is administrator, editor, author or reader", core.ErrInvalid)
	}
	_, err = db.NewRaw(`INSERT INTO space_module_roles (space_id, module, principal_kind, principal_id, role) VALUES (?, ?, ?, ?, ?)`,
		spaceID, m, kind, id, role).Exec(ctx)
	return store.Translate(err)
}

// GiveRoomRole gives a new member the module role matching a DocSpace room
// role in every module of the space (an invitation with a room role), in
// the caller's transaction.
func GiveRoomRole(ctx context.Context, db bun.IDB, spaceID, accountID int64, room string) error {
	role, ok := RoomRoleModuleRole(room)
	if !ok {
		return fmt.Errorf("%w: unknown room role %q", core.ErrInvalid, room)
	}
	for _, m := range core.AllModules() {
		if err := setModuleRole(ctx, db, spaceID, m, PrincipalUser, accountID, role); err != nil {
			return err
		}
	}
	return nil
}
