package webui

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"plaza/core"
	"plaza/core/acl"
)

// TestTemplatesUseTheCatalogue: no visible text in a template bypasses
// the catalogue, every key a template names exists in English and French,
// and the keys built at run time (modules, levels, roles…) exist too.
func TestTemplatesUseTheCatalogue(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	actions := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	tags := regexp.MustCompile(`(?s)<[^>]*>`)
	letters := regexp.MustCompile(`\p{L}+`)
	attrs := regexp.MustCompile(`\b(placeholder|title|aria-label|alt)="[^"]*\p{L}`)
	keys := regexp.MustCompile(`\bt "([a-z_.]+)"`)
	files, _ := fs.Glob(templateFiles, "templates/*.html")
	partials, _ := fs.Glob(templateFiles, "templates/partials/*.html")
	files = append(files, partials...)
	if len(files) < 9 {
		t.Fatalf("only %d templates", len(files))
	}
	for _, f := range files {
		src, _ := fs.ReadFile(templateFiles, f)
		// What is left once actions and markup are gone is what a reader
		// sees that no action produced: it must hold no words.
		bare := actions.ReplaceAllString(string(src), "§")
		for _, m := range attrs.FindAllString(bare, -1) {
			t.Errorf("%s: attribute text outside the catalogue: %s", f, m)
		}
		if words := letters.FindAllString(tags.ReplaceAllString(bare, " "), -1); len(words) > 0 {
			t.Errorf("%s: text outside the catalogue: %v", f, words)
		}
		for _, m := range keys.FindAllStringSubmatch(string(src), -1) {
			for _, lang := range []string{"en", "fr"} {
				if _, ok := cat[lang][m[1]]; !ok {
					t.Errorf("%s: key %q missing in %s", f, m[1], lang)
				}
			}
		}
	}
	var dynamic []string
	for _, m := range core.AllModules() {
		dynamic = append(dynamic, "module."+string(m))
	}
	for l := acl.None; l <= acl.Full; l++ {
		dynamic = append(dynamic, "level."+l.String())
	}
	dynamic = append(dynamic, "role.admin", "role.member", "priority.low", "priority.normal", "priority.high",
		"status.todo", "status.in_progress", "status.to_validate", "status.done",
		"login.failed", "login.throttled", "error.title", "error.internal", "error.not_found",
		"error.forbidden", "error.invalid", "error.conflict", "error.storage_full")
	for _, w := range dashboardWidgets {
		dynamic = append(dynamic, "widget."+w, "widget."+w+".empty")
	}
	// Keys the Go code passes: page titles, error and notice keys.
	goFiles, _ := filepath.Glob("*.go")
	goKeys := regexp.MustCompile(`(?:page\(r, |"Error", |key = |key, )"([a-z_]+\.[a-z_.]+)"`)
	for _, f := range goFiles {
		src, _ := os.ReadFile(f)
		for _, m := range goKeys.FindAllStringSubmatch(string(src), -1) {
			dynamic = append(dynamic, m[1])
		}
	}
	for _, k := range dynamic {
		for _, lang := range []string{"en", "fr"} {
			if _, ok := cat[lang][k]; !ok {
				t.Errorf("run-time key %q missing in %s", k, lang)
			}
		}
	}
	if cat["fr"]["module.tasks"] == cat["en"]["module.tasks"] {
		t.Error("French catalogue is English")
	}
}

func TestPickLang(t *testing.T) {
	for _, c := range []struct{ account, header, want string }{
		{"fr", "en-US", "fr"}, {"", "fr-CA,fr;q=0.9,en;q=0.8", "fr"}, {"", "de-DE,en;q=0.5", "en"}, {"", "", "en"},
	} {
		if got := pickLang(c.account, c.header); got != c.want {
			t.Errorf("pickLang(%q, %q) = %q, want %q", c.account, c.header, got, c.want)
		}
	}
}
