package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/store"
)

// The methods below serve the federation adapter. They take no subject:
// the adapter has checked the remote actor (signature, origin, that the
// category accepts it) before calling them. Remote HTML is sanitized here.

// RemoteTopic is a topic written on another server.
type RemoteTopic struct {
	APID           string
	Title          string
	Body           string // HTML as received
	RemoteAuthorID int64
	Published      time.Time
	Updated        time.Time
}

// UpsertRemoteTopic stores or updates the remote topic r in a category.
func (s *Service) UpsertRemoteTopic(ctx context.Context, categoryID int64, r RemoteTopic) (*Topic, error) {
	title, err := checkTitle(PlainText(r.Title))
	if err != nil {
		return nil, err
	}
	body, err := checkBody(r.Body, true)
	if err != nil {
		return nil, err
	}
	existing, err := s.TopicsByAPID(ctx, r.APID)
	if err != nil {
		return nil, err
	}
	for _, t := range existing {
		if t.CategoryID == categoryID {
			if t.RemoteAuthorID == nil || *t.RemoteAuthorID != r.RemoteAuthorID {
				return nil, fmt.Errorf("%w: topic %s belongs to another author", core.ErrForbidden, r.APID)
			}
			return s.updateTopic(ctx, t.ContainerID, title, body, nil, r.Updated)
		}
	}
	var t *Topic
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		cat, err := s.categoryTx(ctx, tx, categoryID)
		if err != nil {
			return err
		}
		ra, apid := r.RemoteAuthorID, r.APID
		t, err = s.insertTopic(ctx, tx, cat, &Topic{Title: title, Body: body, RemoteAuthorID: &ra, APID: &apid,
			CreatedAt: r.Published.UTC(), UpdatedAt: r.Updated.UTC()})
		if err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: TopicCreated, Category: cat, Topic: t})
	})
	return t, err
}

// TopicsByAPID returns the topics stored under an ActivityPub id (one per
// mirroring category).
func (s *Service) TopicsByAPID(ctx context.Context, apID string) ([]Topic, error) {
	var ts []Topic
	err := s.selectTopics(s.db, &ts).Where("ft.ap_id = ?", apID).Scan(ctx)
	return ts, store.Translate(err)
}

// TopicAny returns a topic without an access decision (adapters).
func (s *Service) TopicAny(ctx context.Context, id int64) (*Topic, error) {
	return s.topicTx(ctx, s.db, id)
}

// CategoryAny returns a category without an access decision (adapters).
func (s *Service) CategoryAny(ctx context.Context, id int64) (*Category, error) {
	return s.categoryTx(ctx, s.db, id)
}

// PostAny returns a post without an access decision (adapters).
func (s *Service) PostAny(ctx context.Context, id int64) (*Post, error) {
	return s.postTx(ctx, s.db, id)
}

// RemotePost is a reply written on another server.
type RemotePost struct {
	APID           string
	Body           string // HTML as received
	RemoteAuthorID int64
	InReplyTo      *int64
	Published      time.Time
	Updated        time.Time
}

// UpsertRemotePost stores or updates the remote reply r in a topic.
func (s *Service) UpsertRemotePost(ctx context.Context, topicID int64, r RemotePost) (*Post, error) {
	body, err := checkBody(r.Body, true)
	if err != nil {
		return nil, err
	}
	if body == "" {
		return nil, fmt.Errorf("%w: a reply needs text", core.ErrInvalid)
	}
	existing, err := s.PostsByAPID(ctx, r.APID)
	if err != nil {
		return nil, err
	}
	for _, p := range existing {
		if p.TopicID == topicID {
			if p.RemoteAuthorID == nil || *p.RemoteAuthorID != r.RemoteAuthorID {
				return nil, fmt.Errorf("%w: post %s belongs to another author", core.ErrForbidden, r.APID)
			}
			return s.updatePost(ctx, p.ID, body, nil, r.Updated)
		}
	}
	t, err := s.topicTx(ctx, s.db, topicID)
	if err != nil {
		return nil, err
	}
	ra, apid := r.RemoteAuthorID, r.APID
	return s.insertPost(ctx, t, &Post{TopicID: topicID, InReplyToID: r.InReplyTo, Body: body,
		RemoteAuthorID: &ra, APID: &apid, CreatedAt: r.Published.UTC(), UpdatedAt: r.Updated.UTC()})
}

// PostsByAPID returns the posts stored under an ActivityPub id.
func (s *Service) PostsByAPID(ctx context.Context, apID string) ([]Post, error) {
	var ps []Post
	err := s.selectPosts(s.db, &ps).Where("fp.ap_id = ?", apID).Scan(ctx)
	return ps, store.Translate(err)
}
