package caldav_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"plaza/core/calendar"
	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/dav/principal/davtest"
)

// TestVdirsyncer syncs a calendar and an address book both ways with the
// real vdirsyncer (Debian package): 1,000 events and 1,000 contacts made
// on each side arrive on the other, edits and deletions propagate both
// ways, and a second sync changes nothing.
func TestVdirsyncer(t *testing.T) {
	bin, err := exec.LookPath("vdirsyncer")
	if err != nil {
		t.Fatal("vdirsyncer is missing: apt-get install vdirsyncer (see .ci/deps)")
	}
	n := 1000
	if testing.Short() {
		n = 100
	}
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := davtest.Start(t, db)
		ctx := t.Context()
		alice := e.Users["alice"].Subject()
		dir := t.TempDir()
		calDir, cardDir := filepath.Join(dir, "cal"), filepath.Join(dir, "card")
		os.MkdirAll(calDir, 0o755)
		os.MkdirAll(cardDir, 0o755)
		cfg := fmt.Sprintf(`[general]
status_path = "%[1]s/status/"

[pair cal]
a = "cal_local"
b = "cal_remote"
collections = null
conflict_resolution = "a wins"

[storage cal_local]
type = "filesystem"
path = "%[2]s"
fileext = ".ics"

[storage cal_remote]
type = "caldav"
url = "%[4]s/dav/calendars/alice/personal/"
username = "alice"
password = "%[5]s"

[pair card]
a = "card_local"
b = "card_remote"
collections = null
conflict_resolution = "a wins"

[storage card_local]
type = "filesystem"
path = "%[3]s"
fileext = ".vcf"

[storage card_remote]
type = "carddav"
url = "%[4]s/dav/addressbooks/alice/contacts/"
username = "alice"
password = "%[5]s"
`, dir, calDir, cardDir, e.URL, davtest.Password)
		run := vdirsyncer(t, bin, dir, cfg)

		calID, err := e.Cals.EnsurePersonal(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		bookID, err := e.Contacts.EnsurePersonal(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		cal, _ := e.Cals.ByID(ctx, alice, calID)
		book, _ := e.Contacts.ByID(ctx, alice, bookID)

		// n of each on the server, n of each in the local folders
		parallel(n, func(i int) {
			uid := fmt.Sprintf("srv-%04d", i)
			if _, _, err := e.Cals.Put(ctx, alice, cal, uid+".ics", []byte(vevent(uid, i, "server")), calendar.Conditions{}); err != nil {
				t.Error(err)
			}
			if _, _, err := e.Contacts.Put(ctx, alice, book, uid+".vcf", []byte(vcardOf(uid, "Server")), calendar.Conditions{}); err != nil {
				t.Error(err)
			}
		})
		for i := range n {
			uid := fmt.Sprintf("loc-%04d", i)
			os.WriteFile(filepath.Join(calDir, uid+".ics"), []byte(vevent(uid, i, "local")), 0o644)
			os.WriteFile(filepath.Join(cardDir, uid+".vcf"), []byte(vcardOf(uid, "Local")), 0o644)
		}
		run("discover")
		run("sync")
		count := func(d, ext string) int {
			m, _ := filepath.Glob(filepath.Join(d, "*"+ext))
			return len(m)
		}
		if got, _ := e.Cals.Count(ctx, cal); got != 2*n {
			t.Fatalf("server calendar holds %d events, want %d", got, 2*n)
		}
		if got, _ := e.Contacts.Count(ctx, book); got != 2*n {
			t.Fatalf("server address book holds %d cards, want %d", got, 2*n)
		}
		if got := count(calDir, ".ics"); got != 2*n {
			t.Fatalf("local calendar holds %d events, want %d", got, 2*n)
		}
		if got := count(cardDir, ".vcf"); got != 2*n {
			t.Fatalf("local address book holds %d cards, want %d", got, 2*n)
		}

		// edits and deletions on both sides
		for i := range 10 {
			uid := fmt.Sprintf("srv-%04d", i)
			if _, _, err := e.Cals.Put(ctx, alice, cal, uid+".ics", []byte(vevent(uid, i, "edited on the server")), calendar.Conditions{}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.Contacts.Put(ctx, alice, book, uid+".vcf", []byte(vcardOf(uid, "Edited")), calendar.Conditions{}); err != nil {
				t.Fatal(err)
			}
			del := fmt.Sprintf("srv-%04d", n-1-i)
			if err := e.Cals.Delete(ctx, alice, cal, del+".ics", calendar.Conditions{}); err != nil {
				t.Fatal(err)
			}
			if err := e.Contacts.Delete(ctx, alice, book, del+".vcf", calendar.Conditions{}); err != nil {
				t.Fatal(err)
			}
			luid := fmt.Sprintf("loc-%04d", i)
			if err := os.WriteFile(localFile(t, calDir, luid), []byte(vevent(luid, i, "edited locally")), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(localFile(t, cardDir, luid), []byte(vcardOf(luid, "LocalEdit")), 0o644); err != nil {
				t.Fatal(err)
			}
			ldel := fmt.Sprintf("loc-%04d", n-1-i)
			os.Remove(localFile(t, calDir, ldel))
			os.Remove(localFile(t, cardDir, ldel))
		}
		run("sync")
		if got, _ := e.Cals.Count(ctx, cal); got != 2*n-20 {
			t.Fatalf("after deletions the server holds %d events, want %d", got, 2*n-20)
		}
		if got := count(calDir, ".ics"); got != 2*n-20 {
			t.Fatalf("after deletions the local side holds %d events, want %d", got, 2*n-20)
		}
		if got, _ := e.Contacts.Count(ctx, book); got != 2*n-20 {
			t.Fatalf("after deletions the server holds %d cards", got)
		}
		if got := count(cardDir, ".vcf"); got != 2*n-20 {
			t.Fatalf("after deletions the local side holds %d cards", got)
		}
		b, _ := os.ReadFile(localFile(t, calDir, "srv-0003"))
		if !strings.Contains(string(b), "edited on the server") {
			t.Fatalf("server edit did not arrive: %s", b)
		}
		b, _ = os.ReadFile(localFile(t, cardDir, "srv-0003"))
		if !strings.Contains(string(b), "Edited") {
			t.Fatalf("server card edit did not arrive: %s", b)
		}
		o, err := e.Cals.Get(ctx, cal, serverName(t, e, cal, "loc-0003"))
		if err != nil || !strings.Contains(o.Data, "edited locally") {
			t.Fatalf("local edit did not arrive: %v %v", o, err)
		}
		co, err := e.Contacts.Get(ctx, book, serverName(t, e, book, "loc-0003"))
		if err != nil || !strings.Contains(co.Data, "LocalEdit") {
			t.Fatalf("local card edit did not arrive: %v", err)
		}

		// a second sync changes nothing
		cal, _ = e.Cals.ByID(ctx, alice, calID)
		book, _ = e.Contacts.ByID(ctx, alice, bookID)
		out := run("sync")
		for _, verb := range []string{"Copying", "Deleting", "Updating"} {
			if strings.Contains(out, verb) {
				t.Fatalf("second sync changed something:\n%s", tail(out))
			}
		}
		cal2, _ := e.Cals.ByID(ctx, alice, calID)
		book2, _ := e.Contacts.ByID(ctx, alice, bookID)
		if cal2.SyncSeq != cal.SyncSeq || book2.SyncSeq != book.SyncSeq {
			t.Fatalf("second sync wrote to the server: %d→%d, %d→%d", cal.SyncSeq, cal2.SyncSeq, book.SyncSeq, book2.SyncSeq)
		}
	})
}

// vdirsyncer writes cfg into dir and returns a function running bin
// with it; a failing run fails the test with the end of its output.
func vdirsyncer(t *testing.T, bin, dir, cfg string) func(args ...string) string {
	t.Helper()
	cfgPath := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), bin, append([]string{"--config", cfgPath}, args...)...)
		cmd.Stdin = strings.NewReader(strings.Repeat("y\n", 10))
		cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		t.Logf("vdirsyncer %v: %s", args, time.Since(start).Round(time.Millisecond))
		if err != nil {
			t.Fatalf("vdirsyncer %v: %v\n%s", args, err, tail(string(out)))
		}
		return string(out)
	}
}

