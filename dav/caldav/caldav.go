// Package caldav serves Plaza's calendars over CalDAV (RFC 4791) with
// sync-collection (RFC 6578), getctag, MKCALENDAR, PROPPATCH and RFC 3744
// privilege sets from the ACL core, under /dav/calendars/LOGIN/, and the
// iCalendar subscription feeds under /dav/ical/TOKEN.ics.
//
// Calendar paths: /dav/calendars/LOGIN/ is the home of LOGIN and lists
// every calendar LOGIN may read. A calendar's segment is its slug for
// LOGIN's own calendars ("personal" is the personal one), slug@SPACE for a
// space's ("agenda@team" is a space's shared calendar) and slug~OWNER for
// another person's calendar shared with LOGIN.
package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"plaza/core"
	"plaza/core/calendar"
	"plaza/dav/caldav/ics"
	"plaza/dav/principal/davkit"
)

// Options configure the CalDAV handler.
type Options struct {
	Calendars *calendar.Service
	Logger    *slog.Logger
}

// MaxResource is the largest calendar object accepted.
const MaxResource = 1 << 20

var (
	cal           = func(local string) xml.Name { return davkit.Name(davkit.NSCalDAV, local) }
	calendarData  = cal("calendar-data")
	calendarColor = davkit.Name(davkit.NSApple, "calendar-color")
	calendarOrder = davkit.Name(davkit.NSApple, "calendar-order")
)

// DAVHeader is the DAV response header of CalDAV resources.
const DAVHeader = "1, 3, access-control, calendar-access, extended-mkcol"

// New returns the handler of /dav/calendars/ (full paths, not stripped).
// Wrap it in davhttp.RequireBasic.
func New(o Options) http.Handler {
	h := &handler{cals: o.Calendars, log: o.Logger}
	h.srv = &davkit.Server{F: davkit.Flavour{
		Prefix:          davkit.Calendars,
		Store:           o.Calendars.Store,
		Log:             o.Logger,
		ContentType:     "text/calendar; charset=utf-8",
		DAVHeader:       DAVHeader,
		CollectionType:  cal("calendar"),
		DataProp:        calendarData,
		DescriptionProp: cal("calendar-description"),
		MultigetName:    cal("calendar-multiget"),
		MkMethod:        "MKCALENDAR",
		Calendar:        true,
		Pre:             davkit.CalDAVPreconditions,
		MaxResource:     MaxResource,
		CollectionProp:  h.collectionProp,
		CollectionAllProp: []xml.Name{calendarColor, cal("supported-calendar-component-set"),
			cal("supported-calendar-data"), cal("max-resource-size")},
		Reports: map[xml.Name]davkit.ReportFunc{
			cal("calendar-query"):  h.query,
			cal("free-busy-query"): h.freeBusy,
		},
		Data: h.data,
		GetData: func(r *http.Request, o *calendar.Object) ([]byte, string, error) {
			return []byte(o.Data), "text/calendar; charset=utf-8", nil
		},
		Export:   h.export,
		ParseSet: parseSet,
	}}
	return h.srv
}

type handler struct {
	cals *calendar.Service
	log  *slog.Logger
	srv  *davkit.Server
}

func (h *handler) collectionProp(r *http.Request, c *calendar.Collection, n xml.Name) (string, bool) {
	switch n {
	case calendarColor:
		return davkit.Escape(c.ShownColor()), true
	case calendarOrder:
		return strconv.Itoa(c.SortOrder), true
	case cal("supported-calendar-component-set"):
		comps := strings.Split(c.Components, ",")
		if c.Components == "" {
			comps = []string{"VEVENT", "VTODO", "VJOURNAL"}
		}
		var b strings.Builder
		for _, x := range comps {
			b.WriteString(`<C:comp name="` + strings.ReplaceAll(davkit.Escape(x), `"`, "&quot;") + `"/>`)
		}
		return b.String(), true
	case cal("supported-calendar-data"):
		return `<C:calendar-data content-type="text/calendar" version="2.0"/>`, true
	case cal("max-resource-size"):
		return strconv.Itoa(MaxResource), true
	case cal("supported-collation-set"):
		return `<C:supported-collation>i;ascii-casemap</C:supported-collation><C:supported-collation>i;octet</C:supported-collation>`, true
	case cal("schedule-calendar-transp"):
		return `<C:opaque/>`, true
	case davkit.Name(davkit.NSPlaza, "resource"):
		return strconv.FormatBool(c.Resource), true
	}
	return "", false
}

