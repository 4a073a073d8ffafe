package contacts

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/calendar"
)

// CSVColumns are the columns of a directory in CSV, in export order. An
// import needs a header row naming some of them (in any order, any case);
// other columns are ignored.
var CSVColumns = []string{"uid", "kind", "full_name", "given_name", "family_name", "organization",
	"title", "email", "phone", "address", "note"}

// Rejected is a CSV row an import refused, with the reason.
type Rejected struct {
	Line   int    `json:"line"` // 1-based line of the row in the file
	Reason string `json:"reason"`
}

// ImportReport says what an import did.
type ImportReport struct {
	Created  int        `json:"created"`
	Updated  int        `json:"updated"`
	Rejected []Rejected `json:"rejected"`
}

// MaxImportRows bounds one import: a larger file is refused whole.
const MaxImportRows = 10000

// importBatch is how many cards an import writes between two looks at
// whether its client is still there.
const importBatch = 200

// pendingCard is a row read and built, waiting to be written.
type pendingCard struct {
	line int
	name string
	data []byte
}

// ImportCSV adds or updates (by uid) one card per row of r in address
// book c. Rows that cannot become a card are skipped and reported; a file
// without a usable header, longer than MaxImportRows or not read whole is
// refused whole (ErrInvalid), before anything is written. The import is
// all or nothing: when a write fails or ctx ends (the client went away),
// the cards it wrote are taken back and the error returned.
func (s *Service) ImportCSV(ctx context.Context, who core.Subject, c *calendar.Collection, r io.Reader) (*ImportReport, error) {
	rep := &ImportReport{}
	cards, err := s.readCSV(ctx, r, rep)
	if err != nil {
		return nil, err
	}
	var undo importUndo
	for i, p := range cards {
		if i%importBatch == 0 {
			if err := ctx.Err(); err != nil {
				return nil, undo.run(ctx, s, who, c, err)
			}
		}
		created, err := s.importCard(ctx, who, c, p, &undo)
		switch {
		case err == nil && created:
			rep.Created++
		case err == nil:
			rep.Updated++
		case errors.Is(err, core.ErrInvalid) || errors.Is(err, core.ErrConflict):
			rep.Rejected = append(rep.Rejected, Rejected{Line: p.line, Reason: err.Error()})
		default:
			return nil, undo.run(ctx, s, who, c, err) // forbidden, database failure, client gone
		}
	}
	return rep, nil
}

// readCSV reads the whole file into cards, reporting rows it refuses.
func (s *Service) readCSV(ctx context.Context, r io.Reader, rep *ImportReport) ([]pendingCard, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if err == io.EOF || errors.As(err, &pe) {
			return nil, fmt.Errorf("%w: CSV without a header row: %v", core.ErrInvalid, err)
		}
		return nil, err // a body cut short or too large
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		h = strings.ReplaceAll(h, " ", "_")
		for _, k := range CSVColumns {
			if h == k {
				col[k] = i
			}
		}
	}
	if _, ok := col["full_name"]; !ok {
		if _, ok := col["organization"]; !ok {
			return nil, fmt.Errorf("%w: the header must name a full_name or an organization column (known columns: %s)",
				core.ErrInvalid, strings.Join(CSVColumns, ", "))
		}
	}
	var cards []pendingCard
	seen := map[string]int{}
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rep.Rejected = append(rep.Rejected, Rejected{Line: pe.Line, Reason: pe.Err.Error()})
				continue
			}
			return nil, err
		}
		if n >= MaxImportRows {
			return nil, fmt.Errorf("%w: at most %d rows per import (split the file)", core.ErrInvalid, MaxImportRows)
		}
		if n%importBatch == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		line, _ := cr.FieldPos(0)
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		f, reason := rowFields(get)
		if reason != "" {
			rep.Rejected = append(rep.Rejected, Rejected{Line: line, Reason: reason})
			continue
		}
		uid := f.UID
		if prev, ok := seen[uid]; ok {
			rep.Rejected = append(rep.Rejected, Rejected{Line: line, Reason: fmt.Sprintf("uid %q repeats line %d", uid, prev)})
			continue
		}
		seen[uid] = line
		data, err := s.codec.Build(f)
		if err != nil {
			rep.Rejected = append(rep.Rejected, Rejected{Line: line, Reason: err.Error()})
			continue
		}
		cards = append(cards, pendingCard{line: line, name: calendar.NameFor(uid, ".vcf"), data: data})
	}
	return cards, nil
}

