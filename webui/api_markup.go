package webui

import (
	"fmt"
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/markup"
)

// writingRoutes registers the routes of the writing modules that
// webui.go does not: the Markdown preview, notifications, and the edit,
// delete, comment and follow actions of forum, news and wiki.
func (s *server) writingRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/markup", s.apiMarkup)
	s.inboxRoutes(mux)
	s.forumManageRoutes(mux)
	s.newsRoutes(mux)
}

// apiMarkup renders Markdown as the pages will show it once saved:
// {"text": "…"} → {"html": "…"} (sanitized; the editor's preview).
func (s *server) apiMarkup(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireAccount(w, r); !ok {
		return
	}
	var body struct {
		Text string `json:"text"`
	}
	if err := readJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(body.Text) > markup.MaxSource {
		s.fail(w, r, fmt.Errorf("%w: text longer than %d bytes", core.ErrInvalid, markup.MaxSource))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"html": markup.Render(body.Text)})
}

// richFrames is the frame-src a page showing rendered text needs for
// video embeds.
func richFrames() string { return strings.Join(markup.FrameOrigins, " ") }
