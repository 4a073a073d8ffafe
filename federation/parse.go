package federation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"

	"plaza/core"
	"plaza/core/forum"
)

// typeList is an ActivityStreams type: one name or an array of them.
type typeList []string

func (t *typeList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*t = typeList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("type is neither a string nor strings")
	}
	*t = many
	return nil
}

// first returns the first of names the type holds, or "".
func (t typeList) first(names ...string) string {
	for _, x := range t {
		if slices.Contains(names, x) {
			return x
		}
	}
	return ""
}

func (t typeList) is(name string) bool { return slices.Contains(t, name) }

// object holds the fields plaza reads of an activity or object; Raw keeps
// the document exactly as received (a group re-shares it as is).
type object struct {
	Raw          json.RawMessage   `json:"-"`
	ID           string            `json:"id"`
	Type         typeList          `json:"type"`
	Actor        json.RawMessage   `json:"actor"`
	Object       json.RawMessage   `json:"object"`
	AttributedTo json.RawMessage   `json:"attributedTo"`
	InReplyTo    json.RawMessage   `json:"inReplyTo"`
	To           json.RawMessage   `json:"to"`
	Cc           json.RawMessage   `json:"cc"`
	Audience     json.RawMessage   `json:"audience"`
	Name         *string           `json:"name"`
	Content      *string           `json:"content"`
	ContentMap   map[string]string `json:"contentMap"`
	Summary      *string           `json:"summary"`
	Published    string            `json:"published"`
	Updated      string            `json:"updated"`
	Owner        string            `json:"owner"`
	Attachment   json.RawMessage   `json:"attachment"`
}

// parseObject reads one activity or object: a JSON object with an
// absolute http(s) id and a type.
func parseObject(b []byte) (*object, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", core.ErrInvalid)
	}
	var o object
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("%w: malformed JSON: %v", core.ErrInvalid, err)
	}
	if err := checkID(o.ID); err != nil {
		return nil, err
	}
	if len(o.Type) == 0 {
		return nil, fmt.Errorf("%w: object without type", core.ErrInvalid)
	}
	o.Raw = b
	return &o, nil
}

func checkID(id string) error {
	u, err := url.Parse(id)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(id) > 2048 {
		return fmt.Errorf("%w: id must be an absolute http(s) URL", core.ErrInvalid)
	}
	return nil
}

// refID reads a reference: a URL, an object with an id, or the first of
// an array of them.
func refID(raw json.RawMessage) string {
	ids := refIDs(raw)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// refIDs reads a list of references (to, cc, audience…).
func refIDs(raw json.RawMessage) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return []string{s}
		}
	case '{':
		var o struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &o) == nil && o.ID != "" {
			return []string{o.ID}
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) == nil {
			var out []string
			for _, it := range items {
				if len(out) >= 100 {
					break
				}
				if id := refID(it); id != "" {
					out = append(out, id)
				}
			}
			return out
		}
	}
	return nil
}

// embedded returns the object of an activity when it is given inline.
func (o *object) embedded() (*object, bool) {
	raw := bytes.TrimSpace(o.Object)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	in, err := parseObject(raw)
	if err != nil {
		return nil, false
	}
	return in, true
}

func (o *object) actorID() string { return refID(o.Actor) }

func (o *object) author() string { return refID(o.AttributedTo) }

// audiences lists every recipient named by to, cc and audience.
func (o *object) audiences() []string {
	var out []string
	for _, r := range []json.RawMessage{o.To, o.Cc, o.Audience} {
		out = append(out, refIDs(r)...)
	}
	return out
}

// public reports whether the object is addressed to everyone.
func (o *object) public() bool {
	return slices.Contains(o.audiences(), asPublic) || slices.Contains(o.audiences(), "as:Public") || slices.Contains(o.audiences(), "Public")
}

func (o *object) text() string {
	if o.Content != nil {
		return *o.Content
	}
	for _, v := range o.ContentMap {
		return v
	}
	return ""
}

// body is the HTML to store for a remote post: its content, then links
// to its attachments (a Lemmy link post's URL, images, documents), since
// plaza keeps no remote files. The result is sanitized by the caller.
func (o *object) body() string {
	b := o.text()
	raw := bytes.TrimSpace(o.Attachment)
	if len(raw) == 0 {
		return b
	}
	if raw[0] == '{' {
		raw = append(append([]byte{'['}, raw...), ']')
	}
	var atts []struct {
		Type string          `json:"type"`
		Href string          `json:"href"`
		URL  json.RawMessage `json:"url"`
		Name string          `json:"name"`
	}
	if json.Unmarshal(raw, &atts) != nil {
		return b
	}
	for i, a := range atts {
		if i >= 20 {
			break
		}
		link := a.Href
		if link == "" {
			link = refID(a.URL)
		}
		if u, err := url.Parse(link); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			continue
		}
		text := a.Name
		if text == "" {
			text = link
		}
		b += `<p><a href="` + html.EscapeString(link) + `">` + html.EscapeString(limitRunes(text, 200)) + `</a></p>`
	}
	return b
}

func (o *object) title() string {
	if o.Name != nil {
		return *o.Name
	}
	return ""
}

func (o *object) times() (time.Time, time.Time) {
	p, _ := time.Parse(time.RFC3339, o.Published)
	u, _ := time.Parse(time.RFC3339, o.Updated)
	if u.IsZero() {
		u = p
	}
	return p, u
}

func plainText(s string) string { return forum.PlainText(s) }

func limitRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
