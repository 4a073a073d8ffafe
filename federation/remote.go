package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// actorTTL is how long a fetched actor (and its key) is trusted before it
// is fetched again; a failed signature refetches it at once.
const actorTTL = 24 * time.Hour

// remoteActor is a cached actor of another server.
type remoteActor struct {
	bun.BaseModel `bun:"table:ap_actors,alias:ra"`

	ID           int64 `bun:",pk,autoincrement"`
	URI          string
	Type         string
	Username     string
	Host         string
	Name         string
	Inbox        string
	SharedInbox  string
	Followers    string
	KeyID        string
	PublicKeyPEM string `bun:"public_key_pem"`
	FetchedAt    time.Time
}

// deliveryInbox is where to deliver to this actor: its server's shared
// inbox when it offers one.
func (a *remoteActor) deliveryInbox() string {
	if a.SharedInbox != "" {
		return a.SharedInbox
	}
	return a.Inbox
}

// fetchDoc GETs an ActivityPub document, signed by the instance actor (for
// servers in authorized-fetch mode), and checks that its id is on the
// URL's origin. A 404 or 410 comes back as a *statusError.
func (s *Server) fetchDoc(ctx context.Context, raw string) ([]byte, *object, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: bad URL %q", core.ErrInvalid, raw)
	}
	u.Fragment = ""
	if err := checkURL(u, s.insecure); err != nil {
		return nil, nil, err
	}
	if s.local(u.String()) {
		return nil, nil, fmt.Errorf("%w: %s is local", core.ErrInvalid, raw)
	}
	if !s.limits.allow(strings.ToLower(u.Host), s.now()) {
		return nil, nil, &statusError{Code: http.StatusTooManyRequests}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", acceptAP)
	req.Header.Set("User-Agent", s.userAgent())
	key, _, err := s.ensureKey(ctx, s.db, "instance")
	if err != nil {
		return nil, nil, err
	}
	if err := signRequest(req, s.instanceURL()+"#main-key", key, nil, s.now()); err != nil {
		return nil, nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, &statusError{Code: resp.StatusCode}
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/activity+json" && mt != "application/ld+json" && mt != "application/json" {
		return nil, nil, fmt.Errorf("%w: %s answered %q, not ActivityPub JSON", core.ErrInvalid, raw, mt)
	}
	b, err := readLimited(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	o, err := parseObject(b)
	if err != nil {
		return nil, nil, err
	}
	// The document must come from its own origin (after any redirect).
	if originOf(o.ID) != originOf(resp.Request.URL.String()) {
		return nil, nil, fmt.Errorf("%w: %s served a document of another origin (%s)", core.ErrInvalid, raw, o.ID)
	}
	return b, o, nil
}

// actorJSON holds the fields of an actor plaza reads.
type actorJSON struct {
	ID                string          `json:"id"`
	Type              typeList        `json:"type"`
	PreferredUsername string          `json:"preferredUsername"`
	Name              *string         `json:"name"`
	Inbox             string          `json:"inbox"`
	Followers         json.RawMessage `json:"followers"`
	Endpoints         struct {
		SharedInbox string `json:"sharedInbox"`
	} `json:"endpoints"`
	PublicKey json.RawMessage `json:"publicKey"`
}

type keyJSON struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

// keysOf reads publicKey: one key or an array of them.
func keysOf(raw json.RawMessage) []keyJSON {
	var keys []keyJSON
	if raw = bytes.TrimSpace(raw); len(raw) > 0 && raw[0] == '[' {
		json.Unmarshal(raw, &keys) //nolint:errcheck // none then
		return keys
	}
	var k keyJSON
	if json.Unmarshal(raw, &k) == nil {
		keys = append(keys, k)
	}
	return keys
}

var actorTypes = []string{"Person", "Group", "Organization", "Service", "Application"}

// parseActor validates an actor document fetched from uri.
func parseActor(b []byte, uri string) (*remoteActor, error) {
	var a actorJSON
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("%w: actor is not valid JSON", core.ErrInvalid)
	}
	if a.ID != uri {
		return nil, fmt.Errorf("%w: actor %s has id %s", core.ErrInvalid, uri, a.ID)
	}
	typ := a.Type.first(actorTypes...)
	if typ == "" {
		return nil, fmt.Errorf("%w: %s is not an actor", core.ErrInvalid, uri)
	}
	if a.PreferredUsername == "" || len(a.PreferredUsername) > 255 || strings.ContainsFunc(a.PreferredUsername, func(r rune) bool {
		return r < 0x20 || r == 0x7f || r == '@' || r == '/'
	}) {
		return nil, fmt.Errorf("%w: actor %s has no usable preferredUsername", core.ErrInvalid, uri)
	}
	keys := keysOf(a.PublicKey)
	var key *keyJSON
	for i := range keys {
		if (keys[i].Owner == a.ID || keys[i].Owner == "") && originOf(keys[i].ID) == originOf(a.ID) && keys[i].PublicKeyPem != "" {
			key = &keys[i]
			break
		}
	}
	if key == nil {
		return nil, fmt.Errorf("%w: actor %s has no public key it owns", core.ErrInvalid, uri)
	}
	if _, err := parsePublic(key.PublicKeyPem); err != nil {
		return nil, fmt.Errorf("%w: actor %s: %v", core.ErrInvalid, uri, err)
	}
	for _, in := range []string{a.Inbox, a.Endpoints.SharedInbox} {
		if in == "" && in == a.Inbox {
			return nil, fmt.Errorf("%w: actor %s has no inbox", core.ErrInvalid, uri)
		}
		if u, err := url.Parse(in); in != "" && (err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http")) {
			return nil, fmt.Errorf("%w: actor %s has a bad inbox", core.ErrInvalid, uri)
		}
	}
	u, _ := url.Parse(a.ID)
	name := a.PreferredUsername
	if a.Name != nil && *a.Name != "" {
		name = plainText(*a.Name)
	}
	followers := ""
	json.Unmarshal(a.Followers, &followers) //nolint:errcheck // optional
	return &remoteActor{URI: a.ID, Type: typ, Username: a.PreferredUsername, Host: strings.ToLower(u.Host), Name: limitRunes(name, 200),
		Inbox: a.Inbox, SharedInbox: a.Endpoints.SharedInbox, Followers: followers, KeyID: key.ID, PublicKeyPEM: key.PublicKeyPem}, nil
}

