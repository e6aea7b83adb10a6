package simulator

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

func demoOptions(url string) DemoOptions {
	h, _ := ParseHours("10:00-22:00")
	return DemoOptions{
		Venues: []Venue{{Name: "Downtown", URL: url, Zone: time.UTC}, {Name: "Airport", URL: url, Zone: time.UTC}},
		Hours:  h, Arrivals: 8, MinStations: 1, MaxStations: 4,
		MinDuration: 10 * time.Minute, MaxDuration: 90 * time.Minute, Speed: 1,
		Start: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), Edges: AllEdges, Seed: 5,
		Tick: 10 * time.Millisecond, Status: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func TestDemoDrawsABelievableDay(t *testing.T) {
	o := demoOptions("http://unused")
	o.Edges = Edges{}
	d := newDemo(o)
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
			if open, _ := o.Hours.OpenAt(s.at); !open {
				t.Errorf("session %s arrives at %s, when the venue is closed", e.UUID, s.at)
			}
		case actionDelete:
			start, ok := creates[e.UUID]
			if !ok {
				t.Fatalf("delete of %s before its create with no edges on", e.UUID)
			}
			// Sessions open at the start may be cut short; the others last 10 to 90 minutes.
			if l := s.at.Sub(start); !start.Equal(o.Start) && (l < 10*time.Minute || l > 90*time.Minute) {
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
	a := newDemo(o).advance(o.Start.Add(6 * time.Hour))
	b := newDemo(o).advance(o.Start.Add(6 * time.Hour))
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
