// Package fediverse holds what the web UI shows of a space's presence on
// the fediverse (its actors' handles and followers) and the
// administrators' blocks of remote actors and servers. The federation
// adapter fills and enforces them; the web UI only shows and edits them.
package fediverse

import "time"

// Follower is a remote actor following one of ours.
type Follower struct {
	ActorID string    `json:"actor_id"`
	Handle  string    `json:"handle"` // name@host
	Name    string    `json:"name"`
	Since   time.Time `json:"since"`
}

// Actor is one of a space's actors: its news (the space itself) or a
// public forum category (a Group).
type Actor struct {
	Kind       string     `json:"kind"` // "space" or "group"
	ActorID    string     `json:"actor_id"`
	Handle     string     `json:"handle"` // name@host, as typed into a fediverse client
	Name       string     `json:"name"`
	CategoryID int64      `json:"category_id,omitempty"` // a group's category
	Followers  []Follower `json:"followers"`
	// CanManage: who may see and remove its followers (full on the
	// category; the space's administrators).
	CanManage bool `json:"-"`
}

// Following is a remote actor followed from here into a space.
type Following struct {
	ActorID    string `json:"actor_id"`
	Handle     string `json:"handle"` // name@host
	Name       string `json:"name"`
	Type       string `json:"type"`
	SpaceID    int64  `json:"space_id"`
	CategoryID int64  `json:"category_id,omitempty"` // the mirror of a Group
	Accepted   bool   `json:"accepted"`
}

// Space is a space's presence on the fediverse: its actors, and what it
// follows (shown to its administrators).
type Space struct {
	Actors    []Actor     `json:"actors"`
	Following []Following `json:"following"`
}

// Block kinds.
const (
	BlockActor  = "actor"  // one remote actor, by id
	BlockDomain = "domain" // a server and its subdomains, by host name
)

// Block refuses a remote actor or a whole server: nothing it sends is
// taken, nothing is delivered to it, and it follows nothing here.
type Block struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Value     string    `json:"value"` // an actor id, or a host name
	CreatedAt time.Time `json:"created_at"`
}
