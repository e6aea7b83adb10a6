package session_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/boltstore"
)

// flood creates and deletes n sessions, each at a location of its own, in
// batches of 1000, at now.
func flood(t *testing.T, apply func(session.Batch) []session.Outcome, prefix string, n, maxLocations int, now time.Time) {
	t.Helper()
	for start := 0; start < n; start += 1000 {
		var chs []session.Change
		for i := start; i < min(start+1000, n); i++ {
			u, loc := fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("%s-loc-%d", prefix, i)
			chs = append(chs, session.Change{UUID: u, Action: session.ActionCreate, Location: loc, Stations: 1},
				session.Change{UUID: u, Action: session.ActionDelete, Location: loc})
		}
		apply(session.Batch{Now: now, Changes: chs, MaxLocations: maxLocations})
	}
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestFloodIsBounded floods the state with distinct locations and session ids:
// the locations stay at max_locations plus the overflow, the tombstones go when
// their time is over, and a second flood after the pruning takes no more memory
// than the first (freed room is reused).
func TestFloodIsBounded(t *testing.T) {
	const n, maxLocations = 50000, 100
	st := session.NewState(false)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	base := heap()
	flood(t, st.Apply, "a", n, maxLocations, t0)
	if got := len(st.Locations()); got != maxLocations+1 {
		t.Errorf("%d distinct sessions and locations left %d locations, want max_locations+1 = %d", n, got, maxLocations+1)
	}
	if _, ok := st.Location(session.OverflowLocation); !ok {
		t.Errorf("no %s location after the flood", session.OverflowLocation)
	}
	st.Expire(t0.Add(session.TombstoneTTL-time.Second), 6*time.Hour, 0)
	if _, ok := st.Tombstone("a-0"); !ok {
		t.Fatal("a tombstone was forgotten before its time")
	}
	st.Expire(t0.Add(session.TombstoneTTL), 6*time.Hour, 0)
	first := heap()
	flood(t, st.Apply, "b", n, maxLocations, t0.Add(2*session.TombstoneTTL))
	st.Expire(t0.Add(3*session.TombstoneTTL), 6*time.Hour, 0)
	second := heap()
	for _, u := range []string{"a-0", "a-49999", "b-0", "b-49999"} {
		if _, ok := st.Tombstone(u); ok {
			t.Errorf("tombstone %s outlived session.TombstoneTTL", u)
		}
	}
	t.Logf("heap: %d KiB before, %d KiB after a flood of %d sessions and locations, %d KiB after a second",
		base>>10, first>>10, n, second>>10)
	if second > first+first/4+1<<20 {
		t.Errorf("the heap grew from %d KiB to %d KiB on a second flood after pruning", first>>10, second>>10)
	}
}

// TestBoltPrunesTombstonesOnDisk checks that pruned tombstones are gone from the
// file too: after a reopen, a create of a long-deleted session starts it anew.
func TestBoltPrunesTombstonesOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flood.db")
	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Now()
	apply := func(b session.Batch) []session.Outcome {
		out, err := st.Apply(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	flood(t, apply, "c", 3000, 100, t0)
	if _, err := st.Expire(ctx, t0.Add(session.TombstoneTTL), 6*time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := apply(session.Batch{Now: t0.Add(2 * session.TombstoneTTL), Changes: []session.Change{{UUID: "c-7", Action: session.ActionCreate, Location: "x"}}})
	if out[0].Result != session.ResultApplied {
		t.Errorf("a create of a session deleted more than TombstoneTTL ago is %q after a reopen, want %q (its tombstone pruned)", out[0].Result, session.ResultApplied)
	}
}