// remoteActor returns the cached actor uri, fetching it when unknown,
// stale or refresh is set.
func (s *Server) remoteActor(ctx context.Context, uri string, refresh bool) (*remoteActor, error) {
	if s.local(uri) {
		return nil, fmt.Errorf("%w: %s is a local actor", core.ErrInvalid, uri)
	}
	var a remoteActor
	err := s.db.NewSelect().Model(&a).Where("uri = ?", uri).Scan(ctx)
	if err == nil && !refresh && s.now().Sub(a.FetchedAt) < actorTTL {
		return &a, nil
	}
	if err != nil && !errors.Is(store.Translate(err), core.ErrNotFound) {
		return nil, store.Translate(err)
	}
	b, _, err := s.fetchDoc(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("fetch actor %s: %w", uri, err)
	}
	fresh, err := parseActor(b, uri)
	if err != nil {
		return nil, err
	}
	fresh.FetchedAt = s.now().UTC()
	_, err = s.db.NewInsert().Model(fresh).
		On("CONFLICT (uri) DO UPDATE").
		Set("type = EXCLUDED.type, username = EXCLUDED.username, host = EXCLUDED.host, name = EXCLUDED.name").
		Set("inbox = EXCLUDED.inbox, shared_inbox = EXCLUDED.shared_inbox, followers = EXCLUDED.followers").
		Set("key_id = EXCLUDED.key_id, public_key_pem = EXCLUDED.public_key_pem, fetched_at = EXCLUDED.fetched_at").
		Exec(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	if err := s.db.NewSelect().Model(fresh).Where("uri = ?", uri).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	return fresh, nil
}

// actorForKey returns the actor owning keyID (keyId of a signature).
func (s *Server) actorForKey(ctx context.Context, keyID string, refresh bool) (*remoteActor, error) {
	if !refresh {
		var a remoteActor
		err := s.db.NewSelect().Model(&a).Where("key_id = ?", keyID).Limit(1).Scan(ctx)
		if err == nil && s.now().Sub(a.FetchedAt) < actorTTL {
			return &a, nil
		}
	}
	u, err := url.Parse(keyID)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: bad keyId", core.ErrInvalid)
	}
	u.Fragment = ""
	owner := u.String()
	if !strings.Contains(keyID, "#") {
		// A key with its own document names its owner. GoToSocial answers
		// …/main-key with a stub of the actor (id = the actor, a publicKey
		// with owner, no inbox); others serve a Key {id, owner, publicKeyPem}.
		b, o, err := s.fetchDoc(ctx, owner)
		if err != nil {
			return nil, err
		}
		owner = keyOwner(b, o, keyID)
		if owner == "" || originOf(owner) != originOf(keyID) {
			return nil, fmt.Errorf("%w: key document %s names no owner on its origin", core.ErrInvalid, keyID)
		}
	}
	a, err := s.remoteActor(ctx, owner, refresh)
	if err != nil {
		return nil, err
	}
	if a.KeyID != keyID {
		return nil, fmt.Errorf("%w: key %s is not the key of %s", core.ErrInvalid, keyID, a.URI)
	}
	return a, nil
}

