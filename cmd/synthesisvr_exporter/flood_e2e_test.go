package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// locationLabel finds the location label of an exposition line.
var locationLabel = regexp.MustCompile(`location="((?:[^"\\]|\\.)*)"`)

// TestFloodKeepsLabelsBounded sends 2000 new locations and 4000 session ids to an
// exporter with max_locations 50: every metric has at most 51 location values
// (50 and _overflow), and the exposition stays small. Tombstones and memory are
// checked in exporter/session (TestFloodIsBounded).
func TestFloodKeepsLabelsBounded(t *testing.T) {
	const token, maxLocations, locations = "e2eFloodToken-0123456789abcdef", 50, 2000
	cfg := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfg, fmt.Sprintf("limits:\n  max_locations: %d\n", maxLocations))
	p := startExporter(t, options{config: cfg, env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + token}})
	for start := 0; start < locations; start += 250 {
		evs := make([]string, 0, 1000)
		for i := start; i < start+250; i++ {
			loc := fmt.Sprintf("flood-%d", i)
			evs = append(evs, createEvent(loc+"-a", loc, 1), createEvent(loc+"-b", loc, 2),
				`{"uuid":"`+loc+`-a","action":"delete","location":"`+loc+`"}`, `{"uuid":"`+loc+`-x","action":"delete","location":"`+loc+`"}`)
		}
		postEvents(t, p.webhookURL(token), "["+strings.Join(evs, ",")+"]")
	}
	m := scrape(t, p.base)
	values := map[string]map[string]bool{}
	series := 0
	for _, line := range strings.Split(m.text, "\n") {
		if !strings.HasPrefix(line, "synthesisvr_") {
			continue
		}
		series++
		if loc := locationLabel.FindStringSubmatch(line); loc != nil {
			name := line[:strings.IndexAny(line, "{ ")]
			if values[name] == nil {
				values[name] = map[string]bool{}
			}
			values[name][loc[1]] = true
		}
	}
	for name, locs := range values {
		if len(locs) > maxLocations+1 {
			t.Errorf("%s has %d location values after %d new locations, want at most %d", name, len(locs), locations, maxLocations+1)
		}
	}
	m.want(t, float64(locations-maxLocations), mActive, "location", "_overflow")
	m.want(t, float64(4*(locations-maxLocations)), "synthesisvr_locations_folded_events_total") // four events a location
	t.Logf("%d new locations and %d session ids: %d synthesisvr_ series, %d location values per metric at most; resident memory %.0f MiB",
		locations, 3*locations, series, maxLocations+1, m.values[seriesKey("process_resident_memory_bytes")]/(1<<20))
	if series > 60*(maxLocations+1) {
		t.Errorf("the exposition has %d synthesisvr_ series, want it bounded by the locations (%d)", series, 60*(maxLocations+1))
	}
}
