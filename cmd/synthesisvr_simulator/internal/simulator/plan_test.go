package simulator

import (
	"reflect"
	"testing"
	"time"
)

func TestExpectAPIFollowsTheSchedule(t *testing.T) {
	const slack = 10 * time.Second
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	booking := Plan{UUID: "b", Location: "X", Stations: 2, Cost: 30, Booked: t0, Start: t0.Add(2 * time.Hour), End: t0.Add(150 * time.Minute)}
	walkIn := Plan{UUID: "w", Location: "X", Stations: 3, Cost: 45, Booked: t0, Start: t0, End: t0.Add(30 * time.Minute)}
	with := func(p Plan, f func(*Plan)) Plan { f(&p); return p }
	one, maybe := Range{1, 1}, Range{0, 1}
	cases := map[string]struct {
		plan   Plan
		failed bool // its create's POST failed
		at     time.Duration
		want   APIExpected
	}{
		"a booking is booked before its start": {plan: booking, at: time.Hour,
			want: APIExpected{Booked: one}},
		"a fresh booking may count as active while its lookup is pending": {plan: booking, at: 5 * time.Second,
			want: APIExpected{Booked: maybe, Playing: maybe, Stations: Range{0, 2}}},
		"a booking plays from its start, started once with its revenue": {plan: booking, at: 2*time.Hour + 15*time.Minute,
			want: APIExpected{Playing: one, Stations: Range{2, 2}, Started: one, Revenue: Range{30, 30}}},
		"at its start it may be either": {plan: booking, at: 2*time.Hour - 5*time.Second,
			want: APIExpected{Booked: maybe, Playing: maybe, Stations: Range{0, 2}, Started: maybe, Revenue: Range{0, 30}}},
		"it finishes at its end with no delete": {plan: booking, at: 3 * time.Hour,
			want: APIExpected{Started: one, Revenue: Range{30, 30}, Finished: one}},
		"a walk-in plays at once, never booked": {plan: walkIn, at: 10 * time.Minute,
			want: APIExpected{Playing: one, Stations: Range{3, 3}, Started: one, Revenue: Range{45, 45}}},
		"a cancelled booking never starts": {plan: with(booking, func(p *Plan) { p.DeletedAt = t0.Add(time.Hour) }), at: 3 * time.Hour,
			want: APIExpected{Cancelled: one}},
		"an extended session plays past its first end": {
			plan: with(walkIn, func(p *Plan) { p.ExtendedAt, p.ExtendedEnd = t0.Add(10*time.Minute), t0.Add(50*time.Minute) }),
			at:   40 * time.Minute,
			want: APIExpected{Playing: one, Stations: Range{3, 3}, Started: one, Revenue: Range{45, 45}}},
		"an extended session finishes at its new end": {
			plan: with(walkIn, func(p *Plan) { p.ExtendedAt, p.ExtendedEnd = t0.Add(10*time.Minute), t0.Add(50*time.Minute) }),
			at:   time.Hour,
			want: APIExpected{Started: one, Revenue: Range{45, 45}, Finished: one}},
		"a delete during play ends it as deleted": {plan: with(walkIn, func(p *Plan) { p.DeletedAt = t0.Add(20 * time.Minute) }), at: 25 * time.Minute,
			want: APIExpected{Started: one, Revenue: Range{45, 45}, Deleted: one}},
		"a delete after its end leaves it finished": {plan: with(walkIn, func(p *Plan) { p.DeletedAt = t0.Add(35 * time.Minute) }), at: time.Hour,
			want: APIExpected{Started: one, Revenue: Range{45, 45}, Finished: one}},
		"a missed session is reconciled while it plays": {plan: with(walkIn, func(p *Plan) { p.MissedWebhook = true }), at: 10 * time.Minute,
			want: APIExpected{Playing: one, Stations: Range{3, 3}, Started: one, Revenue: Range{45, 45}, Reconciled: one}},
		"a missed session shorter than the slack may never be seen": {
			plan: with(walkIn, func(p *Plan) { p.MissedWebhook, p.End = true, t0.Add(5*time.Second) }), at: time.Hour,
			want: APIExpected{Started: maybe, Revenue: Range{0, 45}, Reconciled: maybe, Finished: maybe}},
		"a failed create leaves everything open": {plan: walkIn, failed: true, at: 10 * time.Minute,
			want: APIExpected{Playing: maybe, Stations: Range{0, 3}, Started: maybe, Revenue: Range{0, 45}}},
		"nothing before it was booked": {plan: with(booking, func(p *Plan) { p.Booked = t0.Add(time.Hour) }), at: 0,
			want: APIExpected{}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m := NewModel()
			m.AddPlan(c.plan)
			if c.failed {
				m.Failed([]Event{{UUID: c.plan.UUID, Action: actionCreate, Location: "X", Stations: c.plan.Stations}}, t0)
			}
			got := m.ExpectAPI(t0.Add(c.at), slack)
			if len(got) != 1 || got["X"] != c.want {
				t.Errorf("got %+v,\nwant %+v", got["X"], c.want)
			}
		})
	}
}

func TestModelRecordsWhenALoadDeletes(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	m := NewModel()
	m.AddPlan(Plan{UUID: "a", Location: "X", Booked: t0, Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)})
	m.Applied([]Event{ev("a", actionCreate, "X", 1)}, t0)
	m.Applied([]Event{ev("a", actionDelete, "X", 1)}, t0.Add(time.Minute))
	if p := m.Plans()[0]; !p.DeletedAt.Equal(t0.Add(time.Minute)) || !p.Cancelled() {
		t.Errorf("plan after its delete: %+v, want cancelled a minute in", p)
	}
	if got := m.Listed("X", t0.Add(2*time.Minute)); len(got) != 0 {
		t.Errorf("the API still lists a deleted session: %+v", got)
	}
}

