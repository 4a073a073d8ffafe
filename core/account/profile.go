package account

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"plaza/core"
)

// Profile is what a person sets about themselves.
type Profile struct {
	Name             string
	Language         string // en or fr
	Timezone         string // IANA name
	DateFormat       string // iso (2006-01-02), dmy (02/01/2006) or mdy (01/02/2006)
	PersonalCalendar bool   // off: no personal calendar is offered
}

// Languages Plaza speaks.
func Languages() []string { return []string{"en", "fr"} }

// DateFormats maps a date format name to its Go layout.
func DateFormats() map[string]string {
	return map[string]string{"iso": "2006-01-02", "dmy": "02/01/2006", "mdy": "01/02/2006"}
}

// ProfileOf returns the profile of an account.
func (s *Service) ProfileOf(ctx context.Context, id int64) (Profile, error) {
	var p Profile
	err := s.db.NewRaw(`SELECT name, language, timezone, date_format, personal_calendar FROM accounts WHERE id = ?`, id).
		Scan(ctx, &p.Name, &p.Language, &p.Timezone, &p.DateFormat, &p.PersonalCalendar)
	if err != nil {
		return p, fmt.Errorf("account %d: %w", id, err)
	}
	return p, nil
}

// UpdateProfile checks and stores a profile.
func (s *Service) UpdateProfile(ctx context.Context, id int64, p Profile) error {
	p.Name = strings.TrimSpace(p.Name)
	if n := utf8.RuneCountInString(p.Name); n == 0 || n > 200 || strings.ContainsAny(p.Name, "\x00\r\n") {
		return fmt.Errorf("%w: a name has 1 to 200 characters", core.ErrInvalid)
	}
	if p.Language != "en" && p.Language != "fr" {
		return fmt.Errorf("%w: language must be en or fr", core.ErrInvalid)
	}
	if _, err := time.LoadLocation(p.Timezone); err != nil || p.Timezone == "" || p.Timezone == "Local" {
		return fmt.Errorf("%w: unknown time zone %q", core.ErrInvalid, p.Timezone)
	}
	if _, ok := DateFormats()[p.DateFormat]; !ok {
		return fmt.Errorf("%w: date format must be iso, dmy or mdy", core.ErrInvalid)
	}
	res, err := s.db.NewRaw(`UPDATE accounts SET name = ?, language = ?, timezone = ?, date_format = ?, personal_calendar = ?, updated_at = ?
		WHERE id = ?`, p.Name, p.Language, p.Timezone, p.DateFormat, p.PersonalCalendar, s.now().UTC(), id).Exec(ctx)
	return expectOne(res, err, "account")
}
