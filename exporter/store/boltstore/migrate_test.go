package boltstore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/boltstore"
)

// TestOpensSchema2File opens a file written by the exporter before schedules
// (testdata/schema2.db: sessions a (Kamen, 2 stations) and c (Berlin, 3) created at
// 2026-11-30 12:00 UTC, b created and deleted), so an upgrade loses nothing.
func TestOpensSchema2File(t *testing.T) {
	data, err := os.ReadFile("testdata/schema2.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for round := range 2 { // the migrated file opens again
		s, err := boltstore.Open(path)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		locs, err := s.Locations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if k, b := locs["Kamen"], locs["Berlin"]; k.Active != 1 || k.Stations != 2 || b.Active != 1 || b.Stations != 3 {
			t.Fatalf("round %d: locations %+v", round, locs)
		}
		s.Close()
	}
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	created := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	out, err := s.Apply(ctx, session.Batch{Now: created.Add(10 * time.Minute), Changes: []session.Change{
		{UUID: "a", Action: session.ActionDelete, Location: "Kamen"},
		{UUID: "b", Action: session.ActionCreate, Location: "Kamen", Stations: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// a was counted as started by the old exporter: its end is not a second start.
	if o := out[0]; o.Result != session.ResultApplied || o.Started || o.Duration() != 10*time.Minute {
		t.Fatalf("delete of a migrated session = %+v", o)
	}
	if out[1].Result != session.ResultLate {
		t.Fatalf("create after the migrated tombstone = %+v", out[1])
	}
}
