package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
)

// TestSimulatorCheckWithAPI: the simulator's check with the fake API (bookings,
// walk-ins, natural ends, cancellations, extensions, missed webhooks) against the
// built exporter configured with the API: every location's booked, playing,
// started, revenue, finished, deleted, cancelled and reconciled agree with the
// model's ExpectAPI.
func TestSimulatorCheckWithAPI(t *testing.T) {
	locs := []string{"Sim A", "Sim B"}
	m := simulator.NewModel()
	var keys []simulator.APIKey
	cfg := "webhooks:\n  - name: sim\n    token: " + simToken + "\nlocations:\n"
	for i, l := range locs {
		k := fmt.Sprintf("sim-key-%d-0123456789", i)
		keys = append(keys, simulator.APIKey{Key: k, Location: l, Zone: time.UTC})
		cfg += fmt.Sprintf("  - name: %s\n    api_key: %s\n", l, k)
	}
	api := simulator.NewAPI(m, keys, simulator.APIEdges{Shape: simulator.ShapeRandom, TimeFormat: simulator.TimeRandom, StringNumbers: 0.5}, 3)
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	cfg += "synthesisvr_api:\n  url: " + srv.URL + "\n  poll_interval: 1s\n  timeout: 2s\n  max_requests_per_second: 100\n"
	path := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startExporter(t, nil, []string{"--config.file=" + path, "--session.max-age=6h", "--log.level=debug"})
	ctx := context.Background()
	client := simulator.NewClient(4)
	baseline, err := simulator.ScrapeAPI(ctx, client, p.base+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	o := simulator.LoadOptions{Events: 300, Connections: 4, Locations: locs, Sessions: 40, Seed: 11, Edges: simulator.AllEdges,
		URL: p.webhookURL(simToken), Model: m, Client: client,
		Schedule: &simulator.Schedule{Model: m, Now: time.Now, Lead: 6 * time.Second, Length: 6 * time.Second}}
	res, err := simulator.RunLoad(ctx, o)
	if err != nil || res.Failed() > 0 {
		t.Fatalf("load: %v %s", err, res)
	}
	// Compare a few times while sessions are booked, play and finish.
	const slack = 3 * time.Second
	var checked int
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(1500 * time.Millisecond) {
		rep, err := simulator.VerifyAPI(ctx, client, p.base+"/metrics", m, baseline, slack)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() {
			t.Fatalf("check with the API:\n%s", rep)
		}
		checked++
	}
	got, err := simulator.ScrapeAPI(ctx, client, p.base+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var started, finished float64
	for _, v := range got {
		started += v.Started
		finished += v.Finished
	}
	if started == 0 || finished == 0 {
		t.Errorf("the check compared little: %g started, %g finished (%d checks)", started, finished, checked)
	}
	if strings.Contains(p.Log.String(), "sim-key-") {
		t.Error("an API key is in the exporter's log")
	}
}
