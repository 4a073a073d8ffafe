package federation

import (
	"encoding/json"
	"net/http"
	"strings"

	"plaza/core"
)

// handleWebFinger answers /.well-known/webfinger?resource=acct:name@host
// (or the actor's URL). Groups, spaces and people share one namespace,
// looked up in that order.
func (s *Server) handleWebFinger(w http.ResponseWriter, r *http.Request) {
	res := r.URL.Query().Get("resource")
	if res == "" || len(res) > 512 {
		s.writeError(w, r, fail(http.StatusBadRequest, "resource parameter required"))
		return
	}
	ctx := r.Context()
	var a *localActor
	var err error
	if acct, ok := strings.CutPrefix(res, "acct:"); ok {
		name, host, ok := strings.Cut(strings.TrimPrefix(acct, "@"), "@")
		if !ok || name == "" || !strings.EqualFold(host, s.base.Host) {
			s.writeError(w, r, fail(http.StatusNotFound, "no such account on this server"))
			return
		}
		a, err = s.actorByName(r, name)
	} else if s.local(res) {
		a, err = s.actorByURL(ctx, res)
	} else {
		err = fail(http.StatusNotFound, "resource is not on this server")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	doc := map[string]any{
		"subject": "acct:" + a.Username + "@" + s.base.Host,
		"aliases": []string{a.ID},
		"links": []map[string]any{
			{"rel": "self", "type": contentType, "href": a.ID},
			{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": a.ID},
		},
	}
	w.Header().Set("Content-Type", "application/jrd+json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	json.NewEncoder(w).Encode(doc)
}

func (s *Server) actorByName(r *http.Request, name string) (*localActor, error) {
	ctx := r.Context()
	if name == s.base.Hostname() || name == s.base.Host {
		return s.instanceActor(), nil
	}
	for _, kind := range []string{"groups", "spaces", "users"} {
		a, err := s.actorByPath(ctx, kind, name)
		if err == nil {
			return a, nil
		}
		if !isNotFound(err) {
			return nil, err
		}
	}
	return nil, fail(http.StatusNotFound, "no such account on this server")
}

func (s *Server) handleNodeInfoLinks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"links": []map[string]string{
		{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": s.baseStr + "/nodeinfo/2.0"},
		{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": s.baseStr + "/nodeinfo/2.1"},
	}})
}

// handleNodeInfo serves NodeInfo 2.1 and 2.0 (GoToSocial reads 2.0; 2.1
// only adds software.repository and homepage).
func (s *Server) handleNodeInfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	version := strings.TrimPrefix(r.URL.Path, "/nodeinfo/")
	users, err := s.accounts.Count(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	topics, posts, err := s.forum.LocalCounts(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	software := map[string]any{"name": "plaza", "version": s.version}
	if version == "2.1" {
		software["homepage"] = s.baseStr + "/"
	}
	w.Header().Set("Content-Type", `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/`+version+`#"`)
	json.NewEncoder(w).Encode(map[string]any{
		"version":           version,
		"software":          software,
		"protocols":         []string{"activitypub"},
		"services":          map[string]any{"inbound": []string{}, "outbound": []string{}},
		"openRegistrations": false,
		"usage": map[string]any{
			"users":      map[string]any{"total": users},
			"localPosts": topics + posts,
		},
		"metadata": map[string]any{"nodeName": s.base.Host},
	})
}

func isNotFound(err error) bool {
	var he *httpError
	if asHTTP(err, &he) {
		return he.status == http.StatusNotFound
	}
	return errorsIs(err, core.ErrNotFound)
}
