// Package vcf is Plaza's vCard logic on top of go-vcard: validation and
// indexing (the codec the core contacts store is given), conversion
// between vCard 3.0 and 4.0, addressbook-query filters, and the mapping
// between cards and the directory's CSV fields. It lives in dav because
// core imports no protocol library.
package vcf

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-vcard"

	"plaza/core"
	"plaza/core/calendar"
	"plaza/core/contacts"
)

func invalid(format string, a ...any) error {
	return &calendar.Violation{Code: calendar.CodeInvalidData, Err: core.ErrInvalid, Reason: fmt.Sprintf(format, a...)}
}

// Parse decodes exactly one vCard of version 3.0 or 4.0 with an FN.
func Parse(data []byte) (card vcard.Card, err error) {
	defer func() {
		if r := recover(); r != nil {
			card, err = nil, invalid("malformed vCard")
		}
	}()
	dec := vcard.NewDecoder(bytes.NewReader(data))
	card, err = dec.Decode()
	if err != nil {
		return nil, invalid("malformed vCard: %v", err)
	}
	if _, err := dec.Decode(); err == nil {
		return nil, invalid("one vCard per resource")
	}
	switch card.Value(vcard.FieldVersion) {
	case "3.0", "4.0":
	default:
		return nil, &calendar.Violation{Code: calendar.CodeUnsupportedComponent, Err: core.ErrInvalid,
			Reason: "only vCard 3.0 and 4.0 are supported"}
	}
	if len(card[vcard.FieldVersion]) != 1 {
		return nil, invalid("one VERSION per vCard")
	}
	if card.Get(vcard.FieldFormattedName) == nil {
		return nil, invalid("a vCard needs FN")
	}
	return card, nil
}

// Codec validates and indexes vCards and maps them to and from CSV
// fields: it implements contacts.CardCodec.
type Codec struct{}

var _ contacts.CardCodec = Codec{}

// Parse implements calendar.Codec.
func (Codec) Parse(data []byte) (calendar.Meta, error) {
	card, err := Parse(data)
	if err != nil {
		return calendar.Meta{}, err
	}
	uid := card.Value(vcard.FieldUID)
	if len(uid) > 1000 {
		return calendar.Meta{}, invalid("UID too long")
	}
	if uid == "" {
		return calendar.Meta{}, invalid("a vCard needs a UID")
	}
	return calendar.Meta{UID: uid, Component: "VCARD"}, nil
}

// Convert returns data as a vCard of version ("3.0" or "4.0"); data of
// that version already is returned unchanged.
func Convert(data []byte, version string) ([]byte, error) {
	card, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if card.Value(vcard.FieldVersion) == version {
		return data, nil
	}
	switch version {
	case "4.0":
		toV4(card)
		if k := card.Value("X-ADDRESSBOOKSERVER-KIND"); k != "" {
			card.SetValue(vcard.FieldKind, strings.ToLower(k))
			delete(card, "X-ADDRESSBOOKSERVER-KIND")
		}
		if strings.EqualFold(card.Value("X-ABSHOWAS"), "COMPANY") && card.Get(vcard.FieldKind) == nil {
			card.SetValue(vcard.FieldKind, "org")
		}
	case "3.0":
		toV3(card)
	default:
		return nil, fmt.Errorf("%w: unsupported vCard version %q", core.ErrInvalid, version)
	}
	var b bytes.Buffer
	if err := vcard.NewEncoder(&b).Encode(card); err != nil {
		return nil, fmt.Errorf("%w: %v", core.ErrInvalid, err)
	}
	return b.Bytes(), nil
}

// toV4 converts a 3.0 card: TYPE=pref becomes PREF=1, TYPE=INTERNET
// (implied in 4.0) goes, inline ENCODING=b photos become data: URIs.
func toV4(card vcard.Card) {
	card.SetValue(vcard.FieldVersion, "4.0")
	for k, fields := range card {
		for _, f := range fields {
			if f.Params == nil {
				continue
			}
			var types []string
			pref := false
			for _, t := range f.Params[vcard.ParamType] {
				for _, t := range strings.Split(t, ",") {
					switch strings.ToLower(t) {
					case "pref":
						pref = true
					case "internet", "x400":
					default:
						types = append(types, t)
					}
				}
			}
			delete(f.Params, vcard.ParamType)
			if len(types) > 0 {
				f.Params[vcard.ParamType] = types
			}
			if pref {
				f.Params.Set(vcard.ParamPreferred, "1")
			}
			if (k == vcard.FieldPhoto || k == vcard.FieldLogo) && strings.EqualFold(f.Params.Get("ENCODING"), "b") {
				mt := "image/jpeg"
				if len(types) > 0 {
					mt = "image/" + strings.ToLower(types[0])
				}
				f.Value = "data:" + mt + ";base64," + f.Value
				delete(f.Params, "ENCODING")
				delete(f.Params, vcard.ParamType)
			}
		}
	}
}

