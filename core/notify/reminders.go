package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"plaza/core/store"
)

// Alarm is one reminder an iCalendar object asks for.
type Alarm struct {
	Summary string
	Start   time.Time // of the occurrence the alarm is about
	Fire    time.Time
}

// Alarms lists the alarms of an iCalendar object that fire in (from, to].
// Parsing iCalendar lives outside core (cmd/plaza gives one over go-ical).
type Alarms func(data []byte, from, to time.Time) ([]Alarm, error)

// reminderHorizon bounds how far ahead of its event an alarm may fire.
const reminderHorizon = 8 * 24 * time.Hour

const reminderCursor = "reminders"

// SendReminders notifies of the calendar alarms (VALARM) that fired
// since the last call: the owner of a personal calendar, or the author of
// an event in a space's agenda. The first call starts from now. The
// cursor row is locked while scanning, so processes take turns and an
// alarm is told once.
func (s *Service) SendReminders(ctx context.Context, alarms Alarms) (int, error) {
	sent := 0
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.o.Now().UTC()
		var at []time.Time
		q := tx.NewSelect().Table("notify_cursors").Column("at").Where("name = ?", reminderCursor)
		if s.db.Kind == store.Postgres {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx, &at); err != nil {
			return err
		}
		if len(at) == 0 {
			return insertCursor(ctx, tx, reminderCursor, now)
		}
		since := at[0]
		if !now.After(since) {
			return nil
		}
		if now.Sub(since) > 24*time.Hour {
			since = now.Add(-24 * time.Hour) // after a long stop, no flood of stale reminders
		}
		var objs []struct {
			ID        int64
			Data      string
			AccountID *int64
			Slug      *string
		}
		err := tx.NewRaw(`SELECT o.id, o.data, COALESCE(c.owner_id, o.author_id) AS account_id, sp.slug
			FROM dav_objects o JOIN dav_members m ON m.object_id = o.id
			JOIN dav_collections dc ON dc.container_id = m.collection_id AND dc.kind = 'calendar'
			JOIN containers c ON c.id = dc.container_id LEFT JOIN spaces sp ON sp.id = c.space_id
			WHERE o.data LIKE '%BEGIN:VALARM%' AND (o.first_start IS NULL OR o.first_start <= ?)
			AND (o.last_end IS NULL OR o.last_end >= ?)`,
			now.Add(reminderHorizon).Unix(), since.Add(-reminderHorizon).Unix()).Scan(ctx, &objs)
		if err != nil {
			return err
		}
		var notes []Note
		seen := map[string]bool{}
		for _, o := range objs {
			if o.AccountID == nil {
				continue
			}
			as, err := alarms([]byte(o.Data), since, now)
			if err != nil {
				continue // the calendar module accepted it; an alarm we cannot read is skipped
			}
			for _, a := range as {
				key := fmt.Sprintf("%d/%d/%d", *o.AccountID, o.ID, a.Fire.Unix())
				if seen[key] {
					continue // one object in two collections
				}
				seen[key] = true
				path := "/"
				if o.Slug != nil {
					path = "/s/" + *o.Slug
				}
				notes = append(notes, Note{AccountID: *o.AccountID, Title: "Reminder: " + a.Summary,
					Text: a.Summary + " starts at " + a.Start.UTC().Format("2006-01-02 15:04 UTC") + ".", Path: path})
			}
		}
		if _, err := tx.NewRaw(`UPDATE notify_cursors SET at = ? WHERE name = ?`, now, reminderCursor).Exec(ctx); err != nil {
			return err
		}
		sent = len(notes)
		return s.Notify(ctx, tx, notes...)
	})
	if errors.Is(err, errCursorTaken) {
		return 0, nil
	}
	return sent, err
}

// errCursorTaken says another process created a cursor while this one
// scanned: there was no row to lock yet, so both scanned the same
// changes; the other's run stands and this one is rolled back, so nothing
// is told twice.
var errCursorTaken = errors.New("notification cursor created by another process")

// insertCursor creates a cursor on the first run.
func insertCursor(ctx context.Context, tx bun.Tx, name string, at time.Time) error {
	res, err := tx.NewRaw(`INSERT INTO notify_cursors (name, at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, at).Exec(ctx)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return errCursorTaken
	}
	return nil
}
