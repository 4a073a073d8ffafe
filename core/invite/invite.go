// Package invite lets people into the platform: invitations by email or
// by link, carrying an account type and a space role, valid 7 days. The
// invitee chooses a login, name and password and lands in the space.
// The same mechanism sends "choose your password" links to accounts
// created by an administrator (CSV import).
package invite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/mail"
	"plaza/core/secret"
	"plaza/core/space"
	"plaza/core/store"
)

// Validity is how long an invitation may be used.
const Validity = 7 * 24 * time.Hour

// Invitation is one invitation as stored (its token only as a digest).
type Invitation struct {
	bun.BaseModel `bun:"table:invitations,alias:inv"`

	ID          int64            `bun:",pk,autoincrement" json:"id"`
	TokenHash   string           `json:"-"`
	Email       string           `json:"email"`
	SpaceID     *int64           `json:"space_id"`
	AccountType core.AccountType `json:"account_type"`
	Role        space.Role       `json:"role"`
	// RoomRole: a DocSpace room role (viewer, commenter, reviewer,
	// form-filler, content-creator, editor, room-manager) the new member
	// gets in every module of the space, as Acollab module roles.
	RoomRole string `json:"room_role,omitempty"`
	// AccountID is set on a password link for an existing account.
	AccountID *int64     `json:"account_id,omitempty"`
	CreatedBy *int64     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at"`
	UsedBy    *int64     `json:"used_by,omitempty"`

	SpaceName string `bun:",scanonly" json:"space_name,omitempty"`
}

// Reusable reports whether several people may use the invitation: a link
// handed out without an email address (DocSpace's shared link); an
// invitation sent to an address is for that person only.
func (i *Invitation) Reusable() bool { return i.Email == "" && i.AccountID == nil }

// Options configure the service.
type Options struct {
	Accounts  *account.Service
	Spaces    *space.Service
	Queue     *mail.Queue
	Templates *mail.Templates
	BaseURL   string // links are BaseURL/invite/TOKEN
	// Platform returns the platform's name for mails; nil: "Plaza".
	Platform func(ctx context.Context) string
	Now      func() time.Time
}

// Service manages invitations.
type Service struct {
	db *store.DB
	o  Options
}

// New returns the invitation service.
func New(db *store.DB, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Platform == nil {
		o.Platform = func(context.Context) string { return "Plaza" }
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	return &Service{db: db, o: o}
}

// Spec describes an invitation to create.
type Spec struct {
	SpaceID *int64 // nil: the platform only (administrators)
	Email   string // empty: a link to hand out
	Type    core.AccountType
	Role    space.Role
	// RoomRole: an optional DocSpace room role (see Invitation.RoomRole).
	RoomRole string
	// Language of the mail ("en" or "fr"); empty: English.
	Language string
}

// Link is the address an invitee opens.
func (s *Service) Link(token string) string { return s.o.BaseURL + "/invite/" + token }

// Create records an invitation and, for an email invitation, queues the
// mail in the same transaction. It returns the token (shown once).
//
// Who may invite: platform administrators anyone, as any type; a space
// administrator users and guests into their space, as member or admin
// (a guest only as member); a member, when the space allows member
// invitations, users and guests as members.
func (s *Service) Create(ctx context.Context, who core.Subject, n Spec) (string, *Invitation, error) {
	if n.Type == "" {
		n.Type = core.User
	}
	if n.Role == "" {
		n.Role = space.RoleMember
	}
	if n.Type != core.Administrator && n.Type != core.User && n.Type != core.Guest {
		return "", nil, fmt.Errorf("%w: an invitation is for an administrator, user or guest", core.ErrInvalid)
	}
	if n.Role != space.RoleAdmin && n.Role != space.RoleMember {
		return "", nil, fmt.Errorf("%w: role must be admin or member", core.ErrInvalid)
	}
	if n.Type == core.Guest && n.Role == space.RoleAdmin {
		return "", nil, fmt.Errorf("%w: a guest cannot administer a space", core.ErrInvalid)
	}
	if n.RoomRole != "" {
		if _, ok := acl.RoomRoleModuleRole(n.RoomRole); !ok || n.SpaceID == nil {
			return "", nil, fmt.Errorf("%w: a room role is viewer, commenter, reviewer, form-filler, content-creator, editor or room-manager, in a space", core.ErrInvalid)
		}
	}
	if n.Type == core.Guest && n.SpaceID == nil {
		return "", nil, fmt.Errorf("%w: a guest is invited into a space", core.ErrInvalid)
	}
	if n.Email != "" {
		if err := mail.CheckAddress(n.Email); err != nil {
			return "", nil, err
		}
	}
	var sp *space.Space
	if n.SpaceID != nil {
		var err error
		if sp, err = s.o.Spaces.Get(ctx, *n.SpaceID); err != nil {
			return "", nil, err
		}
		if sp.ArchivedAt != nil {
			return "", nil, fmt.Errorf("%w: the space is archived", core.ErrInvalid)
		}
	}
	if err := s.mayInvite(ctx, who, sp, n); err != nil {
		return "", nil, err
	}
	token := secret.Token(24)
	now := s.o.Now().UTC()
	inv := &Invitation{TokenHash: secret.Digest(token), Email: n.Email, SpaceID: n.SpaceID,
		AccountType: n.Type, Role: n.Role, RoomRole: n.RoomRole, CreatedAt: now, ExpiresAt: now.Add(Validity)}
	if !who.IsAnonymous() {
		inv.CreatedBy = &who.AccountID
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(inv).Exec(ctx); err != nil {
			return err
		}
		if n.Email == "" {
			return nil
		}
		inviter := who.Login
		if a, err := s.o.Accounts.Get(ctx, who.AccountID); err == nil && a.Name != "" {
			inviter = a.Name
		}
		data := map[string]any{"Inviter": inviter, "Platform": s.o.Platform(ctx), "Link": s.Link(token),
			"Expires": inv.ExpiresAt.Format("2006-01-02 15:04 MST"), "Space": ""}
		if sp != nil {
			data["Space"] = sp.Name
		}
		subj, body, err := s.o.Templates.Render(n.Language, "invite", data)
		if err != nil {
			return err
		}
		return s.o.Queue.Enqueue(ctx, tx, mail.Message{To: n.Email, Subject: subj, Text: body})
	})
	if err != nil {
		return "", nil, err
	}
	return token, inv, nil
}

