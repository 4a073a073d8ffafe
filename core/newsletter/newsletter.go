// Package newsletter composes rich-text mails with attachments and sends
// them through the mail queue to the members of a space and/or the
// contacts of a directory, keeping a history that can be reused.
package newsletter

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/calendar"
	"plaza/core/mail"
	"plaza/core/space"
	"plaza/core/store"
)

// Limits.
const (
	MaxSubject     = 200
	MaxBody        = 512 << 10
	MaxAttachment  = 10 << 20
	MaxAttachments = 10
)

// Newsletter is one newsletter, a draft until SentAt is set.
type Newsletter struct {
	bun.BaseModel `bun:"table:newsletters,alias:nl"`

	ID         int64      `bun:",pk,autoincrement" json:"id"`
	SpaceID    *int64     `json:"space_id"`
	AuthorID   *int64     `json:"author_id"`
	Subject    string     `json:"subject"`
	BodyHTML   string     `json:"body_html"`
	Recipients int        `json:"recipients"`
	CreatedAt  time.Time  `json:"created_at"`
	SentAt     *time.Time `json:"sent_at"`

	Attachments []Attachment `bun:"-" json:"attachments"`
	// Delivery counts the newsletter's mails by queue status.
	Delivery map[string]int `bun:"-" json:"delivery,omitempty"`
}

// Attachment is a file sent with a newsletter.
type Attachment struct {
	bun.BaseModel `bun:"table:newsletter_attachments"`

	NewsletterID int64  `bun:",pk" json:"-"`
	Position     int    `bun:",pk" json:"position"`
	Name         string `json:"name"`
	ContentType  string `json:"content_type"`
	BlobHash     string `json:"-"`
	Size         int64  `json:"size"`
}

// Directory is what the newsletter needs of the contacts module
// (contacts.Service): an address book the sender may read, and its cards
// as CSV (whose "email" column lists addresses separated by ";" or ",").
type Directory interface {
	ByID(ctx context.Context, who core.Subject, id int64) (*calendar.Collection, error)
	ExportCSV(ctx context.Context, c *calendar.Collection, w io.Writer) error
}

// Options configure the service.
type Options struct {
	Spaces    *space.Service
	Queue     *mail.Queue
	Blobs     *blob.Store
	Directory Directory // nil: no directory recipients
	Now       func() time.Time
}

// Service is the newsletter module.
type Service struct {
	db     *store.DB
	o      Options
	policy *bluemonday.Policy
}

// New returns the newsletter service.
func New(db *store.DB, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(false)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return &Service{db: db, o: o, policy: p}
}

// Sanitize keeps the safe part of rich text.
func (s *Service) Sanitize(body string) string { return s.policy.Sanitize(body) }

// may lets platform administrators and the space's administrators
// through, when the space has its newsletter module on.
func (s *Service) may(ctx context.Context, who core.Subject, spaceID int64) error {
	if who.IsAnonymous() {
		return core.ErrUnauthenticated
	}
	return acl.RequireSpace(ctx, s.db, who, spaceID, acl.SpaceNeed{Module: core.ModNewsletter, Admin: true})
}

// Upload is a file to attach.
type Upload struct {
	Name        string
	ContentType string
	Body        io.Reader
}

// Draft is what a composer writes.
type Draft struct {
	Subject string
	Body    string // HTML; sanitized on the way in
}

func (d *Draft) check(s *Service) error {
	d.Subject = strings.TrimSpace(d.Subject)
	if d.Subject == "" || utf8.RuneCountInString(d.Subject) > MaxSubject || strings.ContainsAny(d.Subject, "\x00\r\n") {
		return fmt.Errorf("%w: a subject is 1 to %d characters on one line", core.ErrInvalid, MaxSubject)
	}
	if len(d.Body) > MaxBody || !utf8.ValidString(d.Body) {
		return fmt.Errorf("%w: text longer than %d bytes or not UTF-8", core.ErrInvalid, MaxBody)
	}
	d.Body = s.Sanitize(d.Body)
	return nil
}

