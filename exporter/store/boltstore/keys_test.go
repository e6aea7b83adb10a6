package boltstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

// TestRecordsFollowTheirKeys checks the file itself: a record whose key holds a time
// is deleted at that key when its session ends or its tombstone moves, also after a
// reopen, so no stale record is left to come back on the next load.
func TestRecordsFollowTheirKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	base := storetest.Base
	steps := []struct {
		name                 string
		at                   time.Duration
		changes              []session.Change
		reopen               bool
		sessions, tombstones int
	}{
		{name: "two sessions start", changes: []session.Change{storetest.Create("a", "A", 1), storetest.Create("b", "A", 1)}, sessions: 2},
		{name: "one ends after a reopen", at: time.Minute, reopen: true, changes: []session.Change{storetest.Delete("a", "A")}, sessions: 1, tombstones: 1},
		{name: "its tombstone moves on a second delete", at: 2 * time.Minute, changes: []session.Change{storetest.Delete("a", "A")}, sessions: 1, tombstones: 1},
		{name: "a duplicate keeps its key", at: 3 * time.Minute, reopen: true, changes: []session.Change{storetest.Create("b", "A", 4)}, sessions: 1, tombstones: 1},
		{name: "the other ends too", at: 4 * time.Minute, changes: []session.Change{storetest.Delete("b", "A")}, tombstones: 2},
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if st.reopen {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if s, err = Open(path); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Apply(context.Background(), session.Batch{Now: base.Add(st.at), Changes: st.changes}); err != nil {
			t.Fatal(err)
		}
		sessions, tombstones := countRecords(t, s.db)
		if sessions != st.sessions || tombstones != st.tombstones {
			t.Fatalf("%s: %d session and %d tombstone records in the file, want %d and %d", st.name, sessions, tombstones, st.sessions, st.tombstones)
		}
	}
	if _, err := s.Expire(context.Background(), base.Add(4*time.Minute+session.TombstoneTTL), 6*time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	if sessions, tombstones := countRecords(t, s.db); sessions != 0 || tombstones != 0 {
		t.Fatalf("after the tombstones' time: %d session and %d tombstone records, want none", sessions, tombstones)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func countRecords(t *testing.T, db *bolt.DB) (sessions, tombstones int) {
	t.Helper()
	err := db.View(func(tx *bolt.Tx) error {
		sessions = tx.Bucket(bucketSessions).Stats().KeyN
		tombstones = tx.Bucket(bucketTombstones).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sessions, tombstones
}
