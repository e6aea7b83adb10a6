package boltstore

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkMemory measures the heap a bolt store holds per active session and per
// tombstone (an ended session remembered for session.TombstoneTTL), with uuids as
// SynthesisVR sends them. The README's sizing table comes from it:
//
//	go test -run '^$' -bench Memory -benchtime 1x ./exporter/store/boltstore/
func BenchmarkMemory(b *testing.B) {
	const n = 20_000
	for b.Loop() {
		s, err := Open(filepath.Join(b.TempDir(), "mem.db"))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		now := time.Now()
		apply := func(action string) {
			for i := 0; i < n; i += 500 {
				batch := session.Batch{Now: now}
				for j := i; j < i+500; j++ {
					batch.Changes = append(batch.Changes, session.Change{
						UUID:   fmt.Sprintf("41509791-3de8-5bb9-b4fc-%012d", j),
						Action: action, Location: fmt.Sprintf("Location %d", j%20), Stations: 2,
					})
				}
				if _, err := s.Apply(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
		}
		base := heapInUse()
		apply(session.ActionCreate)
		sessions := heapInUse()
		apply(session.ActionDelete)
		tombstones := heapInUse()
		b.ReportMetric(float64(sessions-base)/n, "B/session")
		b.ReportMetric(float64(int64(tombstones)-int64(base))/n, "B/tombstone")
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
