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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-fed/httpsig"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/forum"
	"plaza/core/poll"
	"plaza/core/store"
	"plaza/federation"
)

// peer is a fake fediverse server on loopback: it serves the actor
// documents a Mastodon or Lemmy server would, signs what it sends with
// their keys, and records what it receives.
type peer struct {
	t    *testing.T
	srv  *httptest.Server
	base string
	key  *rsa.PrivateKey
	docs map[string]string // path → JSON

	mu       sync.Mutex
	received []*http.Request
	bodies   [][]byte
}

func newPeer(t *testing.T) *peer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	p := &peer{t: t, key: k, docs: map[string]string{}}
	p.srv = httptest.NewServer(p)
	p.base = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

func (p *peer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.received = append(p.received, r)
		p.bodies = append(p.bodies, b)
		p.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	p.mu.Lock()
	d, ok := p.docs[r.URL.Path]
	p.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/activity+json; charset=utf-8")
	io.WriteString(w, d)
}

func (p *peer) pem() string {
	b, err := x509.MarshalPKIXPublicKey(&p.key.PublicKey)
	must(p.t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: b}))
}

// mastodonActor serves a Person as Mastodon 4 does.
func (p *peer) mastodonActor(name string) string {
	id := p.base + "/users/" + name
	doc, _ := json.Marshal(map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
			map[string]any{"manuallyApprovesFollowers": "as:manuallyApprovesFollowers", "toot": "http://joinmastodon.org/ns#",
				"featured": map[string]any{"@id": "toot:featured", "@type": "@id"}, "discoverable": "toot:discoverable"}},
		"id": id, "type": "Person", "following": id + "/following", "followers": id + "/followers",
		"inbox": id + "/inbox", "outbox": id + "/outbox", "featured": id + "/collections/featured",
		"preferredUsername": name, "name": "Zelda <b>Z</b>", "summary": "<p>bio</p>", "url": p.base + "/@" + name,
		"manuallyApprovesFollowers": false, "discoverable": true, "published": "2023-01-01T00:00:00Z",
		"publicKey": map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": p.pem()},
		"endpoints": map[string]any{"sharedInbox": p.base + "/inbox"},
	})
	p.docs["/users/"+name] = string(doc)
	return id
}

// lemmyActors serves a Lemmy community and one of its users (Lemmy 0.19).
func (p *peer) lemmyActors() (community, user string) {
	community, user = p.base+"/c/rust", p.base+"/u/ferris"
	ctx := []any{"https://join-lemmy.org/context.json", "https://www.w3.org/ns/activitystreams"}
	c, _ := json.Marshal(map[string]any{"@context": ctx, "type": "Group", "id": community, "preferredUsername": "rust",
		"name": "Rust", "inbox": community + "/inbox", "followers": community + "/followers", "outbox": community + "/outbox",
		"attributedTo": community + "/moderators", "featured": community + "/featured", "postingRestrictedToMods": false,
		"publicKey": map[string]any{"id": community + "#main-key", "owner": community, "publicKeyPem": p.pem()},
		"endpoints": map[string]any{"sharedInbox": p.base + "/inbox"}, "published": "2023-01-01T00:00:00Z"})
	u, _ := json.Marshal(map[string]any{"@context": ctx, "type": "Person", "id": user, "preferredUsername": "ferris",
		"inbox": user + "/inbox", "outbox": user + "/outbox",
		"publicKey": map[string]any{"id": user + "#main-key", "owner": user, "publicKeyPem": p.pem()},
		"endpoints": map[string]any{"sharedInbox": p.base + "/inbox"}, "published": "2023-01-01T00:00:00Z"})
	p.docs["/c/rust"], p.docs["/u/ferris"] = string(c), string(u)
	return community, user
}

// send posts body to inbox signed by keyID, as Mastodon and Lemmy do.
func (p *peer) send(inbox, keyID string, body []byte) {
	p.t.Helper()
	if code, b := p.sendStatus(inbox, keyID, body); code != http.StatusAccepted {
		p.t.Fatalf("POST %s: %d %s", inbox, code, b)
	}
}

