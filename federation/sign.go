package federation

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Signature time window, as Mastodon: a Date at most an hour in the
// future, and at most 5 minutes (validity) plus an hour (clock skew) old.
const (
	clockSkew = time.Hour
	validity  = 5 * time.Minute
)

// signRequest signs r (draft-cavage HTTP Signatures, rsa-sha256) with the
// key keyID: (request-target) host date, and digest for a body, which
// gets a Digest: SHA-256=… header.
func signRequest(r *http.Request, keyID string, key *rsa.PrivateKey, body []byte, now time.Time) error {
	r.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	r.Header.Set("Host", r.URL.Host)
	headers := []string{httpsig.RequestTarget, "host", "date"}
	if body != nil {
		headers = append(headers, "digest")
	}
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return err
	}
	return signer.SignRequest(key, keyID, r, body)
}

// sigParams is a parsed Signature header.
type sigParams struct {
	KeyID     string
	Algorithm string
	Headers   []string
	Signature string
}

// parseSignature reads a draft-cavage Signature header:
// keyId="…",algorithm="…",headers="…",signature="…" (comma separated
// name="value" pairs, values quoted, no escapes).
func parseSignature(h string) (sigParams, error) {
	var p sigParams
	if h == "" {
		return p, errors.New("no Signature header")
	}
	if len(h) > 8192 {
		return p, errors.New("Signature header too long")
	}
	seen := map[string]bool{}
	rest := strings.TrimSpace(h)
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return p, errors.New("malformed Signature header")
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimSpace(rest[eq+1:])
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return p, errors.New("unterminated value in Signature header")
			}
			val, rest = rest[1:1+end], rest[2+end:]
		} else {
			// created and expires are unquoted numbers.
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			val, rest = strings.TrimSpace(rest[:end]), rest[end:]
		}
		rest = strings.TrimSpace(rest)
		if rest != "" {
			if rest[0] != ',' {
				return p, errors.New("malformed Signature header")
			}
			rest = strings.TrimSpace(rest[1:])
		}
		if seen[name] {
			return p, fmt.Errorf("repeated %s in Signature header", name)
		}
		seen[name] = true
		switch name {
		case "keyid":
			p.KeyID = val
		case "algorithm":
			p.Algorithm = strings.ToLower(val)
		case "headers":
			p.Headers = strings.Fields(strings.ToLower(val))
		case "signature":
			p.Signature = val
		}
	}
	if p.KeyID == "" || p.Signature == "" {
		return p, errors.New("Signature header without keyId or signature")
	}
	if len(p.Headers) == 0 {
		p.Headers = []string{"date"} // the draft's default
	}
	if _, err := base64.StdEncoding.DecodeString(p.Signature); err != nil {
		return p, errors.New("signature is not base64")
	}
	switch p.Algorithm {
	case "", "rsa-sha256", "hs2019":
	default:
		return p, fmt.Errorf("unsupported signature algorithm %q", p.Algorithm)
	}
	return p, nil
}

// checkSigned verifies everything of a signed POST but the signature
// itself: the signed headers, the Date window and the Digest of body.
func checkSigned(r *http.Request, body []byte, now time.Time) (sigParams, error) {
	p, err := parseSignature(r.Header.Get("Signature"))
	if err != nil {
		return p, err
	}
	need := []string{"(request-target)", "host", "date"}
	if r.Method == http.MethodPost {
		need = append(need, "digest")
	}
	for _, h := range need {
		if !slices.Contains(p.Headers, h) {
			return p, fmt.Errorf("signature does not cover %s", h)
		}
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		return p, errors.New("missing or malformed Date")
	}
	if date.After(now.Add(clockSkew)) {
		return p, errors.New("Date is in the future")
	}
	if now.After(date.Add(validity + clockSkew)) {
		return p, errors.New("Date is too old")
	}
	if r.Method == http.MethodPost {
		if err := checkDigest(r.Header.Values("Digest"), body); err != nil {
			return p, err
		}
	}
	return p, nil
}

// checkDigest checks a Digest header (RFC 3230) holding SHA-256=… .
func checkDigest(values []string, body []byte) error {
	sum := sha256.Sum256(body)
	found := false
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			algo, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || !strings.EqualFold(algo, "SHA-256") {
				continue
			}
			found = true
			got, err := base64.StdEncoding.DecodeString(val)
			if err != nil || subtle.ConstantTimeCompare(got, sum[:]) != 1 {
				return errors.New("Digest does not match the body")
			}
		}
	}
	if !found {
		return errors.New("no SHA-256 Digest")
	}
	return nil
}

// verifySignature checks the signature of r with pub. The Host header is
// put back in r.Header, where httpsig reads it.
func verifySignature(r *http.Request, pub *rsa.PublicKey) error {
	if r.Header.Get("Host") == "" {
		r.Header.Set("Host", r.Host)
	}
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return err
	}
	return v.Verify(pub, httpsig.RSA_SHA256)
}
