// Package contacts is the contact directory: address books are acl
// containers (kind "addressbook") holding vCards (3.0 or 4.0, stored as
// sent and converted on the way out when a client asks for the other
// version). Every user has a personal address book and every space a
// directory of persons and organisations, which can be imported from and
// exported to CSV.
package contacts

import (
	"time"

	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/store"
)

// Fields are a card as the directory's CSV sees it.
type Fields struct {
	UID          string
	Kind         string // "individual" or "org"
	FullName     string
	GivenName    string
	FamilyName   string
	Organization string
	Title        string
	Emails       []string
	Phones       []string
	Address      string
	Note         string
}

// CardCodec is what the contacts module needs from a vCard
// implementation (dav/carddav/vcf.Codec: core imports no protocol
// library): validation and indexing, and the mapping to and from CSV
// fields.
type CardCodec interface {
	calendar.Codec
	Fields(data []byte) (Fields, error)
	Build(f Fields) ([]byte, error)
	// Update sets f on the card data, keeping its version and the
	// properties f does not hold (UID stays).
	Update(data []byte, f Fields) ([]byte, error)
	Card(data []byte) (Card, error) // the directory page's view of a card (directory.go)
}

// Service is the contacts module.
type Service struct {
	*calendar.Store
	codec CardCodec
}

// New returns the contacts service. now may be nil.
func New(db *store.DB, engine *acl.Engine, codec CardCodec, now func() time.Time) *Service {
	return &Service{codec: codec, Store: calendar.NewStore(db, engine, calendar.StoreOptions{Kind: calendar.KindAddressBook,
		Codec: codec, Now: now, PersonalSlug: "contacts", PersonalName: "Contacts", SpaceSlug: "directory"})}
}
