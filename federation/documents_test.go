package federation_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/coretest"
	"plaza/core/forum"
	"plaza/core/news"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/federation"
)

const public = "https://www.w3.org/ns/activitystreams#Public"

// get fetches an ActivityPub document as Mastodon does and checks the
// content type and that its id is the URL fetched.
func get(t *testing.T, u string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "application/activity+json, application/ld+json")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/activity+json" {
		t.Fatalf("GET %s: Content-Type %q", u, ct)
	}
	var doc map[string]any
	must(t, json.Unmarshal(b, &doc))
	if doc["id"] != u {
		t.Fatalf("GET %s: id %v", u, doc["id"])
	}
	return doc
}

func status(t *testing.T, method, u, accept string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type") + " " + string(b)
}

func strs(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func hasContext(doc map[string]any, want ...string) bool {
	ctx := doc["@context"]
	var names []string
	switch x := ctx.(type) {
	case string:
		names = append(names, x)
	case []any:
		names = strs(x)
	}
	for _, w := range want {
		if !slices.Contains(names, w) {
			return false
		}
	}
	return true
}

// TestDocuments checks the actor, topic, reply and article documents for
// what Mastodon and Lemmy require (see README.md), and discovery.
func TestDocuments(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newInstance(t, db, "", instOpts{})
		alice := a.user("alice")
		bob := a.user("bob")
		pub := a.space("pub", true, alice)
		must(t, a.spaces.SetMember(ctx, pub.ID, bob.AccountID, "member"))
		general := a.publicCategory(alice, pub, "general")
		private, err := a.forum.CreateCategory(ctx, alice, forum.NewCategory{SpaceID: pub.ID, Slug: "staff", Name: "Staff", Handle: "staff"})
		must(t, err)
		top, err := a.forum.CreateTopic(ctx, alice, general.ContainerID, forum.NewTopic{Title: "A thread", Body: "<p>Opening</p>"})
		must(t, err)
		reply, err := a.forum.Reply(ctx, bob, top.ContainerID, forum.NewPost{Body: "<p>An answer</p>"})
		must(t, err)
		secret, err := a.forum.CreateTopic(ctx, alice, private.ContainerID, forum.NewTopic{Title: "Secret", Body: "x"})
		must(t, err)
		secretReply, err := a.forum.Reply(ctx, alice, secret.ContainerID, forum.NewPost{Body: "y"})
		must(t, err)
		att, err := a.forum.Attach(ctx, alice, top.ContainerID, nil, "plan.txt", "text/plain", strings.NewReader("the plan"))
		must(t, err)
		secretAtt, err := a.forum.Attach(ctx, alice, secret.ContainerID, nil, "s.txt", "text/plain", strings.NewReader("secret"))
		must(t, err)
		art, err := a.news.Create(ctx, alice, news.NewArticle{SpaceID: pub.ID, Title: "News", Body: "<p>n</p>",
			Grants: []acl.Grant{{PrincipalKind: acl.PrincipalAnonymous, Level: acl.Read}}})
		must(t, err)

		// WebFinger, as Mastodon resolves @general@host.
		code, body := status(t, "GET", a.base+"/.well-known/webfinger?resource=acct:general@"+a.host, "")
		if code != 200 || !strings.HasPrefix(body, "application/jrd+json") ||
			!strings.Contains(body, `{"href":"`+a.base+`/ap/groups/general","rel":"self","type":"application/activity+json"}`) ||
			!strings.Contains(body, `"subject":"acct:general@`+a.host+`"`) {
			t.Fatalf("webfinger: %d %s", code, body)
		}
		for _, res := range []string{"acct:staff@" + a.host, "acct:general@elsewhere.example", "acct:nobody@" + a.host} {
			if code, _ := status(t, "GET", a.base+"/.well-known/webfinger?resource="+url.QueryEscape(res), ""); code != 404 {
				t.Fatalf("webfinger %s: %d", res, code)
			}
		}
		if code, _ := status(t, "GET", a.base+"/.well-known/webfinger", ""); code != 400 {
			t.Fatalf("webfinger without resource: %d", code)
		}
		// NodeInfo 2.1.
		code, body = status(t, "GET", a.base+"/.well-known/nodeinfo", "")
		if code != 200 || !strings.Contains(body, `"http://nodeinfo.diaspora.software/ns/schema/2.1"`) {
			t.Fatalf("nodeinfo links: %d %s", code, body)
		}
		code, body = status(t, "GET", a.base+"/nodeinfo/2.1", "")
		if code != 200 || !strings.Contains(body, `"version":"2.1"`) || !strings.Contains(body, `"protocols":["activitypub"]`) {
			t.Fatalf("nodeinfo: %d %s", code, body)
		}

		// The Group (FEP-1b12, Lemmy's community).
		groupID := a.base + "/ap/groups/general"
		g := get(t, groupID)
		if g["type"] != "Group" || g["preferredUsername"] != "general" || g["name"] != "General talk" ||
			!hasContext(g, "https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1") {
			t.Fatalf("group: %v", g)
		}
		vocabGroup(t, g)
		pk, _ := g["publicKey"].(map[string]any)
		if pk["id"] != groupID+"#main-key" || pk["owner"] != groupID || !strings.HasPrefix(pk["publicKeyPem"].(string), "-----BEGIN PUBLIC KEY-----") {
			t.Fatalf("publicKey: %v", pk)
		}
		if ep, _ := g["endpoints"].(map[string]any); ep["sharedInbox"] != a.base+"/ap/inbox" {
			t.Fatalf("endpoints: %v", g["endpoints"])
		}
		if g["manuallyApprovesFollowers"] != false || g["inbox"] != groupID+"/inbox" || g["postingRestrictedToMods"] != false {
			t.Fatalf("group: %v", g)
		}
		for _, k := range []string{"outbox", "followers"} {
			c := get(t, g[k].(string))
			if c["type"] != "OrderedCollection" {
				t.Fatalf("%s: %v", k, c)
			}
		}
		if mods := get(t, g["attributedTo"].(string)); !slices.Equal(strs(mods["orderedItems"]), []string{a.base + "/ap/users/alice"}) {
			t.Fatalf("moderators: %v", mods)
		}
		if ob := get(t, groupID+"/outbox"); ob["totalItems"] != float64(1) {
			t.Fatalf("outbox of the group: %v", ob)
		}
		// ld+json form on request.
		if code, body := status(t, "GET", groupID, `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`); code != 200 ||
			!strings.HasPrefix(body, `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`) {
			t.Fatalf("ld+json: %d %s", code, body)
		}

		// The topic as a Page (Lemmy's post).
		topicID := a.base + "/ap/topics/" + itoa(top.ContainerID)
		p := get(t, topicID)
		if p["type"] != "Page" || p["name"] != "A thread" || p["content"] != "<p>Opening</p>" || p["mediaType"] != "text/html" ||
			p["audience"] != groupID || !slices.Contains(strs(p["to"]), groupID) || !slices.Contains(strs(p["to"]), public) ||
			!hasContext(p, "https://www.w3.org/ns/activitystreams") {
			t.Fatalf("page: %v", p)
		}
		if _, err := time.Parse(time.RFC3339, p["published"].(string)); err != nil {
			t.Fatalf("published: %v", p["published"])
		}
		vocabPage(t, p, groupID)
		atts, _ := p["attachment"].([]any)
		if len(atts) != 1 {
			t.Fatalf("attachments: %v", p["attachment"])
		}
		if d := atts[0].(map[string]any); d["type"] != "Document" || d["name"] != "plan.txt" || d["mediaType"] != "text/plain" ||
			d["url"] != a.base+"/ap/attachments/"+itoa(att.ID) {
			t.Fatalf("attachment: %v", d)
		}
		if code, body := status(t, "GET", a.base+"/ap/attachments/"+itoa(att.ID), ""); code != 200 || body != "text/plain the plan" {
			t.Fatalf("attachment content: %d %q", code, body)
		}
		if code, _ := status(t, "GET", a.base+"/ap/attachments/"+itoa(secretAtt.ID), ""); code != 404 {
			t.Fatalf("private attachment: %d", code)
		}
		person := get(t, p["attributedTo"].(string))
		asVocab(t, person)
		if person["type"] != "Person" || person["preferredUsername"] != "alice" || person["publicKey"] == nil {
			t.Fatalf("author: %v", person)
		}
		thread := get(t, p["context"].(string))
		if thread["totalItems"] != float64(2) {
			t.Fatalf("context: %v", thread)
		}

		// The reply as a Note with inReplyTo (Lemmy's comment).
		n := get(t, a.base+"/ap/posts/"+itoa(reply.ID))
		if n["type"] != "Note" || n["inReplyTo"] != topicID || n["audience"] != groupID || n["content"] != "<p>An answer</p>" ||
			!slices.Contains(strs(n["to"]), public) || !slices.Contains(strs(n["cc"]), groupID) || n["context"] != p["context"] {
			t.Fatalf("note: %v", n)
		}
		vocabNote(t, n, topicID, groupID)
		if get(t, n["attributedTo"].(string))["preferredUsername"] != "bob" {
			t.Fatal("reply author")
		}

		// The space's news as an Article.
		sp := get(t, a.base+"/ap/spaces/pub")
		if sp["type"] != "Organization" || sp["publicKey"] == nil {
			t.Fatalf("space actor: %v", sp)
		}
		ar := get(t, a.base+"/ap/articles/"+itoa(art.ContainerID))
		asVocab(t, sp)
		asVocab(t, ar)
		if ar["type"] != "Article" || ar["attributedTo"] != a.base+"/ap/spaces/pub" || ar["name"] != "News" {
			t.Fatalf("article: %v", ar)
		}

		// What anonymous visitors may not read is not federated; bad ids are 404.
		for _, u := range []string{
			a.base + "/ap/groups/staff",
			a.base + "/ap/topics/" + itoa(secret.ContainerID),
			a.base + "/ap/posts/" + itoa(secretReply.ID),
			a.base + "/ap/topics/abc", a.base + "/ap/topics/-1", a.base + "/ap/topics/99999999999999999999",
			a.base + "/ap/users/nobody",
			a.base + "/ap/users/alice/../../etc",
		} {
			if code, body := status(t, "GET", u, "application/activity+json"); code != 404 {
				t.Fatalf("GET %s: %d %s", u, code, body)
			}
		}
	})
}

