package webui

import (
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/markup"
	"plaza/core/newsletter"
)

func (s *server) newsletterView(w http.ResponseWriter, r *http.Request) (*view, core.Subject, bool) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return nil, who, false
	}
	v := s.page(r, "newsletter.title")
	err := s.spaceView(r, v)
	if err == nil {
		err = s.moduleOn(v, core.ModNewsletter)
	}
	if err != nil {
		s.pageError(w, r, err)
		return nil, who, false
	}
	return v, who, true
}

func (s *server) newsletterPage(w http.ResponseWriter, r *http.Request) {
	v, who, ok := s.newsletterView(w, r)
	if !ok {
		return
	}
	s.renderNewsletter(w, r, v, who, nil)
}

func (s *server) renderNewsletter(w http.ResponseWriter, r *http.Request, v *view, who core.Subject, draft *newsletter.Newsletter) {
	hist, err := s.Newsletters.History(r.Context(), who, v.Space.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = map[string]any{"History": hist, "Draft": draft}
	s.render(w, r, http.StatusOK, "newsletter", v)
}

func (s *server) newsletterCreate(w http.ResponseWriter, r *http.Request) {
	v, who, ok := s.newsletterView(w, r)
	if !ok {
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := s.parseForm(w, r); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	// Written in Markdown, rendered as mail shows it: links absolute,
	// videos as links.
	body := markup.Absolute(markup.RenderWith(strings.ReplaceAll(r.FormValue("body"), "\r\n", "\n"), markup.Options{NoEmbeds: true}), s.BaseURL)
	if r.FormValue("jitsi") == "on" {
		room, err := s.jitsi.Room(r.Context(), "space", v.Space.ID)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		body += newsletter.JitsiParagraph(s.jitsi.Link(room, "", "", true), s.catalog.translate(v.Lang, "newsletter.jitsi_label"))
	}
	var ups []newsletter.Upload
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["files"] {
			f, err := fh.Open()
			if err != nil {
				s.pageError(w, r, err)
				return
			}
			defer f.Close()
			ups = append(ups, newsletter.Upload{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Body: f})
		}
	}
	n, err := s.Newsletters.Create(r.Context(), who, v.Space.ID, newsletter.Draft{Subject: r.FormValue("subject"), Body: body}, ups)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Notice = "newsletter.saved"
	s.renderNewsletter(w, r, v, who, n)
}

func (s *server) newsletterSend(w http.ResponseWriter, r *http.Request) {
	v, who, ok := s.newsletterView(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err == nil {
		err = s.parseForm(w, r)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	a := newsletter.Audience{Members: r.PostForm.Get("members") == "on"}
	if r.PostForm.Get("directory") == "on" && s.Directory != nil {
		dir, err := s.Directory(r.Context(), v.Space.ID)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		a.Directories = append(a.Directories, dir)
	}
	for _, e := range strings.FieldsFunc(r.PostForm.Get("extra"), func(r rune) bool { return r == ',' || r == '\n' || r == ' ' || r == ';' }) {
		a.Extra = append(a.Extra, e)
	}
	if _, err := s.Newsletters.Send(r.Context(), who, id, a); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/s/"+v.Space.Slug+"/newsletter", http.StatusSeeOther)
}

func (s *server) newsletterReuse(w http.ResponseWriter, r *http.Request) {
	v, who, ok := s.newsletterView(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	n, err := s.Newsletters.Reuse(r.Context(), who, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Notice = "newsletter.reused"
	s.renderNewsletter(w, r, v, who, n)
}
