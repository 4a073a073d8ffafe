package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"plaza/core/store"
)

// axe-core (MPL-2.0, from the npm registry, unmodified) is vendored as one
// file for the tests only: CI needs no npm. Update it with
// `npm pack axe-core@4` and copy package/axe.min.js.
const axeFile = "../../webui/testdata/axe.min.js"

const chromiumPath = "/usr/bin/chromium"

func chromium(t *testing.T, width, height int) context.Context {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		t.Fatalf("%s is missing (make test installs Debian's chromium): %v", chromiumPath, err)
	}
	profile, err := os.MkdirTemp("", "plaza-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(width, height), chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelT := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA(); os.RemoveAll(profile) })
	return ctx
}

// browserSignIn signs login in through the form.
func browserSignIn(t *testing.T, ctx context.Context, base, login string) {
	t.Helper()
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible("#login", chromedp.ByID),
		chromedp.SendKeys("#login", login, chromedp.ByID),
		chromedp.SendKeys("#password", "password-"+login, chromedp.ByID),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`details.switcher`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("sign in as %s: %v", login, err)
	}
}

type axeViolation struct {
	ID, Impact, Help string
	Nodes            []string
}

// TestAccessibilityOfEveryPage runs axe-core in Chromium on every kind of
// page the crawler meets as the owner and as a member (one page per
// shape), at a desktop and a phone width, and fails on any serious or
// critical violation. It also writes screenshots of the dashboard, tasks,
// agenda, files and chat at both widths to $PLAZA_SCREENSHOTS (default: a
// temporary directory, logged).
func TestAccessibilityOfEveryPage(t *testing.T) {
	axe, err := os.ReadFile(axeFile)
	if err != nil {
		t.Fatal(err)
	}
	w := startCrawlWorld(t, store.SQLite)
	base, _ := url.Parse(w.url)
	shots := os.Getenv("PLAZA_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "plaza-screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	checked := 0
	shapes := map[string]bool{}
	shots1 := []struct{ name, path string }{
		{"dashboard", "/s/team"}, {"tasks", "/s/team/tasks/1"}, {"agenda", "/s/team/agenda"},
		{"files", "/s/team/files?path=/alpha-docs"}, {"chat", "/s/team/chat"},
	}
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1366, 900}, {"phone", 390, 844}} {
		for _, login := range []string{"olga", "mia"} {
			var pages []string
			if size.name == "desktop" {
				// Every kind of page, once: the owner's, then those only
				// a member meets.
				c := &crawler{t: t, role: login, base: base, client: signIn(t, w.url, login), seen: map[string]bool{}, expanded: map[string]int{}}
				c.crawl("/", "/search?q=alpha", "/activity", "/s/team")
				for _, p := range c.pages {
					u, _ := url.Parse(p)
					if !shapes[shape(u)] && !strings.Contains(p, "/api/") {
						shapes[shape(u)] = true
						pages = append(pages, p)
					}
				}
			} else if login == "olga" {
				for _, s := range shots1 {
					pages = append(pages, w.url+s.path)
				}
				pages = append(pages, w.url+"/admin", w.url+"/s/team/tasks/1/gantt", w.url+"/s/team/agenda?view=month")
			}
			if len(pages) == 0 {
				continue
			}
			ctx := chromium(t, size.width, size.height)
			// axe is loaded into every page the browser opens.
			if err := chromedp.Run(ctx, page.SetBypassCSP(true), chromedp.ActionFunc(func(ctx context.Context) error {
				_, err := page.AddScriptToEvaluateOnNewDocument(string(axe)).Do(ctx)
				return err
			})); err != nil {
				t.Fatal(err)
			}
			browserSignIn(t, ctx, w.url, login)
			for _, p := range pages {
				var found []axeViolation
				err := chromedp.Run(ctx,
					chromedp.Navigate(p),
					chromedp.WaitReady("body", chromedp.ByQuery),
					chromedp.Evaluate(`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
						.filter(v => v.impact === "serious" || v.impact === "critical")
						.map(v => ({ID: v.id, Impact: v.impact, Help: v.help, Nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))})))`,
						&found, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
				)
				if err != nil {
					t.Fatalf("axe on %s: %v", p, err)
				}
				checked++
				if size.name == "phone" {
					// Nothing widens the page: wide content scrolls in its own box.
					var wide bool
					if err := chromedp.Run(ctx, chromedp.Evaluate(`document.documentElement.scrollWidth > document.documentElement.clientWidth + 1`, &wide)); err != nil {
						t.Fatal(err)
					}
					if wide {
						t.Errorf("phone: %s scrolls sideways", strings.TrimPrefix(p, w.url))
					}
				}
				for _, v := range found {
					t.Errorf("%s %s %s: %s (%s) at %v", size.name, login, strings.TrimPrefix(p, w.url), v.ID, v.Impact, v.Nodes)
				}
			}
			if login != "olga" {
				continue
			}
			for _, s := range shots1 {
				var png []byte
				if err := chromedp.Run(ctx, chromedp.Navigate(w.url+s.path), chromedp.WaitReady("body", chromedp.ByQuery),
					chromedp.FullScreenshot(&png, 100)); err != nil {
					t.Fatalf("screenshot %s: %v", s.name, err)
				}
				if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("%s-%s.png", s.name, size.name)), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	t.Logf("axe-core: %d page loads checked, serious or critical violations fail the test; screenshots in %s", checked, shots)
}
