package collector

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/openinghours"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

const (
	stationsHelp = `# HELP synthesisvr_location_stations VR stations the location has, from locations[].stations in the configuration: its capacity, against which synthesisvr_stations_active gives utilization; configured locations that set stations only.
# TYPE synthesisvr_location_stations gauge
`
	offsetHelp = `# HELP synthesisvr_location_utc_offset_seconds Offset of the location's local time east of UTC now, in seconds, daylight saving included, from its configured timezone (0 without one): adding it to time() gives the location's wall clock, e.g. for its hour of the week; configured locations only.
# TYPE synthesisvr_location_utc_offset_seconds gauge
`
)

// downStore fails every read, as a Redis that went away does.
type downStore struct{}

func (downStore) Forgotten(context.Context) ([]string, error) {
	return nil, errors.New("connection refused")
}

func (downStore) Locations(context.Context) (map[string]session.LocationStats, error) {
	return nil, errors.New("connection refused")
}

// stores are a store that answers and one that is down: the configuration's gauges do
// not need the store.
var stores = map[string]LocationLister{"store up": emptyStore{}, "store down": downStore{}}

// zoneOf parses a location's opening hours as the configuration does, and returns the
// schedule with its zone, as the composition root passes them.
func zoneOf(t *testing.T, tz string) (*openinghours.Schedule, *time.Location) {
	t.Helper()
	s, err := openinghours.Parse(openinghours.Spec{Timezone: tz})
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Location()
}

// TestLocationUTCOffsetAtScrapeTime checks the offset east of UTC of each configured
// location at the instant of the scrape: daylight saving on and off, on both sides of
// a change, west of UTC, and UTC for a location without a timezone.
func TestLocationUTCOffsetAtScrapeTime(t *testing.T) {
	sofiaHours, sofia := zoneOf(t, "Europe/Sofia")
	nyHours, newYork := zoneOf(t, "America/New_York")
	utcHours, utc := zoneOf(t, "")
	locs := []Location{
		{Name: "Sofia", Hours: sofiaHours, Zone: sofia},
		{Name: "New York", Hours: nyHours, Zone: newYork},
		{Name: "Plain", Hours: utcHours, Zone: utc},
		{Name: "No zone"}, // not from a file: nil is UTC
	}
	for storeName, store := range stores {
		c := New(store, NewMetrics(prometheus.NewRegistry(), nil), func() []Location { return locs },
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		tests := []struct {
			now              string
			sofia, newYorkAt int
		}{
			{"2026-01-15T12:00:00Z", 2 * 3600, -5 * 3600}, // winter: EET, EST
			{"2026-07-15T12:00:00Z", 3 * 3600, -4 * 3600}, // summer: EEST, EDT
			// New York moves on 8 March, Sofia on 29 March at 01:00 UTC.
			{"2026-03-20T12:00:00Z", 2 * 3600, -4 * 3600},
			{"2026-03-29T00:59:59Z", 2 * 3600, -4 * 3600},
			{"2026-03-29T01:00:00Z", 3 * 3600, -4 * 3600},
		}
		for _, tc := range tests {
			t.Run(storeName+" "+tc.now, func(t *testing.T) {
				now, err := time.Parse(time.RFC3339, tc.now)
				if err != nil {
					t.Fatal(err)
				}
				c.now = func() time.Time { return now }
				want := offsetHelp +
					`synthesisvr_location_utc_offset_seconds{location="New York"} ` + strconv.Itoa(tc.newYorkAt) + `
synthesisvr_location_utc_offset_seconds{location="No zone"} 0
synthesisvr_location_utc_offset_seconds{location="Plain"} 0
synthesisvr_location_utc_offset_seconds{location="Sofia"} ` + strconv.Itoa(tc.sofia) + "\n"
				if err := testutil.CollectAndCompare(c, strings.NewReader(want), "synthesisvr_location_utc_offset_seconds"); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// TestLocationStationsFollowTheConfiguration checks synthesisvr_location_stations: only
// for locations that set stations, once for a name configured twice, while the store
// is down, and as the configuration in force changes between scrapes (a reload).
func TestLocationStationsFollowTheConfiguration(t *testing.T) {
	_, sofia := zoneOf(t, "Europe/Sofia")
	for storeName, store := range stores {
		inForce := []Location{
			{Name: "Downtown", Stations: 12, Zone: sofia},
			{Name: "Mall"}, // stations not set
			{Name: "Downtown", Stations: 3},
			{Name: "Max", Stations: 10000},
		}
		c := New(store, NewMetrics(prometheus.NewRegistry(), nil), func() []Location { return inForce },
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		want := stationsHelp + `synthesisvr_location_stations{location="Downtown"} 12
synthesisvr_location_stations{location="Max"} 10000
`
		if err := testutil.CollectAndCompare(c, strings.NewReader(want), "synthesisvr_location_stations"); err != nil {
			t.Errorf("%s: %v", storeName, err)
		}
		if n := testutil.CollectAndCount(c, "synthesisvr_location_utc_offset_seconds"); n != 3 {
			t.Errorf("%s: %d offset series, want 3 (Downtown, Mall, Max)", storeName, n)
		}

		// A reload: Mall gets stations, Downtown changes, Max is no longer configured.
		inForce = []Location{{Name: "Downtown", Stations: 14}, {Name: "Mall", Stations: 6}}
		want = stationsHelp + `synthesisvr_location_stations{location="Downtown"} 14
synthesisvr_location_stations{location="Mall"} 6
`
		if err := testutil.CollectAndCompare(c, strings.NewReader(want), "synthesisvr_location_stations"); err != nil {
			t.Errorf("%s, after a reload: %v", storeName, err)
		}

		// A reload that drops every station count.
		inForce = []Location{{Name: "Downtown"}, {Name: "Mall"}}
		if n := testutil.CollectAndCount(c, "synthesisvr_location_stations"); n != 0 {
			t.Errorf("%s: %d station series once no location sets stations, want 0", storeName, n)
		}
		problems, err := testutil.CollectAndLint(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}
