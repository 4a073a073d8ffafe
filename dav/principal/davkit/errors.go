package davkit

import (
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"plaza/core/acl"
	"plaza/core/calendar"
	"plaza/dav/davhttp"
)

// NSPlaza names Plaza's own DAV elements (preconditions without a
// standard name).
const NSPlaza = "urn:plaza:dav"

// Preconditions maps violation codes to a flavour's precondition elements.
type Preconditions map[calendar.Code]xml.Name

// CalDAV preconditions (RFC 4791 §5.3.2.1).
var CalDAVPreconditions = Preconditions{
	calendar.CodeInvalidData:          Name(NSCalDAV, "valid-calendar-data"),
	calendar.CodeUnsupportedComponent: Name(NSCalDAV, "supported-calendar-component"),
	calendar.CodeUIDConflict:          Name(NSCalDAV, "no-uid-conflict"),
	calendar.CodeDoubleBooking:        Name(NSPlaza, "no-double-booking"),
	calendar.CodeSyncToken:            DAV("valid-sync-token"),
}

// CardDAVPreconditions (RFC 6352 §6.3.2.1).
var CardDAVPreconditions = Preconditions{
	calendar.CodeInvalidData:          Name(NSCardDAV, "valid-address-data"),
	calendar.CodeUnsupportedComponent: Name(NSCardDAV, "supported-address-data"),
	calendar.CodeUIDConflict:          Name(NSCardDAV, "no-uid-conflict"),
	calendar.CodeSyncToken:            DAV("valid-sync-token"),
}

// WriteError answers err: violations of a precondition carry its element
// in a DAV:error body (RFC 4918 §16), the rest goes through davhttp's one
// mapping. base is the collection href, to name a conflicting resource.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, href, base string, pre Preconditions, err error) {
	if errors.Is(err, ErrBadXML) {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	v, ok := calendar.ViolationOf(err)
	if !ok {
		davhttp.WriteError(w, r, log, href, err)
		return
	}
	status := http.StatusForbidden
	switch v.Code {
	case calendar.CodePrecondition:
		status = http.StatusPreconditionFailed
	case calendar.CodeUIDConflict, calendar.CodeDoubleBooking:
		status = http.StatusConflict
	}
	name, known := pre[v.Code]
	if !known {
		http.Error(w, v.Error(), status)
		return
	}
	inner := ""
	if v.Href != "" && base != "" {
		inner = Href(base + PathEscape(v.Href))
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + //nolint:errcheck
		`<D:error xmlns:D="DAV:" xmlns:C="` + NSCalDAV + `" xmlns:CR="` + NSCardDAV + `">` + Elem(name, inner) +
		`<D:responsedescription>` + Escape(v.Reason) + `</D:responsedescription></D:error>`))
}

// PathEscape escapes one path segment.
func PathEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
	}
	return b.String()
}

// PrivilegeSet renders current-user-privilege-set for a level; calendars
// add CALDAV:read-free-busy, which read contains (RFC 4791 §6.1.1).
func PrivilegeSet(l acl.Level, collection, calendarAccess bool) string {
	var b strings.Builder
	for _, p := range acl.Privileges(l, collection) {
		b.WriteString("<D:privilege><D:" + string(p) + "/></D:privilege>")
	}
	if calendarAccess && l >= acl.Read {
		b.WriteString("<D:privilege><C:read-free-busy/></D:privilege>")
	}
	return b.String()
}

// Conditions reads If-Match and If-None-Match.
func Conditions(r *http.Request) calendar.Conditions {
	return calendar.Conditions{IfMatch: etags(r.Header.Values("If-Match")), IfNoneMatch: etags(r.Header.Values("If-None-Match"))}
}

func etags(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			t = strings.TrimPrefix(t, "W/")
			if t == "" {
				continue
			}
			out = append(out, strings.Trim(t, `"`))
		}
	}
	return out
}

// ETag quotes an etag for a header or getetag.
func ETag(tag string) string { return `"` + tag + `"` }
