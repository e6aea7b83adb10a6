package collector_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

func TestScheduleOutcomesAreCounted(t *testing.T) {
	start := time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)
	played := func(uuid, exp string, cost float64) session.Session {
		return session.Session{UUID: uuid, Location: "A", Stations: 2, Started: start.Add(-time.Hour), Phase: session.PhasePlaying,
			Schedule: session.Schedule{Start: start, End: start.Add(30 * time.Minute), Experience: exp, Cost: cost}}
	}
	reg := prometheus.NewRegistry()
	m := collector.NewMetrics(reg, nil)
	m.SetMaxExperiences(2)
	a := played("a", "Beat Saber", 25.5)
	m.Outcomes([]session.Outcome{
		// A keyed create: an event, not a start.
		{Change: session.Change{UUID: "a", Action: session.ActionCreate, Location: "A", NeedsLookup: true}, Result: session.ResultApplied,
			Session: session.Session{UUID: "a", Location: "A", Waiting: true}},
		{Change: session.Change{UUID: "a", Location: "A"}, Result: session.ResultStarted, Session: a, Started: true},
		{Change: session.Change{UUID: "a", Location: "A"}, Result: session.ResultFinished, Session: a, Ended: a.Schedule.End, Reason: session.ReasonFinished},
		{Change: session.Change{UUID: "b", Location: "A"}, Result: session.ResultReconciled, Session: played("b", "Arizona Sunshine", 10), Started: true},
		{Change: session.Change{UUID: "c", Location: "A"}, Result: session.ResultScheduled, Session: played("c", "Half-Life", 0), Started: true},
		{Change: session.Change{UUID: "d", Action: session.ActionDelete, Location: "A"}, Result: session.ResultApplied,
			Session: session.Session{UUID: "d", Location: "A", Phase: session.PhaseBooked}, Reason: session.ReasonCancelled},
		{Change: session.Change{UUID: "e", Location: "A"}, Result: session.ResultIgnored},
	})
	want := `
# HELP synthesisvr_bookings_cancelled_total Booked sessions deleted before their scheduled start (locations with an API key); they are not counted as started or ended.
# TYPE synthesisvr_bookings_cancelled_total counter
synthesisvr_bookings_cancelled_total{location="A"} 1
# HELP synthesisvr_experience_revenue_total Sum of the cost of sessions whose play began, in the venue's currency, by experience from SynthesisVR's sessions API; experiences past limits.max_experiences are counted as "_other".
# TYPE synthesisvr_experience_revenue_total counter
synthesisvr_experience_revenue_total{experience="Arizona Sunshine",location="A"} 10
synthesisvr_experience_revenue_total{experience="Beat Saber",location="A"} 25.5
synthesisvr_experience_revenue_total{experience="_other",location="A"} 0
# HELP synthesisvr_experience_sessions_started_total Sessions whose play began, by experience from SynthesisVR's sessions API; experiences past limits.max_experiences are counted as "_other".
# TYPE synthesisvr_experience_sessions_started_total counter
synthesisvr_experience_sessions_started_total{experience="Arizona Sunshine",location="A"} 1
synthesisvr_experience_sessions_started_total{experience="Beat Saber",location="A"} 1
synthesisvr_experience_sessions_started_total{experience="_other",location="A"} 1
# HELP synthesisvr_session_events_total Valid session events received by this process, by location and action (create, delete, other).
# TYPE synthesisvr_session_events_total counter
synthesisvr_session_events_total{action="create",location="A"} 1
synthesisvr_session_events_total{action="delete",location="A"} 1
synthesisvr_session_events_total{action="other",location="A"} 0
# HELP synthesisvr_session_revenue_total Sum of the cost of sessions whose play began, in the venue's currency, from SynthesisVR's sessions API.
# TYPE synthesisvr_session_revenue_total counter
synthesisvr_session_revenue_total{location="A"} 35.5
# HELP synthesisvr_sessions_ended_total Sessions ended by this process, by reason: deleted (a delete event), expired (older than --session.max-age, a missed delete), finished (their scheduled end came without a delete) or admin (ended through the admin API).
# TYPE synthesisvr_sessions_ended_total counter
synthesisvr_sessions_ended_total{location="A",reason="admin"} 0
synthesisvr_sessions_ended_total{location="A",reason="deleted"} 0
synthesisvr_sessions_ended_total{location="A",reason="expired"} 0
synthesisvr_sessions_ended_total{location="A",reason="finished"} 1
# HELP synthesisvr_sessions_reconciled_total Sessions that SynthesisVR's sessions API listed but no webhook brought, taken in by this process's poll.
# TYPE synthesisvr_sessions_reconciled_total counter
synthesisvr_sessions_reconciled_total{location="A"} 1
# HELP synthesisvr_sessions_started_total Sessions whose play began, counted by this process: at their create, or for a location with a SynthesisVR API key at their scheduled start (a booking is not started).
# TYPE synthesisvr_sessions_started_total counter
synthesisvr_sessions_started_total{location="A"} 3
`
	names := []string{"synthesisvr_bookings_cancelled_total", "synthesisvr_experience_revenue_total", "synthesisvr_experience_sessions_started_total", "synthesisvr_session_events_total",
		"synthesisvr_session_revenue_total", "synthesisvr_sessions_ended_total", "synthesisvr_sessions_reconciled_total", "synthesisvr_sessions_started_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
}

