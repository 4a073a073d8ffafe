package files_test

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRclone copies a tree into /dav/files/alice/ with rclone's webdav
// backend (plain and owncloud vendors), checks it back byte for byte
// (and, as owncloud, by checksum without downloading), then changes and deletes a file and syncs again.
func TestRclone(t *testing.T) {
	bin, err := exec.LookPath("rclone")
	if err != nil {
		t.Fatal("rclone is not installed (apt-get install rclone, or run .ci/deps)")
	}
	src := t.TempDir()
	files := map[string]int{
		"a.txt": 10, "empty": 0, "big.bin": 3 << 20, "dir/b.txt": 100, "dir/sub/c.txt": 1000,
		"naïve café/é.txt": 5, "spaces and & signs/x y+z.txt": 7, "._a.txt": 4096, ".DS_Store": 6148,
		"日本語/ファイル.txt": 9,
	}
	for name, size := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, size)
		rand.Read(b)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eachWorld(t, func(t *testing.T, w *world) {
		obscured, err := exec.Command(bin, "obscure", password).Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, vendor := range []string{"other", "owncloud"} {
			t.Run(vendor, func(t *testing.T) {
				env := append(os.Environ(),
					"RCLONE_WEBDAV_URL="+w.srv.URL+"/dav/files/alice/",
					"RCLONE_WEBDAV_USER=alice",
					"RCLONE_WEBDAV_PASS="+strings.TrimSpace(string(obscured)),
					"RCLONE_WEBDAV_VENDOR="+vendor)
				rc := func(args ...string) string {
					t.Helper()
					cmd := exec.Command(bin, append(args, "--config", filepath.Join(t.TempDir(), "rclone.conf"))...)
					cmd.Env = env
					out, err := cmd.CombinedOutput()
					if err != nil {
						t.Fatalf("rclone %v: %v\n%s", args, err, out)
					}
					return string(out)
				}
				dst := ":webdav:" + vendor
				rc("copy", src, dst)
				rc("check", "--download", src, dst)
				if vendor == "owncloud" {
					checkBySums(t, bin, env, src, dst, rc)
				}
				// Change one file, delete another, sync, check again.
				local := t.TempDir()
				rc("copy", dst, local)
				if err := os.WriteFile(filepath.Join(local, "dir/b.txt"), []byte("changed"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Remove(filepath.Join(local, "a.txt")); err != nil {
					t.Fatal(err)
				}
				rc("sync", local, dst)
				rc("check", "--download", local, dst)
				lines := strings.Split(rc("lsf", "-R", dst), "\n")
				if slices.Contains(lines, "a.txt") || !slices.Contains(lines, "._a.txt") || !slices.Contains(lines, "日本語/ファイル.txt") {
					t.Errorf("listing after sync:\n%s", strings.Join(lines, "\n"))
				}
			})
		}
	})
}

// checkBySums: rclone check as the owncloud vendor compares oc:checksums
// without downloading, and so sees a change that keeps a file's size.
func checkBySums(t *testing.T, bin string, env []string, src, dst string, rc func(...string) string) {
	t.Helper()
	out := rc("check", src, dst)
	if strings.Contains(out, "could not be checked") || !strings.Contains(out, " 0 differences found") {
		t.Fatalf("rclone check without --download did not compare checksums:\n%s", out)
	}
	p := filepath.Join(src, "dir/b.txt")
	orig, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	changed := slices.Clone(orig)
	changed[0] ^= 0xff
	if err := os.WriteFile(p, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.WriteFile(p, orig, 0o644) //nolint:errcheck
	cmd := exec.Command(bin, "check", src, dst, "--config", filepath.Join(t.TempDir(), "rclone.conf"))
	cmd.Env = env
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "1 differences found") {
		t.Fatalf("rclone check missed a same-size change (err %v):\n%s", err, b)
	}
}
