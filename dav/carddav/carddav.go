// Package carddav serves Plaza's address books over CardDAV (RFC 6352)
// with sync-collection (RFC 6578), getctag, extended MKCOL, PROPPATCH and
// RFC 3744 privilege sets, under /dav/addressbooks/LOGIN/. vCards are
// stored as sent (3.0 or 4.0) and returned in the version a client asks
// for (address-data version attribute, or the Accept header of a GET).
//
// Segments follow caldav's: "contacts" is the personal address book,
// directory@SPACE a space's directory, slug~OWNER another person's book.
package carddav

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"plaza/core/calendar"
	"plaza/core/contacts"
	"plaza/dav/carddav/vcf"
	"plaza/dav/principal/davkit"
)

// Options configure the CardDAV handler.
type Options struct {
	Contacts *contacts.Service
	Logger   *slog.Logger
}

// MaxResource is the largest vCard accepted (photos inline).
const MaxResource = 2 << 20

// DAVHeader is the DAV response header of CardDAV resources.
const DAVHeader = "1, 3, access-control, addressbook, extended-mkcol"

var (
	card        = func(local string) xml.Name { return davkit.Name(davkit.NSCardDAV, local) }
	addressData = card("address-data")
)

// New returns the handler of /dav/addressbooks/ (full paths, not
// stripped). Wrap it in davhttp.RequireBasic.
func New(o Options) http.Handler {
	h := &handler{svc: o.Contacts}
	h.srv = &davkit.Server{F: davkit.Flavour{
		Prefix:            davkit.AddressBooks,
		Store:             o.Contacts.Store,
		Log:               o.Logger,
		ContentType:       "text/vcard; charset=utf-8",
		DAVHeader:         DAVHeader,
		CollectionType:    card("addressbook"),
		DataProp:          addressData,
		DescriptionProp:   card("addressbook-description"),
		MultigetName:      card("addressbook-multiget"),
		Pre:               davkit.CardDAVPreconditions,
		MaxResource:       MaxResource,
		CollectionProp:    collectionProp,
		CollectionAllProp: []xml.Name{card("supported-address-data"), card("max-resource-size")},
		Reports:           map[xml.Name]davkit.ReportFunc{card("addressbook-query"): h.query},
		Data:              data,
		GetData:           getData,
		Export:            h.export,
		Post:              h.importCSV,
		ParseSet:          parseSet,
	}}
	return h.srv
}

type handler struct {
	svc *contacts.Service
	srv *davkit.Server
}

func collectionProp(r *http.Request, c *calendar.Collection, n xml.Name) (string, bool) {
	switch n {
	case card("supported-address-data"):
		return `<CR:address-data-type content-type="text/vcard" version="3.0"/>` +
			`<CR:address-data-type content-type="text/vcard" version="4.0"/>`, true
	case card("max-resource-size"):
		return strconv.Itoa(MaxResource), true
	case card("supported-collation-set"):
		return `<CR:supported-collation>i;ascii-casemap</CR:supported-collation><CR:supported-collation>i;unicode-casemap</CR:supported-collation><CR:supported-collation>i;octet</CR:supported-collation>`, true
	}
	return "", false
}

func parseSet(p *davkit.Node, n *calendar.NewCollection, props *calendar.Props) (bool, error) {
	switch p.Name {
	case davkit.DAV("displayname"):
		v := strings.TrimSpace(p.Text)
		props.Name = &v
	case card("addressbook-description"):
		v := p.Text
		props.Description = &v
	default:
		return false, nil
	}
	return true, nil
}

// version returns the vCard version a data element or Accept header
// asks for ("" : as stored).
func wanted(spec *davkit.Node) string {
	if spec == nil {
		return ""
	}
	v, _ := spec.Attr("version")
	return v
}

func data(r *http.Request, spec *davkit.Node, o *calendar.Object) (string, error) {
	v := wanted(spec)
	if v == "" {
		return o.Data, nil
	}
	b, err := vcf.Convert([]byte(o.Data), v)
	if err != nil {
		return o.Data, nil
	}
	return string(b), nil
}

