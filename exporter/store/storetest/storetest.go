package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// Harness opens the store under test.
type Harness struct {
	// Open opens a store on the test's data; each call in one test sees what the
	// stores it opened before kept. Stores are closed by the suite.
	Open func(t *testing.T) session.Store
	// Persistent says whether data outlives Close (false for memory).
	Persistent bool
	// Shared says whether two stores opened at once share their data, as replicas
	// on one Redis do (false for bolt, whose file is locked, and memory).
	Shared bool
}

// Run runs the contract suite. newHarness is called once per subtest, so each
// starts from empty data.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("scenarios", func(t *testing.T) { runScenarios(t, newHarness) })
	t.Run("reopen keeps sessions and tombstones", func(t *testing.T) { testReopen(t, newHarness(t)) })
	t.Run("concurrent creates of one session start it once", func(t *testing.T) { testConcurrentDuplicate(t, newHarness(t)) })
	t.Run("concurrent batches are each applied whole", func(t *testing.T) { testConcurrentBatches(t, newHarness(t)) })
	t.Run("concurrent expiry ends each session once", func(t *testing.T) { testConcurrentExpire(t, newHarness(t)) })
	t.Run("expiry goes in bounded steps", func(t *testing.T) { testChunkedExpire(t, newHarness(t)) })
	t.Run("closed store refuses changes", func(t *testing.T) { testClosed(t, newHarness(t)) })
	t.Run("two stores on one backend act as one", func(t *testing.T) { testShared(t, newHarness(t)) })
	t.Run("schedules", func(t *testing.T) { runSchedule(t, newHarness) })
	t.Run("admin", func(t *testing.T) { runAdmin(t, newHarness) })
}

func runScenarios(t *testing.T, newHarness func(t *testing.T) Harness) {
	for _, sc := range Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			h := newHarness(t)
			s := h.Open(t)
			for i, st := range sc.Steps {
				got := Results(applyStep(t, s, st))
				if !reflect.DeepEqual(got, st.Want) {
					t.Fatalf("step %d: results %v, want %v", i, got, st.Want)
				}
			}
			checkLocations(t, s, sc.Want, "after the steps")
			if !h.Persistent {
				return
			}
			closeStore(t, s)
			s = h.Open(t)
			checkLocations(t, s, sc.Want, "after close and reopen")
			closeStore(t, s)
		})
	}
}

// applyStep runs a step and fails the test on a store error.
func applyStep(t *testing.T, s session.Store, st Step) []session.Outcome {
	t.Helper()
	ctx := context.Background()
	var out []session.Outcome
	var err error
	if st.Expire > 0 {
		out, err = ExpireAll(ctx, s, Base.Add(st.At), st.Expire)
	} else {
		out, err = s.Apply(ctx, st.Batch())
	}
	if err != nil {
		t.Fatalf("store: %v", err)
	}
	return out
}

func checkLocations(t *testing.T, s session.Store, want map[string]Loc, when string) {
	t.Helper()
	got, err := s.Locations(context.Background())
	if err != nil {
		t.Fatalf("Locations %s: %v", when, err)
	}
	if !reflect.DeepEqual(Locs(got), want) {
		t.Fatalf("locations %s:\n got %+v\nwant %+v", when, Locs(got), want)
	}
}

func closeStore(t *testing.T, s session.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func testReopen(t *testing.T, h Harness) {
	if !h.Persistent {
		t.Skip("store keeps nothing across Close")
	}
	s := h.Open(t)
	applyStep(t, s, Step{Changes: []session.Change{Create(u1, "A", 2), Create(u2, "B", 3), Delete(u3, "B")}})
	closeStore(t, s)

	s = h.Open(t)
	defer closeStore(t, s)
	out := applyStep(t, s, Step{At: time.Hour - time.Second, Changes: []session.Change{
		Create(u2, "B", 4), // still active: a duplicate
		Delete(u1, "A"),    // ends with its stored start and stations
		Create(u3, "B", 1), // its tombstone survived: late
	}})
	want := []string{session.ResultDuplicate, session.ResultApplied, session.ResultLate}
	if got := Results(out); !reflect.DeepEqual(got, want) {
		t.Fatalf("results after reopen %v, want %v", got, want)
	}
	ended := out[1]
	if !ended.Session.Started.Equal(Base) || ended.Session.Stations != 2 || ended.Duration() != time.Hour-time.Second {
		t.Fatalf("ended session after reopen: %+v, duration %v", ended.Session, ended.Duration())
	}
}

func testConcurrentDuplicate(t *testing.T, h Harness) {
	s := h.Open(t)
	defer closeStore(t, s)
	const n = 16
	results := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			out, err := s.Apply(context.Background(), Step{Changes: []session.Change{Create(u1, "A", 1)}}.Batch())
			if err != nil {
				t.Error(err)
				return
			}
			results <- out[0].Result
		})
	}
	wg.Wait()
	close(results)
	count := map[string]int{}
	for r := range results {
		count[r]++
	}
	if count[session.ResultApplied] != 1 || count[session.ResultDuplicate] != n-1 {
		t.Fatalf("results %v, want 1 applied and %d duplicates", count, n-1)
	}
	checkLocations(t, s, map[string]Loc{"A": {Active: 1, Stations: 1}}, "after concurrent creates")
}

