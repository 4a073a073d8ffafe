package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/poll"
)

func (s *Server) pollURL(id int64) string { return fmt.Sprintf("%s/ap/polls/%d", s.baseStr, id) }

// questionDoc is a poll as a Question of the space's actor, as Mastodon
// polls: oneOf (single choice) or anyOf (multiple), each option a Note
// with name and, when the results are visible to everyone, replies
// totalItems as its count.
func (s *Server) questionDoc(sa *localActor, p *poll.Poll) map[string]any {
	id := s.pollURL(p.ContainerID)
	var opts []any
	total, counted := 0, false
	for _, o := range p.Options {
		n := map[string]any{"type": "Note", "name": o.Label}
		if o.Votes != nil {
			n["replies"] = map[string]any{"type": "Collection", "totalItems": *o.Votes}
			total += *o.Votes
			counted = true
		}
		opts = append(opts, n)
	}
	doc := map[string]any{
		"@context":     objectContext,
		"id":           id,
		"type":         "Question",
		"attributedTo": sa.ID,
		"name":         p.Question,
		"content":      "<p>" + html.EscapeString(p.Question) + "</p>",
		"mediaType":    "text/html",
		"to":           []string{asPublic},
		"cc":           []string{sa.ID + "/followers"},
		"url":          id,
		"published":    stamp(p.CreatedAt),
		"sensitive":    false,
	}
	if p.Multiple {
		doc["anyOf"] = opts
	} else {
		doc["oneOf"] = opts
		if counted {
			doc["votersCount"] = total
		}
	}
	if p.ClosesAt != nil {
		doc["endTime"] = stamp(*p.ClosesAt)
		if p.Closed(s.now()) {
			doc["closed"] = stamp(*p.ClosesAt)
		}
	}
	return doc
}

// pollHook publishes public polls (anonymous visitors may read them) of
// public spaces.
type pollHook struct{ s *Server }

func (h pollHook) PollEvent(ctx context.Context, tx bun.IDB, k poll.EventKind, p *poll.Poll) error {
	s := h.s
	public, err := publicContainer(ctx, tx, p.ContainerID)
	if err != nil || !public {
		return err
	}
	sa, err := s.spaceActorOf(ctx, p.SpaceID)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	doc := s.questionDoc(sa, p)
	verb := "Create"
	if k == poll.Closed {
		verb = "Update"
	}
	act := s.wrap(verb, sa.ID, doc)
	inboxes, err := s.followerInboxes(ctx, tx, sa.Key)
	if err != nil || len(inboxes) == 0 {
		return err
	}
	if _, _, err := s.ensureKey(ctx, tx, sa.Key); err != nil {
		return err
	}
	body, err := json.Marshal(act)
	if err != nil {
		return err
	}
	return s.queue.enqueue(ctx, tx, sa, act["id"].(string), body, inboxes)
}

func (s *Server) handlePoll(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if s.polls == nil {
		s.writeError(w, r, fail(http.StatusNotFound, "no polls here"))
		return
	}
	id, err := pathID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.polls.Get(ctx, core.AnonymousSubject, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sa, err := s.spaceActorOf(ctx, p.SpaceID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeAP(w, r, s.questionDoc(sa, p))
}