func getData(r *http.Request, o *calendar.Object) ([]byte, string, error) {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != "text/vcard" {
			continue
		}
		if v := params["version"]; v == "3.0" || v == "4.0" {
			b, err := vcf.Convert([]byte(o.Data), v)
			if err != nil {
				return nil, "", err
			}
			return b, "text/vcard; charset=utf-8; version=" + v, nil
		}
	}
	return []byte(o.Data), "text/vcard; charset=utf-8", nil
}

func parseTextMatch(n *davkit.Node) vcf.TextMatch {
	tm := vcf.TextMatch{Text: n.Text}
	tm.Collation, _ = n.Attr("collation")
	if v, _ := n.Attr("negate-condition"); v == "yes" {
		tm.Negate = true
	}
	tm.MatchType, _ = n.Attr("match-type")
	return tm
}

// query answers addressbook-query (RFC 6352 §8.6), with its limit.
func (h *handler) query(w http.ResponseWriter, r *http.Request, t *davkit.Target, root *davkit.Node) error {
	fn := root.Child(card("filter"))
	f := &vcf.Filter{}
	if fn != nil {
		test, _ := fn.Attr("test")
		f.AllOf = test == "allof"
		for _, pn := range fn.All(card("prop-filter")) {
			pf := vcf.PropFilter{}
			pf.Name, _ = pn.Attr("name")
			test, _ := pn.Attr("test")
			pf.AllOf = test == "allof"
			pf.IsNotDefined = pn.Child(card("is-not-defined")) != nil
			for _, tm := range pn.All(card("text-match")) {
				pf.TextMatches = append(pf.TextMatches, parseTextMatch(tm))
			}
			for _, pm := range pn.All(card("param-filter")) {
				x := vcf.ParamFilter{}
				x.Name, _ = pm.Attr("name")
				x.IsNotDefined = pm.Child(card("is-not-defined")) != nil
				if tm := pm.Child(card("text-match")); tm != nil {
					v := parseTextMatch(tm)
					x.TextMatch = &v
				}
				pf.Params = append(pf.Params, x)
			}
			f.Props = append(f.Props, pf)
		}
	}
	objs, err := h.svc.Candidates(r.Context(), t.Coll, "", nil, nil)
	if err != nil {
		return err
	}
	objs = vcf.Filtered(objs, f)
	if l := root.Child(card("limit")).Child(card("nresults")); l != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(l.Text)); err == nil && n >= 0 && n < len(objs) {
			objs = objs[:n]
		}
	}
	pf, spec := h.srv.PropSpec(root)
	h.srv.Respond(w, r, t, objs, pf, spec)
	return nil
}

// CSV is the media type of directory import and export.
const CSV = "text/csv"

func wantsCSV(r *http.Request) bool {
	if r.URL.Query().Get("format") == "csv" {
		return true
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == CSV {
			return true
		}
	}
	return false
}

// importCSV answers POST of a CSV file (Content-Type text/csv) on an
// address book: one card per row, added or updated by uid; the answer is
// the JSON report (created, updated, rejected rows with line and reason).
func (h *handler) importCSV(w http.ResponseWriter, r *http.Request, t *davkit.Target) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != CSV {
		http.Error(w, "POST a directory as text/csv", http.StatusUnsupportedMediaType)
		return nil
	}
	rep, err := h.svc.ImportCSV(r.Context(), t.Who, t.Coll, http.MaxBytesReader(w, r.Body, 32<<20))
	if err != nil {
		return err
	}
	if rep.Rejected == nil {
		rep.Rejected = []contacts.Rejected{}
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(rep)
}

func (h *handler) export(w http.ResponseWriter, r *http.Request, t *davkit.Target) error {
	if wantsCSV(r) {
		var b bytes.Buffer
		if err := h.svc.ExportCSV(r.Context(), t.Coll, &b); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(t.Coll.Slug, `"`, "")+`.csv"`)
		if r.Method != http.MethodHead {
			w.Write(b.Bytes()) //nolint:errcheck
		}
		return nil
	}
	objs, err := h.svc.Candidates(r.Context(), t.Coll, "", nil, nil)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	for _, o := range objs {
		b.WriteString(strings.TrimRight(o.Data, "\r\n") + "\r\n")
	}
	w.Header().Set("Content-Type", "text/vcard; charset=utf-8")
	if r.Method == http.MethodHead {
		return nil
	}
	w.Write(b.Bytes()) //nolint:errcheck
	return nil
}