func (s *Service) mayInvite(ctx context.Context, who core.Subject, sp *space.Space, n Spec) error {
	if who.Type.PlatformAdmin() {
		return account.MayManage(who, n.Type)
	}
	if who.IsAnonymous() || who.Type == core.Guest {
		return fmt.Errorf("%w: you may not invite", core.ErrForbidden)
	}
	if sp == nil || n.Type == core.Administrator {
		return fmt.Errorf("%w: only a platform administrator invites to the platform itself", core.ErrForbidden)
	}
	role, err := s.roleIn(ctx, sp.ID, who.AccountID)
	if err != nil {
		return err
	}
	switch {
	case role == space.RoleAdmin:
		return nil
	case role == space.RoleMember && sp.AllowMemberInvites && n.Role == space.RoleMember:
		return nil
	}
	return fmt.Errorf("%w: you may not invite into this space", core.ErrForbidden)
}

func (s *Service) roleIn(ctx context.Context, spaceID, accountID int64) (space.Role, error) {
	role, err := acl.RoleIn(ctx, s.db, spaceID, accountID)
	return space.Role(role), err
}

// Errors an invitee may meet.
var (
	ErrExpired = fmt.Errorf("%w: this invitation has expired", core.ErrForbidden)
	ErrUsed    = fmt.Errorf("%w: this invitation was already used", core.ErrForbidden)
)

// Lookup returns the invitation a token opens, if it may still be used.
func (s *Service) Lookup(ctx context.Context, token string) (*Invitation, error) {
	inv := new(Invitation)
	err := s.db.NewSelect().Model(inv).ColumnExpr("inv.*").ColumnExpr("COALESCE(sp.name, '') AS space_name").
		Join("LEFT JOIN spaces AS sp ON sp.id = inv.space_id").
		Where("inv.token_hash = ?", secret.Digest(token)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("invitation: %w", store.Translate(err))
	}
	if !s.o.Now().Before(inv.ExpiresAt) {
		return nil, ErrExpired
	}
	if inv.UsedAt != nil && !inv.Reusable() {
		return nil, ErrUsed
	}
	return inv, nil
}

// Acceptance is what the invitee fills in.
type Acceptance struct {
	Login    string
	Name     string
	Email    string // for a link invitation; an email invitation keeps its own
	Password string
}

