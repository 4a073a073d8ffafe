package federation_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-fed/httpsig"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/forum"
	"plaza/core/news"
	"plaza/core/store"
	"plaza/federation"
)

// gts is a fake GoToSocial on loopback, reproducing what the real one
// (0.20) was seen doing with Plaza:
//   - every GET of an actor needs an HTTP signature (authorized fetch);
//     only the key URL …/main-key answers unsigned, with a stub of the
//     actor: its id is the actor, the key sits in publicKey, no owner at
//     the top level, no inbox;
//   - it verifies a signer by fetching its key, then checks the signer's
//     "namestring" @preferredUsername@host: a name that is not a plain
//     username (a port in it) gets 500, as GoToSocial answers;
//   - actors have no shared inbox (one inbox per account);
//   - an Announce is a boost of its object's id, which it dereferences:
//     a status (Note, Page, Article) is stored, an activity is not ("cannot
//     resolve Create as statusable");
//   - a Create of a status by an account nobody here follows, replying to
//     no status of ours, is accepted (202) and dropped;
//   - Update and Delete apply only to statuses it stored;
//   - it reads NodeInfo 2.0 only.
type gts struct {
	t     *testing.T
	srv   *httptest.Server
	base  string
	host  string
	now   func() time.Time
	plaza string // the Plaza base it talks to

	mu       sync.Mutex
	key      *rsa.PrivateKey
	bodies   []string
	paths    []string
	derefs   map[string]int // id dereferenced after an Announce → status
	refusals []string
	stored   map[string]string // status id → what happened to it: stored, updated, deleted
}

var namestring = regexp.MustCompile(`^@[a-zA-Z0-9_.-]+@[a-zA-Z0-9.-]+(:[0-9]+)?$`)

func newGTS(t *testing.T, plaza string, now func() time.Time) *gts {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	g := &gts{t: t, key: k, now: now, plaza: plaza, derefs: map[string]int{}, stored: map[string]string{}}
	g.srv = httptest.NewServer(g)
	g.base = g.srv.URL
	g.host = strings.TrimPrefix(g.base, "http://")
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gts) actor(name string) string { return g.base + "/users/" + name }

func (g *gts) pem() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := x509.MarshalPKIXPublicKey(&g.key.PublicKey)
	must(g.t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: b}))
}

func (g *gts) refuse(w http.ResponseWriter, code int, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	g.mu.Lock()
	g.refusals = append(g.refusals, msg)
	g.mu.Unlock()
	http.Error(w, msg, code)
}

