package files_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestLitmus runs the litmus WebDAV suite (basic, copymove, props, locks,
// http) against /dav/files/alice/ and a space's /dav/spaces/team/ (as its
// administrator) on every database and fails unless every
// test passes. litmus comes from Debian's package (.ci/deps installs it).
func TestLitmus(t *testing.T) {
	bin, err := exec.LookPath("litmus")
	if err != nil {
		t.Fatal("litmus is not installed (apt-get install litmus, or run .ci/deps)")
	}
	summary := regexp.MustCompile(`<- summary for .(\w+).: of (\d+) tests run: (\d+) passed, (\d+) failed`)
	eachWorld(t, func(t *testing.T, w *world) {
		for _, tree := range []string{"/dav/files/alice/", "/dav/spaces/team/"} {
			t.Run(strings.Trim(tree, "/"), func(t *testing.T) { runLitmus(t, bin, w.srv.URL+tree, summary) })
		}
	})
}

func runLitmus(t *testing.T, bin, url string, summary *regexp.Regexp) {
	{
		cmd := exec.Command(bin, "-k", url, "alice", password)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "TESTS=basic copymove props locks http")
		out, err := cmd.CombinedOutput()
		text := string(out)
		if err != nil {
			t.Errorf("litmus: %v", err)
		}
		suites := map[string]bool{}
		for _, m := range summary.FindAllStringSubmatch(text, -1) {
			suites[m[1]] = true
			if m[4] != "0" || m[2] != m[3] {
				t.Errorf("litmus %s: %s of %s passed", m[1], m[3], m[2])
			}
		}
		for _, s := range []string{"basic", "copymove", "props", "locks", "http"} {
			if !suites[s] {
				t.Errorf("litmus suite %s did not run to its summary", s)
			}
		}
		if strings.Contains(text, "FAIL") || t.Failed() {
			t.Errorf("litmus output:\n%s", text)
			if log, err := os.ReadFile(cmd.Dir + "/debug.log"); err == nil && len(log) < 200000 {
				t.Logf("debug.log:\n%s", log)
			}
		} else {
			t.Logf("litmus:\n%s", text)
		}
	}
}
