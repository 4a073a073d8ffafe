package forum

import (
	"context"

	"plaza/core/store"
)

// ByRemoteAuthor lists the topics (their container ids) and replies
// written here by a remote actor (its ap_actors id): federation removes
// them when the account is deleted on its server.
func (s *Service) ByRemoteAuthor(ctx context.Context, actorID int64) (topics, posts []int64, err error) {
	if err := s.db.NewSelect().Model((*Topic)(nil)).Column("container_id").Where("remote_author_id = ?", actorID).Scan(ctx, &topics); err != nil {
		return nil, nil, store.Translate(err)
	}
	if err := s.db.NewSelect().Model((*Post)(nil)).Column("id").Where("remote_author_id = ?", actorID).Scan(ctx, &posts); err != nil {
		return nil, nil, store.Translate(err)
	}
	return topics, posts, nil
}

// LocalCounts counts the topics and replies written by people of this
// server (NodeInfo's usage).
func (s *Service) LocalCounts(ctx context.Context) (topics, posts int, err error) {
	n, err := s.db.NewSelect().Model((*Topic)(nil)).Where("author_id IS NOT NULL").Count(ctx)
	if err != nil {
		return 0, 0, store.Translate(err)
	}
	m, err := s.db.NewSelect().Model((*Post)(nil)).Where("author_id IS NOT NULL").Count(ctx)
	return int(n), int(m), store.Translate(err)
}
