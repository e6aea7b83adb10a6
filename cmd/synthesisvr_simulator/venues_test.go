package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
)

// A demo on a config file opens each location as the config says, in its own time
// zone; a location without hours follows --open. Its stations are the venue's
// capacity, its api_key what the fake API serves it under.
func TestDemoFollowsTheConfigsOpeningHours(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(cfg, []byte(`locations:
  - name: Mornings
    timezone: Europe/Sofia
    hours:
      mon-sun: "09:00-10:00"
    closed_on: ["2026-12-25"]
    stations: 6
    api_key: mornings-key
  - name: No Hours
    timezone: UTC
`), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &demoFlags{configFile: cfg, open: "10:00-22:00"}
	hours, err := simulator.DailyHours(f.open)
	if err != nil {
		t.Fatal(err)
	}
	tf := &targetFlags{exporterURL: "http://127.0.0.1:1", token: "x", prefix: "Sim "}
	venues, err := f.venues(tf, hours)
	if err != nil {
		t.Fatal(err)
	}
	if len(venues) != 2 || venues[0].Name != "Mornings" || venues[1].Name != "No Hours" {
		t.Fatalf("venues %+v, want the config's names as they are", venues)
	}
	if venues[0].Stations != 6 || venues[0].APIKey != "mornings-key" || venues[1].Stations != 0 || venues[1].APIKey != "" {
		t.Errorf("stations and keys %d %q, %d %q: want the config's (6, mornings-key) and none",
			venues[0].Stations, venues[0].APIKey, venues[1].Stations, venues[1].APIKey)
	}
	if !tf.keepLocations || tf.own != nil {
		t.Errorf("keepLocations = %v, own = %v: the config's locations are the user's, and --exporter.url names the exporter", tf.keepLocations, tf.own)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		venue int
		at    string
		open  bool
	}{
		{0, "2026-12-01T09:30:00+02:00", true},
		{0, "2026-12-01T12:00:00+02:00", false}, // --open would say open
		{0, "2026-12-25T09:30:00+02:00", false}, // closed_on
		{1, "2026-12-01T12:00:00Z", true},
		{1, "2026-12-01T23:00:00Z", false},
	} {
		if got := venues[c.venue].Hours.Open(at(c.at)); got != c.open {
			t.Errorf("%s open at %s: %v, want %v", venues[c.venue].Name, c.at, got, c.open)
		}
	}
}