func localFile(t *testing.T, dir, uid string) string {
	t.Helper()
	// vdirsyncer names downloaded items after their href or UID
	m, _ := filepath.Glob(filepath.Join(dir, uid+"*"))
	if len(m) == 1 {
		return m[0]
	}
	all, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range all {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), "UID:"+uid+"\r\n") {
			return f
		}
	}
	t.Fatalf("no local file for %s", uid)
	return ""
}

func serverName(t *testing.T, e *davtest.Env, c *calendar.Collection, uid string) string {
	t.Helper()
	var name string
	if err := e.DB.NewRaw(`SELECT name FROM dav_members WHERE collection_id = ? AND uid = ?`, c.ContainerID, uid).Scan(t.Context(), &name); err != nil {
		t.Fatalf("%s not on the server: %v", uid, err)
	}
	return name
}

func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	ch := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				f(i)
			}
		}()
	}
	for i := range n {
		ch <- i
	}
	close(ch)
	wg.Wait()
}

func vevent(uid string, i int, summary string) string {
	day := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7 * time.Hour)
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//plaza test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:" + day.Format("20060102T150405Z") + "\r\nDTEND:" +
		day.Add(time.Hour).Format("20060102T150405Z") + "\r\nSUMMARY:" + summary + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

func vcardOf(uid, name string) string {
	return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:" + name + " " + uid + "\r\nN:" + uid + ";" + name +
		";;;\r\nEMAIL:" + uid + "@example.org\r\nEND:VCARD\r\n"
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}
