package webui

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"plaza/core/coretest"
	"plaza/core/settings"
	"plaza/core/store"
	"plaza/core/task"
)

func TestJitsiRoomsAndTokens(t *testing.T) {
	db := coretest.OpenDB(t, store.SQLite)
	ctx := context.Background()
	j := newJitsi(JitsiOptions{URL: "https://meet.example.org/", Secret: "s3cret", AppID: "plaza-test"}, settings.New(db))
	now := time.Unix(1_800_000_000, 0)
	j.now = func() time.Time { return now }
	r1, _ := j.Room(ctx, "space", 1)
	r1again, _ := newJitsi(JitsiOptions{URL: "x"}, settings.New(db)).Room(ctx, "space", 1)
	r2, _ := j.Room(ctx, "space", 2)
	ev, _ := j.Room(ctx, "event", 1)
	if r1 != r1again || r1 == r2 || r1 == ev || len(r1) != len("plaza-")+24 {
		t.Errorf("rooms: %q %q %q %q", r1, r1again, r2, ev)
	}
	// Another instance (another database) makes other names for the same
	// things: names are not guessable from ids.
	other, _ := newJitsi(JitsiOptions{}, settings.New(coretest.OpenDB(t, store.SQLite))).Room(ctx, "space", 1)
	if other == r1 {
		t.Error("room names do not depend on the instance secret")
	}

	link := j.Link(r1, "Ann", "ann@example.org", false)
	if !strings.HasPrefix(link, "https://meet.example.org/"+r1+"?jwt=") || !strings.Contains(link, "#userInfo.displayName=") {
		t.Fatalf("link %s", link)
	}
	tok := strings.SplitN(strings.SplitN(link, "?jwt=", 2)[1], "#", 2)[0]
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %s", tok)
	}
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write([]byte(parts[0] + "." + parts[1]))
	if base64.RawURLEncoding.EncodeToString(m.Sum(nil)) != parts[2] {
		t.Error("bad HS256 signature")
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Aud, Iss, Sub, Room string
		Exp                 int64
		Context             struct {
			User struct {
				Name      string
				Moderator bool
			}
		}
	}
	json.Unmarshal(payload, &claims)
	if claims.Aud != "jitsi" || claims.Iss != "plaza-test" || claims.Sub != "meet.example.org" || claims.Room != r1 ||
		claims.Exp != now.Add(12*time.Hour).Unix() || claims.Context.User.Name != "Ann" || !claims.Context.User.Moderator {
		t.Errorf("claims %+v", claims)
	}
	guest := j.Link(r1, "", "", true)
	if strings.Contains(guest, "displayName") || !strings.Contains(guest, "?jwt=") {
		t.Errorf("guest link %s", guest)
	}
	plain := newJitsi(JitsiOptions{URL: "https://meet.jit.si"}, settings.New(db)).Link(r1, "", "", true)
	if plain != "https://meet.jit.si/"+r1 {
		t.Errorf("unsigned guest link %s", plain)
	}
}

func TestGanttGeometry(t *testing.T) {
	d := func(s string) *string { return &s }
	ts := []*task.Task{
		{Title: "A", StartDate: d("2026-03-01"), DueDate: d("2026-03-10"), Progress: 50, StatusID: 1},
		{Title: "B", DueDate: d("2026-03-20"), StatusID: 2},
		{Title: "undated", StatusID: 1},
	}
	today := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	g := buildGantt(ts, map[int64]bool{2: true}, today, "2006-01-02")
	if len(g.Rows) != 2 {
		t.Fatalf("rows %d", len(g.Rows))
	}
	a, b := g.Rows[0], g.Rows[1]
	if a.ProgressW*2 != a.W || a.Milestone || !b.Milestone || !b.Done || a.Late != true {
		t.Errorf("rows %+v %+v", a, b)
	}
	if !g.ShowToday || g.TodayX <= a.X+a.W || g.TodayX >= b.X {
		t.Errorf("today at %d, A ends %d, B at %d", g.TodayX, a.X+a.W, b.X)
	}
	if b.X <= a.X || a.X < g.LabelWidth || g.Width < b.X {
		t.Errorf("layout %+v", g)
	}
	far := buildGantt(ts, nil, today.AddDate(1, 0, 0), "2006-01-02")
	if far.ShowToday {
		t.Error("today shown a year away from the tasks")
	}
}
