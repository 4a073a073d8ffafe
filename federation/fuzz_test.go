package federation

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func FuzzParseSignature(f *testing.F) {
	f.Add(`keyId="https://a.example/users/x#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="aGVsbG8="`)
	f.Add(`keyId="k",algorithm="hs2019",created=1700000000,expires=1700000300,headers="(request-target) (created) host",signature="AAAA"`)
	f.Add(`keyId="k", signature="AAAA"`)
	f.Add(`keyId="k",keyId="j",signature="AAAA"`)
	f.Add(`keyId="unterminated`)
	f.Add(`=,=,`)
	f.Fuzz(func(t *testing.T, h string) {
		p, err := parseSignature(h)
		if err == nil && (p.KeyID == "" || p.Signature == "" || len(p.Headers) == 0) {
			t.Fatalf("accepted %q without keyId, signature or headers: %+v", h, p)
		}
		// checkSigned never panics on any header either.
		r, _ := http.NewRequest(http.MethodPost, "http://a.example/inbox", strings.NewReader("{}"))
		r.Header.Set("Signature", h)
		r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		r.Header.Set("Digest", h)
		checkSigned(r, []byte("{}"), time.Now()) //nolint:errcheck
	})
}

func FuzzParseObject(f *testing.F) {
	f.Add([]byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1","type":"Create","actor":"https://a.example/u","object":{"id":"https://a.example/n","type":"Note","attributedTo":"https://a.example/u","content":"<p>x</p>","inReplyTo":"https://b.example/t/1","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":[{"id":"https://b.example/g"}]}}`))
	f.Add([]byte(`{"id":"https://a.example/2","type":["Page","Other"],"name":null,"contentMap":{"en":"hi"},"audience":"https://b.example/g"}`))
	f.Add([]byte(`{"id":"https://a.example/3","type":"Announce","actor":{"id":"https://a.example/g"},"object":"https://a.example/4"}`))
	f.Add([]byte(`{"id":"ftp://x","type":"Note"}`))
	f.Add([]byte(`{"id":"https://l.example/post/1","type":"Page","name":"A link","attachment":[{"type":"Link","href":"https://example.org/a?b=<c>"},{"type":"Image","url":{"href":"https://i.example/x.png"}}]}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"id":"https://a.example/5","type":"Note","to":[[[[[]]]]],"object":{"id":5}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := parseObject(b)
		if err != nil {
			return
		}
		if checkID(o.ID) != nil || len(o.Type) == 0 {
			t.Fatalf("accepted an object without a valid id and type: %s", b)
		}
		o.actorID()
		o.author()
		o.audiences()
		o.text()
		o.title()
		o.body()
		o.times()
		refID(o.InReplyTo)
		if in, ok := o.embedded(); ok && checkID(in.ID) != nil {
			t.Fatalf("embedded object without a valid id: %s", b)
		}
	})
}

func FuzzParseActor(f *testing.F) {
	f.Add([]byte(`{"id":"https://a.example/u","type":"Person","preferredUsername":"u","inbox":"https://a.example/u/inbox","publicKey":{"id":"https://a.example/u#main-key","owner":"https://a.example/u","publicKeyPem":"-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAK\n-----END PUBLIC KEY-----"}}`), "https://a.example/u")
	f.Add([]byte(`{"id":"https://a.example/u","type":"Group","publicKey":[{"id":"x"}],"endpoints":{"sharedInbox":"javascript:x"}}`), "https://a.example/u")
	f.Fuzz(func(t *testing.T, b []byte, uri string) {
		a, err := parseActor(b, uri)
		if err == nil && (a.URI != uri || a.Inbox == "" || a.PublicKeyPEM == "" || a.Username == "" || strings.ContainsRune(a.Username+a.Name, 0)) {
			t.Fatalf("accepted an incomplete actor: %+v", a)
		}
	})
}
