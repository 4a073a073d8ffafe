package files

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// depth values.
const (
	depth0        = 0
	depth1        = 1
	depthInfinity = -1
)

var errBadHeader = errors.New("bad header")

// parseDepth reads a Depth header; def is used when it is absent.
func parseDepth(s string, def int) (int, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return def, nil
	case "0":
		return depth0, nil
	case "1":
		return depth1, nil
	case "infinity":
		return depthInfinity, nil
	}
	return 0, errBadHeader
}

// parseOverwrite reads an Overwrite header (default T).
func parseOverwrite(s string) (bool, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "T":
		return true, nil
	case "F":
		return false, nil
	}
	return false, errBadHeader
}

// parseTimeout reads a Timeout header ("Second-600", "Infinite", or a
// list of them: the first one understood wins); 0 means the default.
func parseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		switch {
		case strings.EqualFold(part, "Infinite"):
			return 1<<62 - 1, nil
		case len(part) > 7 && strings.EqualFold(part[:7], "Second-"):
			n, err := strconv.ParseUint(part[7:], 10, 32)
			if err != nil {
				continue
			}
			return time.Duration(n) * time.Second, nil
		}
	}
	return 0, errBadHeader
}

// errOtherServer: a Destination names another server, where this one
// cannot copy or move (RFC 4918 §9.8.4, §9.9.4: 502 Bad Gateway).
var errOtherServer = errors.New("destination on another server")

// destination returns the escaped path of r's Destination header, which
// must name this server: the host the request came to (or the one a
// proxy says it forwarded, X-Forwarded-Host).
func destination(r *http.Request) (string, error) {
	d := strings.TrimSpace(r.Header.Get("Destination"))
	p, err := parseDestination(d)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(d) // parsed above
	if u.Host == "" {
		return p, nil
	}
	for _, h := range []string{r.Host, r.Header.Get("X-Forwarded-Host")} {
		if h != "" && normalHost(h) == normalHost(u.Host) {
			return p, nil
		}
	}
	return "", errOtherServer
}

// normalHost lower-cases a host[:port] and drops a default port.
func normalHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	for _, port := range []string{":80", ":443"} {
		h = strings.TrimSuffix(h, port)
	}
	return strings.TrimSuffix(h, ".")
}

// parseDestination returns the escaped path of a Destination header (an
// absolute URL or an absolute path).
func parseDestination(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errBadHeader
	}
	u, err := url.Parse(s)
	if err != nil || u.Fragment != "" || u.RawQuery != "" {
		return "", errBadHeader
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
		return "", errBadHeader
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") {
		return "", errBadHeader
	}
	return p, nil
}

// ifCondition is one condition of an If header list.
type ifCondition struct {
	Not   bool
	Token string // a state token (lock token or other URI), or
	ETag  string // an entity tag, quotes included
}

// ifList is one parenthesized list, tagged with a resource or not.
type ifList struct {
	Resource string // "" for the request's resource
	Conds    []ifCondition
}

// parseIf parses an If header (RFC 4918 §10.4).
func parseIf(s string) ([]ifList, error) {
	var out []ifList
	tagged, untagged := false, false
	resource := ""
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	upto := func(end byte) (string, bool) {
		j := strings.IndexByte(s[i:], end)
		if j < 0 {
			return "", false
		}
		v := s[i : i+j]
		i += j + 1
		return v, true
	}
	for {
		skip()
		if i >= len(s) {
			break
		}
		switch s[i] {
		case '<':
			if untagged {
				return nil, errBadHeader
			}
			tagged = true
			i++
			v, ok := upto('>')
			if !ok || v == "" {
				return nil, errBadHeader
			}
			resource = v
			skip()
			if i >= len(s) || s[i] != '(' {
				return nil, errBadHeader
			}
		case '(':
			if !tagged {
				untagged = true
			}
			i++
			l := ifList{Resource: resource}
			for {
				skip()
				if i >= len(s) {
					return nil, errBadHeader
				}
				if s[i] == ')' {
					i++
					break
				}
				c := ifCondition{}
				if len(s)-i >= 3 && strings.EqualFold(s[i:i+3], "not") {
					c.Not = true
					i += 3
					skip()
					if i >= len(s) {
						return nil, errBadHeader
					}
				}
				switch s[i] {
				case '<':
					i++
					v, ok := upto('>')
					if !ok || v == "" {
						return nil, errBadHeader
					}
					c.Token = v
				case '[':
					i++
					v, ok := upto(']')
					if !ok || v == "" {
						return nil, errBadHeader
					}
					c.ETag = v
				default:
					return nil, errBadHeader
				}
				l.Conds = append(l.Conds, c)
			}
			if len(l.Conds) == 0 {
				return nil, errBadHeader
			}
			out = append(out, l)
		default:
			return nil, errBadHeader
		}
	}
	if len(out) == 0 {
		return nil, errBadHeader
	}
	return out, nil
}

// etagList reports whether an If-Match / If-None-Match value matches etag
// ("" for no resource).
func etagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" && etag != "" {
			return true
		}
		if etag != "" && strings.TrimPrefix(part, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}