// Create saves a draft with its attachments.
func (s *Service) Create(ctx context.Context, who core.Subject, spaceID int64, d Draft, files []Upload) (*Newsletter, error) {
	if err := s.may(ctx, who, spaceID); err != nil {
		return nil, err
	}
	if err := d.check(s); err != nil {
		return nil, err
	}
	if len(files) > MaxAttachments {
		return nil, fmt.Errorf("%w: at most %d attachments", core.ErrInvalid, MaxAttachments)
	}
	var atts []Attachment
	var blobs []blob.Blob
	for i, f := range files {
		name := strings.TrimSpace(f.Name)
		if name == "" || len(name) > 200 || strings.ContainsAny(name, "\x00\r\n/\\\"") {
			return nil, fmt.Errorf("%w: attachment name %q", core.ErrInvalid, f.Name)
		}
		ct := f.ContentType
		if ct == "" || strings.ContainsAny(ct, "\r\n") || len(ct) > 100 {
			ct = "application/octet-stream"
		}
		b, err := s.o.Blobs.Put(ctx, io.LimitReader(f.Body, MaxAttachment+1))
		if err != nil {
			return nil, err
		}
		if b.Size > MaxAttachment {
			return nil, fmt.Errorf("%w: an attachment is at most %d MiB", core.ErrInvalid, MaxAttachment>>20)
		}
		blobs = append(blobs, b)
		atts = append(atts, Attachment{Position: i, Name: name, ContentType: ct, BlobHash: b.Hash, Size: b.Size})
	}
	n := &Newsletter{SpaceID: &spaceID, AuthorID: &who.AccountID, Subject: d.Subject, BodyHTML: d.Body,
		CreatedAt: s.o.Now().UTC()}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
			return err
		}
		return s.attach(ctx, tx, n, atts, blobs)
	})
	if err != nil {
		return nil, err
	}
	n.Attachments = atts
	return n, nil
}

func (s *Service) attach(ctx context.Context, tx bun.Tx, n *Newsletter, atts []Attachment, blobs []blob.Blob) error {
	for i := range atts {
		atts[i].NewsletterID = n.ID
		if err := s.o.Blobs.Ref(ctx, tx, blobs[i]); err != nil {
			return err
		}
	}
	if len(atts) == 0 {
		return nil
	}
	_, err := tx.NewInsert().Model(&atts).Exec(ctx)
	return err
}

// Get returns a newsletter with its attachments and delivery counts.
func (s *Service) Get(ctx context.Context, who core.Subject, id int64) (*Newsletter, error) {
	n := new(Newsletter)
	if err := s.db.NewSelect().Model(n).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("newsletter %d: %w", id, store.Translate(err))
	}
	if n.SpaceID == nil {
		return nil, fmt.Errorf("newsletter %d: %w", id, core.ErrNotFound)
	}
	if err := s.may(ctx, who, *n.SpaceID); err != nil {
		if errors.Is(err, core.ErrForbidden) {
			return nil, fmt.Errorf("newsletter %d: %w", id, core.ErrNotFound)
		}
		return nil, err
	}
	if err := s.db.NewSelect().Model(&n.Attachments).Where("newsletter_id = ?", id).Order("position").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	var counts []struct {
		Status string
		N      int
	}
	err := s.db.NewSelect().Model((*mail.Row)(nil)).ColumnExpr("status, COUNT(*) AS n").
		Where("newsletter_id = ?", id).Group("status").Scan(ctx, &counts)
	n.Delivery = map[string]int{}
	for _, c := range counts {
		n.Delivery[c.Status] = c.N
	}
	return n, store.Translate(err)
}

// History lists a space's newsletters, newest first.
func (s *Service) History(ctx context.Context, who core.Subject, spaceID int64) ([]Newsletter, error) {
	if err := s.may(ctx, who, spaceID); err != nil {
		return nil, err
	}
	var out []Newsletter
	err := s.db.NewSelect().Model(&out).Where("space_id = ?", spaceID).Order("id DESC").Limit(500).Scan(ctx)
	return out, store.Translate(err)
}

// Reuse starts a new draft from an earlier newsletter: same subject,
// text and attachments.
func (s *Service) Reuse(ctx context.Context, who core.Subject, id int64) (*Newsletter, error) {
	old, err := s.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	n := &Newsletter{SpaceID: old.SpaceID, AuthorID: &who.AccountID, Subject: old.Subject, BodyHTML: old.BodyHTML,
		CreatedAt: s.o.Now().UTC()}
	atts := slices.Clone(old.Attachments)
	var blobs []blob.Blob
	for _, a := range atts {
		blobs = append(blobs, blob.Blob{Hash: a.BlobHash, Size: a.Size})
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
			return err
		}
		return s.attach(ctx, tx, n, atts, blobs)
	})
	if err != nil {
		return nil, err
	}
	n.Attachments = atts
	return n, nil
}

// Update changes a draft's subject and text.
func (s *Service) Update(ctx context.Context, who core.Subject, id int64, d Draft) error {
	n, err := s.Get(ctx, who, id)
	if err != nil {
		return err
	}
	if n.SentAt != nil {
		return fmt.Errorf("%w: a sent newsletter does not change; reuse it", core.ErrConflict)
	}
	if err := d.check(s); err != nil {
		return err
	}
	_, err = s.db.NewUpdate().Model(n).Set("subject = ?", d.Subject).Set("body_html = ?", d.Body).
		WherePK().Where("sent_at IS NULL").Exec(ctx)
	return store.Translate(err)
}

// Delete removes a draft or a sent newsletter from the history (mails
// already queued still go).
func (s *Service) Delete(ctx context.Context, who core.Subject, id int64) error {
	n, err := s.Get(ctx, who, id)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model(n).WherePK().Exec(ctx); err != nil {
			return err
		}
		for _, a := range n.Attachments {
			if err := s.o.Blobs.Unref(ctx, tx, a.BlobHash); err != nil {
				return err
			}
		}
		return nil
	})
}

