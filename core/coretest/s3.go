package coretest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"plaza/core/blob"
)

// S3Server is the S3-compatible object store tests run against:
// versitygw over a directory (.ci/deps installs it).
const S3Server = "versitygw"

// S3Binary finds the S3 server: on PATH, else where `go install` puts it.
func S3Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath(S3Server); err == nil {
		return p
	}
	dirs := []string{os.Getenv("GOBIN"), filepath.Join(os.Getenv("GOPATH"), "bin")}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, S3Server)
		if d != "" && exec.Command(p, "--version").Run() == nil {
			return p
		}
	}
	t.Fatalf("%s not found: run `bash .ci/deps` (it installs it with go install)", S3Server)
	return ""
}

// S3 starts an object store on a random loopback port, stopped when the
// test ends, and returns the options of a bucket in it (created by
// s3.New). Object metadata goes to a sidecar directory rather than
// extended attributes, which some temporary file systems lack.
func S3(t testing.TB) blob.S3Options {
	t.Helper()
	addr := FreeAddr(t)
	o := blob.S3Options{Endpoint: addr, Insecure: true, Region: "us-east-1", Bucket: "plaza-test",
		AccessKey: "plazatest", SecretKey: "plazatestsecret"}
	cmd := exec.Command(S3Binary(t), "--access", o.AccessKey, "--secret", o.SecretKey,
		"--port", addr, "--quiet", "posix", "--sidecar", t.TempDir(), t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck
	WaitListening(t, addr)
	return o
}

// FreeAddr returns a loopback address nothing listens on, for a server
// the test starts.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// WaitListening waits up to 20 s for a server to accept connections on addr.
func WaitListening(t testing.TB, addr string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on %s", addr)
}
