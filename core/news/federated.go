package news

import (
	"context"

	"plaza/core/store"
)

// ByRemoteAuthor lists the articles (their container ids) that came from
// a remote actor (its ap_actors id): federation removes them when the
// account is deleted on its server.
func (s *Service) ByRemoteAuthor(ctx context.Context, actorID int64) ([]int64, error) {
	var ids []int64
	err := s.db.NewSelect().Model((*Article)(nil)).Column("container_id").Where("remote_author_id = ?", actorID).Scan(ctx, &ids)
	return ids, store.Translate(err)
}
