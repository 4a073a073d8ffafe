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

// MaxImportRows bounds one import.
const MaxImportRows = 100000

// ImportCSV adds or updates (by uid) one card per row of r in address
// book c. Rows that cannot become a card are skipped and reported; a file
// without a usable header is refused whole (ErrInvalid).
func (s *Service) ImportCSV(ctx context.Context, who core.Subject, c *calendar.Collection, r io.Reader) (*ImportReport, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: CSV without a header row: %v", core.ErrInvalid, err)
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
	rep := &ImportReport{}
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
			return rep, err
		}
		if n >= MaxImportRows {
			return rep, fmt.Errorf("%w: at most %d rows per import", core.ErrInvalid, MaxImportRows)
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
		name := calendar.NameFor(uid, ".vcf")
		_, created, err := s.Put(ctx, who, c, name, data, calendar.Conditions{})
		if v, ok := calendar.ViolationOf(err); ok && v.Code == calendar.CodeUIDConflict && v.Href != "" {
			// the uid is stored under another name: update that one
			_, created, err = s.Put(ctx, who, c, v.Href, data, calendar.Conditions{})
		}
		switch {
		case err == nil && created:
			rep.Created++
		case err == nil:
			rep.Updated++
		case errors.Is(err, core.ErrInvalid) || errors.Is(err, core.ErrConflict):
			rep.Rejected = append(rep.Rejected, Rejected{Line: line, Reason: err.Error()})
		default:
			return rep, err // forbidden, database failure: stop
		}
	}
	return rep, nil
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