// TestOutgoingGuard: without insecure mode, federation refuses to fetch
// loopback addresses and plain http, whatever the handle says.
func TestOutgoingGuard(t *testing.T) {
	t.Parallel()
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var hits atomic.Int32
		peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
		defer peer.Close()
		tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
		defer tls.Close()
		fs, ns := forum.New(db, forum.Options{}), news.New(db, news.Options{})
		fed, err := federation.New(federation.Options{DB: db, Accounts: account.New(db, nil), Spaces: space.New(db, nil), BaseURL: "https://plaza.example", Forum: fs, News: ns, KeyBits: 1024})
		must(t, err)
		admin := newInstance(t, db, "http://127.0.0.1:1", instOpts{noQueue: true, noServe: true})
		owner := admin.user("bob")
		team := admin.space("team", false, owner)
		for _, h := range []string{
			"general@" + strings.TrimPrefix(peer.URL, "http://"),
			strings.Replace(tls.URL, "https://", "someone@", 1),
			peer.URL + "/ap/groups/general",
			tls.URL + "/ap/groups/general",
			"general@localhost:" + peer.URL[strings.LastIndex(peer.URL, ":")+1:],
		} {
			if _, err := fed.Follow(ctx, owner, team.ID, h); err == nil {
				t.Fatalf("follow %s: no error", h)
			}
		}
		if hits.Load() != 0 {
			t.Fatalf("%d requests reached loopback peers", hits.Load())
		}
	})
}
