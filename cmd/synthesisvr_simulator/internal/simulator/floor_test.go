package simulator

import (
	"slices"
	"testing"
	"time"
)

// busiest returns, per location, the most stations the plans keep busy at once: a
// session that plays holds its stations from its start until its delete, or its end
// (extension included) when no delete comes; a cancelled booking holds none.
func busiest(plans []Plan) map[string]int {
	type step struct {
		at time.Time
		n  int
	}
	steps := map[string][]step{}
	for _, p := range plans {
		if p.Cancelled() {
			continue
		}
		until := p.finalEnd()
		if !p.DeletedAt.IsZero() {
			until = p.DeletedAt
		}
		steps[p.Location] = append(steps[p.Location], step{p.Start, p.Stations}, step{until, -p.Stations})
	}
	out := map[string]int{}
	for loc, s := range steps {
		slices.SortFunc(s, func(a, b step) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return a.n - b.n
		})
		n := 0
		for _, x := range s {
			n += x.n
			out[loc] = max(out[loc], n)
		}
	}
	return out
}

// A week at a busy chain: with stations set, never more are busy at a venue than
// it has, bookings, extensions and deletes that never come included, and groups are
// turned away; without, the same arrivals fill the floor past that, and nobody is.
func TestDemoNeverFillsAVenuePastItsStations(t *testing.T) {
	capacities := map[string]int{"Downtown": 12, "Airport": 3}
	edges := Edges{Booking: 0.3, Cancel: 0.1, Extend: 0.2, MissingDelete: 0.05, MissedWebhook: 0.05, DeleteFirst: 0.05}
	for _, limited := range []bool{true, false} {
		o := demoOptions("http://unused")
		o.Arrivals, o.Edges, o.Model = 30, edges, NewModel()
		for i, v := range o.Venues {
			if limited {
				o.Venues[i].Stations = capacities[v.Name]
			}
		}
		res := PlanSessions(o, o.Start.Add(7*24*time.Hour))
		plans := o.Model.Plans()
		peaks := busiest(plans)
		extended := 0
		for _, p := range plans {
			if !p.ExtendedAt.IsZero() {
				extended++
			}
		}
		t.Logf("limited=%t: %+v, %d plans, %d extended, busiest %v", limited, res, len(plans), extended, peaks)
		// 2 venues, 12 open hours a day, 30 an hour: about 5000 groups.
		if groups := res.Sessions + res.TurnedAway; groups < 4500 || extended == 0 {
			t.Fatalf("limited=%t: %d groups, %d extended sessions in a week: the run is not the busy week the test wants", limited, groups, extended)
		}
		for loc, c := range capacities {
			switch {
			case limited && peaks[loc] > c:
				t.Errorf("%s had %d stations busy at once, and has %d", loc, peaks[loc], c)
			case limited && peaks[loc] < c-1:
				t.Errorf("%s never had more than %d of its %d stations busy at 30 arrivals an hour: the limit turns away groups that fit", loc, peaks[loc], c)
			case !limited && peaks[loc] <= c:
				t.Errorf("without stations, %s had at most %d busy at once: the arrivals do not test a limit of %d", loc, peaks[loc], c)
			}
		}
		if limited != (res.TurnedAway > 0) {
			t.Errorf("limited=%t: %d groups turned away", limited, res.TurnedAway)
		}
	}
}

func TestFloorPeak(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 5, 1, 12, m, 0, 0, time.UTC) }
	f := floor{capacity: 6, holds: []hold{
		{from: at(0), to: at(10), stations: 3},
		{from: at(0), to: at(5), stations: 2},
		{from: at(10), to: at(20), stations: 4},
	}}
	cases := []struct {
		from, to, want int
	}{
		{0, 5, 5},
		{6, 10, 3},  // the 2 ended at 5
		{6, 12, 4},  // the 3 ends as the 4 starts: never 7
		{20, 30, 0}, // all ended
		{4, 11, 5},
	}
	for _, c := range cases {
		if got := f.peak(at(c.from), at(c.to)); got != c.want {
			t.Errorf("peak(%d, %d) = %d, want %d", c.from, c.to, got, c.want)
		}
	}
	if !f.fits(at(6), at(10), 3) || f.fits(at(6), at(12), 3) {
		t.Error("3 more fit from 6 to 10 (3 busy of 6), not until 12 (4 busy from 10)")
	}
	f.prune(at(10))
	if len(f.holds) != 1 {
		t.Errorf("after prune at 10: %v, want the hold from 10 alone", f.holds)
	}
	if unlimited := (floor{holds: f.holds}); !unlimited.fits(at(10), at(20), 100) {
		t.Error("a floor without capacity refused a group")
	}
}
