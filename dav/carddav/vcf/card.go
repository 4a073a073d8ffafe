package vcf

import (
	"strconv"
	"strings"

	"github.com/emersion/go-vcard"

	"plaza/core/contacts"
)

// Card implements contacts.CardCodec: what the directory page shows of a
// vCard (3.0 or 4.0), with every address and the positions GEO gives.
func (Codec) Card(data []byte) (contacts.Card, error) {
	card, err := Parse(data)
	if err != nil {
		return contacts.Card{}, err
	}
	c := contacts.Card{
		UID:      card.Value(vcard.FieldUID),
		Kind:     kindOf(card),
		FullName: strings.TrimSpace(card.Value(vcard.FieldFormattedName)),
		Title:    strings.TrimSpace(card.Value(vcard.FieldTitle)),
		Birthday: strings.TrimSpace(card.Value(vcard.FieldBirthday)),
		Note:     strings.TrimSpace(card.Value(vcard.FieldNote)),
		Emails:   nonEmpty(card.Values(vcard.FieldEmail), "mailto:"),
		Phones:   nonEmpty(card.Values(vcard.FieldTelephone), "tel:"),
		URLs:     nonEmpty(card.Values(vcard.FieldURL), ""),
	}
	// ORG is organisation;unit;unit…
	c.Organization = strings.Join(nonEmpty(strings.Split(card.Value(vcard.FieldOrganization), ";"), ""), ", ")
	if f := card.Get(vcard.FieldGeolocation); f != nil {
		c.Geo = parseGeo(f.Value)
	}
	for _, a := range card.Addresses() {
		adr := contacts.Address{
			Street:     strings.Join(nonEmpty([]string{a.StreetAddress, a.ExtendedAddress, a.PostOfficeBox}, ""), "\n"),
			Locality:   strings.TrimSpace(a.Locality),
			Region:     strings.TrimSpace(a.Region),
			PostalCode: strings.TrimSpace(a.PostalCode),
			Country:    strings.TrimSpace(a.Country),
		}
		if a.Field != nil && a.Params != nil {
			for _, t := range a.Params.Types() {
				for _, t := range strings.Split(t, ",") {
					if t = strings.TrimSpace(t); t != "" && t != "pref" && adr.Type == "" {
						adr.Type = t
					}
				}
			}
			// the decoder splits a parameter's value at commas
			if g := a.Params[vcard.ParamGeolocation]; len(g) > 0 {
				adr.Geo = parseGeo(strings.Join(g, ","))
			}
		}
		if len(adr.Lines()) == 0 {
			continue
		}
		c.Addresses = append(c.Addresses, adr)
	}
	return c, nil
}

func kindOf(card vcard.Card) string {
	k := strings.ToLower(strings.TrimSpace(card.Value(vcard.FieldKind)))
	if k == "" {
		k = strings.ToLower(strings.TrimSpace(card.Value("X-ADDRESSBOOKSERVER-KIND")))
	}
	if k == "" && strings.EqualFold(card.Value("X-ABSHOWAS"), "COMPANY") {
		k = "org"
	}
	switch k {
	case "org", "group", "location":
		return k
	}
	return "individual"
}

// nonEmpty trims vs, drops a scheme prefix (case-insensitive) and the
// values left empty.
func nonEmpty(vs []string, scheme string) []string {
	var out []string
	for _, v := range vs {
		v = strings.TrimSpace(v)
		if scheme != "" && len(v) >= len(scheme) && strings.EqualFold(v[:len(scheme)], scheme) {
			v = strings.TrimSpace(v[len(scheme):])
		}
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parseGeo reads a position as vCard 4.0 writes it (a geo: URI,
// "geo:48.85,2.35;u=20") or as 3.0 does ("48.85;2.35"); nil when it does
// not read as a position on Earth.
func parseGeo(v string) *contacts.Geo {
	v = strings.Trim(strings.TrimSpace(v), `"`)
	var lat, lon string
	if len(v) >= 4 && strings.EqualFold(v[:4], "geo:") {
		v, _, _ = strings.Cut(v[4:], ";") // parameters (uncertainty, crs)
		parts := strings.Split(v, ",")
		if len(parts) < 2 {
			return nil
		}
		lat, lon = parts[0], parts[1]
	} else {
		var ok bool
		if lat, lon, ok = strings.Cut(v, ";"); !ok {
			if lat, lon, ok = strings.Cut(v, ","); !ok {
				return nil
			}
		}
	}
	la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
	lo, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
	g := &contacts.Geo{Lat: la, Lon: lo}
	if err1 != nil || err2 != nil || !g.Valid() {
		return nil
	}
	return g
}
