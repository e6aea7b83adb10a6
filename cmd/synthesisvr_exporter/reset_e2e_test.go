package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore/redistest"
)

// TestRedisEmptiedUnderReplicas empties Redis under two replicas holding 1,000
// active sessions: both log it, count it, and keep the location series at 0.
func TestRedisEmptiedUnderReplicas(t *testing.T) {
	requireBinary(t)
	srv := redistest.Start(t, redistest.Options{AppendOnly: true})
	a, b := startReplica(t, srv), startReplica(t, srv)
	for i := range 20 {
		loc := []string{"Downtown", "Mall"}[i%2]
		p := []*exporterProc{a, b}[i%2]
		postEvents(t, p.webhookURL(redisToken), createBatch(fmt.Sprintf("r%d", i), loc, 50))
	}
	for _, p := range []*exporterProc{a, b} {
		e := scrape(t, p.base)
		e.want(t, 500, "synthesisvr_sessions_active", "location", "Downtown")
		e.want(t, 500, "synthesisvr_sessions_active", "location", "Mall")
		e.want(t, 0, "synthesisvr_store_resets_total")
	}
	if err := srv.Client().FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*exporterProc{a, b} {
		// The scrape that finds the loss counts it; the counter may have been
		// gathered before, so it shows from the next scrape on.
		waitMetric(t, p, 1, "synthesisvr_store_resets_total")
		e := scrape(t, p.base)
		e.want(t, 0, "synthesisvr_sessions_active", "location", "Downtown")
		e.want(t, 0, "synthesisvr_sessions_active", "location", "Mall")
		e.want(t, 0, "synthesisvr_stations_active", "location", "Mall")
		e.want(t, 1, "synthesisvr_store_up")
		if n := strings.Count(p.log.String(), "lost its state"); n != 1 {
			t.Fatalf("%d log lines about the lost state, want 1:\n%s", n, p.log.String())
		}
	}
	// Later scrapes count nothing more.
	for _, p := range []*exporterProc{a, b} {
		scrape(t, p.base).want(t, 1, "synthesisvr_store_resets_total")
	}
}