// Audience says who receives a newsletter.
type Audience struct {
	Members     bool    // the members of the newsletter's space
	Directories []int64 // address books (containers) whose contacts receive it
	Extra       []string
}

// Send queues one mail per distinct address and marks the newsletter
// sent; a newsletter is sent once (ErrConflict after). It returns the
// number of recipients.
func (s *Service) Send(ctx context.Context, who core.Subject, id int64, a Audience) (int, error) {
	n, err := s.Get(ctx, who, id)
	if err != nil {
		return 0, err
	}
	if n.SentAt != nil {
		return 0, fmt.Errorf("%w: this newsletter was sent already; reuse it", core.ErrConflict)
	}
	addrs, err := s.recipients(ctx, who, *n.SpaceID, a)
	if err != nil {
		return 0, err
	}
	if len(addrs) == 0 {
		return 0, fmt.Errorf("%w: no recipient has an email address", core.ErrInvalid)
	}
	var atts []mail.Attachment
	for _, at := range n.Attachments {
		atts = append(atts, mail.Attachment{Name: at.Name, ContentType: at.ContentType, Hash: at.BlobHash})
	}
	text := HTMLToText(n.BodyHTML)
	msgs := make([]mail.Message, len(addrs))
	for i, to := range addrs {
		msgs[i] = mail.Message{To: to, Subject: n.Subject, Text: text, HTML: n.BodyHTML, Attachments: atts, NewsletterID: &n.ID}
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model(n).Set("sent_at = ?", s.o.Now().UTC()).Set("recipients = ?", len(addrs)).
			WherePK().Where("sent_at IS NULL").Exec(ctx)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("%w: this newsletter was sent already", core.ErrConflict)
		}
		return s.o.Queue.Enqueue(ctx, tx, msgs...)
	})
	if err != nil {
		return 0, err
	}
	return len(addrs), nil
}

func (s *Service) recipients(ctx context.Context, who core.Subject, spaceID int64, a Audience) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(addr string) {
		addr = strings.TrimSpace(addr)
		key := strings.ToLower(addr)
		if addr == "" || seen[key] || mail.CheckAddress(addr) != nil {
			return
		}
		seen[key] = true
		out = append(out, addr)
	}
	if a.Members {
		var emails []string
		err := s.db.NewSelect().TableExpr("accounts AS a").ColumnExpr("a.email").
			Where(acl.MemberOfSQL("?", "a.id")+" AND NOT a.disabled AND a.email <> ''", spaceID).Order("a.id").Scan(ctx, &emails)
		if err != nil {
			return nil, store.Translate(err)
		}
		for _, e := range emails {
			add(e)
		}
	}
	for _, id := range a.Directories {
		if s.o.Directory == nil {
			return nil, fmt.Errorf("%w: no contact directory", core.ErrInvalid)
		}
		c, err := s.o.Directory.ByID(ctx, who, id)
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		if err := s.o.Directory.ExportCSV(ctx, c, &b); err != nil {
			return nil, err
		}
		recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
		if err != nil || len(recs) == 0 {
			return nil, fmt.Errorf("directory %d: %w", id, err)
		}
		col := slices.Index(recs[0], "email")
		if col < 0 {
			continue
		}
		for _, r := range recs[1:] {
			if col < len(r) {
				for _, e := range strings.FieldsFunc(r[col], func(r rune) bool { return r == ';' || r == ',' }) {
					add(e)
				}
			}
		}
	}
	for _, e := range a.Extra {
		if err := mail.CheckAddress(strings.TrimSpace(e)); err != nil {
			return nil, err
		}
		add(e)
	}
	return out, nil
}

var (
	blockRE = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/h[1-6]|/li|/tr)\s*/?>`)
	liRE    = regexp.MustCompile(`(?i)<\s*li[^>]*>`)
	linkRE  = regexp.MustCompile(`(?i)<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>`)
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	blankRE = regexp.MustCompile(`\n{3,}`)
)

// HTMLToText is the plain-text part of a newsletter: lines for blocks,
// links as "text (url)".
func HTMLToText(h string) string {
	t := linkRE.ReplaceAllString(h, "$2 ($1)")
	t = blockRE.ReplaceAllString(t, "\n")
	t = liRE.ReplaceAllString(t, "- ")
	t = tagRE.ReplaceAllString(t, "")
	t = html.UnescapeString(t)
	lines := strings.Split(t, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(blankRE.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")) + "\n"
}

// JitsiParagraph is the HTML a composer inserts for a video call link.
func JitsiParagraph(url, label string) string {
	return `<p><a href="` + html.EscapeString(url) + `">` + html.EscapeString(label) + `</a></p>`
}
