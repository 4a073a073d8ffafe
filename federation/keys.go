package federation

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// keyRow is the key pair of one local actor ("instance", "user:ID",
// "group:ID", "space:ID").
type keyRow struct {
	bun.BaseModel `bun:"table:ap_keys"`

	Actor      string `bun:",pk"`
	PrivatePEM string
	PublicPEM  string
	CreatedAt  time.Time
}

// keyring caches parsed private keys; the database holds them.
type keyring struct {
	mu     sync.Mutex
	keys   map[string]*rsa.PrivateKey
	public map[string]string
}

// ensureKey returns the key of a local actor, creating it (RSA 2048, as
// Mastodon) the first time, in db (a transaction or the database).
func (s *Server) ensureKey(ctx context.Context, db bun.IDB, actor string) (*rsa.PrivateKey, string, error) {
	s.keys.mu.Lock()
	k, ok := s.keys.keys[actor]
	pub := s.keys.public[actor]
	s.keys.mu.Unlock()
	if ok {
		return k, pub, nil // keys of local actors never change
	}
	var row keyRow
	err := db.NewSelect().Model(&row).Where("actor = ?", actor).Scan(ctx)
	if err != nil && !errors.Is(store.Translate(err), core.ErrNotFound) {
		return nil, "", store.Translate(err)
	}
	if err != nil {
		k, err := rsa.GenerateKey(rand.Reader, s.keyBits)
		if err != nil {
			return nil, "", err
		}
		pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			return nil, "", err
		}
		row = keyRow{Actor: actor, CreatedAt: s.now().UTC(),
			PrivatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(k)})),
			PublicPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))}
		if _, err := db.NewInsert().Model(&row).On("CONFLICT (actor) DO NOTHING").Exec(ctx); err != nil {
			return nil, "", store.Translate(err)
		}
		if err := db.NewSelect().Model(&row).Where("actor = ?", actor).Scan(ctx); err != nil {
			return nil, "", store.Translate(err)
		}
	}
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	if k, ok := s.keys.keys[actor]; ok {
		return k, row.PublicPEM, nil
	}
	k, err = parsePrivate(row.PrivatePEM)
	if err != nil {
		return nil, "", fmt.Errorf("key of %s: %w", actor, err)
	}
	if _, inTx := db.(bun.Tx); !inTx {
		// Only committed keys are kept: a transaction may yet roll back.
		s.keys.keys[actor] = k
		s.keys.public[actor] = row.PublicPEM
	}
	return k, row.PublicPEM, nil
}

// hasKey reports whether a local actor has published a key (a person who
// has taken part in federation).
func (s *Server) hasKey(ctx context.Context, actor string) (bool, error) {
	n, err := s.db.NewSelect().Model((*keyRow)(nil)).Where("actor = ?", actor).Count(ctx)
	return n > 0, store.Translate(err)
}

func mustPKCS8(k *rsa.PrivateKey) []byte {
	b, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err) // cannot fail for an RSA key
	}
	return b
}

func parsePrivate(p string) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(p))
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

// parsePublic reads a PEM public key as peers publish it: PKIX ("PUBLIC
// KEY", Mastodon, Lemmy) or PKCS#1 ("RSA PUBLIC KEY").
func parsePublic(p string) (*rsa.PublicKey, error) {
	b, _ := pem.Decode([]byte(p))
	if b == nil {
		return nil, errors.New("no PEM block in publicKeyPem")
	}
	if k, err := x509.ParsePKIXPublicKey(b.Bytes); err == nil {
		if rk, ok := k.(*rsa.PublicKey); ok {
			return rk, nil
		}
		return nil, errors.New("public key is not RSA")
	}
	return x509.ParsePKCS1PublicKey(b.Bytes)
}
