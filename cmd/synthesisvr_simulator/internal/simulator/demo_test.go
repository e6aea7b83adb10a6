package simulator

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func demoOptions(url string) DemoOptions {
	h, err := DailyHours("10:00-22:00")
	if err != nil {
		panic(err)
	}
	return DemoOptions{
		Venues:   []Venue{{Name: "Downtown", URL: url, Hours: h}, {Name: "Airport", URL: url, Hours: h}},
		Arrivals: 8, MinStations: 1, MaxStations: 4,
		MinDuration: 10 * time.Minute, MaxDuration: 90 * time.Minute, Speed: 1,
		Start: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), Edges: AllEdges, Seed: 5,
		Tick: 10 * time.Millisecond, Status: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func TestDemoDrawsABelievableDay(t *testing.T) {
	o := demoOptions("http://unused")
	o.Edges = Edges{}
	hours := o.Venues[0].Hours
	d := newDemo(o, nil)
	due := d.advance(o.Start.Add(24 * time.Hour))
	creates := map[string]time.Time{}
	perVenue := map[string]int{}
	for _, s := range due {
		e := s.ev
		switch e.Action {
		case actionCreate:
			creates[e.UUID] = s.at
			perVenue[e.Location]++
			if e.Stations < 1 || e.Stations > 4 {
				t.Errorf("session %s has %d stations, want 1 to 4", e.UUID, e.Stations)
			}
			if !hours.Open(s.at) {
				t.Errorf("session %s arrives at %s, when the venue is closed", e.UUID, s.at)
			}
		case actionDelete:
			start, ok := creates[e.UUID]
			if !ok {
				t.Fatalf("delete of %s before its create with no edges on", e.UUID)
			}
			// Sessions open at the start may be cut short; the others last 10 to 90
			// minutes, and are removed 1 to 5 minutes after their time ran out.
			if l := s.at.Sub(start); !start.Equal(o.Start) && (l < 11*time.Minute || l > 95*time.Minute) {
				t.Errorf("session %s lasts %s", e.UUID, l)
			}
		}
	}
	// 10 open hours left at 8 an hour, plus those in progress at noon: about 80 to 90 each.
	for _, v := range o.Venues {
		if n := perVenue[v.Name]; n < 50 || n > 130 {
			t.Errorf("%s had %d sessions in the day, want about 85", v.Name, n)
		}
	}
}

func TestDemoIsDeterministic(t *testing.T) {
	o := demoOptions("http://unused")
	a := newDemo(o, nil).advance(o.Start.Add(6 * time.Hour))
	b := newDemo(o, nil).advance(o.Start.Add(6 * time.Hour))
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d and %d events from the same seed", len(a), len(b))
	}
	for i := range a {
		if a[i].ev != b[i].ev || !a[i].at.Equal(b[i].at) {
			t.Fatalf("event %d differs: %+v and %+v", i, a[i], b[i])
		}
	}
}

func TestDemoAgainstTheReceiver(t *testing.T) {
	base := receiver(t)
	o := demoOptions(base + "/webhook/" + testToken)
	o.Speed, o.RunFor, o.Model, o.Client = 3600, 2*time.Second, NewModel(), NewClient(1)
	ctx := context.Background()
	baseline, err := Scrape(ctx, o.Client, base+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunDemo(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Failed > 0 {
		t.Fatalf("demo: %+v", res)
	}
	rep, err := Verify(ctx, o.Client, base+"/metrics", o.Model, baseline, 6*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Locations != 2 {
		t.Errorf("after the demo:\n%s", rep)
	}
}

func TestDailyHours(t *testing.T) {
	cases := map[string]struct {
		in, err      string
		open, closed []string // wall-clock minutes of 2026-05-01, in UTC
	}{
		"a day":             {in: "10:00-22:00", open: []string{"10:00", "21:59"}, closed: []string{"09:59", "22:00"}},
		"across midnight":   {in: "18:30-02:00", open: []string{"00:00", "01:59", "18:30", "23:59"}, closed: []string{"02:00", "18:29"}},
		"always open":       {in: "00:00-24:00", open: []string{"00:00", "12:00", "23:59"}},
		"two ranges":        {in: "10:00-14:00,16:00-22:00", open: []string{"10:00", "13:59", "16:00", "21:59"}, closed: []string{"14:00", "15:59", "22:00"}},
		"a whole day":       {in: "10:00-10:00", open: []string{"00:00", "10:00", "23:59"}},
		"no dash":           {in: "10:00", err: `opening hours "10:00": "10:00" is not a range`},
		"bad minute":        {in: "10:61-22:00", err: `"10:61" is not a time of day`},
		"closed every day":  {in: "closed", err: "never opens"},
		"ranges overlap":    {in: "10:00-14:00,13:00-22:00", err: "overlaps"},
		"an hour out of 24": {in: "10:00-25:00", err: `"25:00" is not a time of day`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h, err := DailyHours(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for want, clocks := range map[bool][]string{true: c.open, false: c.closed} {
				for _, clock := range clocks {
					at, err := time.Parse(time.DateTime, "2026-05-01 "+clock+":00")
					if err != nil {
						t.Fatal(err)
					}
					if h.Open(at) != want {
						t.Errorf("Open at %s = %v, want %v", clock, !want, want)
					}
				}
			}
		})
	}
}

// TestAdvanceCountsOpenTimeOnly checks the arrival clock: two hours of open time
// from 21:00 are one tonight and one tomorrow morning, in the venue's zone.
func TestAdvanceCountsOpenTimeOnly(t *testing.T) {
	sofia, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	daily, err := DailyHours("10:00-22:00")
	if err != nil {
		t.Fatal(err)
	}
	h := daily.In(sofia)
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation(time.DateTime, s, sofia)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := map[string]struct {
		from string
		gap  time.Duration
		want string
	}{
		"within the day":          {from: "2026-05-01 12:00:00", gap: time.Hour, want: "2026-05-01 13:00:00"},
		"across the closing":      {from: "2026-05-01 21:00:00", gap: 2 * time.Hour, want: "2026-05-02 11:00:00"},
		"from before the opening": {from: "2026-05-01 08:00:00", gap: 30 * time.Minute, want: "2026-05-01 10:30:00"},
		"over two closings":       {from: "2026-05-01 21:00:00", gap: 14 * time.Hour, want: "2026-05-03 11:00:00"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := advance(h, at(c.from), c.gap); !got.Equal(at(c.want)) {
				t.Errorf("advance(%s, %s) = %s, want %s", c.from, c.gap, got.In(sofia), c.want)
			}
		})
	}
	if first := FirstOpening([]Venue{{Hours: h}, {Hours: daily}}, at("2026-05-01 08:00:00")); !first.Equal(at("2026-05-01 10:00:00")) {
		t.Errorf("FirstOpening = %s, want 10:00 in Sofia, before 10:00 UTC", first.In(sofia))
	}
}
