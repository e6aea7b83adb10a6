package collector_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// TestAdminEndIsCounted checks that a session ended through the admin API counts
// like a delete, under reason="admin".
func TestAdminEndIsCounted(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := collector.NewMetrics(reg, nil)
	start := time.Unix(1795771241, 0)
	m.Outcomes([]session.Outcome{session.AdminOutcome(session.Session{UUID: "u", Location: "A", Stations: 2, Started: start}, start.Add(10*time.Minute))})
	want := `
# HELP synthesisvr_sessions_ended_total Sessions ended by this process, by reason: deleted (a delete event), expired (older than --session.max-age, a missed delete), finished (their scheduled end came without a delete) or admin (ended through the admin API).
# TYPE synthesisvr_sessions_ended_total counter
synthesisvr_sessions_ended_total{location="A",reason="admin"} 1
synthesisvr_sessions_ended_total{location="A",reason="deleted"} 0
synthesisvr_sessions_ended_total{location="A",reason="expired"} 0
synthesisvr_sessions_ended_total{location="A",reason="finished"} 0
# HELP synthesisvr_station_seconds_total Station time used by ended sessions: stations times duration, in seconds.
# TYPE synthesisvr_station_seconds_total counter
synthesisvr_station_seconds_total{location="A"} 1200
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "synthesisvr_sessions_ended_total", "synthesisvr_station_seconds_total"); err != nil {
		t.Fatal(err)
	}
}

// TestForgottenLocationVanishes forgets a location exported before: its
// gauges and counters go, and it does not come back as the zero series kept for
// a store that lost its state; a location that was not forgotten stays.
func TestForgottenLocationVanishes(t *testing.T) {
	locs := map[string]session.LocationStats{"Old": {Active: 1, Stations: 2}, "Mall": {Active: 3, Stations: 4}}
	reg := prometheus.NewPedanticRegistry()
	m := collector.NewMetrics(reg, nil)
	c := collector.New(switchStore{&locs}, m, noLocations, discard)
	m.InitLocation("Old")
	m.InitLocation("Mall")
	if n := testutil.CollectAndCount(c, "synthesisvr_sessions_active"); n != 2 {
		t.Fatalf("%d active series before, want 2", n)
	}
	locs = map[string]session.LocationStats{"Mall": {Active: 3, Stations: 4}} // the store forgot Old
	c.Forget("Old")
	want := `
# HELP synthesisvr_sessions_active Sessions active now, by location: created and not yet deleted or expired.
# TYPE synthesisvr_sessions_active gauge
synthesisvr_sessions_active{location="Mall"} 3
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "synthesisvr_sessions_active"); err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "synthesisvr_sessions_active"); err != nil {
		t.Fatalf("second scrape: %v", err)
	}
	if n, err := testutil.GatherAndCount(reg, "synthesisvr_sessions_started_total"); err != nil || n != 1 {
		t.Fatalf("%d started series after forgetting (%v), want 1 (Mall)", n, err)
	}
	for _, l := range m.Locations() {
		if l == "Old" {
			t.Fatal("the forgotten location is still among the counted ones")
		}
	}
}

// replicaStore is a store another replica forgot a location of.
type replicaStore struct {
	locs      *map[string]session.LocationStats
	forgotten *[]string
}

func (s replicaStore) Locations(ctx context.Context) (map[string]session.LocationStats, error) {
	return switchStore{s.locs}.Locations(ctx)
}

func (s replicaStore) Forgotten(context.Context) ([]string, error) { return *s.forgotten, nil }

// TestLocationForgottenByAnotherReplica checks that a replica drops the series
// of a location that another replica forgot, once the store says so, and
// exports it again when an event brings it back.
func TestLocationForgottenByAnotherReplica(t *testing.T) {
	locs := map[string]session.LocationStats{"Old": {Active: 1, Stations: 2}, "Mall": {Active: 3, Stations: 4}}
	var forgotten []string
	reg := prometheus.NewPedanticRegistry()
	m := collector.NewMetrics(reg, nil)
	c := collector.New(replicaStore{&locs, &forgotten}, m, noLocations, discard)
	var told []string
	c.OnForget = func(loc string) { told = append(told, loc) }
	reg.MustRegister(c)
	m.InitLocation("Old")
	if n, err := testutil.GatherAndCount(reg, "synthesisvr_sessions_active"); err != nil || n != 2 {
		t.Fatalf("%d active series before (%v), want 2", n, err)
	}
	// Another replica forgot Old: the store no longer has it and says so.
	locs = map[string]session.LocationStats{"Mall": {Active: 3, Stations: 4}}
	forgotten = []string{"Old"}
	// The registry gathers the counters beside the collector, so the scrape that
	// learns of the forget drops the gauges at once and the counters from the next.
	if n, err := testutil.GatherAndCount(reg, "synthesisvr_sessions_active"); err != nil || n != 1 {
		t.Fatalf("%d active series in the scrape that learns of the forget (%v), want 1 (Mall)", n, err)
	}
	for range 2 {
		if n, err := testutil.GatherAndCount(reg, "synthesisvr_sessions_active", "synthesisvr_sessions_started_total"); err != nil || n != 1 {
			t.Fatalf("%d active and started series after the forget (%v), want 1 (Mall active)", n, err)
		}
	}
	if len(told) != 1 || told[0] != "Old" {
		t.Fatalf("OnForget told %v, want Old once", told)
	}
	// An event brings it back: the store knows it again and no longer lists it.
	locs["Old"] = session.LocationStats{Active: 1, Stations: 1}
	forgotten = nil
	if n, err := testutil.GatherAndCount(reg, "synthesisvr_sessions_active"); err != nil || n != 2 {
		t.Fatalf("%d active series after it came back (%v), want 2", n, err)
	}
}

// TestAdminRequestsPreset checks the admin counter's pre-set series.
func TestAdminRequestsPreset(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	a := collector.NewAdminMetrics(reg, map[string][]int{"end_session": {200, 404}})
	a.Request("end_session", 404)
	want := `
# HELP synthesisvr_admin_requests_total Admin API requests answered, by operation and HTTP status code.
# TYPE synthesisvr_admin_requests_total counter
synthesisvr_admin_requests_total{code="200",operation="end_session"} 0
synthesisvr_admin_requests_total{code="404",operation="end_session"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}