func toV3(card vcard.Card) {
	card.SetValue(vcard.FieldVersion, "3.0")
	for k, fields := range card {
		for _, f := range fields {
			if f.Params == nil {
				continue
			}
			if p := f.Params.Get(vcard.ParamPreferred); p != "" {
				delete(f.Params, vcard.ParamPreferred)
				f.Params.Add(vcard.ParamType, "pref")
			}
			if k == vcard.FieldPhoto || k == vcard.FieldLogo {
				// data: URIs of 4.0 become inline base64 with ENCODING=b
				if mt, b64, ok := strings.Cut(f.Value, ";base64,"); ok && strings.HasPrefix(mt, "data:") {
					f.Value = b64
					f.Params.Set("ENCODING", "b")
					f.Params.Set(vcard.ParamType, strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(mt, "data:"), "image/")))
					delete(f.Params, vcard.ParamValue)
				}
			}
		}
	}
	switch strings.ToLower(card.Value(vcard.FieldKind)) {
	case "group":
		card.SetValue("X-ADDRESSBOOKSERVER-KIND", "group")
	case "org":
		card.SetValue("X-ABSHOWAS", "COMPANY")
	}
	delete(card, vcard.FieldKind)
	if card.Get(vcard.FieldName) == nil {
		card.SetValue(vcard.FieldName, card.Value(vcard.FieldFormattedName)+";;;;")
	}
}

// Filter is an addressbook-query filter (RFC 6352 §10.5).
type Filter struct {
	AllOf bool // test="allof"; default anyof
	Props []PropFilter
}

// PropFilter tests one vCard property.
type PropFilter struct {
	Name         string
	AllOf        bool
	IsNotDefined bool
	TextMatches  []TextMatch
	Params       []ParamFilter
}

// Match evaluates f against a vCard.
func Match(data []byte, f *Filter) (bool, error) {
	card, err := Parse(data)
	if err != nil {
		return false, err
	}
	if f == nil || len(f.Props) == 0 {
		return true, nil
	}
	for _, pf := range f.Props {
		ok := matchProp(card, &pf)
		if f.AllOf && !ok {
			return false, nil
		}
		if !f.AllOf && ok {
			return true, nil
		}
	}
	return f.AllOf, nil
}

func matchProp(card vcard.Card, pf *PropFilter) bool {
	var fields []*vcard.Field
	for k, fs := range card {
		if strings.EqualFold(k, pf.Name) {
			fields = append(fields, fs...)
		}
	}
	if pf.IsNotDefined {
		return len(fields) == 0
	}
	if len(fields) == 0 {
		return false
	}
	if len(pf.TextMatches) == 0 && len(pf.Params) == 0 {
		return true
	}
	for _, f := range fields {
		results := []bool{}
		for i := range pf.TextMatches {
			results = append(results, pf.TextMatches[i].Match(f.Value))
		}
		for _, pm := range pf.Params {
			var vals []string
			for k, v := range f.Params {
				if strings.EqualFold(k, pm.Name) {
					vals = append(vals, v...)
				}
			}
			if pm.IsNotDefined {
				results = append(results, len(vals) == 0)
				continue
			}
			hit := false
			for _, v := range vals {
				if pm.TextMatch == nil || pm.TextMatch.Match(v) {
					hit = true
				}
			}
			results = append(results, hit)
		}
		all, any := true, false
		for _, r := range results {
			all = all && r
			any = any || r
		}
		if (pf.AllOf && all) || (!pf.AllOf && any) {
			return true
		}
	}
	return false
}

// TextMatch is a CardDAV text-match (RFC 6352 §10.5.4): collation
// i;octet is case-sensitive, the others are not; match types equals,
// contains (default), starts-with, ends-with.
type TextMatch struct {
	Text      string
	Collation string
	Negate    bool
	MatchType string
}

// Match reports whether s matches the test.
func (t *TextMatch) Match(s string) bool {
	a, b := s, t.Text
	if t.Collation != "i;octet" {
		a, b = strings.ToLower(a), strings.ToLower(b)
	}
	var ok bool
	switch t.MatchType {
	case "equals":
		ok = a == b
	case "starts-with":
		ok = strings.HasPrefix(a, b)
	case "ends-with":
		ok = strings.HasSuffix(a, b)
	default:
		ok = strings.Contains(a, b)
	}
	return ok != t.Negate
}

// ParamFilter tests a parameter of a property.
type ParamFilter struct {
	Name         string
	IsNotDefined bool
	TextMatch    *TextMatch
}

// Filtered keeps the cards matching f.
func Filtered(objs []calendar.Object, f *Filter) []calendar.Object {
	out := objs[:0]
	for _, o := range objs {
		if ok, err := Match([]byte(o.Data), f); err == nil && ok {
			out = append(out, o)
		}
	}
	return out
}

