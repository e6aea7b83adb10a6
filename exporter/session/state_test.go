package session_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

// TestStateScenarios runs the contract's scenarios on the bare state machine, so a
// failure there points at the transitions rather than at a store.
func TestStateScenarios(t *testing.T) {
	for _, sc := range storetest.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			st := session.NewState(false)
			for i, step := range sc.Steps {
				var out []session.Outcome
				if step.Expire > 0 {
					out = st.Expire(storetest.Base.Add(step.At), step.Expire, 0).Ended
				} else {
					out = st.Apply(step.Batch())
				}
				if got := storetest.Results(out); !reflect.DeepEqual(got, step.Want) {
					t.Fatalf("step %d: results %v, want %v", i, got, step.Want)
				}
			}
			if got := storetest.Locs(st.Locations()); !reflect.DeepEqual(got, sc.Want) {
				t.Fatalf("locations:\n got %+v\nwant %+v", got, sc.Want)
			}
		})
	}
}

func TestOutcomeDetails(t *testing.T) {
	base := storetest.Base
	tests := map[string]struct {
		steps []session.Batch
		want  session.Outcome // of the last change of the last step
	}{
		"delete reports the ended session and its duration": {
			steps: []session.Batch{
				{Now: base, Changes: []session.Change{storetest.Create("u", "A", 3)}},
				{Now: base.Add(42 * time.Minute), Changes: []session.Change{storetest.Delete("u", "Elsewhere")}},
			},
			want: session.Outcome{
				Change:  storetest.Delete("u", "Elsewhere"),
				Result:  session.ResultApplied,
				Session: session.Session{UUID: "u", Location: "A", Stations: 3, Started: base},
				Ended:   base.Add(42 * time.Minute),
				Reason:  session.ReasonDeleted,
			},
		},
		"duplicate reports the session with its newest stations": {
			steps: []session.Batch{
				{Now: base, Changes: []session.Change{storetest.Create("u", "A", 3)}},
				{Now: base.Add(time.Minute), Changes: []session.Change{storetest.Create("u", "A", 1)}},
			},
			want: session.Outcome{
				Change:  storetest.Create("u", "A", 1),
				Result:  session.ResultDuplicate,
				Session: session.Session{UUID: "u", Location: "A", Stations: 1, Started: base},
			},
		},
		"folded change says so and carries the overflow label": {
			steps: []session.Batch{
				{Now: base, MaxLocations: 1, Changes: []session.Change{storetest.Create("a", "A", 1), storetest.Create("b", "B", 2)}},
			},
			want: session.Outcome{
				Change:  storetest.Create("b", session.OverflowLocation, 2),
				Result:  session.ResultApplied,
				Session: session.Session{UUID: "b", Location: session.OverflowLocation, Stations: 2, Started: base},
				Folded:  true,
				Started: true,
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st := session.NewState(false)
			var out []session.Outcome
			for _, b := range tc.steps {
				out = st.Apply(b)
			}
			if got := out[len(out)-1]; !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("outcome\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDirtyNamesEveryChangedKey(t *testing.T) {
	st := session.NewState(true)
	st.Apply(session.Batch{Now: storetest.Base, Changes: []session.Change{storetest.Create("u", "A", 1), storetest.Delete("v", "B")}})
	d := st.TakeDirty()
	// New keys had no time before.
	want := session.Dirty{
		Sessions:   map[string]time.Time{"u": {}},
		Tombstones: map[string]time.Time{"v": {}},
		Locations:  map[string]struct{}{"A": {}, "B": {}},
	}
	if !reflect.DeepEqual(*d, want) {
		t.Fatalf("dirty %+v, want %+v", *d, want)
	}
	if !st.TakeDirty().Empty() {
		t.Fatal("TakeDirty did not start a new record")
	}
	// Ending u and deleting v again: their times before these changes.
	later := storetest.Base.Add(time.Minute)
	st.Apply(session.Batch{Now: later, Changes: []session.Change{storetest.Delete("u", "A"), storetest.Delete("v", "B")}})
	st.Apply(session.Batch{Now: later.Add(time.Minute), Changes: []session.Change{storetest.Delete("v", "B")}})
	d = st.TakeDirty()
	if !d.Sessions["u"].Equal(storetest.Base) || !d.Tombstones["v"].Equal(storetest.Base.Add(session.TombstoneTTL)) ||
		!d.Tombstones["u"].IsZero() {
		t.Fatalf("dirty %+v: want u's start, v's first end of life, and no earlier tombstone of u", *d)
	}
}
