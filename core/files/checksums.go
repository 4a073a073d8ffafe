package files

import (
	"context"

	"github.com/uptrace/bun"

	"plaza/core/store"
)

// BlobHashes returns the SHA-256 (hex) of the content of files a listing
// gave the caller, by node id. Listings leave the hash out (reading it
// slows every large listing down); a client that asks for checksums
// (oc:checksums) pays for this one indexed query per batch instead.
func (s *Service) BlobHashes(ctx context.Context, ids ...int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	for start := 0; start < len(ids); start += 500 {
		end := min(start+500, len(ids))
		var rows []struct {
			ID       int64  `bun:"id"`
			BlobHash string `bun:"blob_hash"`
		}
		err := s.db.NewSelect().Table("file_nodes").Column("id", "blob_hash").
			Where("id IN (?)", bun.In(ids[start:end])).Where("NOT is_dir").Scan(ctx, &rows)
		if err != nil {
			return nil, store.Translate(err)
		}
		for _, r := range rows {
			out[r.ID] = r.BlobHash
		}
	}
	return out, nil
}
