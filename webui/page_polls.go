package webui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/poll"
)

// pollsView loads the space and checks the polls module is on.
func (s *server) pollsView(w http.ResponseWriter, r *http.Request, title string) (*view, bool) {
	return s.moduleView(w, r, core.ModPolls, title)
}

func (s *server) pollsPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pollsView(w, r, "polls.title")
	if !ok {
		return
	}
	ps, err := s.Polls.List(r.Context(), core.SubjectFrom(r.Context()), v.Space.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"Polls": ps}
	s.render(w, r, http.StatusOK, "polls", v)
}

func (s *server) pollCreate(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pollsView(w, r, "polls.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := r.PostForm
	n := poll.NewPoll{SpaceID: v.Space.ID, Question: f.Get("question"), Multiple: f.Get("multiple") == "on",
		Results: poll.Visibility(f.Get("results"))}
	for _, line := range strings.Split(f.Get("options"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			n.Options = append(n.Options, line)
		}
	}
	if raw := f.Get("closes"); raw != "" {
		loc := time.UTC
		if v.User != nil {
			if l, err := time.LoadLocation(v.User.Timezone); err == nil {
				loc = l
			}
		}
		at, err := time.ParseInLocation("2006-01-02T15:04", raw, loc)
		if err != nil {
			s.pageError(w, r, invalid("closing date must be a date and time"))
			return
		}
		n.ClosesAt = &at
	}
	p, err := s.Polls.Create(r.Context(), core.SubjectFrom(r.Context()), n)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/polls/%d", v.Space.Slug, p.ContainerID), http.StatusSeeOther)
}

// pollResult is one bar of the results chart.
type pollResult struct {
	Label   string
	Votes   int
	Percent int
}

func (s *server) pollPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pollsView(w, r, "polls.title")
	if !ok {
		return
	}
	id, err := pathID(r, "poll")
	who := core.SubjectFrom(r.Context())
	var p *poll.Poll
	if err == nil {
		p, err = s.Polls.Get(r.Context(), who, id)
	}
	if err == nil && p.SpaceID != v.Space.ID {
		err = fmt.Errorf("poll %d: %w", id, core.ErrNotFound)
	}
	var voted bool
	if err == nil {
		voted, err = s.Polls.Voted(r.Context(), who, id)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var results []pollResult
	total := 0
	shown := false
	for _, o := range p.Options {
		if o.Votes != nil {
			shown = true
			total += *o.Votes
		}
	}
	if shown {
		for _, o := range p.Options {
			res := pollResult{Label: o.Label, Votes: *o.Votes}
			if total > 0 {
				res.Percent = res.Votes * 100 / total
			}
			results = append(results, res)
		}
	}
	canClose := false
	if p.AuthorID != nil && *p.AuthorID == who.AccountID {
		canClose = true
	} else if l, err := s.pollLevel(r, p); err == nil && l >= acl.Write {
		canClose = true
	}
	v.Data = map[string]any{"Poll": p, "Voted": voted, "Closed": p.Closed(time.Now()), "Results": results,
		"Total": total, "CanClose": canClose && !p.Closed(time.Now())}
	s.render(w, r, http.StatusOK, "poll", v)
}

func (s *server) pollLevel(r *http.Request, p *poll.Poll) (acl.Level, error) {
	var author int64
	if p.AuthorID != nil {
		author = *p.AuthorID
	}
	return s.ACL.Level(r.Context(), core.SubjectFrom(r.Context()), acl.Target{ContainerID: p.ContainerID, AuthorID: author, Item: true})
}

func (s *server) pollVote(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pollsView(w, r, "polls.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	id, err := pathID(r, "poll")
	var options []int64
	for _, raw := range r.PostForm["option"] {
		o, perr := strconv.ParseInt(raw, 10, 64)
		if perr != nil {
			err = invalid("bad option")
		}
		options = append(options, o)
	}
	if err == nil {
		err = s.Polls.Vote(r.Context(), core.SubjectFrom(r.Context()), id, options)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/polls/%d", v.Space.Slug, id), http.StatusSeeOther)
}

func (s *server) pollClose(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pollsView(w, r, "polls.title")
	if !ok {
		return
	}
	id, err := pathID(r, "poll")
	if err == nil {
		err = s.Polls.Close(r.Context(), core.SubjectFrom(r.Context()), id)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/polls/%d", v.Space.Slug, id), http.StatusSeeOther)
}
