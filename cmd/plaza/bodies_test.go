package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"plaza/core/account"
	"plaza/core/coretest"
)

// startServer serves the whole of Plaza (routes, logging, metrics and
// body limits) on loopback with body policy p, over SQLite.
func startServer(t *testing.T, p bodyPolicy) string {
	t.Helper()
	ctx := t.Context()
	svc, err := open(ctx, Config{DataDir: t.TempDir(), BaseURL: "http://localhost"}, coretest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	if _, err := svc.accounts.Create(ctx, account.NewAccount{Login: "ann", Password: "ann-password"}); err != nil {
		t.Fatal(err)
	}
	m := newMetrics(svc.db)
	h, _, err := routes(svc, m)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpServer(ctx, svc.log, m, h, p)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// trickle sends a request head announcing 1,000 bytes, then one byte
// every step, and returns when the server answers or closes, with the
// status it answered (0 if none) and how long that took. It gives up
// after limit.
func trickle(t *testing.T, addr, method, path, hdr string, step, limit time.Duration) (int, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: localhost\r\n%sContent-Length: 1000\r\n\r\n", method, path, hdr)
	answered := make(chan int, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	tick := time.NewTicker(step)
	defer tick.Stop()
	for {
		select {
		case code := <-answered:
			return code, time.Since(start)
		case <-tick.C:
			if time.Since(start) > limit {
				t.Errorf("%s %s: a body trickled a byte every %s is still open after %s", method, path, step, limit)
				return 0, time.Since(start)
			}
			conn.Write([]byte{'{'}) //nolint:errcheck // the server may have closed
		}
	}
}

// Bodies trickled a byte at a time are cut after one window, on the
// routes that need no credentials and on DAV (issue 20, item 7); a body
// that keeps the pace is read whole however long it takes.
func TestSlowBodiesAreCut(t *testing.T) {
	p := bodyPolicy{window: 600 * time.Millisecond, minBytes: 64, anonMax: 1 << 20, smallMax: 64 << 10}
	addr := startServer(t, p)
	basic := "Authorization: Basic YW5uOmFubi1wYXNzd29yZA==\r\n" // ann:ann-password
	for _, c := range []struct{ method, path, hdr string }{
		{"POST", "/api/v1/session", "Content-Type: application/json\r\n"},
		{"POST", "/login", "Content-Type: application/x-www-form-urlencoded\r\n"},
		{"POST", "/ap/inbox", "Content-Type: application/activity+json\r\n"},
		{"PUT", "/dav/files/ann/slow.txt", basic},
	} {
		code, took := trickle(t, addr, c.method, c.path, c.hdr, 100*time.Millisecond, 5*time.Second)
		t.Logf("%s %s trickled: answered %d after %s", c.method, c.path, code, took.Round(time.Millisecond))
		if code >= 200 && code < 300 {
			t.Errorf("%s %s trickled: %d", c.method, c.path, code)
		}
	}
	// A steady upload slower than one window in total is not cut.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 4000
	fmt.Fprintf(conn, "PUT /dav/files/ann/steady.txt HTTP/1.1\r\nHost: localhost\r\n%sContent-Length: %d\r\n\r\n", basic, size)
	for i := 0; i < size; i += 200 {
		conn.Write(bytes.Repeat([]byte{'x'}, 200)) //nolint:errcheck
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("steady 2 s upload: %d, want 201", resp.StatusCode)
	}
}

// Requests without credentials and the sign-in routes have small bodies.
func TestUnauthenticatedBodyLimits(t *testing.T) {
	addr := startServer(t, defaultBodyPolicy())
	for _, c := range []struct {
		path, ct string
		size     int
	}{
		{"/login", "application/x-www-form-urlencoded", 100 << 10},
		{"/api/v1/session", "application/json", 100 << 10},
		{"/ap/inbox", "application/activity+json", 2 << 20},
		{"/s/team/propose", "application/x-www-form-urlencoded", 2 << 20},
	} {
		body := "a=" + strings.Repeat("b", c.size)
		resp, err := http.Post("http://"+addr+c.path, c.ct, strings.NewReader(body))
		if err != nil {
			t.Fatalf("POST %s: %v", c.path, err)
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with %d bytes, no credentials: %d, want 413", c.path, len(body), resp.StatusCode)
		}
	}
}

// A body cut short is never acknowledged, whoever sends it and wherever:
// a 4xx to a client still reading, and no 2xx in the metrics for one that
// went away (issue 20, item 6).
func TestCutBodies(t *testing.T) {
	addr := startServer(t, defaultBodyPolicy())
	basic := "Authorization: Basic YW5uOmFubi1wYXNzd29yZA==\r\n" // ann:ann-password
	send := func(method, path, hdr string, halfClose bool) net.Conn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: localhost\r\n%sContent-Length: 100000\r\n\r\n%s", method, path, hdr, strings.Repeat("<", 5000))
		if halfClose {
			conn.(*net.TCPConn).CloseWrite()
		}
		return conn
	}
	for _, c := range []struct{ method, path, hdr string }{
		{"POST", "/ap/inbox", "Content-Type: application/activity+json\r\n"},
		{"POST", "/api/v1/session", "Content-Type: application/json\r\n"},
		{"PUT", "/dav/files/ann/cut.txt", basic},
		{"PROPFIND", "/dav/files/ann/", basic},
	} {
		conn := send(c.method, c.path, c.hdr, true)
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		conn.Close()
		if err != nil {
			t.Errorf("%s %s cut short: %v", c.method, c.path, err)
			continue
		}
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("%s %s cut short: %d, want 4xx", c.method, c.path, resp.StatusCode)
		}
	}
	// The client goes away mid-body: the request is recorded as failed.
	for i := range 3 {
		send("PUT", fmt.Sprintf("/dav/files/ann/gone-%d.txt", i), basic, false).Close()
	}
	time.Sleep(500 * time.Millisecond)
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "plaza_http_requests_total") && strings.Contains(line, `method="PUT"`) && strings.Contains(line, `code="2`) {
			t.Errorf("a cut PUT counted as a success: %s", line)
		}
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/dav/files/ann/gone-0.txt", nil)
	req.SetBasicAuth("ann", "ann-password")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 404 {
		t.Errorf("a PUT whose client went away stored its file: %v %v", resp.StatusCode, err)
	}
}
