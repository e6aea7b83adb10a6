package collector_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

func TestOutcomesAreCounted(t *testing.T) {
	start := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	create := session.Change{UUID: "u", Action: session.ActionCreate, Location: "A", Stations: 2}
	sess := session.Session{UUID: "u", Location: "A", Stations: 2, Started: start}
	del := session.Change{UUID: "u", Action: session.ActionDelete, Location: "A"}
	outcomes := []session.Outcome{
		{Change: create, Result: session.ResultApplied, Session: sess, Started: true},
		{Change: create, Result: session.ResultDuplicate, Session: sess},
		{Change: session.Change{UUID: "x", Action: "pause", Location: "A"}, Result: session.ResultIgnored},
		{Change: del, Result: session.ResultApplied, Session: sess, Ended: start.Add(30 * time.Minute)},
		{Change: del, Result: session.ResultUnmatched},
		{Change: session.Change{UUID: "v", Location: "B"}, Result: session.ResultExpired,
			Session: session.Session{UUID: "v", Location: "B", Stations: 1, Started: start}, Ended: start.Add(6 * time.Hour)},
		{Change: session.Change{UUID: "w", Action: session.ActionCreate, Location: session.OverflowLocation}, Result: session.ResultApplied, Folded: true, Started: true,
			Session: session.Session{UUID: "w", Location: session.OverflowLocation, Started: start}},
	}
	reg := prometheus.NewRegistry()
	m := collector.NewMetrics(reg, nil)
	m.Outcomes(outcomes)
	want := `
# HELP synthesisvr_locations_folded_events_total Events whose new location was past limits.max_locations and was counted under location="_overflow".
# TYPE synthesisvr_locations_folded_events_total counter
synthesisvr_locations_folded_events_total 1
# HELP synthesisvr_session_events_total Valid session events received by this process, by location and action (create, delete, other).
# TYPE synthesisvr_session_events_total counter
synthesisvr_session_events_total{action="create",location="A"} 2
synthesisvr_session_events_total{action="create",location="B"} 0
synthesisvr_session_events_total{action="create",location="_overflow"} 1
synthesisvr_session_events_total{action="delete",location="A"} 2
synthesisvr_session_events_total{action="delete",location="B"} 0
synthesisvr_session_events_total{action="delete",location="_overflow"} 0
synthesisvr_session_events_total{action="other",location="A"} 1
synthesisvr_session_events_total{action="other",location="B"} 0
synthesisvr_session_events_total{action="other",location="_overflow"} 0
# HELP synthesisvr_session_event_results_total Create and delete events by what they did: applied, duplicate (create of an active session), late (create after its delete), unmatched (delete of no active session).
# TYPE synthesisvr_session_event_results_total counter
synthesisvr_session_event_results_total{action="create",location="A",result="applied"} 1
synthesisvr_session_event_results_total{action="create",location="A",result="duplicate"} 1
synthesisvr_session_event_results_total{action="create",location="A",result="late"} 0
synthesisvr_session_event_results_total{action="delete",location="A",result="applied"} 1
synthesisvr_session_event_results_total{action="delete",location="A",result="unmatched"} 1
synthesisvr_session_event_results_total{action="create",location="B",result="applied"} 0
synthesisvr_session_event_results_total{action="create",location="B",result="duplicate"} 0
synthesisvr_session_event_results_total{action="create",location="B",result="late"} 0
synthesisvr_session_event_results_total{action="delete",location="B",result="applied"} 0
synthesisvr_session_event_results_total{action="delete",location="B",result="unmatched"} 0
synthesisvr_session_event_results_total{action="create",location="_overflow",result="applied"} 1
synthesisvr_session_event_results_total{action="create",location="_overflow",result="duplicate"} 0
synthesisvr_session_event_results_total{action="create",location="_overflow",result="late"} 0
synthesisvr_session_event_results_total{action="delete",location="_overflow",result="applied"} 0
synthesisvr_session_event_results_total{action="delete",location="_overflow",result="unmatched"} 0
# HELP synthesisvr_sessions_ended_total Sessions ended by this process, by reason: deleted (a delete event), expired (older than --session.max-age, a missed delete), finished (their scheduled end came without a delete) or admin (ended through the admin API).
# TYPE synthesisvr_sessions_ended_total counter
synthesisvr_sessions_ended_total{location="A",reason="admin"} 0
synthesisvr_sessions_ended_total{location="A",reason="deleted"} 1
synthesisvr_sessions_ended_total{location="A",reason="expired"} 0
synthesisvr_sessions_ended_total{location="A",reason="finished"} 0
synthesisvr_sessions_ended_total{location="B",reason="admin"} 0
synthesisvr_sessions_ended_total{location="B",reason="deleted"} 0
synthesisvr_sessions_ended_total{location="B",reason="expired"} 1
synthesisvr_sessions_ended_total{location="B",reason="finished"} 0
synthesisvr_sessions_ended_total{location="_overflow",reason="admin"} 0
synthesisvr_sessions_ended_total{location="_overflow",reason="deleted"} 0
synthesisvr_sessions_ended_total{location="_overflow",reason="expired"} 0
synthesisvr_sessions_ended_total{location="_overflow",reason="finished"} 0
# HELP synthesisvr_sessions_started_total Sessions whose play began, counted by this process: at their create, or for a location with a SynthesisVR API key at their scheduled start (a booking is not started).
# TYPE synthesisvr_sessions_started_total counter
synthesisvr_sessions_started_total{location="A"} 1
synthesisvr_sessions_started_total{location="B"} 0
synthesisvr_sessions_started_total{location="_overflow"} 1
# HELP synthesisvr_station_seconds_total Station time used by ended sessions: stations times duration, in seconds.
# TYPE synthesisvr_station_seconds_total counter
synthesisvr_station_seconds_total{location="A"} 3600
synthesisvr_station_seconds_total{location="B"} 21600
synthesisvr_station_seconds_total{location="_overflow"} 0
`
	names := []string{"synthesisvr_locations_folded_events_total", "synthesisvr_session_events_total",
		"synthesisvr_session_event_results_total",
		"synthesisvr_sessions_ended_total", "synthesisvr_sessions_started_total", "synthesisvr_station_seconds_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	if got := testutil.CollectAndCount(reg, "synthesisvr_session_duration_seconds"); got != 3 {
		t.Errorf("duration histograms: %d series, want 3 (A, B, _overflow)", got)
	}
}

