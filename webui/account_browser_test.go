package webui_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"plaza/core/coretest"
	"plaza/core/store"
)

// In Chromium, on both databases: mia changes her password (a wrong
// current one is refused on the page), makes an app password that works
// over HTTP Basic once and is shown once, revokes it, turns two-step
// sign-in on from the QR code page and signs in again with a code;
// oscar, who forgot his password, asks for a link, opens the mailed
// link, chooses a new password and signs in with it; the link then is
// spent. Leaves profile-security.png.
func TestBrowserAccountSelfService(t *testing.T) {
	if _, err := exec.LookPath(chromium); err != nil {
		t.Fatalf("%s is missing (make test installs Debian's chromium): %v", chromium, err)
	}
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := startAccounts(t, db)
		base := w.srv.URL
		ctx := browser(t)
		signIn := func(login, password string) {
			run(t, ctx, "sign in as "+login,
				chromedp.Navigate(base+"/login"),
				chromedp.WaitVisible("#login", chromedp.ByID),
				chromedp.SendKeys("#login", login, chromedp.ByID),
				chromedp.SendKeys("#password", password, chromedp.ByID),
				chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
			)
		}
		signIn("mia", "mia-password")
		var msg string
		run(t, ctx, "wrong current password",
			chromedp.WaitVisible(`details.switcher`, chromedp.ByQuery),
			chromedp.Navigate(base+"/profile"),
			chromedp.WaitVisible("#pw-form", chromedp.ByID),
			chromedp.SendKeys("#pw-current", "not-my-password", chromedp.ByID),
			chromedp.SendKeys("#pw-new", "mia-better-password", chromedp.ByID),
			chromedp.SendKeys("#pw-new2", "mia-better-password", chromedp.ByID),
			chromedp.Submit("#pw-form", chromedp.ByID),
			chromedp.WaitVisible("#password-error", chromedp.ByID),
			chromedp.Text("#password-error", &msg, chromedp.ByID),
		)
		if !strings.Contains(msg, "current password is wrong") {
			t.Errorf("error shown: %q", msg)
		}
		run(t, ctx, "change the password",
			chromedp.SendKeys("#pw-current", "mia-password", chromedp.ByID),
			chromedp.SendKeys("#pw-new", "mia-better-password", chromedp.ByID),
			chromedp.SendKeys("#pw-new2", "mia-better-password", chromedp.ByID),
			chromedp.Submit("#pw-form", chromedp.ByID),
			chromedp.WaitVisible("#password-changed", chromedp.ByID),
		)
		if code, _ := w.basic(t, "mia", "mia-better-password").do("GET", "/api/v1/me", ""); code != 200 {
			t.Errorf("new password over Basic: %d", code)
		}

		var appPW string
		var rows int
		run(t, ctx, "make an app password",
			chromedp.SendKeys("#ap-label", "Thunderbird", chromedp.ByID),
			chromedp.Submit("#ap-form", chromedp.ByID),
			chromedp.WaitVisible("#new-app-password", chromedp.ByID),
			chromedp.Text("#new-app-password", &appPW, chromedp.ByID),
		)
		if !strings.HasPrefix(appPW, "plz-") {
			t.Fatalf("app password shown: %q", appPW)
		}
		if code, _ := w.basic(t, "mia", appPW).do("GET", "/api/v1/me", ""); code != 200 {
			t.Errorf("app password over Basic: %d", code)
		}
		run(t, ctx, "shown once, then revoked",
			chromedp.Navigate(base+"/profile"),
			chromedp.WaitVisible("tr.app-password", chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelectorAll("#new-app-password").length + document.body.innerText.split("`+appPW+`").length - 1`, &rows),
		)
		if rows != 0 {
			t.Errorf("the app password shows again after a reload")
		}
		run(t, ctx, "revoke",
			chromedp.Click(`tr.app-password button[type=submit]`, chromedp.ByQuery),
			chromedp.WaitNotPresent("tr.app-password", chromedp.ByQuery),
			chromedp.WaitVisible("#ap-form", chromedp.ByID),
			chromedp.Evaluate(`document.querySelectorAll("tr.app-password").length`, &rows),
		)
		if rows != 0 {
			t.Errorf("%d app passwords after revoking", rows)
		}
		if code, _ := w.basic(t, "mia", appPW).do("GET", "/api/v1/me", ""); code != 401 {
			t.Errorf("revoked app password over Basic: %d", code)
		}

		var secret, qr string
		var codes int
		var shot []byte
		run(t, ctx, "enrol a second factor",
			chromedp.Submit("#totp-begin", chromedp.ByID),
			chromedp.WaitVisible("#totp-secret", chromedp.ByID),
			chromedp.Text("#totp-secret", &secret, chromedp.ByID),
			chromedp.Evaluate(`document.getElementById("totp-qr").src.slice(0, 22)`, &qr),
			chromedp.FullScreenshot(&shot, 90),
		)
		os.WriteFile(filepath.Join(screenshotDir(t), "profile-security.png"), shot, 0o644)
		if qr != "data:image/png;base64," {
			t.Errorf("QR code image: %q", qr)
		}
		code, err := totp.GenerateCode(secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		run(t, ctx, "confirm the second factor",
			chromedp.SendKeys("#totp-code", code, chromedp.ByID),
			chromedp.Submit("#totp-confirm", chromedp.ByID),
			chromedp.WaitVisible("#recovery-codes", chromedp.ByID),
			chromedp.Evaluate(`document.querySelectorAll("#recovery-codes li").length`, &codes),
			chromedp.WaitVisible("#totp-disable", chromedp.ByID),
		)
		if codes != 10 {
			t.Errorf("%d recovery codes", codes)
		}
		// Sign out and in again: the password, then a code (of the next
		// step: the one used to confirm works only once).
		run(t, ctx, "sign out",
			chromedp.Click(`nav.user form button`, chromedp.ByQuery),
			chromedp.WaitVisible("#login", chromedp.ByID),
		)
		signIn("mia", "mia-better-password")
		next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
		run(t, ctx, "sign in with a code",
			chromedp.WaitVisible("#code", chromedp.ByID),
			chromedp.SendKeys("#code", next, chromedp.ByID),
			chromedp.Submit("#login-code", chromedp.ByID),
			chromedp.WaitVisible(`details.switcher`, chromedp.ByQuery),
		)

		// Reset by mail, in another browser.
		other := browser(t)
		run(t, other, "ask for a link",
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(`a[href="/password/forgot"]`, chromedp.ByQuery),
			chromedp.Click(`a[href="/password/forgot"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#rf-email", chromedp.ByID),
			chromedp.SendKeys("#rf-email", "oscar@example.org", chromedp.ByID),
			chromedp.Submit("#forgot", chromedp.ByID),
			chromedp.WaitVisible("#reset-sent", chromedp.ByID),
		)
		link := w.resetLink(t, "oscar@example.org")
		if link == "" {
			t.Fatal("no link mailed")
		}
		run(t, other, "choose a new password",
			chromedp.Navigate(base+link),
			chromedp.WaitVisible("#rr-pw", chromedp.ByID),
			chromedp.SendKeys("#rr-pw", "oscar-fresh-password", chromedp.ByID),
			chromedp.SendKeys("#rr-pw2", "oscar-fresh-password", chromedp.ByID),
			chromedp.Submit("#reset", chromedp.ByID),
			chromedp.WaitVisible("#login", chromedp.ByID),
			chromedp.SendKeys("#login", "oscar", chromedp.ByID),
			chromedp.SendKeys("#password", "oscar-fresh-password", chromedp.ByID),
			chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
			chromedp.WaitVisible(`details.switcher`, chromedp.ByQuery),
		)
		resp, err := http.Get(base + link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("spent link: %d", resp.StatusCode)
		}
	})
}
