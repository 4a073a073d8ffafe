package contacts

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/calendar"
)

// Card is a contact as the directory page shows it: what the vCard says
// (from the codec) and where it lives (set by the service).
type Card struct {
	UID          string
	Kind         string // "individual", "org", "group" or "location"
	FullName     string
	Organization string
	Title        string
	Emails       []string
	Phones       []string
	URLs         []string
	Addresses    []Address
	Geo          *Geo // the card's GEO, when it has one
	Birthday     string
	Note         string

	BookID int64  // container id of the address book it was found in
	Name   string // its resource name there
}

// Address is one postal address of a card.
type Address struct {
	Type       string // "home", "work"… as the card says; may be empty
	Street     string // street and extended address
	Locality   string
	Region     string
	PostalCode string
	Country    string
	Geo        *Geo // the address's own GEO parameter (vCard 4.0)
}

// Lines returns the address as it is written on an envelope: the street,
// then the postal code and locality, the region, the country, leaving out
// what is empty.
func (a Address) Lines() []string {
	var out []string
	add := func(parts ...string) {
		var keep []string
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				keep = append(keep, p)
			}
		}
		if len(keep) > 0 {
			out = append(out, strings.Join(keep, " "))
		}
	}
	for _, l := range strings.Split(a.Street, "\n") {
		add(l)
	}
	add(a.PostalCode, a.Locality)
	add(a.Region)
	add(a.Country)
	return out
}

// OneLine is the address on one line, as a map search takes it.
func (a Address) OneLine() string { return strings.Join(a.Lines(), ", ") }

// Geo is a position in degrees (WGS 84).
type Geo struct {
	Lat, Lon float64
}

// Valid reports whether g is a position on Earth.
func (g Geo) Valid() bool { return g.Lat >= -90 && g.Lat <= 90 && g.Lon >= -180 && g.Lon <= 180 }

// Located returns the card's position: its GEO, else the first address
// that has one.
func (c *Card) Located() *Geo {
	if c.Geo != nil {
		return c.Geo
	}
	for _, a := range c.Addresses {
		if a.Geo != nil {
			return a.Geo
		}
	}
	return nil
}

// matches reports whether every word of q is found in the card's name,
// organisation, title, emails, phones or addresses, ignoring case.
func (c *Card) matches(q string) bool {
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		return true
	}
	hay := []string{c.FullName, c.Organization, c.Title, c.Note}
	hay = append(hay, c.Emails...)
	hay = append(hay, c.Phones...)
	for _, a := range c.Addresses {
		hay = append(hay, a.OneLine())
	}
	all := strings.ToLower(strings.Join(hay, "\n"))
	for _, w := range words {
		if !strings.Contains(all, w) {
			return false
		}
	}
	return true
}

// Directory is what Service.Cards found.
type Directory struct {
	Cards []Card
	// Unreadable counts stored cards the codec could not read; they are
	// left out rather than failing the whole directory.
	Unreadable int
}

// Cards lists the contacts of books (collections loaded for the reader,
// so read access is already decided) that match query (words looked up
// in names, organisations, emails, phones and addresses; empty: all),
// ordered by name. A card stored in several books shows once.
func (s *Service) Cards(ctx context.Context, books []calendar.Collection, query string) (Directory, error) {
	var out Directory
	seen := map[int64]bool{}
	for i := range books {
		b := &books[i]
		if b.Kind != calendar.KindAddressBook || b.Level < acl.Read {
			continue
		}
		objs, err := s.Candidates(ctx, b, "", nil, nil)
		if err != nil {
			return Directory{}, err
		}
		for _, o := range objs {
			if seen[o.ID] {
				continue
			}
			seen[o.ID] = true
			c, err := s.codec.Card([]byte(o.Data))
			if err != nil {
				out.Unreadable++
				continue
			}
			if !c.matches(query) {
				continue
			}
			c.BookID, c.Name = b.ContainerID, o.Name
			out.Cards = append(out.Cards, c)
		}
	}
	sort.SliceStable(out.Cards, func(i, j int) bool {
		a, b := strings.ToLower(out.Cards[i].FullName), strings.ToLower(out.Cards[j].FullName)
		if a != b {
			return a < b
		}
		return out.Cards[i].Name < out.Cards[j].Name
	})
	return out, nil
}

// Card returns the contact stored as name in book.
func (s *Service) Card(ctx context.Context, book *calendar.Collection, name string) (Card, error) {
	if book.Kind != calendar.KindAddressBook || book.Level < acl.Read {
		return Card{}, fmt.Errorf("contact: %w", core.ErrNotFound)
	}
	o, err := s.Get(ctx, book, name)
	if err != nil {
		return Card{}, err
	}
	c, err := s.codec.Card([]byte(o.Data))
	if err != nil {
		return Card{}, err
	}
	c.BookID, c.Name = book.ContainerID, o.Name
	return c, nil
}