func testConcurrentBatches(t *testing.T, h Harness) {
	s := h.Open(t)
	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				uuid := fmt.Sprintf("w%d-s%d", w, i)
				// Each batch starts two sessions and ends one; a torn batch shows in the totals.
				b := Step{Changes: []session.Change{Create(uuid+"a", "A", 1), Create(uuid+"b", "A", 2), Delete(uuid+"a", "A")}}.Batch()
				if _, err := s.Apply(context.Background(), b); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	want := map[string]Loc{"A": {Active: workers * perWorker, Stations: 2 * workers * perWorker}}
	checkLocations(t, s, want, "after concurrent batches")
	if h.Persistent {
		closeStore(t, s)
		s = h.Open(t)
		checkLocations(t, s, want, "after concurrent batches, close and reopen")
	}
	closeStore(t, s)
}

func testConcurrentExpire(t *testing.T, h Harness) {
	s := h.Open(t)
	defer closeStore(t, s)
	var changes []session.Change
	for i := range 50 {
		changes = append(changes, Create(fmt.Sprintf("old-%d", i), "A", 1))
	}
	applyStep(t, s, Step{Changes: changes})
	var mu sync.Mutex
	ended := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			out, err := ExpireAll(context.Background(), s, Base.Add(7*time.Hour), 6*time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, o := range out {
				ended[o.Session.UUID]++
			}
		})
	}
	wg.Wait()
	if len(ended) != 50 {
		t.Fatalf("%d sessions expired, want 50", len(ended))
	}
	for uuid, n := range ended {
		if n != 1 {
			t.Fatalf("session %s expired %d times", uuid, n)
		}
	}
	checkLocations(t, s, map[string]Loc{"A": {}}, "after expiry")
}

// ExpireAll runs bounded expiry steps of session.ExpiryChunk until nothing is due,
// and returns every outcome.
func ExpireAll(ctx context.Context, s session.Store, now time.Time, maxAge time.Duration) ([]session.Outcome, error) {
	var out []session.Outcome
	for {
		x, err := s.Expire(ctx, now, maxAge, session.ExpiryChunk)
		out = append(out, x.Ended...)
		if err != nil || !x.More {
			return out, err
		}
	}
}

// testChunkedExpire checks that a step ends at most its limit of sessions and
// forgets at most its limit of tombstones, and that steps together end each
// due session once.
func testChunkedExpire(t *testing.T, h Harness) {
	s := h.Open(t)
	defer closeStore(t, s)
	const n, limit = 25, 10
	var creates, deletes []session.Change
	for i := range n {
		creates = append(creates, Create(fmt.Sprintf("old-%02d", i), "A", 1))
		deletes = append(deletes, Delete(fmt.Sprintf("gone-%02d", i), "A"))
	}
	applyStep(t, s, Step{Changes: deletes}) // tombstones until Base + TombstoneTTL
	applyStep(t, s, Step{At: time.Minute, Changes: creates})
	ctx := context.Background()
	now := Base.Add(7 * time.Hour)
	ended := map[string]int{}
	forgotten := 0
	for step := 1; ; step++ {
		if step > 10 {
			t.Fatal("expiry did not finish in 10 steps")
		}
		x, err := s.Expire(ctx, now, 6*time.Hour, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Ended) > limit || x.Forgotten > limit {
			t.Fatalf("step %d ended %d sessions and forgot %d tombstones, limit %d", step, len(x.Ended), x.Forgotten, limit)
		}
		for _, o := range x.Ended {
			ended[o.Session.UUID]++
		}
		forgotten += x.Forgotten
		if !x.More {
			break
		}
	}
	if len(ended) != n || forgotten != n {
		t.Fatalf("%d sessions ended and %d tombstones forgotten, want %d of each", len(ended), forgotten, n)
	}
	for uuid, k := range ended {
		if k != 1 {
			t.Fatalf("session %s ended %d times", uuid, k)
		}
	}
	checkLocations(t, s, map[string]Loc{"A": {LastEvent: time.Minute}}, "after bounded expiry")
}

func testClosed(t *testing.T, h Harness) {
	s := h.Open(t)
	closeStore(t, s)
	if !h.Persistent {
		return // a memory store has nothing to refuse for
	}
	if _, err := s.Apply(context.Background(), Step{Changes: []session.Change{Create(u1, "A", 1)}}.Batch()); err == nil {
		t.Fatal("Apply on a closed store succeeded")
	}
	if err := s.Ping(context.Background()); err == nil {
		t.Fatal("Ping on a closed store succeeded")
	}
}
