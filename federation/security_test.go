package federation_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"plaza/core/coretest"
	"plaza/core/store"
	"plaza/federation"
)

func privateKey(t *testing.T, db *store.DB, actor string) *rsa.PrivateKey {
	t.Helper()
	var p string
	must(t, db.NewSelect().Table("ap_keys").Column("private_pem").Where("actor = ?", actor).Scan(context.Background(), &p))
	b, _ := pem.Decode([]byte(p))
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	must(t, err)
	return k.(*rsa.PrivateKey)
}

// TestInboxRefusals: a POST without a valid signature, with a stale Date,
// a Digest that does not match, or from another actor than the signer is
// refused and changes nothing; the same activity properly signed is taken.
func TestInboxRefusals(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, dbA *store.DB) {
		ctx := context.Background()
		a := newInstance(t, dbA, "", instOpts{})
		b := newInstance(t, coretest.OpenDB(t, dbA.Kind), "", instOpts{noQueue: true})
		alice := a.user("alice")
		general := a.publicCategory(alice, a.space("pub", true, alice), "general")
		_ = general
		bob := b.user("bob")
		team := b.space("team", false, bob)
		// bob's Follow is queued on B (whose queue does not run): bob now
		// has a key and a Person document A can fetch.
		_, err := b.fed.Follow(ctx, bob, team.ID, "general@"+a.host)
		must(t, err)
		key := privateKey(t, b.db, fmt.Sprintf("user:%d", bob.AccountID))
		bobID := b.base + "/ap/users/bob"
		keyID := bobID + "#main-key"
		group := a.base + "/ap/groups/general"
		inbox := a.base + "/ap/inbox"
		follow := func(id, actor string) []byte {
			return []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Follow","actor":%q,"object":%q}`,
				b.base+"/ap/activities/"+id, actor, group))
		}
		followers := func() int {
			n, err := a.db.NewSelect().Table("ap_follows").Where("direction = 'in'").Count(ctx)
			must(t, err)
			return int(n)
		}
		post := func(body []byte, prep func(*http.Request)) (int, string) {
			req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
			must(t, err)
			req.Header.Set("Content-Type", "application/activity+json")
			prep(req)
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
			defer resp.Body.Close()
			var sb strings.Builder
			buf := make([]byte, 512)
			n, _ := resp.Body.Read(buf)
			sb.Write(buf[:n])
			return resp.StatusCode, sb.String()
		}
		signed := func(body []byte, at time.Time) func(*http.Request) {
			return func(r *http.Request) { must(t, federation.SignForTest(r, keyID, key, body, at)) }
		}
		now := time.Now()
		for _, c := range []struct {
			name   string
			body   []byte
			prep   func(*http.Request)
			status int
		}{
			{"no signature", follow("f1", bobID), func(*http.Request) {}, 401},
			{"bad signature", follow("f2", bobID), func(r *http.Request) {
				signed(follow("f2", bobID), now)(r)
				sig := r.Header.Get("Signature")
				i := strings.Index(sig, `signature="`) + len(`signature="`)
				flip := "A"
				if sig[i] == 'A' {
					flip = "B"
				}
				r.Header.Set("Signature", sig[:i]+flip+sig[i+1:])
			}, 401},
			{"stale date", follow("f3", bobID), signed(follow("f3", bobID), now.Add(-2*time.Hour)), 401},
			{"future date", follow("f4", bobID), signed(follow("f4", bobID), now.Add(2*time.Hour)), 401},
			{"digest mismatch", follow("f5", bobID), signed(follow("f5", "https://evil.example/x"), now), 401},
			{"body changed after signing", follow("f6", bobID), func(r *http.Request) {
				signed(follow("f6", bobID), now)(r)
				r.Header.Set("Digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
			}, 401},
			{"digest not signed", follow("f7", bobID), func(r *http.Request) {
				signed(follow("f7", bobID), now)(r)
				r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), " digest", "", 1))
			}, 401},
			{"unknown key", follow("f8", bobID), func(r *http.Request) {
				must(t, federation.SignForTest(r, b.base+"/ap/users/nobody#main-key", key, follow("f8", bobID), now))
			}, 401},
			{"actor is not the signer", follow("f9", b.base+"/ap/users/carol"), signed(follow("f9", b.base+"/ap/users/carol"), now), 403},
			{"not JSON", []byte("{not json"), signed([]byte("{not json"), now), 400},
			{"too large", bytes.Repeat([]byte(" "), federation.MaxBody+10), func(*http.Request) {}, 413},
		} {
			status, msg := post(c.body, c.prep)
			if status != c.status {
				t.Errorf("%s: status %d (%s), want %d", c.name, status, strings.TrimSpace(msg), c.status)
			}
			if c.status >= 400 && strings.TrimSpace(msg) == "" {
				t.Errorf("%s: refusal without a reason", c.name)
			}
			if n := followers(); n != 0 {
				t.Fatalf("%s: refused request changed the followers (%d)", c.name, n)
			}
		}
		// The same Follow properly signed is accepted, once.
		body := follow("ok", bobID)
		if status, msg := post(body, signed(body, now)); status != http.StatusAccepted {
			t.Fatalf("valid follow: %d %s", status, msg)
		}
		if status, _ := post(body, signed(body, now)); status != http.StatusAccepted || followers() != 1 {
			t.Fatalf("replayed follow: %d, %d followers", status, followers())
		}
	})
}