// TestExperienceRevenue checks that revenue by experience is counted at a session's
// start, with the experience label bounded as the sessions' one is, that it adds up to
// the location's revenue, and that it goes with a forgotten location.
func TestExperienceRevenue(t *testing.T) {
	start := time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)
	started := func(uuid, loc, exp string, cost float64) session.Outcome {
		s := session.Session{UUID: uuid, Location: loc, Stations: 1, Started: start, Phase: session.PhasePlaying,
			Schedule: session.Schedule{Start: start, End: start.Add(time.Hour), Experience: exp, Cost: cost}}
		return session.Outcome{Change: session.Change{UUID: uuid, Location: loc}, Result: session.ResultStarted, Session: s, Started: true}
	}
	reg := prometheus.NewPedanticRegistry()
	m := collector.NewMetrics(reg, nil)
	m.SetMaxExperiences(1)
	unscheduled := session.Outcome{Change: session.Change{UUID: "plain", Action: session.ActionCreate, Location: "A"},
		Result: session.ResultApplied, Session: session.Session{UUID: "plain", Location: "A", Stations: 1, Started: start}, Started: true}
	m.Outcomes([]session.Outcome{
		started("1", "A", "Beat Saber", 20),
		started("2", "A", "Beat Saber", 5.5),
		started("3", "A", "Half-Life", 10), // past the one experience allowed
		started("4", "A", "Arizona Sunshine", 4),
		started("5", "B", "Beat Saber", 7), // a label in use stays, at any location
		unscheduled,                        // no schedule: no cost known, no experience
	})
	want := `
# HELP synthesisvr_experience_revenue_total Sum of the cost of sessions whose play began, in the venue's currency, by experience from SynthesisVR's sessions API; experiences past limits.max_experiences are counted as "_other".
# TYPE synthesisvr_experience_revenue_total counter
synthesisvr_experience_revenue_total{experience="Beat Saber",location="A"} 25.5
synthesisvr_experience_revenue_total{experience="Beat Saber",location="B"} 7
synthesisvr_experience_revenue_total{experience="_other",location="A"} 14
# HELP synthesisvr_session_revenue_total Sum of the cost of sessions whose play began, in the venue's currency, from SynthesisVR's sessions API.
# TYPE synthesisvr_session_revenue_total counter
synthesisvr_session_revenue_total{location="A"} 39.5
synthesisvr_session_revenue_total{location="B"} 7
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "synthesisvr_experience_revenue_total", "synthesisvr_session_revenue_total"); err != nil {
		t.Fatal(err)
	}
	if problems, err := testutil.GatherAndLint(reg, "synthesisvr_experience_revenue_total"); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %+v", err, problems)
	}
	m.ForgetLocation("A")
	if n, err := testutil.GatherAndCount(reg, "synthesisvr_experience_revenue_total"); err != nil || n != 1 {
		t.Fatalf("%d experience revenue series after forgetting A (%v), want 1 (B's)", n, err)
	}
}

// A booking's experience has its series at 0 from when its schedule is known, before
// its play begins: the first session's revenue is then an increase that rate() and
// increase() see, not the value the series is born with.
func TestExperiencePresetForABooking(t *testing.T) {
	start := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	sched := session.Schedule{Start: start, End: start.Add(time.Hour), Experience: "Beat Saber", Cost: 12}
	booked := session.Session{UUID: "b", Location: "A", Stations: 2, Phase: session.PhaseBooked, Schedule: sched}
	reg := prometheus.NewPedanticRegistry()
	m := collector.NewMetrics(reg, nil)
	m.Outcomes([]session.Outcome{{Change: session.Change{UUID: "b", Location: "A"}, Result: session.ResultScheduled, Session: booked}})
	before := `