// parseSet reads MKCALENDAR and PROPPATCH properties.
func parseSet(p *davkit.Node, n *calendar.NewCollection, props *calendar.Props) (bool, error) {
	text := strings.TrimSpace(p.Text)
	switch p.Name {
	case davkit.DAV("displayname"):
		props.Name = &text
	case cal("calendar-description"):
		v := p.Text
		props.Description = &v
	case calendarColor:
		if !validColor(text) {
			return false, fmt.Errorf("%w: calendar-color is #RRGGBB or #RRGGBBAA", core.ErrInvalid)
		}
		props.Color = &text
	case calendarOrder:
		v, err := strconv.Atoi(text)
		if err != nil {
			return false, fmt.Errorf("%w: calendar-order is an integer", core.ErrInvalid)
		}
		props.SortOrder = &v
	case cal("supported-calendar-component-set"):
		for _, c := range p.All(cal("comp")) {
			name, _ := c.Attr("name")
			n.Components = append(n.Components, strings.ToUpper(name))
		}
	default:
		return false, nil
	}
	return true, nil
}

func validColor(s string) bool {
	if !strings.HasPrefix(s, "#") || (len(s) != 7 && len(s) != 9) {
		return false
	}
	for _, r := range s[1:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// parseTime reads an RFC 4791 UTC date-time attribute.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse("20060102T150405Z", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: time-range needs UTC date-times like 20240101T000000Z", davkit.ErrBadXML)
	}
	return t, nil
}

func parseRange(n *davkit.Node) (*ics.Range, error) {
	if n == nil {
		return nil, nil
	}
	var r ics.Range
	start, hasStart := n.Attr("start")
	end, hasEnd := n.Attr("end")
	if !hasStart && !hasEnd {
		return nil, fmt.Errorf("%w: time-range needs start or end", davkit.ErrBadXML)
	}
	var err error
	if hasStart {
		if r.Start, err = parseTime(start); err != nil {
			return nil, err
		}
	}
	if hasEnd {
		if r.End, err = parseTime(end); err != nil {
			return nil, err
		}
	}
	if hasStart && hasEnd && !r.End.After(r.Start) {
		return nil, fmt.Errorf("%w: time-range end must follow start", davkit.ErrBadXML)
	}
	return &r, nil
}

func parseTextMatch(n *davkit.Node) *ics.TextMatch {
	if n == nil {
		return nil
	}
	tm := &ics.TextMatch{Text: n.Text}
	tm.Collation, _ = n.Attr("collation")
	if v, _ := n.Attr("negate-condition"); v == "yes" {
		tm.Negate = true
	}
	tm.MatchType, _ = n.Attr("match-type")
	return tm
}

func parseCompFilter(n *davkit.Node) (ics.Filter, error) {
	f := ics.Filter{}
	f.Name, _ = n.Attr("name")
	f.IsNotDefined = n.Child(cal("is-not-defined")) != nil
	var err error
	if f.TimeRange, err = parseRange(n.Child(cal("time-range"))); err != nil {
		return f, err
	}
	for _, pn := range n.All(cal("prop-filter")) {
		pf := ics.PropFilter{}
		pf.Name, _ = pn.Attr("name")
		pf.IsNotDefined = pn.Child(cal("is-not-defined")) != nil
		if pf.TimeRange, err = parseRange(pn.Child(cal("time-range"))); err != nil {
			return f, err
		}
		pf.TextMatch = parseTextMatch(pn.Child(cal("text-match")))
		for _, pm := range pn.All(cal("param-filter")) {
			x := ics.ParamFilter{}
			x.Name, _ = pm.Attr("name")
			x.IsNotDefined = pm.Child(cal("is-not-defined")) != nil
			x.TextMatch = parseTextMatch(pm.Child(cal("text-match")))
			pf.Params = append(pf.Params, x)
		}
		f.Props = append(f.Props, pf)
	}
	for _, cn := range n.All(cal("comp-filter")) {
		cf, err := parseCompFilter(cn)
		if err != nil {
			return f, err
		}
		f.Comps = append(f.Comps, cf)
	}
	return f, nil
}

// query answers calendar-query (RFC 4791 §7.8).
func (h *handler) query(w http.ResponseWriter, r *http.Request, t *davkit.Target, root *davkit.Node) error {
	fn := root.Child(cal("filter")).Child(cal("comp-filter"))
	if fn == nil {
		return &calendar.Violation{Code: calendar.CodeInvalidData, Err: core.ErrForbidden, Reason: "calendar-query needs a filter"}
	}
	f, err := parseCompFilter(fn)
	if err != nil {
		return err
	}
	comp, rg := f.Outer()
	var start, end *int64
	if rg != nil && !rg.Start.IsZero() {
		v := rg.Start.Unix()
		start = &v
	}
	if rg != nil && !rg.End.IsZero() {
		v := rg.End.Unix()
		end = &v
	}
	objs, err := h.cals.Candidates(r.Context(), t.Coll, comp, start, end)
	if err != nil {
		return err
	}
	objs = ics.Filtered(objs, &f)
	pf, spec := h.srv.PropSpec(root)
	h.srv.Respond(w, r, t, objs, pf, spec)
	return nil
}

