package webui

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
)

// Catalogues are split by feature: locales/LANG/*.json are merged, so
// features add their own files. A key defined twice is an error.
//
//go:embed locales
var localeFiles embed.FS

// catalog maps a language to its messages. Every user-facing string of
// the web UI is a key here, in English and French.
type catalog map[string]map[string]string

// defaultLang is used when nothing else decides.
const defaultLang = "en"

func loadCatalog() (catalog, error) {
	c := catalog{}
	for _, lang := range []string{"en", "fr"} {
		files, err := fs.Glob(localeFiles, "locales/"+lang+"/*.json")
		if err != nil || len(files) == 0 {
			return nil, fmt.Errorf("no catalogue for %s", lang)
		}
		all := map[string]string{}
		for _, f := range files {
			b, err := localeFiles.ReadFile(f)
			if err != nil {
				return nil, err
			}
			m := map[string]string{}
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			for k, v := range m {
				if _, dup := all[k]; dup {
					return nil, fmt.Errorf("%s: key %q is defined twice", f, k)
				}
				all[k] = v
			}
		}
		c[lang] = all
	}
	en, fr := slices.Sorted(maps.Keys(c["en"])), slices.Sorted(maps.Keys(c["fr"]))
	if !slices.Equal(en, fr) {
		return nil, fmt.Errorf("the English and French catalogues have different keys")
	}
	return c, nil
}

// translate returns the message key in lang, formatted with args. A
// missing key shows as itself in brackets, which tests catch.
func (c catalog) translate(lang, key string, args ...any) string {
	msg, ok := c[lang][key]
	if !ok {
		if msg, ok = c[defaultLang][key]; !ok {
			return "[" + key + "]"
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// pickLang chooses the language: the account's, else the browser's first
// supported one, else English.
func pickLang(accountLang, acceptLanguage string) string {
	if accountLang == "en" || accountLang == "fr" {
		return accountLang
	}
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "fr"):
			return "fr"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return defaultLang
}
