package webui

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/activity"
	"plaza/core/links"
	"plaza/core/search"
	"plaza/core/sharelink"
	"plaza/core/wiki"
)

// ContentOptions are the services of search, the activity feed, the wiki
// and links (page_search.go, page_activity.go, page_wiki.go,
// page_links.go). A nil service leaves its pages and API out.
type ContentOptions struct {
	Search   *search.Service
	Activity *activity.Service
	Wiki     *wiki.Service
	Links    *links.Service
	// ShareLinks: public links of files and folders (page_sharelink.go).
	ShareLinks *sharelink.Service
}

// contentRoutes registers the pages and API of search, activity, wiki
// and links.
func (s *server) contentRoutes(mux *http.ServeMux) {
	if s.Search != nil {
		mux.HandleFunc("GET /api/v1/search", s.apiSearch)
		mux.HandleFunc("GET /search", s.searchPage)
	}
	if s.Activity != nil {
		mux.HandleFunc("GET /api/v1/activity", s.apiActivity)
		mux.HandleFunc("POST /api/v1/activity/feed-token", s.apiFeedToken)
		mux.HandleFunc("GET /feed/{token}", s.activityFeed)
		mux.HandleFunc("GET /activity", s.activityPage)
		mux.HandleFunc("GET /s/{slug}/activity", s.activityPage)
		mux.HandleFunc("POST /activity/feed-token", s.activityFeedToken)
	}
	if s.Wiki != nil {
		s.wikiRoutes(mux)
	}
	if s.Links != nil {
		s.linksRoutes(mux)
	}
}

// searchQuery reads a search from URL parameters: q, module (repeated),
// space (id or slug), author (id), from and to (dates), limit, offset.
func (s *server) searchQuery(r *http.Request) (search.Query, error) {
	v := r.URL.Query()
	q := search.Query{Text: v.Get("q")}
	for _, m := range v["module"] {
		if m != "" {
			q.Modules = append(q.Modules, core.Module(m))
		}
	}
	if sp := v.Get("space"); sp != "" {
		if id, err := strconv.ParseInt(sp, 10, 64); err == nil {
			q.SpaceID = id
		} else if space, err := s.Spaces.BySlug(r.Context(), sp); err == nil {
			q.SpaceID = space.ID
		} else {
			return q, invalid("unknown space")
		}
	}
	var err error
	num := func(name string) int64 {
		if err != nil || v.Get(name) == "" {
			return 0
		}
		n, e := strconv.ParseInt(v.Get(name), 10, 64)
		if e != nil || n < 0 {
			err = invalid(name + " must be a number")
		}
		return n
	}
	day := func(name string) time.Time {
		if err != nil || v.Get(name) == "" {
			return time.Time{}
		}
		d, e := time.Parse(time.DateOnly, v.Get(name))
		if e != nil {
			err = invalid(name + " must be a date YYYY-MM-DD")
		}
		return d
	}
	q.AuthorID = num("author")
	q.Limit, q.Offset = int(num("limit")), int(num("offset"))
	q.From = day("from")
	if to := day("to"); !to.IsZero() {
		q.To = to.AddDate(0, 0, 1) // the whole last day
	}
	return q, err
}

// apiSearch answers GET /api/v1/search.
func (s *server) apiSearch(w http.ResponseWriter, r *http.Request) {
	q, err := s.searchQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.Search.Search(r.Context(), core.SubjectFrom(r.Context()), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type hit struct {
		search.Hit
		URL string `json:"url"`
	}
	out := struct {
		Total int   `json:"total"`
		More  bool  `json:"more"`
		Hits  []hit `json:"hits"`
	}{Total: res.Total, More: res.More, Hits: []hit{}}
	for _, h := range res.Hits {
		h.Title, h.Snippet = search.Plain(h.Title), search.Plain(h.Snippet)
		out.Hits = append(out.Hits, hit{h, s.itemURL(r, h.Kind, h.RefID, h.SpaceID, h.ContainerID)})
	}
	writeJSON(w, http.StatusOK, out)
}

// firstSpaceWith is the slug of the reader's first space with module m
// on, or "".
func (s *server) firstSpaceWith(r *http.Request, m core.Module) string {
	spaces, err := s.Spaces.Visible(r.Context(), core.SubjectFrom(r.Context()))
	if err != nil {
		return ""
	}
	for _, sp := range spaces {
		if mods, err := s.Spaces.Modules(r.Context(), sp.ID); err == nil && mods[m] {
			return sp.Slug
		}
	}
	return ""
}

// itemURL is the page of an item of the index or the feed; "" when it
// has none the reader can open.
func (s *server) itemURL(r *http.Request, kind string, ref int64, spaceID *int64, container int64) string {
	slug := ""
	if spaceID != nil {
		if sp, err := s.Spaces.Get(r.Context(), *spaceID); err == nil {
			slug = sp.Slug
		}
	}
	if slug == "" && (kind == "event" || kind == "contact") {
		// A personal calendar or address book shows in the agenda or
		// contacts of every space: use the reader's first one.
		m := core.ModCalendar
		if kind == "contact" {
			m = core.ModContacts
		}
		if slug = s.firstSpaceWith(r, m); slug == "" {
			return ""
		}
	}
	if slug == "" {
		return ""
	}
	base := "/s/" + url.PathEscape(slug)
	switch kind {
	case "event":
		return fmt.Sprintf("%s/agenda/%d/object/%d", base, container, ref)
	case "contact":
		return fmt.Sprintf("%s/contacts/%d/object/%d", base, container, ref)
	case "wiki":
		return fmt.Sprintf("%s/wiki/page/%d", base, ref)
	case "link":
		return fmt.Sprintf("%s/links/%d#link-%d", base, container, ref)
	case "task":
		return fmt.Sprintf("%s/tasks/%d", base, container)
	case "poll":
		return fmt.Sprintf("%s/polls/%d", base, ref)
	case "news":
		return fmt.Sprintf("%s/news/%d", base, ref)
	case "topic", "post":
		return fmt.Sprintf("%s/forum/topic/%d", base, container)
	case "file":
		return fmt.Sprintf("%s/files/%d", base, ref)
	}
	return base
}

type searchHitView struct {
	Hit     search.Hit
	Title   []search.Segment
	Snippet []search.Segment
	URL     string
}

func (s *server) searchPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireUser(w, r); !ok {
		return
	}
	v := s.page(r, "search.title")
	q, err := s.searchQuery(r)
	data := map[string]any{"Q": r.URL.Query().Get("q"), "Modules": searchModules(), "Selected": q.Modules,
		"From": r.URL.Query().Get("from"), "To": r.URL.Query().Get("to"), "Space": r.URL.Query().Get("space")}
	v.Data = data
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if strings.TrimSpace(q.Text) != "" {
		if q.Limit == 0 {
			q.Limit = 20
		}
		res, err := s.Search.Search(r.Context(), core.SubjectFrom(r.Context()), q)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		var hits []searchHitView
		for _, h := range res.Hits {
			hits = append(hits, searchHitView{Hit: h, Title: search.Segments(h.Title), Snippet: search.Segments(h.Snippet),
				URL: s.itemURL(r, h.Kind, h.RefID, h.SpaceID, h.ContainerID)})
		}
		data["Result"], data["Hits"] = res, hits
		if q.Offset+len(res.Hits) < res.Total {
			next := r.URL.Query()
			next.Set("offset", strconv.Itoa(q.Offset+q.Limit))
			data["Next"] = "/search?" + next.Encode()
		}
	}
	s.render(w, r, http.StatusOK, "search", v)
}

