// Package core holds Plaza's domain: accounts, spaces, the access-control
// engine, blobs and storage. It knows nothing of HTTP or of any protocol;
// adapters (dav, federation, webui) translate requests into calls on the
// services of its sub-packages and map the sentinel errors below to their
// protocol in one place each.
package core

import (
	"context"
	"errors"
	"slices"
)

// Sentinel errors. Services wrap them with %w and a reason meant for the
// person who sent the request, e.g. fmt.Errorf("%w: login already taken",
// core.ErrConflict).
var (
	ErrNotFound        = errors.New("not found")
	ErrForbidden       = errors.New("forbidden")
	ErrConflict        = errors.New("conflict")
	ErrInvalid         = errors.New("invalid")
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrInsufficientStorage: the server's storage is full (no space
	// left on the device, or a filesystem quota), not the caller's quota.
	ErrInsufficientStorage = errors.New("insufficient storage")
)

// AccountType is the platform-wide kind of an account.
type AccountType string

const (
	Owner         AccountType = "owner"
	Administrator AccountType = "administrator"
	User          AccountType = "user"
	Guest         AccountType = "guest"
	// Anonymous is not stored: it is the type of a visitor without an account.
	Anonymous AccountType = "anonymous"
)

// Valid reports whether t may be stored on an account.
func (t AccountType) Valid() bool {
	switch t {
	case Owner, Administrator, User, Guest:
		return true
	}
	return false
}

// PlatformAdmin reports whether the type administers the whole platform.
func (t AccountType) PlatformAdmin() bool { return t == Owner || t == Administrator }

// Module is one feature a space turns on or off.
type Module string

const (
	ModFiles      Module = "files"
	ModCalendar   Module = "calendar"
	ModContacts   Module = "contacts"
	ModForum      Module = "forum"
	ModNews       Module = "news"
	ModPolls      Module = "polls"
	ModTasks      Module = "tasks"
	ModChat       Module = "chat"
	ModLinks      Module = "links"
	ModWiki       Module = "wiki"
	ModNewsletter Module = "newsletter"
)

// AllModules lists every module in display order.
func AllModules() []Module {
	return []Module{ModFiles, ModCalendar, ModContacts, ModForum, ModNews,
		ModPolls, ModTasks, ModChat, ModLinks, ModWiki, ModNewsletter}
}

// Valid reports whether m names a known module.
func (m Module) Valid() bool { return slices.Contains(AllModules(), m) }

// Subject is who performs an operation: an account, or an anonymous visitor
// (AccountID 0). UnlockedSpaces lists the public spaces whose password the
// visitor has given in this session.
type Subject struct {
	AccountID      int64
	Login          string
	Type           AccountType
	UnlockedSpaces []int64
}

// AnonymousSubject is a visitor without an account.
var AnonymousSubject = Subject{Type: Anonymous}

// IsAnonymous reports whether the subject has no account.
func (s Subject) IsAnonymous() bool { return s.AccountID == 0 }

type subjectKey struct{}

// WithSubject returns a context carrying s.
func WithSubject(ctx context.Context, s Subject) context.Context {
	return context.WithValue(ctx, subjectKey{}, s)
}

// SubjectFrom returns the subject carried by ctx, or the anonymous subject.
func SubjectFrom(ctx context.Context) Subject {
	if s, ok := ctx.Value(subjectKey{}).(Subject); ok {
		return s
	}
	return AnonymousSubject
}
