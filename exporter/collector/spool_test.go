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

func TestSpoolMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := collector.NewMetrics(reg, nil)
	pending := 7
	s := collector.NewSpoolMetrics(reg, m, func() int { return pending })
	s.Spooled(3)
	s.Lost(2)
	start := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	s.Replayed([]session.Outcome{{
		Change:  session.Change{UUID: "u", Action: session.ActionCreate, Location: "A", Stations: 1},
		Result:  session.ResultApplied,
		Session: session.Session{UUID: "u", Location: "A", Stations: 1, Started: start},
		Started: true,
	}})
	want := `
# HELP synthesisvr_spool_events_total Events written to the local spool because the session store could not take them (answered 202).
# TYPE synthesisvr_spool_events_total counter
synthesisvr_spool_events_total 3
# HELP synthesisvr_spool_lost_events_total Events that neither the session store nor the local spool could keep (answered 503, or an unreadable spooled batch): lost, since SynthesisVR does not resend.
# TYPE synthesisvr_spool_lost_events_total counter
synthesisvr_spool_lost_events_total 2
# HELP synthesisvr_spool_pending_events Events waiting in the local spool for the session store to be reachable again.
# TYPE synthesisvr_spool_pending_events gauge
synthesisvr_spool_pending_events 7
# HELP synthesisvr_spool_replayed_events_total Spooled events applied to the session store once it was reachable again.
# TYPE synthesisvr_spool_replayed_events_total counter
synthesisvr_spool_replayed_events_total 1
# HELP synthesisvr_sessions_started_total Sessions whose play began, counted by this process: at their create, or for a location with a SynthesisVR API key at their scheduled start (a booking is not started).
# TYPE synthesisvr_sessions_started_total counter
synthesisvr_sessions_started_total{location="A"} 1
`
	names := []string{"synthesisvr_spool_events_total", "synthesisvr_spool_lost_events_total", "synthesisvr_spool_pending_events",
		"synthesisvr_spool_replayed_events_total", "synthesisvr_sessions_started_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	if problems, err := testutil.GatherAndLint(reg, names...); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}
