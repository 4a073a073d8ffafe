package admin

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/secret"
	"plaza/core/store"
)

// UserCSVColumns are the columns of the user CSV, in export order. An
// import needs a header naming login; email, name, type and password are
// optional (any order, any case); other columns are ignored.
var UserCSVColumns = []string{"login", "email", "name", "type", "disabled", "created_at"}

// MaxImportRows bounds one import.
const MaxImportRows = 50000

// Rejected is a row an import refused.
type Rejected struct {
	Line   int    `json:"line"` // 1-based line in the file
	Login  string `json:"login"`
	Reason string `json:"reason"`
}

// ImportReport says what an import did.
type ImportReport struct {
	Created  int        `json:"created"`
	Rejected []Rejected `json:"rejected"`
}

type row struct {
	line int
	n    NewUser
}

// hashAll hashes the given passwords (each with its own salt) on every
// CPU: argon2id costs tens of milliseconds a password, so an import of
// thousands of accounts with passwords would otherwise take minutes.
func hashAll(rows []row, out []string, password func(row) string) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = secret.HashPassword(password(rows[i]))
			}
		}()
	}
	for i, r := range rows {
		if password(r) != "" {
			next <- i
		}
	}
	close(next)
	wg.Wait()
}

// ImportUsersCSV creates one account per valid row and reports the rows
// it refused (bad login, address or type, a login taken or repeated).
// Accounts without a password column get a single-use link, mailed to
// them, to choose their password; so an import never hashes one
// password for many accounts (each given password gets its own salt).
// Valid rows are committed together.
func (s *Service) ImportUsersCSV(ctx context.Context, who core.Subject, r io.Reader) (*ImportReport, error) {
	if err := requireAdmin(who); err != nil {
		return nil, err
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: CSV without a header row", core.ErrInvalid)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch h {
		case "login", "email", "name", "type", "password":
			col[h] = i
		}
	}
	if _, ok := col["login"]; !ok {
		return nil, fmt.Errorf("%w: the header must name a login column (and may name email, name, type, password)", core.ErrInvalid)
	}
	field := func(rec []string, k string) string {
		if i, ok := col[k]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	rep := &ImportReport{Rejected: []Rejected{}}
	var rows []row
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rep.Rejected = append(rep.Rejected, Rejected{Line: pe.Line, Reason: pe.Err.Error()})
				continue
			}
			return nil, fmt.Errorf("%w: %v", core.ErrInvalid, err)
		}
		if len(rows)+len(rep.Rejected) >= MaxImportRows {
			return nil, fmt.Errorf("%w: more than %d rows", core.ErrInvalid, MaxImportRows)
		}
		n := NewUser{Login: strings.ToLower(strings.TrimSpace(field(rec, "login"))), Email: field(rec, "email"),
			Name: field(rec, "name"), Type: core.AccountType(strings.ToLower(strings.TrimSpace(field(rec, "type")))),
			Password: field(rec, "password")}
		if err := n.check(); err != nil {
			rep.Rejected = append(rep.Rejected, Rejected{Line: line, Login: n.Login, Reason: reason(err)})
			continue
		}
		if err := account.MayManage(who, n.Type); err != nil {
			rep.Rejected = append(rep.Rejected, Rejected{Line: line, Login: n.Login, Reason: reason(err)})
			continue
		}
		if first, dup := seen[n.Login]; dup {
			rep.Rejected = append(rep.Rejected, Rejected{Line: line, Login: n.Login, Reason: "login repeated from line " + strconv.Itoa(first)})
			continue
		}
		seen[n.Login] = line
		rows = append(rows, row{line, n})
	}
	// Logins already taken, asked in chunks.
	taken := map[string]bool{}
	for i := 0; i < len(rows); i += 500 {
		var logins []string
		for _, r := range rows[i:min(i+500, len(rows))] {
			logins = append(logins, r.n.Login)
		}
		var got []string
		if err := s.db.NewSelect().Model((*account.Account)(nil)).Column("login").Where("login IN (?)", bun.In(logins)).Scan(ctx, &got); err != nil {
			return nil, store.Translate(err)
		}
		for _, l := range got {
			taken[l] = true
		}
	}
	var ok []row
	for _, r := range rows {
		if taken[r.n.Login] {
			rep.Rejected = append(rep.Rejected, Rejected{Line: r.line, Login: r.n.Login, Reason: "login already taken"})
			continue
		}
		ok = append(ok, r)
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for i := 0; i < len(ok); i += 200 {
			chunk := ok[i:min(i+200, len(ok))]
			hashes := make([]string, len(chunk))
			hashAll(chunk, hashes, func(r row) string { return r.n.Password })
			accs := make([]account.Account, len(chunk))
			for j, r := range chunk {
				accs[j] = *s.newAccount(r.n, hashes[j])
			}
			if _, err := tx.NewInsert().Model(&accs).Exec(ctx); err != nil {
				return fmt.Errorf("lines %d to %d: %w", chunk[0].line, chunk[len(chunk)-1].line, store.Translate(err))
			}
			var needLink []*account.Account
			for j := range accs {
				if accs[j].ID == 0 {
					return fmt.Errorf("import: the database returned no account id")
				}
				if accs[j].PasswordHash == "" {
					needLink = append(needLink, &accs[j])
				}
			}
			if s.o.Invites != nil && len(needLink) > 0 {
				if _, err := s.o.Invites.PasswordLinks(ctx, tx, who, needLink); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Created = len(ok)
	sortRejected(rep.Rejected)
	return rep, nil
}

func reason(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 && errors.Is(err, core.ErrInvalid) {
		return msg[i+2:]
	}
	return msg
}

func sortRejected(r []Rejected) {
	for i := 1; i < len(r); i++ {
		for j := i; j > 0 && r[j].Line < r[j-1].Line; j-- {
			r[j], r[j-1] = r[j-1], r[j]
		}
	}
}

// ExportUsersCSV writes every account as CSV (UserCSVColumns).
func (s *Service) ExportUsersCSV(ctx context.Context, who core.Subject, w io.Writer) error {
	if err := requireAdmin(who); err != nil {
		return err
	}
	var all []account.Account
	if err := s.db.NewSelect().Model(&all).Order("login").Scan(ctx); err != nil {
		return store.Translate(err)
	}
	cw := csv.NewWriter(w)
	cw.Write(UserCSVColumns) //nolint:errcheck // reported by Flush
	for _, a := range all {
		cw.Write([]string{a.Login, a.Email, csvSafe(a.Name), string(a.Type), strconv.FormatBool(a.Disabled), //nolint:errcheck
			a.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