// TestRequestsByCode counts known codes through their counters found at start and
// any other code through the vector, under its own label value.
func TestRequestsByCode(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := collector.NewMetrics(reg, nil)
	for _, code := range []int{200, 200, 202, 408, 500, 408} {
		m.Request(code, time.Millisecond)
	}
	want := `
# HELP synthesisvr_webhook_requests_total Webhook requests answered, by HTTP status code.
# TYPE synthesisvr_webhook_requests_total counter
synthesisvr_webhook_requests_total{code="200"} 2
synthesisvr_webhook_requests_total{code="202"} 1
synthesisvr_webhook_requests_total{code="400"} 0
synthesisvr_webhook_requests_total{code="404"} 0
synthesisvr_webhook_requests_total{code="408"} 2
synthesisvr_webhook_requests_total{code="413"} 0
synthesisvr_webhook_requests_total{code="500"} 1
synthesisvr_webhook_requests_total{code="503"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "synthesisvr_webhook_requests_total"); err != nil {
		t.Error(err)
	}
}

// TestOneLocationExposition follows one location from InitLocation (every series at
// zero) through sessions that end after 30 minutes, before they started (a clock
// stepped back: counted, observed as 0 s, no station time) and past the last bucket.
func TestOneLocationExposition(t *testing.T) {
	start := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	sess := session.Session{UUID: "u", Location: "Kamen Test", Stations: 2, Started: start}
	create := session.Change{UUID: "u", Action: session.ActionCreate, Location: "Kamen Test", Stations: 2}
	del := session.Change{UUID: "u", Action: session.ActionDelete, Location: "Kamen Test"}
	const header = `
# HELP synthesisvr_session_duration_seconds Duration of ended sessions, from create to delete, expiry or admin end.
# TYPE synthesisvr_session_duration_seconds histogram
`
	tests := map[string]struct {
		outcomes []session.Outcome
		want     string
	}{
		"initialized, nothing received": {
			want: `
# HELP synthesisvr_session_event_results_total Create and delete events by what they did: applied, duplicate (create of an active session), late (create after its delete), unmatched (delete of no active session).
# TYPE synthesisvr_session_event_results_total counter
synthesisvr_session_event_results_total{action="create",location="Kamen Test",result="applied"} 0
synthesisvr_session_event_results_total{action="create",location="Kamen Test",result="duplicate"} 0
synthesisvr_session_event_results_total{action="create",location="Kamen Test",result="late"} 0
synthesisvr_session_event_results_total{action="delete",location="Kamen Test",result="applied"} 0
synthesisvr_session_event_results_total{action="delete",location="Kamen Test",result="unmatched"} 0
# HELP synthesisvr_session_events_total Valid session events received by this process, by location and action (create, delete, other).
# TYPE synthesisvr_session_events_total counter
synthesisvr_session_events_total{action="create",location="Kamen Test"} 0
synthesisvr_session_events_total{action="delete",location="Kamen Test"} 0
synthesisvr_session_events_total{action="other",location="Kamen Test"} 0
# HELP synthesisvr_sessions_ended_total Sessions ended by this process, by reason: deleted (a delete event), expired (older than --session.max-age, a missed delete), finished (their scheduled end came without a delete) or admin (ended through the admin API).
# TYPE synthesisvr_sessions_ended_total counter
synthesisvr_sessions_ended_total{location="Kamen Test",reason="admin"} 0
synthesisvr_sessions_ended_total{location="Kamen Test",reason="deleted"} 0
synthesisvr_sessions_ended_total{location="Kamen Test",reason="expired"} 0
synthesisvr_sessions_ended_total{location="Kamen Test",reason="finished"} 0
# HELP synthesisvr_sessions_started_total Sessions whose play began, counted by this process: at their create, or for a location with a SynthesisVR API key at their scheduled start (a booking is not started).
# TYPE synthesisvr_sessions_started_total counter
synthesisvr_sessions_started_total{location="Kamen Test"} 0
# HELP synthesisvr_station_seconds_total Station time used by ended sessions: stations times duration, in seconds.
# TYPE synthesisvr_station_seconds_total counter
synthesisvr_station_seconds_total{location="Kamen Test"} 0
` + header + histogram("Kamen Test", [14]int{}, 0),
		},
		"30 minutes, a backward clock and an expiry": {
			outcomes: []session.Outcome{
				{Change: create, Result: session.ResultApplied, Session: sess, Started: true},
				{Change: del, Result: session.ResultApplied, Session: sess, Ended: start.Add(30 * time.Minute)},
				{Change: del, Result: session.ResultApplied, Session: sess, Ended: start.Add(-time.Minute)},
				{Change: session.Change{UUID: "v", Location: "Kamen Test"}, Result: session.ResultExpired,
					Session: session.Session{UUID: "v", Location: "Kamen Test", Stations: 1, Started: start}, Ended: start.Add(7 * time.Hour)},
			},
			want: `
# HELP synthesisvr_session_event_results_total Create and delete events by what they did: applied, duplicate (create of an active session), late (create after its delete), unmatched (delete of no active session).
# TYPE synthesisvr_session_event_results_total counter
synthesisvr_session_event_results_total{action="create",location="Kamen Test",result="applied"} 1
synthesisvr_session_event_results_total{action="create",location="Kamen Test",result="duplicate"} 0
synthesisvr_session_event_results_total{action="create",location="Kamen Test",result="late"} 0
synthesisvr_session_event_results_total{action="delete",location="Kamen Test",result="applied"} 2
synthesisvr_session_event_results_total{action="delete",location="Kamen Test",result="unmatched"} 0
# HELP synthesisvr_session_events_total Valid session events received by this process, by location and action (create, delete, other).
# TYPE synthesisvr_session_events_total counter
synthesisvr_session_events_total{action="create",location="Kamen Test"} 1
synthesisvr_session_events_total{action="delete",location="Kamen Test"} 2
synthesisvr_session_events_total{action="other",location="Kamen Test"} 0
# HELP synthesisvr_sessions_ended_total Sessions ended by this process, by reason: deleted (a delete event), expired (older than --session.max-age, a missed delete), finished (their scheduled end came without a delete) or admin (ended through the admin API).
# TYPE synthesisvr_sessions_ended_total counter
synthesisvr_sessions_ended_total{location="Kamen Test",reason="admin"} 0
synthesisvr_sessions_ended_total{location="Kamen Test",reason="deleted"} 2
synthesisvr_sessions_ended_total{location="Kamen Test",reason="expired"} 1
synthesisvr_sessions_ended_total{location="Kamen Test",reason="finished"} 0
# HELP synthesisvr_sessions_started_total Sessions whose play began, counted by this process: at their create, or for a location with a SynthesisVR API key at their scheduled start (a booking is not started).
# TYPE synthesisvr_sessions_started_total counter
synthesisvr_sessions_started_total{location="Kamen Test"} 1
# HELP synthesisvr_station_seconds_total Station time used by ended sessions: stations times duration, in seconds.
# TYPE synthesisvr_station_seconds_total counter
synthesisvr_station_seconds_total{location="Kamen Test"} 28800
` + header + histogram("Kamen Test", [14]int{1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3}, 27000),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m := collector.NewMetrics(reg, nil)
			m.InitLocation("Kamen Test")
			m.Outcomes(tc.outcomes)
			if err := testutil.GatherAndCompare(reg, strings.NewReader(tc.want), locationFamilies...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// locationFamilies are the families labelled by location that Metrics counts.
var locationFamilies = []string{
	"synthesisvr_session_duration_seconds", "synthesisvr_session_event_results_total",
	"synthesisvr_session_events_total", "synthesisvr_sessions_ended_total",
	"synthesisvr_sessions_started_total", "synthesisvr_station_seconds_total",
}

// histogram returns the samples of synthesisvr_session_duration_seconds for loc: the
// cumulative count of each of DurationBuckets and +Inf, then sum and count.
func histogram(loc string, cumulative [14]int, sum float64) string {
	var b strings.Builder
	for i, n := range cumulative {
		le := "+Inf"
		if i < len(collector.DurationBuckets) {
			le = strconv.FormatFloat(collector.DurationBuckets[i], 'g', -1, 64)
		}
		fmt.Fprintf(&b, "synthesisvr_session_duration_seconds_bucket{location=%q,le=%q} %d\n", loc, le, n)
	}
	fmt.Fprintf(&b, "synthesisvr_session_duration_seconds_sum{location=%q} %g\n", loc, sum)
	fmt.Fprintf(&b, "synthesisvr_session_duration_seconds_count{location=%q} %d\n", loc, cumulative[13])
	return b.String()
}
