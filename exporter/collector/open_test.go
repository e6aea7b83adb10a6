package collector

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/openinghours"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

type emptyStore struct{}

func (emptyStore) Forgotten(context.Context) ([]string, error) { return nil, nil }

func (emptyStore) Locations(context.Context) (map[string]session.LocationStats, error) {
	return map[string]session.LocationStats{}, nil
}

// TestLocationOpenAtScrapeTime checks that synthesisvr_location_open follows the clock
// of each scrape, for two locations in different time zones.
func TestLocationOpenAtScrapeTime(t *testing.T) {
	sofia, err := openinghours.Parse(openinghours.Spec{Timezone: "Europe/Sofia", Hours: map[string][]string{"mon-sun": {"10:00-22:00"}}})
	if err != nil {
		t.Fatal(err)
	}
	newYork, err := openinghours.Parse(openinghours.Spec{Timezone: "America/New_York", Hours: map[string][]string{"mon-sun": {"10:00-22:00"}}})
	if err != nil {
		t.Fatal(err)
	}
	locs := []Location{{Name: "Sofia", Hours: sofia}, {Name: "New York", Hours: newYork}}
	c := New(emptyStore{}, NewMetrics(prometheus.NewRegistry(), nil), func() []Location { return locs },
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	tests := map[string]struct {
		now              string
		sofia, newYorkOn string
	}{
		"Sofia's evening is New York's morning": {"2026-03-04T17:00:00Z", "1", "1"},
		"Sofia closed, New York open":           {"2026-03-04T21:00:00Z", "0", "1"},
		"both closed":                           {"2026-03-04T04:00:00Z", "0", "0"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			now, err := time.Parse(time.RFC3339, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			c.now = func() time.Time { return now }
			want := `
# HELP synthesisvr_location_open Whether the location is open now by its configured opening hours (1) or closed (0); configured locations only.
# TYPE synthesisvr_location_open gauge
synthesisvr_location_open{location="New York"} ` + tc.newYorkOn + `
synthesisvr_location_open{location="Sofia"} ` + tc.sofia + `
`
			if err := testutil.CollectAndCompare(c, strings.NewReader(want), "synthesisvr_location_open"); err != nil {
				t.Error(err)
			}
		})
	}
}