// Accept uses an invitation: it creates the account (or sets the
// password of the account a password link is for) and adds it to the
// space with the invitation's role. It returns the account.
func (s *Service) Accept(ctx context.Context, token string, a Acceptance) (*account.Account, error) {
	if err := account.CheckPasswordRules(a.Password); err != nil {
		return nil, err
	}
	inv, err := s.Lookup(ctx, token)
	if err != nil {
		return nil, err
	}
	// Claim it first, so two people racing on a single-use invitation
	// cannot both get an account.
	now := s.o.Now().UTC()
	upd := s.db.NewUpdate().Model((*Invitation)(nil)).Set("used_at = ?", now).
		Where("id = ?", inv.ID).Where("expires_at > ?", now)
	if !inv.Reusable() {
		upd = upd.Where("used_at IS NULL")
	}
	res, err := upd.Exec(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrUsed
	}
	release := func() {
		if !inv.Reusable() {
			s.db.NewUpdate().Model((*Invitation)(nil)).Set("used_at = NULL"). //nolint:errcheck
												Where("id = ?", inv.ID).Exec(context.WithoutCancel(ctx))
		}
	}
	var acc *account.Account
	if inv.AccountID != nil {
		acc, err = s.o.Accounts.Get(ctx, *inv.AccountID)
		if err == nil {
			err = s.o.Accounts.SetPassword(ctx, acc.ID, a.Password)
		}
	} else {
		email := inv.Email
		if email == "" {
			email = a.Email
		}
		acc, err = s.o.Accounts.Create(ctx, account.NewAccount{Login: a.Login, Email: email, Name: a.Name,
			Type: inv.AccountType, Password: a.Password})
	}
	if err != nil {
		release()
		return nil, err
	}
	if inv.SpaceID != nil {
		if err := s.o.Spaces.SetMember(ctx, *inv.SpaceID, acc.ID, inv.Role); err != nil {
			return nil, err
		}
		if inv.RoomRole != "" {
			if err := acl.GiveRoomRole(ctx, s.db, *inv.SpaceID, acc.ID, inv.RoomRole); err != nil {
				return nil, err
			}
		}
	}
	_, err = s.db.NewUpdate().Model((*Invitation)(nil)).Set("used_by = ?", acc.ID).Where("id = ?", inv.ID).Exec(ctx)
	return acc, store.Translate(err)
}

// PasswordLink creates a single-use link with which the holder of an
// existing account chooses its password, and queues it by mail when the
// account has an address. It runs inside tx.
func (s *Service) PasswordLink(ctx context.Context, tx bun.IDB, who core.Subject, acc *account.Account) (string, error) {
	tokens, err := s.PasswordLinks(ctx, tx, who, []*account.Account{acc})
	if err != nil {
		return "", err
	}
	return tokens[0], nil
}

// PasswordLinks is PasswordLink for many accounts, in a few statements.
func (s *Service) PasswordLinks(ctx context.Context, tx bun.IDB, who core.Subject, accs []*account.Account) ([]string, error) {
	now := s.o.Now().UTC()
	tokens := make([]string, len(accs))
	invs := make([]Invitation, len(accs))
	var msgs []mail.Message
	platform := s.o.Platform(ctx)
	for i, acc := range accs {
		tokens[i] = secret.Token(24)
		inv := Invitation{TokenHash: secret.Digest(tokens[i]), Email: acc.Email, AccountType: acc.Type,
			Role: space.RoleMember, AccountID: &acc.ID, CreatedAt: now, ExpiresAt: now.Add(Validity)}
		if inv.AccountType == core.Owner {
			inv.AccountType = core.Administrator
		}
		if !who.IsAnonymous() {
			inv.CreatedBy = &who.AccountID
		}
		invs[i] = inv
		if acc.Email == "" {
			continue
		}
		subj, body, err := s.o.Templates.Render(acc.Language, "welcome", map[string]any{
			"Name": acc.Name, "Login": acc.Login, "Platform": platform, "Link": s.Link(tokens[i]),
			"Expires": inv.ExpiresAt.Format("2006-01-02 15:04 MST")})
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, mail.Message{To: acc.Email, Subject: subj, Text: body})
	}
	for i := 0; i < len(invs); i += 500 {
		chunk := invs[i:min(i+500, len(invs))]
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return nil, store.Translate(err)
		}
	}
	return tokens, s.o.Queue.Enqueue(ctx, tx, msgs...)
}

// List returns the invitations of a space (nil: platform invitations),
// newest first.
func (s *Service) List(ctx context.Context, spaceID *int64) ([]Invitation, error) {
	var out []Invitation
	q := s.db.NewSelect().Model(&out).Where("account_id IS NULL").Order("id DESC").Limit(500)
	if spaceID == nil {
		q = q.Where("space_id IS NULL")
	} else {
		q = q.Where("space_id = ?", *spaceID)
	}
	return out, store.Translate(q.Scan(ctx))
}

// Revoke ends an invitation before its time.
func (s *Service) Revoke(ctx context.Context, who core.Subject, id int64) error {
	inv := new(Invitation)
	if err := s.db.NewSelect().Model(inv).Where("id = ?", id).Scan(ctx); err != nil {
		return store.Translate(err)
	}
	if !who.Type.PlatformAdmin() {
		if inv.SpaceID == nil {
			return fmt.Errorf("%w: not yours to revoke", core.ErrForbidden)
		}
		role, err := s.roleIn(ctx, *inv.SpaceID, who.AccountID)
		if err != nil {
			return err
		}
		if role != space.RoleAdmin && (inv.CreatedBy == nil || *inv.CreatedBy != who.AccountID) {
			return fmt.Errorf("%w: not yours to revoke", core.ErrForbidden)
		}
	}
	_, err := s.db.NewUpdate().Model(inv).Set("expires_at = ?", s.o.Now().UTC()).WherePK().Exec(ctx)
	return store.Translate(err)
}