# HELP synthesisvr_experience_revenue_total Sum of the cost of sessions whose play began, in the venue's currency, by experience from SynthesisVR's sessions API; experiences past limits.max_experiences are counted as "_other".
# TYPE synthesisvr_experience_revenue_total counter
synthesisvr_experience_revenue_total{experience="Beat Saber",location="A"} 0
# HELP synthesisvr_experience_sessions_started_total Sessions whose play began, by experience from SynthesisVR's sessions API; experiences past limits.max_experiences are counted as "_other".
# TYPE synthesisvr_experience_sessions_started_total counter
synthesisvr_experience_sessions_started_total{experience="Beat Saber",location="A"} 0
`
	names := []string{"synthesisvr_experience_revenue_total", "synthesisvr_experience_sessions_started_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(before), names...); err != nil {
		t.Fatalf("after the lookup of a booking: %v", err)
	}
	playing := booked
	playing.Phase, playing.Started = session.PhasePlaying, start
	m.Outcomes([]session.Outcome{{Change: session.Change{UUID: "b", Location: "A"}, Result: session.ResultStarted, Session: playing, Started: true}})
	after := `
# HELP synthesisvr_experience_revenue_total Sum of the cost of sessions whose play began, in the venue's currency, by experience from SynthesisVR's sessions API; experiences past limits.max_experiences are counted as "_other".
# TYPE synthesisvr_experience_revenue_total counter
synthesisvr_experience_revenue_total{experience="Beat Saber",location="A"} 12
# HELP synthesisvr_experience_sessions_started_total Sessions whose play began, by experience from SynthesisVR's sessions API; experiences past limits.max_experiences are counted as "_other".
# TYPE synthesisvr_experience_sessions_started_total counter
synthesisvr_experience_sessions_started_total{experience="Beat Saber",location="A"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(after), names...); err != nil {
		t.Fatalf("after its start: %v", err)
	}
	// A session whose schedule is known once it plays (a walk-in) presets nothing
	// before its start: no series for an experience nobody booked.
	walkIn := session.Session{UUID: "w", Location: "A", Stations: 1, Phase: session.PhasePlaying, Started: start,
		Schedule: session.Schedule{Start: start, End: start.Add(time.Hour), Experience: "Half-Life", Cost: 9}}
	m.Outcomes([]session.Outcome{{Change: session.Change{UUID: "w", Location: "A"}, Result: session.ResultScheduled, Session: walkIn}})
	if err := testutil.GatherAndCompare(reg, strings.NewReader(after), names...); err != nil {
		t.Fatalf("after the lookup of a playing session: %v", err)
	}
}
