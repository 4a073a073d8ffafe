package webui

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"plaza/core"
	"plaza/core/proposal"
	"plaza/core/space"
)

func (s *server) proposalRoutes(mux *http.ServeMux) {
	if s.Proposals == nil {
		return
	}
	mux.HandleFunc("GET /s/{slug}/propose", s.proposePage)
	mux.HandleFunc("POST /s/{slug}/propose", s.proposeSubmit)
	mux.HandleFunc("POST /admin/spaces/{id}/proposals/{pid}", s.proposalDecide)
	mux.HandleFunc("POST /api/v1/spaces/{slug}/proposals", s.apiPropose)
	mux.HandleFunc("GET /api/v1/admin/spaces/{id}/proposals", s.apiProposals)
	mux.HandleFunc("POST /api/v1/admin/proposals/{id}", s.apiProposalDecide)
}

// publicSpace finds a space a visitor may propose to: public and not
// archived, or one the subject belongs to.
func (s *server) publicSpace(r *http.Request) (*space.Space, error) {
	sp, err := s.Spaces.BySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		return nil, err
	}
	who := core.SubjectFrom(r.Context())
	if sp.ArchivedAt != nil || (!sp.Public && who.IsAnonymous()) {
		return nil, core.ErrNotFound
	}
	return sp, nil
}

func (s *server) proposePage(w http.ResponseWriter, r *http.Request) {
	sp, err := s.publicSpace(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.page(r, "proposal.title")
	v.Data = map[string]any{"S": sp}
	s.render(w, r, http.StatusOK, "admin_propose", v)
}

func (s *server) proposeSubmit(w http.ResponseWriter, r *http.Request) {
	sp, err := s.publicSpace(r)
	if err == nil {
		err = s.parseForm(w, r)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.page(r, "proposal.title")
	f := r.PostForm
	who := core.SubjectFrom(r.Context())
	if pw := f.Get("space_password"); pw != "" {
		if who, err = s.Spaces.Unlock(r.Context(), who, sp.Slug, pw); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	loc := time.UTC
	if v.User != nil {
		if l, err := time.LoadLocation(v.User.Timezone); err == nil {
			loc = l
		}
	}
	start, err1 := time.ParseInLocation("2006-01-02T15:04", f.Get("start"), loc)
	end, err2 := time.ParseInLocation("2006-01-02T15:04", f.Get("end"), loc)
	if err1 != nil || err2 != nil {
		s.pageError(w, r, invalid("start and end must be dates and times"))
		return
	}
	if _, err := s.Proposals.Propose(r.Context(), who, sp.ID, proposal.Input{Summary: f.Get("summary"),
		Description: f.Get("description"), Start: start, End: end, Name: f.Get("name"), Email: f.Get("email")}); err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Notice = "proposal.sent"
	v.Data = map[string]any{"S": sp}
	s.render(w, r, http.StatusOK, "admin_propose", v)
}

func (s *server) proposalDecide(w http.ResponseWriter, r *http.Request) {
	_, who, sp, ok := s.spaceAdminView(w, r)
	if !ok {
		return
	}
	pid, err := pathID(r, "pid")
	if err == nil {
		err = s.parseForm(w, r)
	}
	if err == nil {
		_, err = s.Proposals.Decide(r.Context(), who, pid, r.PostForm.Get("decision") == "accept")
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.backToSpace(w, r, sp.ID)
}

type proposalJSON struct {
	Summary     string    `json:"summary"`
	Description string    `json:"description"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	Password    string    `json:"space_password"`
}

func (s *server) apiPropose(w http.ResponseWriter, r *http.Request) {
	sp, err := s.publicSpace(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in proposalJSON
	if err := readJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	who := core.SubjectFrom(r.Context())
	if in.Password != "" {
		if who, err = s.Spaces.Unlock(r.Context(), who, sp.Slug, in.Password); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	p, err := s.Proposals.Propose(r.Context(), who, sp.ID, proposal.Input{Summary: in.Summary, Description: in.Description,
		Start: in.Start, End: in.End, Name: in.Name, Email: in.Email})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (s *server) apiProposals(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ps, err := s.Proposals.List(r.Context(), who, id, r.URL.Query().Get("status"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"proposals": ps})
}

func (s *server) apiProposalDecide(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Accept bool `json:"accept"`
	}
	if err := readJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.Proposals.Decide(r.Context(), who, id, body.Accept)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// pendingProposals is the queue shown on a space's administration page.
func (s *server) pendingProposals(r *http.Request, who core.Subject, spaceID int64) []proposal.Proposal {
	if s.Proposals == nil {
		return nil
	}
	ps, err := s.Proposals.List(r.Context(), who, spaceID, proposal.Pending)
	if err != nil && !errors.Is(err, core.ErrForbidden) {
		s.Logger.Warn("proposals", "space", strconv.FormatInt(spaceID, 10), "err", err)
	}
	return ps
}
