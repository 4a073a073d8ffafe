package webui

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"plaza/core/settings"
)

// JitsiOptions configure video calls.
type JitsiOptions struct {
	URL string // base URL of the Jitsi Meet server
	// With Secret set, links carry a JWT signed with it (HS256), as a
	// self-hosted Jitsi with token authentication expects; AppID is its
	// issuer ("app_id" in Prosody's configuration).
	Secret string
	AppID  string
}

// jitsi makes meeting links. Room names are an HMAC of what the room is
// for (a space, an event, a conversation) under a secret kept in the
// database: stable for everyone, across processes and restarts, and
// unguessable from outside.
type jitsi struct {
	JitsiOptions
	settings *settings.Store
	now      func() time.Time
}

func newJitsi(o JitsiOptions, st *settings.Store) *jitsi {
	if o.AppID == "" {
		o.AppID = "plaza"
	}
	return &jitsi{JitsiOptions: o, settings: st, now: time.Now}
}

// Room returns the room name of a thing: kind is "space", "event" or
// "conversation".
func (j *jitsi) Room(ctx context.Context, kind string, id int64) (string, error) {
	key, err := j.settings.Secret(ctx, "jitsi-rooms")
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, []byte(key))
	fmt.Fprintf(m, "%s:%d", kind, id)
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(m.Sum(nil))
	return "plaza-" + strings.ToLower(enc[:24]), nil
}

// Link returns the URL that opens room for a person (name shown in the
// call) or, with guest, for someone without an account.
func (j *jitsi) Link(room, name, email string, guest bool) string {
	u := strings.TrimRight(j.URL, "/") + "/" + url.PathEscape(room)
	if j.Secret != "" {
		ttl := 12 * time.Hour
		if guest {
			ttl = 7 * 24 * time.Hour
		}
		u += "?jwt=" + j.token(room, name, email, guest, ttl)
	}
	if name != "" {
		u += "#userInfo.displayName=" + url.QueryEscape(`"`+name+`"`)
	}
	return u
}

// token signs the claims a Jitsi with token authentication reads.
func (j *jitsi) token(room, name, email string, guest bool, ttl time.Duration) string {
	now := j.now()
	host := j.URL
	if u, err := url.Parse(j.URL); err == nil {
		host = u.Hostname()
	}
	claims := map[string]any{
		"aud":  "jitsi",
		"iss":  j.AppID,
		"sub":  host,
		"room": room,
		"iat":  now.Unix(),
		"nbf":  now.Add(-time.Minute).Unix(),
		"exp":  now.Add(ttl).Unix(),
		"context": map[string]any{
			"user": map[string]any{"name": name, "email": email, "moderator": !guest},
		},
	}
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	m := hmac.New(sha256.New, []byte(j.Secret))
	m.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(m.Sum(nil))
}
