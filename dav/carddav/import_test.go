package carddav_test

import (
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"plaza/core/contacts"
	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

func csvRows(n int) string {
	var b strings.Builder
	b.WriteString("full_name,email\n")
	for i := range n {
		fmt.Fprintf(&b, "Person %d,p%d@example.com\n", i, i)
	}
	return b.String()
}

// cards counts the cards of alice's personal address book.
func cards(t *testing.T, e *davtest.Env) int {
	t.Helper()
	r := e.Do("alice", "GET", "/dav/addressbooks/alice/contacts/", "", "Accept", "text/csv")
	if r.Status != 200 {
		t.Fatalf("export: %d %s", r.Status, r.Body)
	}
	return strings.Count(strings.TrimSpace(r.Body), "\n")
}

// rawPost sends a CSV import on a raw connection: the head announces
// size bytes, body is sent, then with halfClose the writing half of the
// connection is closed (the server reads the end of the body).
func rawPost(t *testing.T, e *davtest.Env, path string, size int, body string, halfClose bool) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	auth := base64.StdEncoding.EncodeToString([]byte("alice:" + davtest.Password))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n%s",
		path, auth, size, body)
	if halfClose {
		conn.(*net.TCPConn).CloseWrite()
	}
	return conn
}

// Imports are bounded, read whole before anything is written, and all
// or nothing: a file too long or cut short, or a client that leaves,
// leaves the address book as it was (issue 20, item 8).
func TestImportAllOrNothing(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		e.Do("alice", "PROPFIND", "/dav/addressbooks/alice/", "", "Depth", "1")
		book := "/dav/addressbooks/alice/contacts/"

		start := time.Now()
		r := e.Do("alice", "POST", book, csvRows(contacts.MaxImportRows+1), "Content-Type", "text/csv")
		if r.Status != 400 || !strings.Contains(r.Body, "rows per import") {
			t.Errorf("import of %d rows: %d %s", contacts.MaxImportRows+1, r.Status, r.Body)
		}
		t.Logf("import of %d rows refused in %s", contacts.MaxImportRows+1, time.Since(start).Round(time.Millisecond))
		if n := cards(t, e); n != 0 {
			t.Errorf("a refused import stored %d cards", n)
		}

		body := csvRows(3000)
		conn := rawPost(t, e, book, len(body)+1000, body, true)
		buf := make([]byte, 12)
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		k, _ := conn.Read(buf)
		conn.Close()
		if !strings.HasPrefix(string(buf[:k]), "HTTP/1.1 4") {
			t.Errorf("import cut short: %q", buf[:k])
		}
		if n := cards(t, e); n != 0 {
			t.Errorf("an import cut short stored %d cards", n)
		}

		// The client leaves while the import writes: whatever it wrote
		// by then is taken back.
		body = csvRows(contacts.MaxImportRows)
		conn = rawPost(t, e, book, len(body), body, false)
		for deadline := time.Now().Add(30 * time.Second); cards(t, e) == 0 && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		conn.Close()
		last, peak, stable := -1, 0, time.Now()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			n := cards(t, e)
			peak = max(peak, n)
			if n != last {
				last, stable = n, time.Now()
			} else if time.Since(stable) > 1500*time.Millisecond {
				break
			}
		}
		t.Logf("client left: at most %d cards seen, %d at the end", peak, last)
		if last != 0 {
			t.Errorf("the import of a client that left stored %d cards", last)
		}

		if r := e.Do("alice", "POST", book, csvRows(50), "Content-Type", "text/csv"); r.Status != 200 || !strings.Contains(r.Body, `"created":50`) {
			t.Errorf("import of 50 rows: %d %s", r.Status, r.Body)
		}
		if n := cards(t, e); n != 50 {
			t.Errorf("after importing 50 rows: %d cards", n)
		}
	})
}