// keyOwner reads the owner of keyID from the document served at its URL:
// a Key (top-level owner), or an actor or actor stub carrying the key in
// publicKey (its owner, else the document's id).
func keyOwner(b []byte, o *object, keyID string) string {
	if o.Owner != "" {
		return o.Owner
	}
	var doc struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if json.Unmarshal(b, &doc) != nil {
		return ""
	}
	for _, k := range keysOf(doc.PublicKey) {
		if k.ID != keyID {
			continue
		}
		if k.Owner != "" {
			return k.Owner
		}
		return o.ID
	}
	if o.ID != keyID && o.Type.first(actorTypes...) != "" {
		return o.ID // an actor served at its key's URL
	}
	return ""
}

// resolveHandle finds the actor id of name@host by WebFinger (or takes an
// actor URL as is).
func (s *Server) resolveHandle(ctx context.Context, handle string) (string, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(handle), "acct:"), "@")
	if strings.HasPrefix(h, "https://") || strings.HasPrefix(h, "http://") {
		return h, nil
	}
	name, host, ok := strings.Cut(h, "@")
	if !ok || name == "" || host == "" || strings.ContainsAny(host, "/?#@ ") {
		return "", fmt.Errorf("%w: a handle is name@host", core.ErrInvalid)
	}
	schemes := []string{"https"}
	if s.insecure {
		schemes = append(schemes, "http")
	}
	var last error
	for _, scheme := range schemes {
		u := &url.URL{Scheme: scheme, Host: host, Path: "/.well-known/webfinger",
			RawQuery: url.Values{"resource": {"acct:" + name + "@" + host}}.Encode()}
		id, err := s.webfinger(ctx, u)
		if err == nil {
			return id, nil
		}
		last = err
	}
	return "", fmt.Errorf("webfinger %s: %w", h, last)
}

func (s *Server) webfinger(ctx context.Context, u *url.URL) (string, error) {
	if err := checkURL(u, s.insecure); err != nil {
		return "", err
	}
	if !s.limits.allow(strings.ToLower(u.Host), s.now()) {
		return "", &statusError{Code: http.StatusTooManyRequests}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/jrd+json, application/json")
	req.Header.Set("User-Agent", s.userAgent())
	resp, err := s.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", &statusError{Code: resp.StatusCode}
	}
	b, err := readLimited(resp.Body)
	if err != nil {
		return "", err
	}
	var jrd struct {
		Links []struct {
			Rel  string `json:"rel"`
			Type string `json:"type"`
			Href string `json:"href"`
		} `json:"links"`
	}
	if err := json.Unmarshal(b, &jrd); err != nil {
		return "", fmt.Errorf("%w: WebFinger answer is not JSON", core.ErrInvalid)
	}
	for _, l := range jrd.Links {
		mt, _, _ := mime.ParseMediaType(l.Type)
		if l.Rel == "self" && (mt == "application/activity+json" || mt == "application/ld+json") && l.Href != "" {
			return l.Href, nil
		}
	}
	return "", fmt.Errorf("%w: no ActivityPub link in WebFinger answer", core.ErrNotFound)
}
