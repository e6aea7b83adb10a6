package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
)

// The simulator's check against the built exporter: its model of the session
// semantics must agree with what the binary reports under load, rough edges on.

const simToken = "simulator-e2e-token-0123456789"

// simCheck sends a load with the simulator's model and compares it with /metrics.
func simCheck(t *testing.T, p *exporterProc, o simulator.LoadOptions, maxAge, delay time.Duration) simulator.CheckReport {
	t.Helper()
	ctx := context.Background()
	client := simulator.NewClient(o.Connections)
	baseline, err := simulator.Scrape(ctx, client, p.base+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	o.URL, o.Model, o.Client = p.webhookURL(simToken), simulator.NewModel(), client
	res, err := simulator.RunLoad(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() > 0 {
		t.Fatalf("load: %s", res)
	}
	time.Sleep(delay)
	rep, err := simulator.Verify(ctx, client, p.base+"/metrics", o.Model, baseline, maxAge)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestSimulatorCheck(t *testing.T) {
	env := []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + simToken}
	load := simulator.LoadOptions{Events: 3000, Connections: 8, Locations: []string{"Sim A", "Sim B", "Sim C", "Sim D"},
		Sessions: 200, Edges: simulator.AllEdges, Seed: 42}
	cases := map[string]struct {
		backend string
		args    []string
		drop    float64
		maxAge  time.Duration
		delay   time.Duration
		wantOK  bool
		// wantExpired: sessions whose delete never came were ended by the exporter.
		wantExpired bool
	}{
		"bolt, every rough edge":   {backend: "bolt", maxAge: 6 * time.Hour, wantOK: true},
		"memory, every rough edge": {backend: "memory", maxAge: 6 * time.Hour, wantOK: true},
		"bolt, missing deletes expire": {backend: "bolt", args: []string{"--session.max-age=2s"},
			maxAge: 2 * time.Second, delay: 6 * time.Second, wantOK: true, wantExpired: true},
		"bolt, the exporter misses events": {backend: "bolt", drop: 0.03, maxAge: 6 * time.Hour},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := startExporter(t, env, append([]string{"--storage.backend=" + c.backend}, c.args...))
			o := load
			o.Drop = c.drop
			rep := simCheck(t, p, o, c.maxAge, c.delay)
			if rep.OK() != c.wantOK {
				t.Errorf("check OK = %v, want %v:\n%s", rep.OK(), c.wantOK, rep)
			}
			if !c.wantOK && !strings.Contains(rep.String(), "synthesisvr_sessions_active{location=") {
				t.Errorf("the failed check does not name the gauge that differs:\n%s", rep)
			}
			if expired := expiredSessions(t, p.base); (expired > 0) != c.wantExpired {
				t.Errorf("%g sessions expired, want some: %v", expired, c.wantExpired)
			}
			if c.wantOK && rep.Sessions.Min == 0 && c.delay == 0 {
				t.Errorf("no session was expected active: the check compared nothing:\n%s", rep)
			}
		})
	}
}
