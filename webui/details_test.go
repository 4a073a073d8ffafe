package webui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// userErrorFormats returns every reason a person can be shown with a 4xx:
// the literal formats wrapped around core.ErrInvalid, ErrForbidden and
// ErrConflict (fmt.Errorf("%w: …", core.ErrX, …)) and the literals given
// to the packages' invalid/forbidden helpers, in core, federation and
// the web UI. 404s show no reason, so ErrNotFound is left out.
func userErrorFormats(t *testing.T) []string {
	t.Helper()
	shown := map[string]bool{"ErrInvalid": true, "ErrForbidden": true, "ErrConflict": true}
	helpers := map[string]bool{"invalid": true, "forbidden": true}
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" || strings.Trim(s, "%vswq:") == "" || seen[s] {
			return
		}
		seen[s] = true
		out = append(out, s)
	}
	fset := token.NewFileSet()
	for _, root := range []string{"../core", "../federation", "."} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 {
					return true
				}
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				switch fun := call.Fun.(type) {
				case *ast.Ident:
					if helpers[fun.Name] {
						add(s)
					}
				case *ast.SelectorExpr:
					if x, ok := fun.X.(*ast.Ident); !ok || x.Name != "fmt" || fun.Sel.Name != "Errorf" || len(call.Args) < 2 {
						return true
					}
					sel, ok := call.Args[1].(*ast.SelectorExpr)
					if ok && shown[sel.Sel.Name] && strings.HasPrefix(s, "%w: ") {
						add(strings.TrimPrefix(s, "%w: "))
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(out)
	return out
}

// TestEveryReasonTranslated: each reason core can give a person has its
// French form in the catalogue, and a message made from the format with
// any arguments is found and translated with those arguments.
func TestEveryReasonTranslated(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{catalog: cat, details: compileDetails(cat)}
	sample := func(verb string) string {
		switch verb[len(verb)-1] {
		case 'q':
			return `"x \"y\" z"`
		case 'd':
			return "1,000"
		case 'T':
			return "int"
		}
		return "http://some.host/thing"
	}
	formats := userErrorFormats(t)
	for _, f := range formats {
		fr, ok := cat["fr"]["detail."+f]
		if !ok {
			t.Errorf("no French for the reason %q: add \"detail.%s\" to webui/locales/*/details.json", f, f)
			continue
		}
		msg := verbRE.ReplaceAllStringFunc(f, sample)
		want := verbRE.ReplaceAllStringFunc(fr, sample)
		if got, ok := s.translateDetail("fr", msg); !ok || got != want {
			t.Errorf("%q in French: %q (found %v), want %q", msg, got, ok, want)
		}
		if _, ok := s.translateDetail("en", msg); !ok {
			t.Errorf("%q is not found in English", msg)
		}
	}
	if len(formats) < 250 {
		t.Errorf("found %d reasons only: the scan of core's sources is broken", len(formats))
	}
	t.Logf("%d reasons, each translated", len(formats))
}

// TestReasonsWithOrderedArguments: a translation may reorder the
// arguments of its format.
func TestReasonsWithOrderedArguments(t *testing.T) {
	cat := catalog{"en": {"detail.post %d is not in topic %d": "post %d is not in topic %d"},
		"fr": {"detail.post %d is not in topic %d": "le sujet %[2]d ne contient pas le message %[1]d"}}
	s := &server{catalog: cat, details: compileDetails(cat)}
	if got, _ := s.translateDetail("fr", "post 12 is not in topic 3"); got != "le sujet 3 ne contient pas le message 12" {
		t.Errorf("reordered: %q", got)
	}
	if _, ok := s.translateDetail("fr", "post x is not in topic 3"); ok {
		t.Error("a number verb matched a word")
	}
}
