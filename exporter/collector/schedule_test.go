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
	names := []string{"synthesisvr_bookings_cancelled_total", "synthesisvr_experience_sessions_started_total", "synthesisvr_session_events_total",
		"synthesisvr_session_revenue_total", "synthesisvr_sessions_ended_total", "synthesisvr_sessions_reconciled_total", "synthesisvr_sessions_started_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
}
