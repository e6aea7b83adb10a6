package simulator

import (
	"reflect"
	"testing"
)

func draw(s *Stream, posts int) [][]Event {
	out := make([][]Event, posts)
	for i := range out {
		out[i] = s.Next()
	}
	return out
}

func TestStreamIsDeterministic(t *testing.T) {
	locs := []string{"A", "B"}
	a := draw(NewStream(42, AllEdges, locs, 10), 500)
	b := draw(NewStream(42, AllEdges, locs, 10), 500)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave different events")
	}
	if c := draw(NewStream(43, AllEdges, locs, 10), 500); reflect.DeepEqual(a, c) {
		t.Error("another seed gave the same events")
	}
}

// tally counts what a stream's events do, replayed through the model's semantics.
type tally struct {
	posts, events, multi, duplicates, deleteFirst, creates int
}

func count(posts [][]Event) tally {
	var t tally
	seen := map[string]map[string]bool{} // uuid -> actions seen
	for _, p := range posts {
		t.posts++
		if len(p) > 1 {
			t.multi++
		}
		for _, e := range p {
			t.events++
			if seen[e.UUID] == nil {
				seen[e.UUID] = map[string]bool{}
				if e.Action == actionDelete {
					t.deleteFirst++
				}
			}
			if seen[e.UUID][e.Action] {
				t.duplicates++
			}
			seen[e.UUID][e.Action] = true
			if e.Action == actionCreate {
				t.creates++
			}
		}
	}
	return t
}

func TestStreamDrawsEachRoughEdge(t *testing.T) {
	cases := map[string]struct {
		edges Edges
		check func(t *testing.T, c tally)
	}{
		"no edges: one event per POST, no duplicate, no delete first": {
			edges: Edges{},
			check: func(t *testing.T, c tally) {
				if c.multi != 0 || c.duplicates != 0 || c.deleteFirst != 0 {
					t.Errorf("edges seen with none asked: %+v", c)
				}
			},
		},
		"batch": {
			edges: Edges{Batch: 1},
			check: func(t *testing.T, c tally) {
				if c.multi != c.posts {
					t.Errorf("%d of %d POSTs carry several events, want all", c.multi, c.posts)
				}
			},
		},
		"duplicate": {
			edges: Edges{Duplicate: 0.5},
			check: func(t *testing.T, c tally) {
				if c.duplicates < c.events/5 {
					t.Errorf("%d duplicates in %d events, want about a third", c.duplicates, c.events)
				}
			},
		},
		"delete first": {
			edges: Edges{DeleteFirst: 1},
			check: func(t *testing.T, c tally) {
				if c.deleteFirst != c.creates {
					t.Errorf("%d sessions began with a delete, of %d, want all", c.deleteFirst, c.creates)
				}
			},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.check(t, count(draw(NewStream(7, c.edges, []string{"A"}, 20), 2000)))
		})
	}
}

func TestStreamMissingDeletesLeaveSessionsActive(t *testing.T) {
	for name, rate := range map[string]float64{"none missing": 0, "all missing": 1} {
		t.Run(name, func(t *testing.T) {
			s := NewStream(3, Edges{MissingDelete: rate}, []string{"A"}, 5)
			m := NewModel()
			for _, p := range draw(s, 1000) {
				m.Applied(p, timeZero)
			}
			got := m.Expect(timeZero, 1<<62, 0)["A"].Sessions.Min
			// The stream's own open sessions are the ones still to be deleted.
			want := float64(len(s.open))
			if rate == 1 {
				want = float64(count(draw(NewStream(3, Edges{MissingDelete: rate}, []string{"A"}, 5), 1000)).creates)
			}
			if got != want {
				t.Errorf("active sessions = %g, want %g", got, want)
			}
		})
	}
}
