package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/core/contacts"
)

// defaultMapURL is the OpenStreetMap site addresses are shown on.
const defaultMapURL = "https://www.openstreetmap.org"

func (s *server) mapBase() string {
	if s.MapURL != "" {
		return strings.TrimRight(s.MapURL, "/")
	}
	return defaultMapURL
}

// mapOrigin is the origin of the map site, for the page's
// Content-Security-Policy (frame-src).
func (s *server) mapOrigin() string {
	u, err := url.Parse(s.mapBase())
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// mapSearch links to the map site's search for a place written out ("" for
// none): there is no geocoder in Plaza, the reader's browser asks.
func (s *server) mapSearch(place string) string {
	place = strings.TrimSpace(place)
	if place == "" {
		return ""
	}
	return s.mapBase() + "/search?query=" + url.QueryEscape(place)
}

// mapAt links to the map site centred on a position, with a marker.
func (s *server) mapAt(g contacts.Geo) string {
	lat, lon := coord(g.Lat), coord(g.Lon)
	return s.mapBase() + "/?mlat=" + lat + "&mlon=" + lon + "#map=16/" + lat + "/" + lon
}

// mapEmbed is the address of the map site's embeddable view of a
// position: a small box around it with a marker.
func (s *server) mapEmbed(g contacts.Geo) string {
	const d = 0.005
	box := coord(max(g.Lon-d, -180)) + "," + coord(max(g.Lat-d, -90)) + "," + coord(min(g.Lon+d, 180)) + "," + coord(min(g.Lat+d, 90))
	return s.mapBase() + "/export/embed.html?bbox=" + url.QueryEscape(box) + "&layer=mapnik&marker=" +
		url.QueryEscape(coord(g.Lat)+","+coord(g.Lon))
}

func coord(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }

// contactRow is a card in the list.
type contactRow struct {
	contacts.Card
	Href     string
	Place    string // the locality of its first address
	Selected bool
}

// contactAddress is an address on the detail view.
type contactAddress struct {
	contacts.Address
	Lines   []string
	TypeKey string // the catalogue key of a usual type (home, work)
	Map     string // the map site, at the position or searching the address
}

// contactsPage lists the contacts of the reader's address books and the
// space's directory, filtered by ?q= and ?book=, and shows the card of
// the path (/contacts/BOOK/NAME) beside the list, with its addresses on
// OpenStreetMap.
// contactsPerPage bounds the directory list of one page.
const contactsPerPage = 100

func (s *server) contactsPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModContacts, "contacts.title")
	if !ok {
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	home, err := s.Contacts.Home(ctx, who)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	books := inSpace(home, v.Space.ID, "")
	query := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(query) > 200 {
		query = query[:200]
	}
	bookID, _ := strconv.ParseInt(r.URL.Query().Get("book"), 10, 64)
	searched := books
	if bookID != 0 {
		searched = nil
		for _, b := range books {
			if b.ContainerID == bookID {
				searched = append(searched, b)
			}
		}
	}
	dir, err := s.Contacts.Cards(ctx, searched, query)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	keep := url.Values{}
	if query != "" {
		keep.Set("q", query)
	}
	if bookID != 0 {
		keep.Set("book", strconv.FormatInt(bookID, 10))
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && n > 1 {
		keep.Set("page", strconv.Itoa(n))
	}
	suffix := ""
	if len(keep) > 0 {
		suffix = "?" + keep.Encode()
	}
	var sel *contacts.Card
	if r.PathValue("book") != "" {
		id, err := pathID(r, "book")
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		var book *calendar.Collection
		for i := range books {
			if books[i].ContainerID == id {
				book = &books[i]
			}
		}
		if book == nil {
			s.pageError(w, r, fmt.Errorf("address book: %w", core.ErrNotFound))
			return
		}
		c, err := s.Contacts.Card(ctx, book, r.PathValue("name"))
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		sel = &c
		v.Title = "contacts.card"
	}
	rows := make([]contactRow, 0, len(dir.Cards))
	for _, c := range dir.Cards {
		row := contactRow{Card: c, Href: fmt.Sprintf("/s/%s/contacts/%d/%s%s", v.Space.Slug, c.BookID, url.PathEscape(c.Name), suffix)}
		if len(c.Addresses) > 0 {
			row.Place = c.Addresses[0].Locality
		}
		row.Selected = sel != nil && sel.BookID == c.BookID && sel.Name == c.Name
		rows = append(rows, row)
	}
	pg := paginate(r, len(rows), contactsPerPage)
	lo, hi := pg.Bounds()
	var writable []calendar.Collection
	for _, b := range books {
		if acl.Allows(b.Level, true, acl.PrivBind) {
			writable = append(writable, b)
		}
	}
	data := map[string]any{"Books": books, "Writable": writable, "Blank": contacts.Fields{}, "Book": bookID, "Query": query, "Cards": rows[lo:hi], "Unreadable": dir.Unreadable,
		"Count": len(rows), "Pager": pg}
	if sel != nil {
		var addrs []contactAddress
		for _, a := range sel.Addresses {
			ca := contactAddress{Address: a, Lines: a.Lines(), Map: s.mapSearch(a.OneLine())}
			if a.Type == "home" || a.Type == "work" {
				ca.TypeKey = "contacts.type." + a.Type
			}
			if a.Geo != nil {
				ca.Map = s.mapAt(*a.Geo)
			}
			addrs = append(addrs, ca)
		}
		detail := map[string]any{"Card": sel, "Addresses": addrs}
		for i := range books {
			if books[i].ContainerID != sel.BookID {
				continue
			}
			f, o, err := s.Contacts.CardFields(ctx, &books[i], sel.Name)
			if err == nil && acl.Allows(s.Contacts.ItemLevel(&books[i], who, o), false, acl.PrivWriteContent) {
				detail["Edit"] = map[string]any{"Fields": f, "Emails": strings.Join(f.Emails, "\n"), "Phones": strings.Join(f.Phones, "\n"),
					"Action": s.contactHref(v, sel.BookID, sel.Name)}
			}
		}
		if g := sel.Located(); g != nil {
			detail["MapEmbed"] = s.mapEmbed(*g)
			detail["MapLink"] = s.mapAt(*g)
			v.frameSrc = s.mapOrigin()
		}
		data["Detail"] = detail
	}
	v.Data = data
	s.render(w, r, http.StatusOK, "contacts", v)
}