func (p *peer) sendStatus(inbox, keyID string, body []byte) (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	must(p.t, err)
	req.Header.Set("Content-Type", "application/activity+json")
	must(p.t, federation.SignForTest(req, keyID, p.key, body, time.Now()))
	resp, err := http.DefaultClient.Do(req)
	must(p.t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

// waitFor returns the first body received whose JSON contains all of subs.
func (p *peer) waitFor(subs ...string) (*http.Request, []byte) {
	p.t.Helper()
	var req *http.Request
	var body []byte
	eventually(p.t, "peer receives "+strings.Join(subs, ", "), func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		for i, b := range p.bodies {
			ok := true
			for _, s := range subs {
				ok = ok && bytes.Contains(b, []byte(s))
			}
			if ok {
				req, body = p.received[i], b
				return true
			}
		}
		return false
	})
	return req, body
}

// TestInterop replays what Mastodon and Lemmy send and checks what they
// would receive from plaza.
func TestInterop(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newInstance(t, db, "", instOpts{})
		alice := a.user("alice")
		pub := a.space("pub", true, alice)
		general := a.publicCategory(alice, pub, "general")
		top, err := a.forum.CreateTopic(ctx, alice, general.ContainerID, forum.NewTopic{Title: "Plaza thread", Body: "<p>Hello</p>"})
		must(t, err)
		topicID := a.base + "/ap/topics/" + itoa(top.ContainerID)
		groupID := a.base + "/ap/groups/general"

		// A Lemmy community follows nothing, but its server's users follow
		// our group: the Follow comes from the Lemmy user.
		lemmy := newPeer(t)
		community, ferris := lemmy.lemmyActors()
		lemmy.send(a.base+"/ap/groups/general/inbox", ferris+"#main-key", []byte(fmt.Sprintf(
			`{"@context":["https://join-lemmy.org/context.json","https://www.w3.org/ns/activitystreams"],"actor":%q,"object":%q,"type":"Follow","id":%q}`,
			ferris, groupID, lemmy.base+"/activities/follow/1")))
		req, body := lemmy.waitFor(`"type":"Accept"`)
		if req.URL.Path != "/u/ferris/inbox" {
			t.Fatalf("Accept sent to %s", req.URL.Path)
		}
		verifyFromPlaza(t, req, body, a.base)

		// A Mastodon user replies to the thread: addressed to the author and
		// followers (not the group), with Mastodon's @context and markup.
		masto := newPeer(t)
		zelda := masto.mastodonActor("zelda")
		note := fmt.Sprintf(`{"@context":["https://www.w3.org/ns/activitystreams",{"ostatus":"http://ostatus.org#","atomUri":"ostatus:atomUri","inReplyToAtomUri":"ostatus:inReplyToAtomUri","conversation":"ostatus:conversation","sensitive":"as:sensitive","toot":"http://joinmastodon.org/ns#","votersCount":"toot:votersCount"}],"id":"%[1]s/statuses/1/activity","type":"Create","actor":"%[1]s","published":"2026-01-01T10:00:00Z","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["%[1]s/followers","%[2]s/ap/users/alice"],"object":{"id":"%[1]s/statuses/1","type":"Note","summary":null,"inReplyTo":"%[3]s","published":"2026-01-01T10:00:00Z","url":"%[4]s/@zelda/1","attributedTo":"%[1]s","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["%[1]s/followers","%[2]s/ap/users/alice"],"sensitive":false,"atomUri":"%[1]s/statuses/1","inReplyToAtomUri":"%[3]s","conversation":"tag:x,2026:objectId=1:objectType=Conversation","content":"<p><span class=\"h-card\"><a href=\"%[2]s/ap/users/alice\" class=\"u-url mention\">@<span>alice</span></a></span> Nice thread!<script>alert(1)</script></p>","contentMap":{"en":"<p>Nice thread!</p>"},"attachment":[],"tag":[{"type":"Mention","href":"%[2]s/ap/users/alice","name":"@alice"}],"replies":{"id":"%[1]s/statuses/1/replies","type":"Collection","first":{"type":"CollectionPage","next":"%[1]s/statuses/1/replies?page=true","partOf":"%[1]s/statuses/1/replies","items":[]}}}}`,
			zelda, a.base, topicID, masto.base)
		masto.send(a.base+"/ap/inbox", zelda+"#main-key", []byte(note))
		ps, err := a.forum.Posts(ctx, core.AnonymousSubject, top.ContainerID)
		must(t, err)
		if len(ps) != 1 || ps[0].Author.Handle != "zelda@"+strings.TrimPrefix(masto.base, "http://") || ps[0].Author.Name != "Zelda Z" ||
			!strings.Contains(ps[0].Body, "Nice thread!") || strings.Contains(ps[0].Body, "script") {
			t.Fatalf("Mastodon reply on A: %+v", ps)
		}
		// The group re-shares Zelda's Create to its followers (the Lemmy
		// server's shared inbox), byte for byte as received.
		req, body = lemmy.waitFor(`"type":"Announce"`, "statuses/1/activity")
		if req.URL.Path != "/inbox" {
			t.Fatalf("Announce sent to %s, not the shared inbox", req.URL.Path)
		}
		verifyFromPlaza(t, req, body, a.base)
		var ann struct {
			Actor  string          `json:"actor"`
			Object json.RawMessage `json:"object"`
		}
		must(t, json.Unmarshal(body, &ann))
		if ann.Actor != groupID || string(ann.Object) != note {
			t.Fatalf("Announce: actor %s, object\n%s\nwant\n%s", ann.Actor, ann.Object, note)
		}

		// A Mastodon post mentioning the group starts a thread; a Like is
		// taken.
		masto.send(a.base+"/ap/inbox", zelda+"#main-key", []byte(fmt.Sprintf(
			`{"@context":"https://www.w3.org/ns/activitystreams","id":"%[1]s/statuses/2/activity","type":"Create","actor":"%[1]s","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["%[2]s"],"object":{"id":"%[1]s/statuses/2","type":"Note","attributedTo":"%[1]s","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["%[2]s"],"content":"<p>@general New idea: shared calendars</p>","tag":[{"type":"Mention","href":"%[2]s","name":"@general"}],"published":"2026-01-01T11:00:00Z"}}`,
			zelda, groupID)))
		masto.send(a.base+"/ap/inbox", zelda+"#main-key", []byte(fmt.Sprintf(
			`{"@context":"https://www.w3.org/ns/activitystreams","id":"%[1]s#likes/1","type":"Like","actor":"%[1]s","object":"%[2]s"}`, zelda, topicID)))
		// The group shares the vote with its followers, as Lemmy does.
		lemmy.waitFor(`"type":"Announce"`, `likes/1`)
		ts0, err := a.forum.Topics(ctx, core.AnonymousSubject, general.ContainerID, 0)
		must(t, err)
		if len(ts0) != 2 || ts0[1].Title != "@general New idea: shared calendars" || ts0[1].Author.Handle != "zelda@"+strings.TrimPrefix(masto.base, "http://") {
			t.Fatalf("thread started from Mastodon: %+v", ts0)
		}
		// alice moderates: she removes Zelda's thread; the group tells its
		// followers with a Delete of its own.
		must(t, a.forum.DeleteTopic(ctx, alice, ts0[1].ContainerID))
		_, body = lemmy.waitFor(`"type":"Announce"`, `"type":"Delete"`, `statuses/2"`)
		var mod struct {
			Actor  string
			Object struct{ Type, Actor, Object string }
		}
		must(t, json.Unmarshal(body, &mod))
		if mod.Actor != groupID || mod.Object.Actor != groupID || mod.Object.Object != zelda+"/statuses/2" {
			t.Fatalf("moderation Delete: %s", body)
		}

		// A category members only read takes no replies from the fediverse
		// either (Lemmy's postingRestrictedToMods).
		ro, err := a.forum.CreateCategory(ctx, alice, forum.NewCategory{SpaceID: pub.ID, Slug: "announce", Name: "Announcements",
			Handle: "announce", Grants: []acl.Grant{{PrincipalKind: acl.PrincipalAnonymous, Level: acl.Read},
				{PrincipalKind: acl.PrincipalSpace, PrincipalID: pub.ID, Level: acl.Read}}})
		must(t, err)
		roTop, err := a.forum.CreateTopic(ctx, alice, ro.ContainerID, forum.NewTopic{Title: "Release", Body: "<p>out</p>"})
		must(t, err)
		if g := get(t, a.base+"/ap/groups/announce"); g["postingRestrictedToMods"] != true {
			t.Fatalf("read-only group: %v", g["postingRestrictedToMods"])
		}
		code, msg := masto.sendStatus(a.base+"/ap/inbox", zelda+"#main-key", []byte(fmt.Sprintf(
			`{"@context":"https://www.w3.org/ns/activitystreams","id":"%[1]s/statuses/3/activity","type":"Create","actor":"%[1]s","to":["https://www.w3.org/ns/activitystreams#Public"],"object":{"id":"%[1]s/statuses/3","type":"Note","attributedTo":"%[1]s","inReplyTo":"%[2]s/ap/topics/%[3]d","to":["https://www.w3.org/ns/activitystreams#Public"],"content":"<p>spam</p>"}}`,
			zelda, a.base, roTop.ContainerID)))
		if code != http.StatusForbidden || !strings.Contains(msg, "does not take replies") {
			t.Fatalf("reply to a read-only group: %d %s", code, msg)
		}
		if ps, _ := a.forum.Posts(ctx, alice, roTop.ContainerID); len(ps) != 0 {
			t.Fatal("a refused reply was stored")
		}

		// Zelda's profile changes: Mastodon sends Update of the Person.
		masto.mu.Lock()
		masto.docs["/users/zelda"] = strings.Replace(masto.docs["/users/zelda"], `"Zelda \u003cb\u003eZ\u003c/b\u003e"`, `"Zelda Zed"`, 1)
		masto.mu.Unlock()
		masto.send(a.base+"/ap/inbox", zelda+"#main-key", []byte(fmt.Sprintf(
			`{"@context":"https://www.w3.org/ns/activitystreams","id":"%[1]s#updates/1","type":"Update","actor":"%[1]s","to":["https://www.w3.org/ns/activitystreams#Public"],"object":{"id":"%[1]s","type":"Person","preferredUsername":"zelda","name":"Zelda Zed"}}`, zelda)))
		if ps, _ := a.forum.Posts(ctx, core.AnonymousSubject, top.ContainerID); len(ps) != 1 || ps[0].Author.Name != "Zelda Zed" {
			t.Fatalf("profile update not taken: %+v", ps)
		}

		// Zelda follows the space: its public polls reach her as Question.
		masto.send(a.base+"/ap/spaces/pub/inbox", zelda+"#main-key", []byte(fmt.Sprintf(
			`{"@context":"https://www.w3.org/ns/activitystreams","id":"%[1]s#follows/1","type":"Follow","actor":"%[1]s","object":"%[2]s/ap/spaces/pub"}`, zelda, a.base)))
		masto.waitFor(`"type":"Accept"`, `follows/1`)
		pl, err := a.polls.Create(ctx, alice, poll.NewPoll{SpaceID: pub.ID, Question: "Lunch <today>?", Options: []string{"pizza", "sushi"},
			Grants: []acl.Grant{{PrincipalKind: acl.PrincipalAnonymous, Level: acl.Read}, {PrincipalKind: acl.PrincipalSpace, PrincipalID: pub.ID, Level: acl.Read}}})
		must(t, err)
		req, body = masto.waitFor(`"type":"Question"`)
		verifyFromPlaza(t, req, body, a.base)
		var q struct {
			Type   string
			Object struct {
				ID, Type, Content string
				OneOf             []struct{ Type, Name string }
			}
		}
		must(t, json.Unmarshal(body, &q))
		if q.Type != "Create" || q.Object.Type != "Question" || q.Object.Content != "<p>Lunch &lt;today&gt;?</p>" ||
			len(q.Object.OneOf) != 2 || q.Object.OneOf[1].Name != "sushi" || q.Object.OneOf[1].Type != "Note" {
			t.Fatalf("Question: %s", body)
		}
		must(t, a.polls.Vote(ctx, alice, pl.ContainerID, []int64{pl.Options[1].ID}))
		qd := get(t, q.Object.ID)
		asVocab(t, qd)
		if qd["votersCount"] != float64(1) {
			t.Fatalf("Question document: %v", qd)
		}
		must(t, a.polls.Close(ctx, alice, pl.ContainerID))
		masto.waitFor(`"type":"Update"`, `"closed":`)

		// alice follows the Lemmy community into the space.
		f, err := a.fed.Follow(ctx, alice, pub.ID, community)
		must(t, err)
		req, body = lemmy.waitFor(`"type":"Follow"`, `"object":"`+community+`"`)
		verifyFromPlaza(t, req, body, a.base)
		var follow map[string]any
		must(t, json.Unmarshal(body, &follow))
		lemmy.send(a.base+"/ap/inbox", community+"#main-key", []byte(fmt.Sprintf(
			`{"@context":["https://join-lemmy.org/context.json","https://www.w3.org/ns/activitystreams"],"actor":%q,"to":[%q],"object":{"actor":%q,"to":[%q],"object":%q,"type":"Follow","id":%q},"type":"Accept","id":%q}`,
			community, follow["actor"], follow["actor"], community, community, follow["id"], lemmy.base+"/activities/accept/1")))
		if ok, _ := a.fed.FollowAccepted(ctx, alice, community); !ok {
			t.Fatal("Lemmy's Accept not taken")
		}
		// Lemmy announces a new post (Page) and a comment (Note).
		page := lemmy.base + "/post/7"
		lemmy.send(a.base+"/ap/inbox", community+"#main-key", []byte(fmt.Sprintf(
			`{"@context":["https://join-lemmy.org/context.json","https://www.w3.org/ns/activitystreams"],"actor":"%[1]s","to":["https://www.w3.org/ns/activitystreams#Public"],"object":{"actor":"%[2]s","to":["%[1]s","https://www.w3.org/ns/activitystreams#Public"],"cc":[],"object":{"type":"Page","id":"%[3]s","attributedTo":"%[2]s","to":["%[1]s","https://www.w3.org/ns/activitystreams#Public"],"name":"Ownership explained","cc":[],"content":"<p>Borrow <em>checker</em></p>","mediaType":"text/html","source":{"content":"Borrow *checker*","mediaType":"text/markdown"},"attachment":[{"href":"https://doc.rust-lang.org/book/ch04-01-what-is-ownership.html","mediaType":"text/html; charset=utf-8","type":"Link"}],"sensitive":false,"published":"2026-01-02T00:00:00Z","language":{"identifier":"en","name":"English"},"audience":"%[1]s"},"cc":["%[1]s"],"type":"Create","id":"%[4]s/activities/create/7","audience":"%[1]s"},"cc":["%[1]s/followers"],"type":"Announce","id":"%[4]s/activities/announce/7"}`,
			community, ferris, page, lemmy.base)))
		ts, err := a.forum.Topics(ctx, alice, f.CategoryID, 0)
		must(t, err)
		if len(ts) != 1 || ts[0].Title != "Ownership explained" || ts[0].Body != `<p>Borrow <em>checker</em></p><p><a href="https://doc.rust-lang.org/book/ch04-01-what-is-ownership.html" rel="nofollow noreferrer">https://doc.rust-lang.org/book/ch04-01-what-is-ownership.html</a></p>` || ts[0].Author.Handle != "ferris@"+strings.TrimPrefix(lemmy.base, "http://") {
			t.Fatalf("Lemmy post on A: %+v", ts)
		}
		lemmy.send(a.base+"/ap/inbox", community+"#main-key", []byte(fmt.Sprintf(
			`{"@context":["https://join-lemmy.org/context.json","https://www.w3.org/ns/activitystreams"],"actor":"%[1]s","to":["https://www.w3.org/ns/activitystreams#Public"],"object":{"actor":"%[2]s","to":["https://www.w3.org/ns/activitystreams#Public"],"object":{"type":"Note","id":"%[4]s/comment/9","attributedTo":"%[2]s","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["%[1]s"],"content":"<p>Great</p>","inReplyTo":"%[3]s","mediaType":"text/html","published":"2026-01-02T01:00:00Z","audience":"%[1]s"},"cc":["%[1]s"],"type":"Create","id":"%[4]s/activities/create/9","audience":"%[1]s"},"cc":["%[1]s/followers"],"type":"Announce","id":"%[4]s/activities/announce/9"}`,
			community, ferris, page, lemmy.base)))
		cps, err := a.forum.Posts(ctx, alice, ts[0].ContainerID)
		must(t, err)
		if len(cps) != 1 || cps[0].Body != "<p>Great</p>" {
			t.Fatalf("Lemmy comment on A: %+v", cps)
		}
		// alice answers in the mirrored thread: Lemmy gets a Create(Note)
		// at the community's inbox, shaped as its own comments.
		_, err = a.forum.Reply(ctx, alice, ts[0].ContainerID, forum.NewPost{Body: "<p>Thanks</p>", InReplyTo: &cps[0].ID})
		must(t, err)
		req, body = lemmy.waitFor(`"type":"Create"`, `Thanks`)
		if req.URL.Path != "/inbox" {
			t.Fatalf("reply sent to %s", req.URL.Path)
		}
		verifyFromPlaza(t, req, body, a.base)
		var cr struct {
			Actor  string `json:"actor"`
			Object struct {
				Type, InReplyTo, Audience, AttributedTo string
				To, Cc                                  []string
			} `json:"object"`
		}
		must(t, json.Unmarshal(body, &cr))
		o := cr.Object
		if o.Type != "Note" || o.InReplyTo != lemmy.base+"/comment/9" || o.Audience != community || o.AttributedTo != cr.Actor ||
			!contains(o.To, public) || !contains(o.Cc, community) {
			t.Fatalf("reply to Lemmy: %s", body)
		}
		// ferris unfollows our group: Undo(Follow).
		lemmy.send(a.base+"/ap/inbox", ferris+"#main-key", []byte(fmt.Sprintf(
			`{"@context":"https://www.w3.org/ns/activitystreams","id":"%[1]s/activities/undo/1","type":"Undo","actor":"%[2]s","object":{"id":"%[1]s/activities/follow/1","type":"Follow","actor":"%[2]s","object":"%[3]s"}}`,
			lemmy.base, ferris, groupID)))
		if st := get(t, groupID+"/followers"); st["totalItems"] != float64(0) {
			t.Fatalf("followers after Undo: %v", st)
		}
		// Zelda's account is deleted: what she wrote goes.
		if ps, _ := a.forum.Posts(ctx, core.AnonymousSubject, top.ContainerID); len(ps) != 1 {
			t.Fatalf("before deletion: %d posts", len(ps))
		}
		masto.send(a.base+"/ap/inbox", zelda+"#main-key", []byte(fmt.Sprintf(
			`{"@context":"https://www.w3.org/ns/activitystreams","id":"%[1]s#delete","type":"Delete","actor":"%[1]s","to":["https://www.w3.org/ns/activitystreams#Public"],"object":"%[1]s"}`, zelda)))
		if ps, _ := a.forum.Posts(ctx, core.AnonymousSubject, top.ContainerID); len(ps) != 0 {
			t.Fatalf("posts of a deleted account remain: %+v", ps)
		}
		if ts, _ := a.forum.Topics(ctx, core.AnonymousSubject, general.ContainerID, 0); len(ts) != 1 {
			t.Fatalf("topics of a deleted account remain: %d", len(ts))
		}
		// A Delete from someone who is not the author changes nothing.
		masto.send(a.base+"/ap/inbox", zelda+"#main-key", []byte(fmt.Sprintf(
			`{"@context":"https://www.w3.org/ns/activitystreams","id":"%[1]s#delete-comment","type":"Delete","actor":"%[1]s","object":{"id":"%[2]s/comment/9","type":"Tombstone"}}`,
			zelda, lemmy.base)))
		if cps, _ := a.forum.Posts(ctx, alice, ts[0].ContainerID); len(cps) != 2 {
			t.Fatalf("a stranger's Delete removed a post: %d left", len(cps))
		}
	})
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// verifyFromPlaza checks a request plaza sent as a receiving server
// would: the Digest, and the signature with the key fetched from the
// signer's actor document.
func verifyFromPlaza(t *testing.T, r *http.Request, body []byte, base string) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/ld+json") && ct != "application/activity+json" {
		t.Fatalf("Content-Type %q", ct)
	}
	r.Header.Set("Host", r.Host)
	v, err := httpsig.NewVerifier(r)
	must(t, err)
	if !strings.HasPrefix(v.KeyId(), base+"/ap/") {
		t.Fatalf("keyId %s", v.KeyId())
	}
	actor := get(t, strings.TrimSuffix(v.KeyId(), "#main-key"))
	pk := actor["publicKey"].(map[string]any)
	blk, _ := pem.Decode([]byte(pk["publicKeyPem"].(string)))
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	must(t, err)
	if err := v.Verify(pub, httpsig.RSA_SHA256); err != nil {
		t.Fatalf("signature of %s does not verify: %v", r.URL.Path, err)
	}
	if !strings.Contains(r.Header.Get("Signature"), `headers="(request-target) host date digest"`) {
		t.Fatalf("signed headers: %s", r.Header.Get("Signature"))
	}
	var act map[string]any
	must(t, json.Unmarshal(body, &act))
	if act["actor"] != actor["id"] {
		t.Fatalf("actor %v signed by %v", act["actor"], actor["id"])
	}
}
