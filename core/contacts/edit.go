package contacts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"plaza/core"
	"plaza/core/calendar"
)

// checkFields trims and checks a card written on the contacts page.
func checkFields(f *Fields) error {
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&f.FullName, &f.GivenName, &f.FamilyName, &f.Organization, &f.Title, &f.Address} {
		trim(s)
		if utf8.RuneCountInString(*s) > 500 || strings.ContainsAny(*s, "\r\n") {
			return fmt.Errorf("%w: names, organisation, title and address have at most 500 characters on one line", core.ErrInvalid)
		}
	}
	f.Note = strings.TrimSpace(f.Note)
	if utf8.RuneCountInString(f.Note) > 10000 {
		return fmt.Errorf("%w: a note has at most 10000 characters", core.ErrInvalid)
	}
	if f.FullName == "" {
		f.FullName = strings.TrimSpace(f.GivenName + " " + f.FamilyName)
	}
	if f.FullName == "" {
		f.FullName = f.Organization
	}
	if f.FullName == "" {
		return fmt.Errorf("%w: a contact needs a name", core.ErrInvalid)
	}
	if f.Kind != "org" {
		f.Kind = "individual"
	}
	clean := func(vs []string) ([]string, error) {
		var out []string
		for _, v := range vs {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			if utf8.RuneCountInString(v) > 200 || strings.ContainsAny(v, "\r\n") {
				return nil, fmt.Errorf("%w: an email or phone has at most 200 characters", core.ErrInvalid)
			}
			out = append(out, v)
		}
		if len(out) > 20 {
			return nil, fmt.Errorf("%w: 20 emails or phones at most", core.ErrInvalid)
		}
		return out, nil
	}
	var err error
	if f.Emails, err = clean(f.Emails); err != nil {
		return err
	}
	for _, e := range f.Emails {
		if !strings.Contains(e, "@") {
			return fmt.Errorf("%w: %q is not an email address", core.ErrInvalid, e)
		}
	}
	f.Phones, err = clean(f.Phones)
	return err
}

// AddCard stores a new card made of f in book for who (who needs to add
// to book) and returns its resource name.
func (s *Service) AddCard(ctx context.Context, who core.Subject, book *calendar.Collection, f Fields) (string, error) {
	if err := checkFields(&f); err != nil {
		return "", err
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	f.UID = hex.EncodeToString(b) + "@plaza"
	data, err := s.codec.Build(f)
	if err != nil {
		return "", err
	}
	name := calendar.NameFor(f.UID, ".vcf")
	if _, _, err := s.Put(ctx, who, book, name, data, calendar.Conditions{IfNoneMatch: []string{"*"}}); err != nil {
		return "", err
	}
	return name, nil
}

// EditCard sets the fields of the card stored as name in book, keeping
// what the page does not edit (photo, other addresses' details…).
func (s *Service) EditCard(ctx context.Context, who core.Subject, book *calendar.Collection, name string, f Fields) error {
	if err := checkFields(&f); err != nil {
		return err
	}
	o, err := s.Get(ctx, book, name)
	if err != nil {
		return err
	}
	data, err := s.codec.Update([]byte(o.Data), f)
	if err != nil {
		return err
	}
	_, _, err = s.Put(ctx, who, book, name, data, calendar.Conditions{IfMatch: []string{o.ETag}})
	return err
}

// CardFields returns the card stored as name in book as the contact
// form edits it.
func (s *Service) CardFields(ctx context.Context, book *calendar.Collection, name string) (Fields, *calendar.Object, error) {
	o, err := s.Get(ctx, book, name)
	if err != nil {
		return Fields{}, nil, err
	}
	f, err := s.codec.Fields([]byte(o.Data))
	return f, o, err
}
