package webui

import (
	"time"

	"plaza/core/task"
)

// gantt is the geometry of a server-rendered Gantt chart (SVG): one row a
// dated task, a bar from start to due with its progress filled in, a
// column of day ticks and a line at today.
type gantt struct {
	Width, Height int
	LabelWidth    int
	Rows          []ganttRow
	Ticks         []ganttTick
	TodayX        int
	ShowToday     bool
	From, To      string
}

type ganttRow struct {
	Y, X, W, ProgressW int
	Title              string
	Dates              string
	Done               bool
	Milestone          bool
	Late               bool
}

type ganttTick struct {
	X     int
	Label string
	Month bool
}

const (
	ganttLabel = 220
	ganttRowH  = 30
	ganttTop   = 36
)

func buildGantt(ts []*task.Task, done map[int64]bool, today time.Time, layout string) gantt {
	g := gantt{LabelWidth: ganttLabel}
	var first, last time.Time
	type span struct {
		t          *task.Task
		start, end time.Time
	}
	var spans []span
	for _, t := range ts {
		start, end := t.Start(), t.Due()
		if start.IsZero() && end.IsZero() {
			continue
		}
		if start.IsZero() {
			start = end
		}
		if end.IsZero() {
			end = start
		}
		spans = append(spans, span{t, start, end})
		if first.IsZero() || start.Before(first) {
			first = start
		}
		if last.IsZero() || end.After(last) {
			last = end
		}
	}
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	if len(spans) == 0 {
		first, last = today, today
	}
	// Show today when it is near the tasks.
	if today.After(first.AddDate(0, 0, -60)) && today.Before(last.AddDate(0, 0, 60)) {
		if today.Before(first) {
			first = today
		}
		if today.After(last) {
			last = today
		}
		g.ShowToday = true
	}
	first, last = first.AddDate(0, 0, -1), last.AddDate(0, 0, 2)
	days := int(last.Sub(first).Hours()/24) + 1
	dayW := max(6, min(40, 760/days))
	g.Width = ganttLabel + days*dayW + 10
	g.Height = ganttTop + len(spans)*ganttRowH + 10
	g.From, g.To = first.Format(layout), last.Format(layout)
	x := func(d time.Time) int { return ganttLabel + int(d.Sub(first).Hours()/24)*dayW }
	step := 1
	for step*dayW < 36 {
		step++
	}
	// Month starts get a tick and a label; days get one every step, but
	// not where it would overlap a month label.
	nearMonth := func(d time.Time) bool {
		for k := -1; k*dayW <= 56; k++ {
			if d.AddDate(0, 0, -k).Day() == 1 && k >= 0 || k < 0 && d.AddDate(0, 0, 1).Day() == 1 && dayW < 30 {
				return true
			}
		}
		return false
	}
	for d, i := first, 0; !d.After(last); d, i = d.AddDate(0, 0, 1), i+1 {
		switch {
		case d.Day() == 1:
			g.Ticks = append(g.Ticks, ganttTick{X: x(d), Label: d.Format("2006-01"), Month: true})
		case i%step == 0 && !nearMonth(d):
			g.Ticks = append(g.Ticks, ganttTick{X: x(d), Label: d.Format("02")})
		}
	}
	g.TodayX = x(today) + dayW/2
	for i, sp := range spans {
		w := (int(sp.end.Sub(sp.start).Hours()/24) + 1) * dayW
		row := ganttRow{
			Y: ganttTop + i*ganttRowH, X: x(sp.start), W: w, ProgressW: w * sp.t.Progress / 100,
			Title: sp.t.Title, Done: done[sp.t.StatusID], Milestone: sp.start.Equal(sp.end) && sp.t.StartDate == nil,
			Dates: sp.start.Format(layout) + " – " + sp.end.Format(layout),
		}
		row.Late = !row.Done && sp.end.Before(today)
		g.Rows = append(g.Rows, row)
	}
	return g
}
