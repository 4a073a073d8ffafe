package webui

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"plaza/core"
	"plaza/core/calendar"
)

// invitee is a member of the space the event form may invite.
type invitee struct {
	calendar.Attendee
	On bool // invited
}

// spaceInvitees lists the members of the space that have an email.
func (s *server) spaceInvitees(ctx context.Context, spaceID int64) ([]calendar.Attendee, error) {
	ms, err := s.Spaces.Members(ctx, spaceID)
	if err != nil {
		return nil, err
	}
	var out []calendar.Attendee
	for _, m := range ms {
		a, err := s.Accounts.Get(ctx, m.AccountID)
		if err != nil || a.Email == "" || a.Disabled {
			continue
		}
		out = append(out, calendar.Attendee{Email: a.Email, Name: a.Name})
	}
	return out, nil
}

// inviteForm reads the invited members of the event form (invite=EMAIL,
// with invite_set=1 to say the list was on the form); only members of
// the space may be invited from it.
func (s *server) inviteForm(ctx context.Context, v *view, f url.Values, e *calendar.NewEvent) error {
	if f.Get("invite_set") == "" {
		return nil
	}
	members, err := s.spaceInvitees(ctx, v.Space.ID)
	if err != nil {
		return err
	}
	byMail := map[string]calendar.Attendee{}
	for _, m := range members {
		byMail[strings.ToLower(m.Email)] = m
	}
	e.SetAttendees = true
	for _, m := range f["invite"] {
		a, ok := byMail[strings.ToLower(strings.TrimSpace(m))]
		if !ok {
			return invalid("only members of the space can be invited here")
		}
		e.Attendees = append(e.Attendees, a)
	}
	if v.User != nil {
		e.Organizer = calendar.Attendee{Email: v.User.Email, Name: v.User.Name}
	}
	return nil
}

// statusKey is the catalogue key of an answer.
func statusKey(st string) string {
	switch st {
	case calendar.Present:
		return "agenda.present"
	case calendar.Absent:
		return "agenda.absent"
	case "TENTATIVE":
		return "agenda.tentative"
	}
	return "agenda.pending"
}

// attendanceData is what the event page shows of attendance: the list,
// the reader's own answer form, the exports.
func (s *server) attendanceData(ctx context.Context, v *view, ev *agendaEvent, canEdit bool) (map[string]any, error) {
	o := ev.occ
	type row struct {
		calendar.Attendee
		Key string
	}
	var rows []row
	var mine *calendar.Attendee
	for i, a := range o.Attendees {
		rows = append(rows, row{a, statusKey(a.Status)})
		if v.User != nil && v.User.Email != "" && strings.EqualFold(a.Email, v.User.Email) {
			mine = &o.Attendees[i]
		}
	}
	// the organiser: ORGANIZER when the event names one, else whoever
	// may change it
	organiser := canEdit
	if o.Organizer != "" {
		organiser = v.User != nil && v.User.Email != "" && strings.EqualFold(o.Organizer, v.User.Email)
	}
	d := map[string]any{"List": rows, "Mine": mine, "Export": organiser && len(rows) > 0}
	if canEdit {
		members, err := s.spaceInvitees(ctx, v.Space.ID)
		if err != nil {
			return nil, err
		}
		invited := map[string]bool{}
		for _, a := range o.Attendees {
			invited[strings.ToLower(a.Email)] = true
		}
		var list []invitee
		for _, m := range members {
			list = append(list, invitee{m, invited[strings.ToLower(m.Email)]})
		}
		d["Invitees"] = list
	}
	return d, nil
}

// agendaEventAnswer records the reader's answer: present or absent, with
// a comment.
func (s *server) agendaEventAnswer(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.event")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	f := r.PostForm
	ev, err := s.eventAt(ctx, r, readerZone(v), f.Get("at"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	status := map[string]string{"present": calendar.Present, "absent": calendar.Absent}[f.Get("answer")]
	email := ""
	if v.User != nil {
		email = v.User.Email
	}
	if err := s.Calendar.Answer(ctx, who, email, ev.cal, ev.name, status, f.Get("comment")); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/agenda/%d/%s?at=%d#attendance", v.Space.Slug, ev.cal.ContainerID, url.PathEscape(ev.name),
		ev.occ.Start.Unix()), http.StatusSeeOther)
}

// agendaAttendanceExport sends the attendance of an event as CSV
// (?format=csv) or as an OpenDocument spreadsheet (?format=ods), to
// whoever may change the event or organises it.
func (s *server) agendaAttendanceExport(w http.ResponseWriter, r *http.Request) {
	v, ok := s.moduleView(w, r, core.ModCalendar, "agenda.event")
	if !ok {
		return
	}
	ctx, who := r.Context(), core.SubjectFrom(r.Context())
	ev, err := s.eventAt(ctx, r, readerZone(v), r.URL.Query().Get("at"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d, err := s.attendanceData(ctx, v, ev, s.canEdit(who, ev))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if d["Export"] != true {
		s.pageError(w, r, fmt.Errorf("%w: only the organiser exports the attendance", core.ErrForbidden))
		return
	}
	tr := func(key string) string { return s.catalog.translate(v.Lang, key) }
	rows := [][]string{{tr("agenda.attendee"), tr("contacts.email"), tr("agenda.answer"), tr("agenda.comment")}}
	for _, a := range ev.occ.Attendees {
		rows = append(rows, []string{a.Name, a.Email, tr(statusKey(a.Status)), a.Comment})
	}
	base := "attendance"
	switch r.URL.Query().Get("format") {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+base+`.csv"`)
		cw := csv.NewWriter(w)
		cw.WriteAll(rows)
	case "ods":
		w.Header().Set("Content-Type", odsType)
		w.Header().Set("Content-Disposition", `attachment; filename="`+base+`.ods"`)
		if err := writeODS(w, "Attendance", rows); err != nil {
			s.Logger.Warn("attendance export", "err", err)
		}
	default:
		s.pageError(w, r, invalid("format is csv or ods"))
	}
}

const odsType = "application/vnd.oasis.opendocument.spreadsheet"

// writeODS writes rows as a one-sheet OpenDocument spreadsheet (ISO/IEC
// 26300): the mimetype stored first and uncompressed, the manifest and
// the content. LibreOffice, Excel and the online suites open it; a
// spreadsheet library would bring a dozen dependencies for one table.
func writeODS(w io.Writer, sheet string, rows [][]string) error {
	z := zip.NewWriter(w)
	mt, err := z.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	if err != nil {
		return err
	}
	io.WriteString(mt, odsType)
	man, err := z.Create("META-INF/manifest.xml")
	if err != nil {
		return err
	}
	io.WriteString(man, xml.Header+`<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">`+
		`<manifest:file-entry manifest:full-path="/" manifest:media-type="`+odsType+`"/>`+
		`<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`)
	c, err := z.Create("content.xml")
	if err != nil {
		return err
	}
	esc := func(s string) string {
		var b strings.Builder
		xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	var b strings.Builder
	b.WriteString(xml.Header + `<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ` +
		`xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" ` +
		`office:version="1.2"><office:body><office:spreadsheet><table:table table:name="` + esc(sheet) + `">`)
	for _, row := range rows {
		b.WriteString("<table:table-row>")
		for _, cell := range row {
			b.WriteString(`<table:table-cell office:value-type="string"><text:p>` + esc(cell) + `</text:p></table:table-cell>`)
		}
		b.WriteString("</table:table-row>")
	}
	b.WriteString("</table:table></office:spreadsheet></office:body></office:document-content>")
	if _, err := io.WriteString(c, b.String()); err != nil {
		return err
	}
	return z.Close()
}
