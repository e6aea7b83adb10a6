package collector_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

type fakeStore struct {
	locs map[string]session.LocationStats
	err  error
}

func (f fakeStore) Locations(context.Context) (map[string]session.LocationStats, error) {
	out := map[string]session.LocationStats{}
	for k, v := range f.locs {
		out[k] = v
	}
	return out, f.err
}

func (fakeStore) Forgotten(context.Context) ([]string, error) { return nil, nil }

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// fixedHours is a schedule that is always open, or always closed.
type fixedHours bool

func (f fixedHours) Open(time.Time) bool { return bool(f) }

func newCollector(store collector.LocationLister, configured ...collector.Location) (*collector.Collector, *collector.Metrics) {
	m := collector.NewMetrics(prometheus.NewRegistry(), []string{"missing_uuid"})
	return collector.New(store, m, func() []collector.Location { return configured }, discard), m
}

// noLocations configures none.
func noLocations() []collector.Location { return nil }

func TestCollectorGauges(t *testing.T) {
	last := time.Unix(1795771241, 500_000_000)
	tests := map[string]struct {
		store      fakeStore
		configured []collector.Location
		want       string
	}{
		"locations from the store, configured ones at zero": {
			store: fakeStore{locs: map[string]session.LocationStats{
				"Kamen Test": {Active: 2, Stations: 5, Booked: 3, LastEvent: last},
				"Closed":     {LastEvent: last},
			}},
			// Uptown twice: a repeated series would fail the scrape; the first entry is
			// exported.
			configured: []collector.Location{
				{Name: "Uptown", Hours: fixedHours(true), Stations: 8},
				{Name: "Kamen Test", Hours: fixedHours(false), Stations: 12, Zone: time.UTC},
				{Name: "Nohours"},
				{Name: "Uptown", Hours: fixedHours(true), Stations: 99, Zone: time.FixedZone("UTC+1", 3600)},
			},
			want: `
# HELP synthesisvr_last_event_timestamp_seconds Unix time the newest event from this location was received.
# TYPE synthesisvr_last_event_timestamp_seconds gauge
synthesisvr_last_event_timestamp_seconds{location="Closed"} 1.7957712415e+09
synthesisvr_last_event_timestamp_seconds{location="Kamen Test"} 1.7957712415e+09
# HELP synthesisvr_location_open Whether the location is open now by its configured opening hours (1) or closed (0); configured locations only.
# TYPE synthesisvr_location_open gauge
synthesisvr_location_open{location="Kamen Test"} 0
synthesisvr_location_open{location="Uptown"} 1
# HELP synthesisvr_location_stations VR stations the location has, from locations[].stations in the configuration: its capacity, against which synthesisvr_stations_active gives utilization; configured locations that set stations only.
# TYPE synthesisvr_location_stations gauge
synthesisvr_location_stations{location="Kamen Test"} 12
synthesisvr_location_stations{location="Uptown"} 8
# HELP synthesisvr_location_utc_offset_seconds Offset of the location's local time east of UTC now, in seconds, daylight saving included, from its configured timezone (0 without one): adding it to time() gives the location's wall clock, e.g. for its hour of the week; configured locations only.
# TYPE synthesisvr_location_utc_offset_seconds gauge
synthesisvr_location_utc_offset_seconds{location="Kamen Test"} 0
synthesisvr_location_utc_offset_seconds{location="Nohours"} 0
synthesisvr_location_utc_offset_seconds{location="Uptown"} 0
# HELP synthesisvr_sessions_active Sessions active now, by location: created and not yet deleted or expired.
# TYPE synthesisvr_sessions_active gauge
synthesisvr_sessions_active{location="Closed"} 0
synthesisvr_sessions_active{location="Kamen Test"} 2
synthesisvr_sessions_active{location="Nohours"} 0
synthesisvr_sessions_active{location="Uptown"} 0
# HELP synthesisvr_sessions_booked Sessions booked, by location: known from SynthesisVR's sessions API, their scheduled start still ahead (not counted as active).
# TYPE synthesisvr_sessions_booked gauge
synthesisvr_sessions_booked{location="Closed"} 0
synthesisvr_sessions_booked{location="Kamen Test"} 3
synthesisvr_sessions_booked{location="Nohours"} 0
synthesisvr_sessions_booked{location="Uptown"} 0
# HELP synthesisvr_stations_active Stations in use by active sessions, by location.
# TYPE synthesisvr_stations_active gauge
synthesisvr_stations_active{location="Closed"} 0
synthesisvr_stations_active{location="Kamen Test"} 5
synthesisvr_stations_active{location="Nohours"} 0
synthesisvr_stations_active{location="Uptown"} 0
# HELP synthesisvr_store_up Whether the session store answered this scrape (1) or not (0); without it, session gauges are missing.
# TYPE synthesisvr_store_up gauge
synthesisvr_store_up 1
`,
		},
		"store down: no session gauges, store_up 0, the configuration's gauges still known": {
			store:      fakeStore{err: errors.New("connection refused")},
			configured: []collector.Location{{Name: "Uptown", Hours: fixedHours(true), Stations: 8, Zone: time.FixedZone("UTC+5:30", 19800)}},
			want: `
# HELP synthesisvr_location_open Whether the location is open now by its configured opening hours (1) or closed (0); configured locations only.
# TYPE synthesisvr_location_open gauge
synthesisvr_location_open{location="Uptown"} 1
# HELP synthesisvr_location_stations VR stations the location has, from locations[].stations in the configuration: its capacity, against which synthesisvr_stations_active gives utilization; configured locations that set stations only.
# TYPE synthesisvr_location_stations gauge
synthesisvr_location_stations{location="Uptown"} 8
# HELP synthesisvr_location_utc_offset_seconds Offset of the location's local time east of UTC now, in seconds, daylight saving included, from its configured timezone (0 without one): adding it to time() gives the location's wall clock, e.g. for its hour of the week; configured locations only.
# TYPE synthesisvr_location_utc_offset_seconds gauge
synthesisvr_location_utc_offset_seconds{location="Uptown"} 19800
# HELP synthesisvr_store_up Whether the session store answered this scrape (1) or not (0); without it, session gauges are missing.
# TYPE synthesisvr_store_up gauge
synthesisvr_store_up 0
`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, _ := newCollector(tc.store, tc.configured...)
			if err := testutil.CollectAndCompare(c, strings.NewReader(tc.want)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestStoreDownIsCounted(t *testing.T) {
	// Apart: a registry gathers its collectors concurrently, so the counter could be
	// read before or after the failed read of the same scrape.
	reg, scraped := prometheus.NewRegistry(), prometheus.NewRegistry()
	m := collector.NewMetrics(reg, nil)
	scraped.MustRegister(collector.New(fakeStore{err: errors.New("down")}, m, noLocations, discard))
	if _, err := scraped.Gather(); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP synthesisvr_store_errors_total Store operations that failed, by operation (apply, expire, read).
# TYPE synthesisvr_store_errors_total counter
synthesisvr_store_errors_total{operation="apply"} 0
synthesisvr_store_errors_total{operation="expire"} 0
synthesisvr_store_errors_total{operation="read"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "synthesisvr_store_errors_total"); err != nil {
		t.Fatal(err)
	}
}

// TestMetricsLint lints the collector's gauges and the Metrics families as
// promtool check metrics would.
func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := collector.NewMetrics(reg, []string{"missing_uuid", "invalid_stations"})
	c := collector.New(fakeStore{locs: map[string]session.LocationStats{"A": {Active: 1, Stations: 1, LastEvent: time.Now()}}}, m,
		func() []collector.Location {
			return []collector.Location{{Name: "A", Hours: fixedHours(true), Stations: 4, Zone: time.FixedZone("UTC-5", -18000)}}
		}, discard)
	m.InitLocation("A")
	m.Request(200, time.Millisecond)
	for name, coll := range map[string]prometheus.Collector{"collector": c, "metrics": reg} {
		problems, err := testutil.CollectAndLint(coll)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range problems {
			t.Errorf("%s: lint: %s: %s", name, p.Metric, p.Text)
		}
	}
}

// switchStore answers with whatever locs holds now.
type switchStore struct {
	locs *map[string]session.LocationStats
}

func (s switchStore) Locations(context.Context) (map[string]session.LocationStats, error) {
	out := map[string]session.LocationStats{}
	for k, v := range *s.locs {
		out[k] = v
	}
	return out, nil
}

func (switchStore) Forgotten(context.Context) ([]string, error) { return nil, nil }

// TestCollectorKeepsExportedLocationsAtZero empties the store between scrapes, as
// a Redis that lost its data does: the locations exported before stay, at 0.
func TestCollectorKeepsExportedLocationsAtZero(t *testing.T) {
	locs := map[string]session.LocationStats{"Mall": {Active: 3, Stations: 4, LastEvent: time.Unix(1795771241, 0)}}
	c, m := newCollector(switchStore{&locs})
	m.InitLocation("Seen") // a location this process counted events of
	if n := testutil.CollectAndCount(c, "synthesisvr_sessions_active"); n != 2 {
		t.Fatalf("%d active series before, want 2", n)
	}
	locs = map[string]session.LocationStats{}
	want := `
# HELP synthesisvr_sessions_active Sessions active now, by location: created and not yet deleted or expired.
# TYPE synthesisvr_sessions_active gauge
synthesisvr_sessions_active{location="Mall"} 0
synthesisvr_sessions_active{location="Seen"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "synthesisvr_sessions_active"); err != nil {
		t.Fatal(err)
	}
}