// data renders calendar-data, expanded (RFC 4791 §9.6.5) or with its
// recurrence set limited (§9.6.6) when the request asks.
func (h *handler) data(r *http.Request, spec *davkit.Node, o *calendar.Object) (string, error) {
	if ex := spec.Child(cal("expand")); ex != nil {
		rg, err := parseRange(ex)
		if err != nil || rg == nil {
			return o.Data, nil
		}
		b, err := ics.Expand([]byte(o.Data), *rg)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
	if lim := spec.Child(cal("limit-recurrence-set")); lim != nil {
		rg, err := parseRange(lim)
		if err != nil || rg == nil {
			return o.Data, nil
		}
		b, err := ics.LimitRecurrenceSet([]byte(o.Data), *rg)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
	return o.Data, nil
}

// freeBusy answers free-busy-query (RFC 4791 §7.10) with a VFREEBUSY.
func (h *handler) freeBusy(w http.ResponseWriter, r *http.Request, t *davkit.Target, root *davkit.Node) error {
	rg, err := parseRange(root.Child(cal("time-range")))
	if err != nil {
		return err
	}
	if rg == nil || rg.Start.IsZero() || rg.End.IsZero() {
		return fmt.Errorf("%w: free-busy-query needs a time-range with start and end", davkit.ErrBadXML)
	}
	periods, err := h.cals.FreeBusy(r.Context(), t.Coll, rg.Start, rg.End)
	if err != nil {
		return err
	}
	out := ical.NewCalendar()
	out.Props.SetText(ical.PropVersion, "2.0")
	out.Props.SetText(ical.PropProductID, "-//Plaza//Calendar//EN")
	fb := ical.NewComponent(ical.CompFreeBusy)
	fb.Props.SetDateTime(ical.PropDateTimeStamp, time.Now().UTC())
	fb.Props.SetText(ical.PropUID, fmt.Sprintf("freebusy-%d-%d", t.Coll.ContainerID, time.Now().UnixNano()))
	fb.Props.SetDateTime(ical.PropDateTimeStart, rg.Start.UTC())
	fb.Props.SetDateTime(ical.PropDateTimeEnd, rg.End.UTC())
	for _, p := range periods {
		prop := ical.NewProp(ical.PropFreeBusy)
		prop.Value = p[0].UTC().Format("20060102T150405Z") + "/" + p[1].UTC().Format("20060102T150405Z")
		fb.Props.Add(prop)
	}
	out.Children = append(out.Children, fb)
	var b bytes.Buffer
	ics.Encode(&b, out.Component) //nolint:errcheck // a Buffer never fails
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Write(b.Bytes()) //nolint:errcheck
	return nil
}

func (h *handler) export(w http.ResponseWriter, r *http.Request, t *davkit.Target) error {
	var b bytes.Buffer
	if err := export(r.Context(), h.cals, t.Coll, &b); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("ETag", davkit.ETag("c"+strconv.FormatInt(t.Coll.SyncSeq, 10)))
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(t.Coll.Slug, `"`, "")+`.ics"`)
	if r.Method == http.MethodHead {
		return nil
	}
	w.Write(b.Bytes()) //nolint:errcheck
	return nil
}

func export(ctx context.Context, cals *calendar.Service, c *calendar.Collection, w io.Writer) error {
	objs, err := cals.Candidates(ctx, c, "", nil, nil)
	if err != nil {
		return err
	}
	return ics.Export(w, c.Name, objs)
}

// FeedPrefix is where subscription feeds are served, unauthenticated:
// /dav/ical/TOKEN.ics. The token is the secret; revoking it ends the feed.
const FeedPrefix = "/dav/ical/"

// NewFeeds returns the public handler of /dav/ical/TOKEN.ics (do not wrap
// it in authentication: Thunderbird and Google Calendar subscribe with
// the URL alone).
func NewFeeds(o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		tok, ok := strings.CutPrefix(r.URL.Path, FeedPrefix)
		tok, ok2 := strings.CutSuffix(tok, ".ics")
		if !ok || !ok2 || tok == "" || len(tok) > 100 {
			http.NotFound(w, r)
			return
		}
		c, _, err := o.Calendars.ByFeed(r.Context(), tok)
		if err != nil {
			davkit.WriteError(w, r, o.Logger, r.URL.Path, "", nil, err)
			return
		}
		var b bytes.Buffer
		if err := export(r.Context(), o.Calendars, c, &b); err != nil {
			davkit.WriteError(w, r, o.Logger, r.URL.Path, "", nil, err)
			return
		}
		etag := davkit.ETag(fmt.Sprintf("f%d-%d", c.ContainerID, c.SyncSeq))
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "private, max-age=300")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		if r.Method == http.MethodHead {
			return
		}
		w.Write(b.Bytes()) //nolint:errcheck
	})
}

// FeedURL returns the path of a subscription token.
func FeedURL(token string) string { return FeedPrefix + token + ".ics" }