// importCard writes one card, by name or, when its uid is stored under
// another name, over that one; undo learns how to take it back.
func (s *Service) importCard(ctx context.Context, who core.Subject, c *calendar.Collection, p pendingCard, undo *importUndo) (bool, error) {
	name := p.name
	old, err := s.Get(ctx, c, name)
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return false, err
	}
	_, created, err := s.Put(ctx, who, c, name, p.data, calendar.Conditions{})
	if v, ok := calendar.ViolationOf(err); ok && v.Code == calendar.CodeUIDConflict && v.Href != "" {
		// the uid is stored under another name: update that one
		name = v.Href
		if old, err = s.Get(ctx, c, name); err != nil {
			return false, err
		}
		_, created, err = s.Put(ctx, who, c, name, p.data, calendar.Conditions{})
	}
	if err == nil {
		undo.add(name, created, old)
	}
	return created, err
}

// importUndo takes back what an import wrote: cards it created are
// deleted, cards it changed get their former data.
type importUndo struct {
	steps []undoStep
}

type undoStep struct {
	name string
	old  []byte // nil: created
}

func (u *importUndo) add(name string, created bool, old *calendar.Object) {
	st := undoStep{name: name}
	if !created && old != nil {
		st.old = []byte(old.Data)
	}
	u.steps = append(u.steps, st)
}

// run undoes, newest first, even when ctx has ended, and returns cause
// (joined with a failure to undo, which leaves cards written).
func (u *importUndo) run(ctx context.Context, s *Service, who core.Subject, c *calendar.Collection, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	for i := len(u.steps) - 1; i >= 0; i-- {
		st := u.steps[i]
		var err error
		if st.old == nil {
			err = s.Delete(ctx, who, c, st.name, calendar.Conditions{})
		} else {
			_, _, err = s.Put(ctx, who, c, st.name, st.old, calendar.Conditions{})
		}
		if err != nil && !errors.Is(err, core.ErrNotFound) {
			return errors.Join(cause, fmt.Errorf("import not fully taken back (%d cards left): %w", i+1, err))
		}
	}
	return cause
}

func rowFields(get func(string) string) (Fields, string) {
	for _, k := range CSVColumns {
		v := get(k)
		if strings.ContainsAny(v, "\x00") || len(v) > 10000 {
			return Fields{}, k + ": invalid or too long"
		}
	}
	f := Fields{FullName: get("full_name"), GivenName: get("given_name"), FamilyName: get("family_name"),
		Organization: get("organization"), Title: get("title"), Address: get("address"), Note: get("note"), UID: get("uid")}
	switch strings.ToLower(get("kind")) {
	case "", "individual", "person":
		f.Kind = "individual"
	case "org", "organization", "organisation", "company":
		f.Kind = "org"
	default:
		return Fields{}, fmt.Sprintf("kind %q: use individual or org", get("kind"))
	}
	if f.FullName == "" && f.Kind == "org" {
		f.FullName = f.Organization
	}
	if f.FullName == "" {
		f.FullName = strings.TrimSpace(f.GivenName + " " + f.FamilyName)
	}
	if f.FullName == "" {
		return Fields{}, "no full_name (nor given_name/family_name, nor organization for an org)"
	}
	for _, e := range splitList(get("email")) {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			return Fields{}, fmt.Sprintf("email %q is not an address", e)
		}
		f.Emails = append(f.Emails, e)
	}
	for _, p := range splitList(get("phone")) {
		if strings.Trim(p, "+0123456789 ()-./") != "" {
			return Fields{}, fmt.Sprintf("phone %q has characters other than digits, spaces and +()-./", p)
		}
		f.Phones = append(f.Phones, p)
	}
	if f.UID == "" {
		b := make([]byte, 16)
		rand.Read(b) //nolint:errcheck // crypto/rand never fails
		f.UID = "urn:uuid:" + hex.EncodeToString(b)
	}
	return f, ""
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ExportCSV writes every card of c as a CSV row under a header of
// CSVColumns. Multiple e-mails and phones are joined with "; ".
func (s *Service) ExportCSV(ctx context.Context, c *calendar.Collection, w io.Writer) error {
	objs, err := s.Candidates(ctx, c, "", nil, nil)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	for _, o := range objs {
		f, err := s.codec.Fields([]byte(o.Data))
		if err != nil {
			continue
		}
		row := []string{f.UID, f.Kind, f.FullName, f.GivenName, f.FamilyName, f.Organization, f.Title,
			strings.Join(f.Emails, "; "), strings.Join(f.Phones, "; "), f.Address, f.Note}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
