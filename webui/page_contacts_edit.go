package webui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"plaza/core"
	"plaza/core/calendar"
	"plaza/core/contacts"
)

// contactForm reads the fields of the contact form; emails and phones
// one a line.
func contactForm(f url.Values) contacts.Fields {
	lines := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	}
	return contacts.Fields{Kind: f.Get("kind"), FullName: f.Get("fullname"), GivenName: f.Get("given"), FamilyName: f.Get("family"),
		Organization: f.Get("org"), Title: f.Get("title"), Emails: lines(f.Get("emails")), Phones: lines(f.Get("phones")),
		Address: f.Get("address"), Note: f.Get("note")}
}

// spaceBook loads address book id for the reader, if the space's pages
// may show it.
func (s *server) spaceBook(ctx context.Context, v *view, id int64) (*calendar.Collection, error) {
	b, err := s.Contacts.ByID(ctx, core.SubjectFrom(ctx), id)
	if err != nil {
		return nil, err
	}
	if b.Disabled || (b.SpaceID != nil && *b.SpaceID != v.Space.ID) {
		return nil, fmt.Errorf("address book: %w", core.ErrNotFound)
	}
	return b, nil
}

func (s *server) contactHref(v *view, book int64, name string) string {
	return fmt.Sprintf("/s/%s/contacts/%d/%s", v.Space.Slug, book, url.PathEscape(name))
}

// contactCreate adds a card from the contacts page's form.
func (s *server) contactCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModContacts, "contacts.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	id, err := strconv.ParseInt(r.PostForm.Get("book"), 10, 64)
	if err != nil {
		s.pageError(w, r, invalid("choose an address book"))
		return
	}
	book, err := s.spaceBook(ctx, v, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	name, err := s.Contacts.AddCard(ctx, who, book, contactForm(r.PostForm))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, s.contactHref(v, book.ContainerID, name), http.StatusSeeOther)
}

// contactEdit saves the card form of a contact.
func (s *server) contactEdit(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModContacts, "contacts.card")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	id, err := pathID(r, "book")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	book, err := s.spaceBook(ctx, v, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	name := r.PathValue("name")
	if err := s.Contacts.EditCard(ctx, who, book, name, contactForm(r.PostForm)); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, s.contactHref(v, book.ContainerID, name), http.StatusSeeOther)
}

// contactDelete deletes a contact.
func (s *server) contactDelete(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModContacts, "contacts.card")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	id, err := pathID(r, "book")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	book, err := s.spaceBook(ctx, v, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.Contacts.Delete(ctx, who, book, r.PathValue("name"), calendar.Conditions{}); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/s/"+v.Space.Slug+"/contacts", http.StatusSeeOther)
}
