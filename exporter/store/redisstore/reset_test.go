package redisstore_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore/redistest"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

// TestResetIsDetected empties Redis under two stores of one prefix: each tells
// its OnReset once, and a Redis that keeps its data tells nothing.
func TestResetIsDetected(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	a, b := open(t, srv.URL(0), "reset:"), open(t, srv.URL(0), "reset:")
	var resetsA, resetsB atomic.Int64
	a.OnReset = func(string, string) { resetsA.Add(1) }
	b.OnReset = func(string, string) { resetsB.Add(1) }
	read := func() {
		t.Helper()
		for _, s := range []interface {
			Locations(context.Context) (map[string]session.LocationStats, error)
		}{a, b} {
			if _, err := s.Locations(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	read()
	if _, err := a.Apply(ctx, storetest.Step{Changes: []session.Change{storetest.Create("u1", "A", 1)}}.Batch()); err != nil {
		t.Fatal(err)
	}
	read()
	if resetsA.Load()+resetsB.Load() != 0 {
		t.Fatal("a reset was told while Redis kept its data")
	}
	if err := srv.Client().FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// A webhook after the loss writes the schema key again, not the generation.
	if _, err := b.Apply(ctx, storetest.Step{Changes: []session.Change{storetest.Create("u2", "A", 1)}}.Batch()); err != nil {
		t.Fatal(err)
	}
	read()
	read()
	if resetsA.Load() != 1 || resetsB.Load() != 1 {
		t.Fatalf("resets told: %d and %d, want 1 each", resetsA.Load(), resetsB.Load())
	}
}
