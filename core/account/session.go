package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/secret"
	"plaza/core/store"
)

type session struct {
	bun.BaseModel `bun:"table:sessions"`

	TokenHash string `bun:",pk"`
	AccountID int64
	CSRFToken string `bun:"csrf_token"`
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Session is a web session as the web UI sees it.
type Session struct {
	Token     string // the cookie value; only known when just created
	CSRFToken string
	Subject   core.Subject
	ExpiresAt time.Time
}

// SessionTTL is how long a web session lasts.
const SessionTTL = 14 * 24 * time.Hour

// CreateSession opens a web session for an account. Sessions live in the
// database, so every server process behind a load balancer knows them.
func (s *Service) CreateSession(ctx context.Context, accountID int64) (*Session, error) {
	a, err := s.Get(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if a.Disabled {
		return nil, fmt.Errorf("%w: account disabled", core.ErrForbidden)
	}
	now := s.now().UTC()
	token := secret.Token(32)
	row := &session{TokenHash: secret.Digest(token), AccountID: accountID,
		CSRFToken: secret.Token(24), CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if _, err := s.db.NewInsert().Model(row).Exec(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return &Session{Token: token, CSRFToken: row.CSRFToken, Subject: a.Subject(), ExpiresAt: row.ExpiresAt}, nil
}

// LookupSession returns the live session for a cookie token.
func (s *Service) LookupSession(ctx context.Context, token string) (*Session, error) {
	row := new(session)
	err := s.db.NewSelect().Model(row).Where("token_hash = ?", secret.Digest(token)).Scan(ctx)
	if err = store.Translate(err); errors.Is(err, core.ErrNotFound) {
		return nil, fmt.Errorf("%w: no such session", core.ErrUnauthenticated)
	} else if err != nil {
		return nil, err
	}
	if !s.now().Before(row.ExpiresAt) {
		return nil, fmt.Errorf("%w: session expired", core.ErrUnauthenticated)
	}
	a, err := s.Get(ctx, row.AccountID)
	if err != nil {
		return nil, err
	}
	if a.Disabled {
		return nil, fmt.Errorf("%w: account disabled", core.ErrUnauthenticated)
	}
	return &Session{CSRFToken: row.CSRFToken, Subject: a.Subject(), ExpiresAt: row.ExpiresAt}, nil
}

// EndSession deletes a session (logout).
func (s *Service) EndSession(ctx context.Context, token string) error {
	_, err := s.db.NewDelete().Model((*session)(nil)).Where("token_hash = ?", secret.Digest(token)).Exec(ctx)
	return store.Translate(err)
}

// PurgeSessions deletes expired sessions.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	res, err := s.db.NewDelete().Model((*session)(nil)).Where("expires_at <= ?", s.now().UTC()).Exec(ctx)
	if err != nil {
		return 0, store.Translate(err)
	}
	return res.RowsAffected()
}