// demoPlans runs a demo's first day with these edges and returns its plans and events.
func demoPlans(t *testing.T, edges Edges) ([]Plan, []scheduled) {
	t.Helper()
	o := demoOptions("http://unused")
	o.Edges, o.Model = edges, NewModel()
	d := newDemo(o, func(t time.Time) time.Time { return t })
	due := d.advance(o.Start.Add(24 * time.Hour))
	return o.Model.Plans(), due
}

func TestDemoPlansEachScheduleEdge(t *testing.T) {
	cases := map[string]struct {
		edges Edges
		check func(t *testing.T, p Plan)
	}{
		"walk-ins start as they are created": {edges: Edges{}, check: func(t *testing.T, p Plan) {
			if !p.Start.Equal(p.Booked) || p.Cost <= 0 || p.Experience == "" {
				t.Errorf("walk-in %+v", p)
			}
		}},
		"bookings start hours after their create": {edges: Edges{Booking: 1}, check: func(t *testing.T, p Plan) {
			if p.Start.Sub(p.Booked) < time.Hour {
				t.Errorf("booking starts %s after its create", p.Start.Sub(p.Booked))
			}
		}},
		"cancellations come before the start": {edges: Edges{Booking: 1, Cancel: 1}, check: func(t *testing.T, p Plan) {
			if !p.Cancelled() {
				t.Errorf("not cancelled: %+v", p)
			}
		}},
		"extensions move the end later": {edges: Edges{Extend: 1}, check: func(t *testing.T, p Plan) {
			if !p.ExtendedEnd.After(p.End) || !p.ExtendedAt.After(p.Start) || !p.ExtendedAt.Before(p.End) {
				t.Errorf("extension %+v", p)
			}
		}},
		"missing deletes: the time runs out": {edges: Edges{MissingDelete: 1}, check: func(t *testing.T, p Plan) {
			if !p.DeletedAt.IsZero() {
				t.Errorf("deleted at %s", p.DeletedAt)
			}
		}},
		"missed webhooks": {edges: Edges{MissedWebhook: 1}, check: func(t *testing.T, p Plan) {
			if !p.MissedWebhook {
				t.Errorf("webhook not missed: %+v", p)
			}
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			plans, due := demoPlans(t, c.edges)
			if len(plans) < 50 {
				t.Fatalf("%d plans in a day", len(plans))
			}
			for _, p := range plans {
				c.check(t, p)
			}
			if c.edges.MissedWebhook == 1 && len(due) != 0 {
				t.Errorf("%d webhooks sent, want none", len(due))
			}
		})
	}
}

func TestDemoSendsThePlannedTimes(t *testing.T) {
	plans, due := demoPlans(t, Edges{Booking: 0.5, Cancel: 0.3, Extend: 0.3})
	byUUID := map[string]Plan{}
	for _, p := range plans {
		byUUID[p.UUID] = p
	}
	for _, s := range due {
		p := byUUID[s.ev.UUID]
		want := p.Booked
		if s.ev.Action == actionDelete {
			want = p.DeletedAt
		}
		if !s.at.Equal(want) {
			t.Fatalf("%s of %s sent at %s, its plan says %s", s.ev.Action, p.UUID, s.at, want)
		}
	}
}

func TestPlansAreDeterministic(t *testing.T) {
	edges := Edges{Booking: 0.3, Cancel: 0.2, Extend: 0.2, MissedWebhook: 0.1, MissingDelete: 0.1}
	a, _ := demoPlans(t, edges)
	b, _ := demoPlans(t, edges)
	if !reflect.DeepEqual(a, b) {
		t.Error("the demo's seed gave different plans")
	}
	stream := func() []Plan {
		m := NewModel()
		now := timeZero
		s := NewStream(9, edges, []string{"A", "B"}, 10).WithSchedule(&Schedule{Model: m, Now: func() time.Time { return now },
			Lead: time.Minute, Length: 30 * time.Second})
		for range 200 {
			for _, e := range s.Next() {
				m.Applied([]Event{e}, now)
			}
			now = now.Add(100 * time.Millisecond)
		}
		return m.Plans()
	}
	if x, y := stream(), stream(); !reflect.DeepEqual(x, y) || len(x) < 50 {
		t.Errorf("the stream's seed gave different plans, or few (%d)", len(x))
	}
}

func TestStreamMissedWebhooksAreNeverSent(t *testing.T) {
	m := NewModel()
	s := NewStream(4, Edges{MissedWebhook: 0.5}, []string{"A"}, 10).WithSchedule(&Schedule{Model: m, Now: func() time.Time { return timeZero },
		Lead: time.Minute, Length: time.Minute})
	sent := map[string]bool{}
	for _, p := range draw(s, 500) {
		for _, e := range p {
			sent[e.UUID] = true
		}
	}
	missed := 0
	for _, p := range m.Plans() {
		if p.MissedWebhook {
			missed++
			if sent[p.UUID] {
				t.Errorf("missed session %s was sent", p.UUID)
			}
		} else if !sent[p.UUID] {
			t.Errorf("session %s was never sent", p.UUID)
		}
	}
	if missed == 0 {
		t.Error("no webhook was missed at a rate of 0.5")
	}
}
