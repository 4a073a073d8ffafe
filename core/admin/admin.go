// Package admin is the platform's administration: users (create, edit,
// deactivate, change type, CSV import and export), groups, spaces
// (create, archive, delete, modules, visitors, invitations), per-space
// roles and platform settings. Every method checks who may do it:
// platform owners and administrators for the platform, space
// administrators for their own space where noted.
package admin

import (
	"context"
	"fmt"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/invite"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/store"
)

// Options are what the service needs.
type Options struct {
	Accounts *account.Service
	Spaces   *space.Service
	Invites  *invite.Service // password links for created accounts; may be nil
	Settings *settings.Store
	Blobs    *blob.Store
	Now      func() time.Time
}

// Service administers the platform.
type Service struct {
	db *store.DB
	o  Options
}

// New returns the administration service.
func New(db *store.DB, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{db: db, o: o}
}

var errNotAdmin = fmt.Errorf("%w: platform administrators only", core.ErrForbidden)

func requireAdmin(who core.Subject) error {
	if !who.Type.PlatformAdmin() {
		return errNotAdmin
	}
	return nil
}

// requireSpaceAdmin lets platform administrators and the space's own
// administrators through.
func (s *Service) requireSpaceAdmin(ctx context.Context, who core.Subject, spaceID int64) error {
	if who.IsAnonymous() {
		return errNotAdmin
	}
	return acl.RequireSpace(ctx, s.db, who, spaceID, acl.SpaceNeed{Admin: true})
}