func searchModules() []core.Module {
	return []core.Module{core.ModFiles, core.ModCalendar, core.ModContacts, core.ModForum, core.ModNews,
		core.ModTasks, core.ModPolls, core.ModWiki, core.ModLinks}
}

// activityFilter reads space (id, repeated), module (repeated), person
// (id), before (event id) and limit.
func activityFilter(r *http.Request) (activity.Filter, error) {
	v := r.URL.Query()
	var f activity.Filter
	for _, sp := range v["space"] {
		id, err := strconv.ParseInt(sp, 10, 64)
		if err != nil {
			return f, invalid("space must be an id")
		}
		f.SpaceIDs = append(f.SpaceIDs, id)
	}
	for _, m := range v["module"] {
		if m == "" {
			continue
		}
		if !core.Module(m).Valid() {
			return f, invalid("unknown module")
		}
		f.Modules = append(f.Modules, core.Module(m))
	}
	for name, p := range map[string]*int64{"person": &f.PersonID, "before": &f.Before} {
		if x := v.Get(name); x != "" {
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil || n < 0 {
				return f, invalid(name + " must be a number")
			}
			*p = n
		}
	}
	if x := v.Get("limit"); x != "" {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 {
			return f, invalid("limit must be a number")
		}
		f.Limit = n
	}
	return f, nil
}

func (s *server) apiActivity(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	f, err := activityFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	evs, err := s.Activity.List(r.Context(), who, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if evs == nil {
		evs = []activity.Event{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
}

func (s *server) apiFeedToken(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireAccount(w, r)
	if !ok {
		return
	}
	tok, err := s.Activity.NewFeedToken(r.Context(), who.AccountID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"token": tok, "url": strings.TrimRight(s.BaseURL, "/") + "/feed/" + tok})
}

// Atom (RFC 4287) document of the feed.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Link    atomLink    `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
}

type atomEntry struct {
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Author  struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Summary string `xml:"summary"`
}

// activityFeed serves GET /feed/{token}: the Atom feed of the token's
// account, with that account's rights. An unknown token is not found.
func (s *server) activityFeed(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := s.Activity.FeedAccount(ctx, r.PathValue("token"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	acc, err := s.Accounts.Get(ctx, id)
	if err != nil || acc.Disabled {
		http.NotFound(w, r)
		return
	}
	evs, err := s.Activity.List(ctx, acc.Subject(), activity.Filter{Limit: 100})
	if err != nil {
		s.Logger.Error("feed", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	base := strings.TrimRight(s.BaseURL, "/")
	lang := pickLang(acc.Language, "")
	feed := atomFeed{ID: base + "/feed/" + acc.Login, Title: s.catalog.translate(lang, "activity.feed_title", acc.Name),
		Updated: time.Now().UTC().Format(time.RFC3339), Link: atomLink{Href: base + "/activity"}}
	names := map[int64]string{}
	for _, e := range evs {
		entry := atomEntry{ID: fmt.Sprintf("%s/activity/%d", base, e.ID), Updated: e.At.UTC().Format(time.RFC3339),
			Title: s.catalog.translate(lang, "activity.verb."+string(e.Verb)) + " · " + e.Title,
			Link:  atomLink{Href: base + s.itemURL(r, e.Kind, e.RefID, e.SpaceID, e.ContainerID)}}
		if e.ActorID != nil {
			if _, ok := names[*e.ActorID]; !ok {
				if a, err := s.Accounts.Get(ctx, *e.ActorID); err == nil {
					names[*e.ActorID] = a.Name
				}
			}
			entry.Author.Name = names[*e.ActorID]
		}
		entry.Summary = s.catalog.translate(lang, "module."+string(e.Module))
		feed.Entries = append(feed.Entries, entry)
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(xml.Header))    //nolint:errcheck
	xml.NewEncoder(w).Encode(feed) //nolint:errcheck // the client went away
}
