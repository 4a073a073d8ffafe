package blob

import (
	"context"
	"crypto/md5"  // checksums clients compare, not for security
	"crypto/sha1" // idem
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/uptrace/bun"

	"plaza/core/store"
)

// Digests are the SHA-1 and MD5 (hex) of a blob's content: what ownCloud
// and Nextcloud clients such as rclone compare, since they read neither
// the SHA-256 that names a blob nor any other checksum.
type Digests struct {
	SHA1, MD5 string
}

// Digests returns the digests of the given blobs, computing from the
// content those not known yet and keeping them in the blob's row, so each
// blob's content is read for this once. A hash without a row, or whose
// content cannot be read, is left out.
func (s *Store) Digests(ctx context.Context, hashes ...string) (map[string]Digests, error) {
	out := make(map[string]Digests, len(hashes))
	hashes = s.digests.lookup(hashes, out)
	defer s.digests.add(out)
	for start := 0; start < len(hashes); start += 500 {
		var rows []struct {
			Hash string `bun:"hash"`
			SHA1 string `bun:"sha1"`
			MD5  string `bun:"md5"`
		}
		err := s.db.NewSelect().Table("blobs").Column("hash", "sha1", "md5").
			Where("hash IN (?)", bun.In(hashes[start:min(start+500, len(hashes))])).Scan(ctx, &rows)
		if err != nil {
			return nil, store.Translate(err)
		}
		fresh := map[string]Digests{}
		for _, r := range rows {
			d := Digests{SHA1: r.SHA1, MD5: r.MD5}
			if d.SHA1 == "" || d.MD5 == "" {
				if d, err = s.computeDigests(ctx, r.Hash); err != nil {
					// content that cannot be read now costs its digests,
					// not the answer
					s.log.Warn("blob digests", "hash", r.Hash, "err", err)
					continue
				}
				fresh[r.Hash] = d
			}
			out[r.Hash] = d
		}
		if len(fresh) > 0 {
			// one commit for the batch, not one per blob
			err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				for h, d := range fresh {
					if _, err := tx.NewRaw(`UPDATE blobs SET sha1 = ?, md5 = ? WHERE hash = ?`, d.SHA1, d.MD5, h).Exec(ctx); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (s *Store) computeDigests(ctx context.Context, hash string) (Digests, error) {
	f, err := s.back.Open(ctx, hash)
	if err != nil {
		return Digests{}, fmt.Errorf("digests of blob %s: %w", hash, err)
	}
	defer f.Close()
	h1, h5 := sha1.New(), md5.New()
	if _, err := io.Copy(io.MultiWriter(h1, h5), f); err != nil {
		return Digests{}, fmt.Errorf("digests of blob %s: %w", hash, err)
	}
	return Digests{SHA1: hex.EncodeToString(h1.Sum(nil)), MD5: hex.EncodeToString(h5.Sum(nil))}, nil
}

// digestCache keeps digests in memory: content never changes under its
// hash, so a cached entry is never stale, in any process. A listing of
// 10,000 files asking for checksums then reads no blob rows at all.
type digestCache struct {
	mu sync.Mutex
	m  map[string]Digests
}

// maxCachedDigests bounds the cache (about 200 bytes an entry); past it
// the cache starts over.
const maxCachedDigests = 200_000

// lookup puts the cached digests of hashes into out and returns the
// hashes it does not know.
func (c *digestCache) lookup(hashes []string, out map[string]Digests) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var missing []string
	for _, h := range hashes {
		if d, ok := c.m[h]; ok {
			out[h] = d
		} else {
			missing = append(missing, h)
		}
	}
	return missing
}

func (c *digestCache) add(ds map[string]Digests) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m)+len(ds) > maxCachedDigests {
		c.m = make(map[string]Digests, len(ds))
	}
	for h, d := range ds {
		c.m[h] = d
	}
}
