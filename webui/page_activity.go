package webui

import (
	"net/http"
	"strconv"
	"strings"

	"plaza/core/activity"
)

// activityPerPage is the length of a page of the feed; the next page
// starts before the last entry shown.
const activityPerPage = 50

type activityRow struct {
	Event activity.Event
	Actor string
	URL   string
}

// activityPage is the dashboard of what changed in the spaces the reader
// belongs to, filtered by module and person (?module=…&person=…).
func (s *server) activityPage(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	v := s.page(r, "activity.title")
	f, err := activityFilter(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if r.PathValue("slug") != "" { // a space's own activity
		if err := s.spaceView(r, v); err != nil {
			s.pageError(w, r, err)
			return
		}
		f.SpaceIDs = []int64{v.Space.ID}
	}
	if len(f.SpaceIDs) == 0 {
		for _, sp := range v.Spaces {
			f.SpaceIDs = append(f.SpaceIDs, sp.ID)
		}
	}
	var rows []activityRow
	f.Limit = activityPerPage
	if len(f.SpaceIDs) > 0 {
		evs, err := s.Activity.List(r.Context(), who, f)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		names := map[int64]string{}
		// Newest first: once an item's deletion is seen, it and its
		// older entries lead nowhere and show without a link.
		type item struct {
			kind string
			ref  int64
		}
		gone := map[item]bool{}
		for _, e := range evs {
			row := activityRow{Event: e}
			if e.Verb == activity.Delete {
				gone[item{e.Kind, e.RefID}] = true
			}
			if !gone[item{e.Kind, e.RefID}] {
				row.URL = s.itemURL(r, e.Kind, e.RefID, e.SpaceID, e.ContainerID)
			}
			if e.ActorID != nil {
				if _, ok := names[*e.ActorID]; !ok {
					if a, err := s.Accounts.Get(r.Context(), *e.ActorID); err == nil {
						names[*e.ActorID] = a.Name
					}
				}
				row.Actor = names[*e.ActorID]
			}
			rows = append(rows, row)
		}
	}
	var people []member
	seen := map[int64]bool{}
	for _, sp := range v.Spaces {
		ms, err := s.members(r, sp.ID)
		if err != nil {
			continue
		}
		for _, m := range ms {
			if !seen[m.ID] {
				seen[m.ID] = true
				people = append(people, m)
			}
		}
	}
	older := ""
	if n := len(rows); n > 0 && n >= activityPerPage {
		q := r.URL.Query()
		q.Set("before", strconv.FormatInt(rows[n-1].Event.ID, 10))
		older = r.URL.Path + "?" + q.Encode()
	}
	module := ""
	if len(f.Modules) == 1 {
		module = string(f.Modules[0])
	}
	v.Data = map[string]any{"Rows": rows, "Modules": searchModules(), "Module": module, "People": people,
		"Person": f.PersonID, "FeedURL": r.URL.Query().Get("feed"), "Older": older}
	s.render(w, r, http.StatusOK, "activity", v)
}

// activityFeedToken makes a new private feed address (the old one stops
// working) and shows it once.
func (s *server) activityFeedToken(w http.ResponseWriter, r *http.Request) {
	who, ok := s.requireUser(w, r)
	if !ok {
		return
	}
	tok, err := s.Activity.NewFeedToken(r.Context(), who.AccountID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.page(r, "activity.title")
	v.Data = map[string]any{"Rows": nil, "Modules": searchModules(), "People": nil, "Module": "", "Person": int64(0),
		"FeedURL": strings.TrimRight(s.BaseURL, "/") + "/feed/" + tok}
	s.render(w, r, http.StatusOK, "activity", v)
}
