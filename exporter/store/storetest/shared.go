package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// testShared does what replicas do at once on one backend: the same create sent
// to both, the same delete sent to both, expiry on both. Each session starts and
// ends once, and both stores read the same locations.
func testShared(t *testing.T, h Harness) {
	if !h.Shared {
		t.Skip("stores of this kind do not share data")
	}
	a, b := h.Open(t), h.Open(t)
	defer closeStore(t, a)
	defer closeStore(t, b)
	const n = 8
	var creates, deletes []session.Change
	for k := range n {
		uuid := fmt.Sprintf("s%d", k)
		creates = append(creates, Create(uuid, "A", 2))
		if k%2 == 1 {
			deletes = append(deletes, Delete(uuid, "A"))
		}
	}
	wantOnce(t, onBoth(t, a, b, func(s session.Store) ([]session.Outcome, error) {
		return s.Apply(context.Background(), Step{Changes: creates}.Batch())
	}), n, "started")
	wantOnce(t, onBoth(t, a, b, func(s session.Store) ([]session.Outcome, error) {
		return s.Apply(context.Background(), Step{At: time.Minute, Changes: deletes}.Batch())
	}), n/2, "ended by a delete")
	want := map[string]Loc{"A": {Active: n / 2, Stations: n, LastEvent: time.Minute}}
	checkLocations(t, a, want, "on the first store")
	checkLocations(t, b, want, "on the second store")

	wantOnce(t, onBoth(t, a, b, func(s session.Store) ([]session.Outcome, error) {
		return ExpireAll(context.Background(), s, Base.Add(7*time.Hour), 6*time.Hour)
	}), n/2, "expired")
	want = map[string]Loc{"A": {LastEvent: time.Minute}}
	checkLocations(t, a, want, "on the first store after expiry")
	checkLocations(t, b, want, "on the second store after expiry")
}

// onBoth runs f on both stores at once and returns, per session, how many
// outcomes applied or expired it.
func onBoth(t *testing.T, a, b session.Store, f func(session.Store) ([]session.Outcome, error)) map[string]int {
	t.Helper()
	var mu sync.Mutex
	count := map[string]int{}
	var wg sync.WaitGroup
	for _, s := range []session.Store{a, b} {
		wg.Go(func() {
			out, err := f(s)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, o := range out {
				if o.Result == session.ResultApplied || o.Result == session.ResultExpired || o.Result == session.ResultAdmin {
					count[o.Change.UUID]++
				}
			}
		})
	}
	wg.Wait()
	return count
}

func wantOnce(t *testing.T, count map[string]int, n int, what string) {
	t.Helper()
	if len(count) != n {
		t.Fatalf("%d sessions %s, want %d: %v", len(count), what, n, count)
	}
	for uuid, c := range count {
		if c != 1 {
			t.Fatalf("session %s %s %d times across the two stores", uuid, what, c)
		}
	}
}
