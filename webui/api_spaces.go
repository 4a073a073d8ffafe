package webui

import (
	"net/http"

	"plaza/core"
	"plaza/core/space"
)

// listSpaces lists the spaces the caller may enter.
func (s *server) listSpaces(w http.ResponseWriter, r *http.Request) {
	spaces, err := s.Spaces.Visible(r.Context(), core.SubjectFrom(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if spaces == nil {
		spaces = []space.Space{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"spaces": spaces})
}