func (g *gts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/.well-known/webfinger":
		name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Query().Get("resource"), "acct:"), "@")
		w.Header().Set("Content-Type", "application/jrd+json")
		fmt.Fprintf(w, `{"subject":"acct:%s@%s","links":[{"rel":"self","type":"application/activity+json","href":%q}]}`, name, g.host, g.actor(name))
	case r.URL.Path == "/nodeinfo/2.0":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"version":"2.0","software":{"name":"gotosocial","version":"0.20.0"},"protocols":["activitypub"]}`)
	case strings.HasSuffix(r.URL.Path, "/main-key") && r.Method == http.MethodGet:
		id := g.base + strings.TrimSuffix(r.URL.Path, "/main-key")
		w.Header().Set("Content-Type", "application/activity+json")
		fmt.Fprintf(w, `{"@context":["https://w3id.org/security/v1","https://www.w3.org/ns/activitystreams"],"id":%q,"preferredUsername":%q,"publicKey":{"id":%q,"owner":%q,"publicKeyPem":%q},"type":"Person"}`,
			id, strings.TrimPrefix(r.URL.Path[:len(r.URL.Path)-len("/main-key")], "/users/"), id+"/main-key", id, g.pem())
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/users/"):
		if _, err := g.verify(r); err != nil {
			g.refuse(w, http.StatusUnauthorized, "authorized fetch: %v", err)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/users/")
		id := g.actor(name)
		w.Header().Set("Content-Type", "application/activity+json")
		fmt.Fprintf(w, `{"@context":["https://w3id.org/security/v1","https://www.w3.org/ns/activitystreams"],"id":%q,"type":"Person","preferredUsername":%q,"name":"Bob","inbox":%q,"outbox":%q,"followers":%q,"manuallyApprovesFollowers":false,"publicKey":{"id":%q,"owner":%q,"publicKeyPem":%q}}`,
			id, name, id+"/inbox", id+"/outbox", id+"/followers", id+"/main-key", id, g.pem())
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/inbox"):
		b, _ := io.ReadAll(r.Body)
		if _, err := g.verify(r); err != nil {
			g.refuse(w, http.StatusUnauthorized, "inbox: %v", err)
			return
		}
		g.mu.Lock()
		g.bodies = append(g.bodies, string(b))
		g.paths = append(g.paths, r.URL.Path)
		g.mu.Unlock()
		var act struct {
			Type   string          `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		json.Unmarshal(b, &act)
		if act.Type == "Announce" {
			// A boost: the object's id (of an embedded activity too) is
			// dereferenced, signed.
			var ref struct {
				ID string `json:"id"`
			}
			var id string
			if json.Unmarshal(act.Object, &ref) == nil && ref.ID != "" {
				id = ref.ID
			} else {
				json.Unmarshal(act.Object, &id)
			}
			code, typ := g.signedGet(id)
			g.mu.Lock()
			g.derefs[id] = code
			if code == http.StatusOK && (typ == "Note" || typ == "Page" || typ == "Article") {
				g.stored[id] = "stored"
			}
			g.mu.Unlock()
		}
		g.apply(act.Type, act.Object)
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

// verify checks a request's signature as GoToSocial does: key fetched
// from its URL, then the signer's namestring checked through WebFinger.
func (g *gts) verify(r *http.Request) (string, error) {
	r.Header.Set("Host", r.Host)
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return "", err
	}
	keyURL := v.KeyId()
	if i := strings.Index(keyURL, "#"); i >= 0 {
		keyURL = keyURL[:i]
	}
	doc, err := fetchJSON(keyURL)
	if err != nil {
		return "", err
	}
	pk, _ := doc["publicKey"].(map[string]any)
	pemText, _ := pk["publicKeyPem"].(string)
	blk, _ := pem.Decode([]byte(pemText))
	if blk == nil {
		return "", fmt.Errorf("no key at %s", keyURL)
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return "", err
	}
	if err := v.Verify(pub, httpsig.RSA_SHA256); err != nil {
		return "", err
	}
	u, _ := url.Parse(keyURL)
	ns := fmt.Sprintf("@%v@%s", doc["preferredUsername"], u.Host)
	if !namestring.MatchString(ns) {
		return "", fmt.Errorf("couldn't match namestring %s", ns)
	}
	wf, err := fetchJSON(u.Scheme + "://" + u.Host + "/.well-known/webfinger?resource=" + url.QueryEscape("acct:"+ns[1:]))
	if err != nil || wf["subject"] != "acct:"+ns[1:] {
		return "", fmt.Errorf("webfinger of %s: %v %v", ns, wf["subject"], err)
	}
	return doc["id"].(string), nil
}

func fetchJSON(u string) (map[string]any, error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d", u, resp.StatusCode)
	}
	var doc map[string]any
	return doc, json.NewDecoder(resp.Body).Decode(&doc)
}

// apply does what GoToSocial does with a Create, Update or Delete of a
// status: a Create is kept only if it replies to one of its statuses (bob
// follows no Plaza person); Update and Delete change only stored statuses.
func (g *gts) apply(typ string, object json.RawMessage) {
	var obj struct {
		ID        string `json:"id"`
		InReplyTo string `json:"inReplyTo"`
	}
	if json.Unmarshal(object, &obj) != nil {
		json.Unmarshal(object, &obj.ID)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case typ == "Create" && strings.HasPrefix(obj.InReplyTo, g.base):
		g.stored[obj.ID] = "stored"
	case typ == "Update" && g.stored[obj.ID] != "":
		g.stored[obj.ID] = "updated"
	case typ == "Delete" && g.stored[obj.ID] != "":
		g.stored[obj.ID] = "deleted"
	}
}

