package mail

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"text/template"
)

//go:embed templates
var templateFS embed.FS

// Templates renders the messages Plaza sends, in English or French. Each
// file templates/LANG/NAME.tmpl defines "subject" and "body".
type Templates struct {
	sets map[string]map[string]*template.Template // lang → name → set
}

// LoadTemplates parses the embedded templates; it fails at start-up when
// one is broken or French lacks one English has.
func LoadTemplates() (*Templates, error) {
	t := &Templates{sets: map[string]map[string]*template.Template{}}
	for _, lang := range []string{"en", "fr"} {
		files, err := fs.Glob(templateFS, "templates/"+lang+"/*.tmpl")
		if err != nil {
			return nil, err
		}
		t.sets[lang] = map[string]*template.Template{}
		for _, f := range files {
			name := strings.TrimSuffix(f[strings.LastIndexByte(f, '/')+1:], ".tmpl")
			tpl, err := template.ParseFS(templateFS, f)
			if err != nil {
				return nil, fmt.Errorf("mail template %s: %w", f, err)
			}
			if tpl.Lookup("subject") == nil || tpl.Lookup("body") == nil {
				return nil, fmt.Errorf("mail template %s: needs subject and body", f)
			}
			t.sets[lang][name] = tpl
		}
	}
	for name := range t.sets["en"] {
		if t.sets["fr"][name] == nil {
			return nil, fmt.Errorf("mail template %s has no French version", name)
		}
	}
	return t, nil
}

// Render returns the subject and text body of template name in lang
// (English when lang is unknown).
func (t *Templates) Render(lang, name string, data any) (subject, body string, err error) {
	set, ok := t.sets[lang]
	if !ok {
		set = t.sets["en"]
	}
	tpl := set[name]
	if tpl == nil {
		return "", "", fmt.Errorf("no mail template %q", name)
	}
	var s, b strings.Builder
	if err := tpl.ExecuteTemplate(&s, "subject", data); err != nil {
		return "", "", err
	}
	if err := tpl.ExecuteTemplate(&b, "body", data); err != nil {
		return "", "", err
	}
	return strings.Join(strings.Fields(s.String()), " "), strings.TrimSpace(b.String()) + "\n", nil
}