// Fields implements contacts.CardCodec: a card as CSV fields.
func (Codec) Fields(data []byte) (contacts.Fields, error) {
	card, err := Parse(data)
	if err != nil {
		return contacts.Fields{}, err
	}
	f := contacts.Fields{UID: card.Value(vcard.FieldUID), Kind: "individual", FullName: card.Value(vcard.FieldFormattedName),
		Organization: card.Value(vcard.FieldOrganization), Title: card.Value(vcard.FieldTitle),
		Emails: card.Values(vcard.FieldEmail), Phones: card.Values(vcard.FieldTelephone), Note: card.Value(vcard.FieldNote)}
	if strings.EqualFold(card.Value(vcard.FieldKind), "org") || strings.EqualFold(card.Value("X-ABSHOWAS"), "COMPANY") {
		f.Kind = "org"
	}
	if n := card.Name(); n != nil {
		f.GivenName, f.FamilyName = n.GivenName, n.FamilyName
	}
	if a := card.Address(); a != nil {
		var parts []string
		for _, p := range []string{a.StreetAddress, a.Locality, a.Region, a.PostalCode, a.Country} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		f.Address = strings.Join(parts, ", ")
	}
	return f, nil
}

// Build implements contacts.CardCodec: a vCard 4.0 of CSV fields.
func (Codec) Build(f contacts.Fields) ([]byte, error) {
	card := vcard.Card{}
	card.SetValue(vcard.FieldVersion, "4.0")
	card.SetValue(vcard.FieldKind, f.Kind)
	card.SetValue(vcard.FieldFormattedName, f.FullName)
	if f.GivenName != "" || f.FamilyName != "" {
		card.SetName(&vcard.Name{GivenName: f.GivenName, FamilyName: f.FamilyName})
	}
	if f.Organization != "" {
		card.SetValue(vcard.FieldOrganization, f.Organization)
	}
	if f.Title != "" {
		card.SetValue(vcard.FieldTitle, f.Title)
	}
	for _, e := range f.Emails {
		card.AddValue(vcard.FieldEmail, e)
	}
	for _, p := range f.Phones {
		card.AddValue(vcard.FieldTelephone, p)
	}
	if f.Address != "" {
		card.AddAddress(&vcard.Address{StreetAddress: f.Address})
	}
	if f.Note != "" {
		card.SetValue(vcard.FieldNote, f.Note)
	}
	card.SetValue(vcard.FieldUID, f.UID)
	var b bytes.Buffer
	if err := vcard.NewEncoder(&b).Encode(card); err != nil {
		return nil, invalid("%v", err)
	}
	return b.Bytes(), nil
}

// Update implements contacts.CardCodec.
func (Codec) Update(data []byte, f contacts.Fields) ([]byte, error) {
	card, err := Parse(data)
	if err != nil {
		return nil, err
	}
	old, _ := Codec{}.Fields(data)
	set := func(field, v string) {
		if v == "" {
			delete(card, field)
			return
		}
		card.SetValue(field, v)
	}
	set(vcard.FieldFormattedName, f.FullName)
	if f.GivenName != "" || f.FamilyName != "" {
		n := card.Name()
		if n == nil {
			n = &vcard.Name{}
		}
		n.GivenName, n.FamilyName = f.GivenName, f.FamilyName
		card.SetName(n)
	} else if card.Name() != nil {
		card.SetName(&vcard.Name{})
	}
	if strings.HasPrefix(card.Value(vcard.FieldVersion), "4") {
		set(vcard.FieldKind, f.Kind)
	}
	set(vcard.FieldOrganization, f.Organization)
	set(vcard.FieldTitle, f.Title)
	set(vcard.FieldNote, f.Note)
	if !slices.Equal(old.Emails, f.Emails) {
		delete(card, vcard.FieldEmail)
		for _, e := range f.Emails {
			card.AddValue(vcard.FieldEmail, e)
		}
	}
	if !slices.Equal(old.Phones, f.Phones) {
		delete(card, vcard.FieldTelephone)
		for _, p := range f.Phones {
			card.AddValue(vcard.FieldTelephone, p)
		}
	}
	if old.Address != f.Address {
		// the page edits the first address as one line
		var rest []*vcard.Field
		for i, a := range card[vcard.FieldAddress] {
			if i > 0 {
				rest = append(rest, a)
			}
		}
		delete(card, vcard.FieldAddress)
		if f.Address != "" {
			card.AddAddress(&vcard.Address{StreetAddress: f.Address})
		}
		card[vcard.FieldAddress] = append(card[vcard.FieldAddress], rest...)
		if len(card[vcard.FieldAddress]) == 0 {
			delete(card, vcard.FieldAddress)
		}
	}
	var b bytes.Buffer
	if err := vcard.NewEncoder(&b).Encode(card); err != nil {
		return nil, invalid("%v", err)
	}
	return b.Bytes(), nil
}