// status waits until the status id is in state (stored, updated, deleted).
func (g *gts) status(id, state string) {
	g.t.Helper()
	eventually(g.t, "GoToSocial has "+id+" "+state, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.stored[id] == state
	})
}

// signedGet dereferences id as bob, as GoToSocial signs every GET, and
// returns the status and the type of the document.
func (g *gts) signedGet(id string) (int, string) {
	req, err := http.NewRequest(http.MethodGet, id, nil)
	if err != nil {
		return 0, ""
	}
	req.Header.Set("Accept", "application/activity+json")
	g.mu.Lock()
	k := g.key
	g.mu.Unlock()
	if federation.SignForTest(req, g.actor("bob")+"/main-key", k, nil, g.now()) != nil {
		return 0, ""
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	var doc struct {
		Type string `json:"type"`
	}
	json.NewDecoder(resp.Body).Decode(&doc)
	return resp.StatusCode, doc.Type
}

// send posts an activity of name, signed with the …/main-key key id.
func (g *gts) send(inbox, name, body string) (int, string) {
	g.t.Helper()
	req, err := http.NewRequest(http.MethodPost, inbox, strings.NewReader(body))
	must(g.t, err)
	req.Header.Set("Content-Type", "application/activity+json")
	g.mu.Lock()
	k := g.key
	g.mu.Unlock()
	must(g.t, federation.SignForTest(req, g.actor(name)+"/main-key", k, []byte(body), g.now()))
	resp, err := http.DefaultClient.Do(req)
	must(g.t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

func (g *gts) mustSend(inbox, name, body string) {
	g.t.Helper()
	if code, msg := g.send(inbox, name, body); code != http.StatusAccepted {
		g.t.Fatalf("POST %s: %d %s", inbox, code, msg)
	}
}

// waitFor returns the first activity of type typ received whose JSON
// holds all of subs.
func (g *gts) waitFor(typ string, subs ...string) map[string]any {
	g.t.Helper()
	var doc map[string]any
	eventually(g.t, "GoToSocial receives "+typ+" "+strings.Join(subs, ", "), func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		for _, b := range g.bodies {
			ok := true
			for _, s := range subs {
				ok = ok && strings.Contains(b, s)
			}
			doc = nil
			if ok && json.Unmarshal([]byte(b), &doc) == nil && doc["type"] == typ {
				return true
			}
		}
		return false
	})
	return doc
}

// TestGoToSocialPeer runs what a GoToSocial user does with Plaza against
// the fake above: follow a group and a space, see topics, replies, edits
// and deletions arrive, reply, follow a person (refused, not pending), and
// Plaza following the GoToSocial account into a space's news.
func TestGoToSocialPeer(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var offset atomic.Int64
		now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		a := newInstance(t, db, "", instOpts{now: now})
		g := newGTS(t, a.base, now)
		bob := g.actor("bob")
		alice := a.user("alice")
		pub := a.space("pub", true, alice)
		general := a.publicCategory(alice, pub, "general")
		groupID := a.base + "/ap/groups/general"
		asCtx := `"@context":"https://www.w3.org/ns/activitystreams"`

		// bob follows the group: his key id is …/main-key, whose document
		// has no top-level owner; his actor needs a signed GET.
		g.mustSend(groupID+"/inbox", "bob", fmt.Sprintf(`{%s,"id":"%s/follows/1","type":"Follow","actor":%q,"object":%q}`, asCtx, g.base, bob, groupID))
		acc := g.waitFor("Accept", "follows/1")
		if acc["published"] == nil {
			t.Fatalf("Accept without published: %v", acc)
		}

		// A new topic: Announce(Page) (a boost), Announce(Create) and the
		// author's own Create, each with published; every announced id
		// answers bob's signed GET.
		top, err := a.forum.CreateTopic(ctx, alice, general.ContainerID, forum.NewTopic{Title: "Hello GoToSocial", Body: "<p>First</p>"})
		must(t, err)
		topicID := a.base + "/ap/topics/" + itoa(top.ContainerID)
		boost := g.waitFor("Announce", `"object":"`+topicID+`"`)
		g.waitFor("Announce", `"type":"Create"`, "Hello GoToSocial")
		create := g.waitFor("Create", `"actor":"`+a.base+`/ap/users/alice"`, "Hello GoToSocial")
		for _, d := range []map[string]any{boost, create} {
			if d["published"] == nil {
				t.Fatalf("activity without published: %v", d)
			}
		}
		eventually(t, "announced ids dereferenced", func() bool {
			g.mu.Lock()
			defer g.mu.Unlock()
			if len(g.derefs) < 2 {
				return false
			}
			for id, code := range g.derefs {
				if code != http.StatusOK {
					t.Fatalf("GoToSocial dereferenced %s: %d", id, code)
				}
			}
			return true
		})

		// bob replies: the reply appears in the Plaza topic.
		g.mustSend(a.base+"/ap/inbox", "bob", fmt.Sprintf(`{%[1]s,"id":"%[2]s/statuses/1/activity","type":"Create","actor":%[3]q,"published":"2026-01-01T10:00:00Z","to":["%[5]s"],"cc":[%[3]q],"object":{"id":"%[2]s/statuses/1","type":"Note","attributedTo":%[3]q,"inReplyTo":%[4]q,"to":["%[5]s"],"content":"<p>Hi from GoToSocial</p>","published":"2026-01-01T10:00:00Z"}}`,
			asCtx, g.base, bob, topicID, public))
		ps, err := a.forum.Posts(ctx, core.AnonymousSubject, top.ContainerID)
		must(t, err)
		if len(ps) != 1 || !strings.Contains(ps[0].Body, "Hi from GoToSocial") || ps[0].Author.Handle != "bob@"+g.host {
			t.Fatalf("bob's reply in Plaza: %+v", ps)
		}

		// alice replies, edits, deletes: each reaches bob as a plain
		// Create, Update and Delete of the Note (not only announced).
		rep, err := a.forum.Reply(ctx, alice, top.ContainerID, forum.NewPost{Body: "<p>Welcome bob</p>"})
		must(t, err)
		postID := a.base + "/ap/posts/" + itoa(rep.ID)
		g.waitFor("Create", `"id":"`+postID+`"`, "Welcome bob", `"published"`)
		g.status(topicID, "stored")
		g.status(postID, "stored") // through the group's boost of the reply
		_, err = a.forum.UpdatePost(ctx, alice, rep.ID, "<p>Welcome, bob!</p>")
		must(t, err)
		upd := g.waitFor("Update", "Welcome, bob!")
		g.status(postID, "updated")
		if upd["actor"] != a.base+"/ap/users/alice" || upd["published"] == nil {
			t.Fatalf("Update: %v", upd)
		}
		must(t, a.forum.DeletePost(ctx, alice, rep.ID))
		del := g.waitFor("Delete", `"object":"`+postID+`"`)
		g.status(postID, "deleted")
		if del["actor"] != a.base+"/ap/users/alice" || del["published"] == nil {
			t.Fatalf("Delete: %v", del)
		}

		// bob follows alice (a person): refused with a Reject, not left pending.
		g.mustSend(a.base+"/ap/users/alice/inbox", "bob", fmt.Sprintf(`{%s,"id":"%s/follows/2","type":"Follow","actor":%q,"object":"%s/ap/users/alice"}`, asCtx, g.base, bob, a.base))
		g.waitFor("Reject", "follows/2")

		// bob follows the space's news and gets a new article.
		g.mustSend(a.base+"/ap/spaces/pub/inbox", "bob", fmt.Sprintf(`{%s,"id":"%s/follows/3","type":"Follow","actor":%q,"object":"%s/ap/spaces/pub"}`, asCtx, g.base, bob, a.base))
		g.waitFor("Accept", "follows/3")
		_, err = a.news.Create(ctx, alice, news.NewArticle{SpaceID: pub.ID, Title: "Release day", Body: "<p>Out now</p>",
			Grants: []acl.Grant{{PrincipalKind: acl.PrincipalAnonymous, Level: acl.Read}}})
		must(t, err)
		g.waitFor("Create", `"type":"Article"`, "Release day", `"published"`)

		// Plaza follows bob into the space's news: his public posts land there.
		f, err := a.fed.Follow(ctx, alice, pub.ID, "bob@"+g.host)
		must(t, err)
		if f.ActorID != bob {
			t.Fatalf("followed %+v", f)
		}
		fol := g.waitFor("Follow", `"object":"`+bob+`"`)
		g.mustSend(a.base+"/ap/inbox", "bob", fmt.Sprintf(`{%s,"id":"%s/accepts/1","type":"Accept","actor":%q,"object":%q}`, asCtx, g.base, bob, fol["id"]))
		g.mustSend(a.base+"/ap/inbox", "bob", fmt.Sprintf(`{%[1]s,"id":"%[2]s/statuses/2/activity","type":"Create","actor":%[3]q,"to":["%[4]s"],"cc":["%[3]s/followers"],"object":{"id":"%[2]s/statuses/2","type":"Note","attributedTo":%[3]q,"to":["%[4]s"],"cc":["%[3]s/followers"],"content":"<p>Lovely weather on GoToSocial</p>","published":"2026-01-02T10:00:00Z"}}`,
			asCtx, g.base, bob, public))
		arts, err := a.news.List(ctx, alice, pub.ID, 0)
		must(t, err)
		found := false
		for _, n := range arts {
			found = found || strings.Contains(n.Body, "Lovely weather")
		}
		if !found {
			t.Fatalf("bob's post not in the space's news: %+v", arts)
		}

		// Two days on, Plaza's copy of bob is stale: his key is fetched
		// again from …/main-key (no owner there) and his activity taken.
		offset.Store(int64(49 * time.Hour))
		g.mustSend(a.base+"/ap/inbox", "bob", fmt.Sprintf(`{%s,"id":"%s/likes/1","type":"Like","actor":%q,"object":%q}`, asCtx, g.base, bob, topicID))
		// bob's key changes: the cached key fails, it is fetched once more.
		offset.Store(int64(50 * time.Hour))
		k2, err := rsa.GenerateKey(rand.Reader, 2048)
		must(t, err)
		g.mu.Lock()
		g.key = k2
		g.mu.Unlock()
		g.mustSend(a.base+"/ap/inbox", "bob", fmt.Sprintf(`{%s,"id":"%s/likes/2","type":"Like","actor":%q,"object":%q}`, asCtx, g.base, bob, topicID))

		// NodeInfo 2.0, and the instance actor's collections, answer.
		if code, _ := status(t, http.MethodGet, a.base+"/nodeinfo/2.0", ""); code != 200 {
			t.Fatalf("nodeinfo 2.0: %d", code)
		}
		links, err := fetchJSON(a.base + "/.well-known/nodeinfo")
		must(t, err)
		if b, _ := json.Marshal(links); !bytes.Contains(b, []byte("schema/2.0")) {
			t.Fatalf("nodeinfo links: %s", b)
		}
		for _, c := range []string{"followers", "outbox"} {
			get(t, a.base+"/ap/actor/"+c)
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		if len(g.refusals) > 0 {
			t.Fatalf("GoToSocial refused Plaza's requests: %q", g.refusals)
		}
	})
}
