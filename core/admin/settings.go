package admin

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"plaza/core"
	"plaza/core/account"
)

// Setting keys of the platform.
const (
	KeyName     = "platform.name"
	KeyLanguage = "platform.language"
	KeyLogo     = "platform.logo" // "HASH content/type"
)

// Platform is what the platform settings hold.
type Platform struct {
	Name     string `json:"name"`
	Language string `json:"language"` // default for new accounts and visitors
	Logo     string `json:"logo"`     // blob hash, empty: none
	LogoType string `json:"logo_type"`
}

// PlatformSettings returns the platform settings (anyone may read them:
// the name and logo show on the sign-in page).
func (s *Service) PlatformSettings(ctx context.Context) (Platform, error) {
	var p Platform
	var err error
	if p.Name, err = s.o.Settings.Get(ctx, KeyName, "Plaza"); err != nil {
		return p, err
	}
	if p.Language, err = s.o.Settings.Get(ctx, KeyLanguage, "en"); err != nil {
		return p, err
	}
	logo, err := s.o.Settings.Get(ctx, KeyLogo, "")
	p.Logo, p.LogoType, _ = strings.Cut(logo, " ")
	return p, err
}

// PlatformName is the platform's name for mails and pages.
func (s *Service) PlatformName(ctx context.Context) string {
	n, err := s.o.Settings.Get(ctx, KeyName, "Plaza")
	if err != nil || n == "" {
		return "Plaza"
	}
	return n
}

// SetPlatform changes the name and default language (platform administrators).
func (s *Service) SetPlatform(ctx context.Context, who core.Subject, name, language string) error {
	if err := requireAdmin(who); err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 || strings.ContainsAny(name, "\x00\r\n") {
		return fmt.Errorf("%w: a name is 1 to 100 characters on one line", core.ErrInvalid)
	}
	if !slices.Contains(account.Languages(), language) {
		return fmt.Errorf("%w: language must be one of %v", core.ErrInvalid, account.Languages())
	}
	if err := s.o.Settings.Set(ctx, KeyName, name); err != nil {
		return err
	}
	return s.o.Settings.Set(ctx, KeyLanguage, language)
}

// MaxLogo bounds a logo's size.
const MaxLogo = 1 << 20

// SetLogo stores a new logo (PNG, JPEG or WebP up to 1 MiB) or, with
// r nil, removes it (platform administrators).
func (s *Service) SetLogo(ctx context.Context, who core.Subject, contentType string, r io.Reader) error {
	if err := requireAdmin(who); err != nil {
		return err
	}
	old, err := s.o.Settings.Get(ctx, KeyLogo, "")
	if err != nil {
		return err
	}
	value := ""
	if r != nil {
		if !slices.Contains([]string{"image/png", "image/jpeg", "image/webp"}, contentType) {
			return fmt.Errorf("%w: a logo is a PNG, JPEG or WebP image", core.ErrInvalid)
		}
		b, err := s.o.Blobs.Put(ctx, io.LimitReader(r, MaxLogo+1))
		if err != nil {
			return err
		}
		if b.Size > MaxLogo {
			return fmt.Errorf("%w: a logo is at most 1 MiB", core.ErrInvalid)
		}
		if err := s.o.Blobs.Ref(ctx, s.db, b); err != nil {
			return err
		}
		value = b.Hash + " " + contentType
	}
	if err := s.o.Settings.Set(ctx, KeyLogo, value); err != nil {
		return err
	}
	if hash, _, _ := strings.Cut(old, " "); hash != "" {
		return s.o.Blobs.Unref(ctx, s.db, hash)
	}
	return nil
}
