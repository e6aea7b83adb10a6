package simulator

import (
	"reflect"
	"testing"
	"time"
)

// step is one POST as the model learns about it.
type step struct {
	ok    bool          // answered 200
	after time.Duration // since the start
	evs   []Event
}

func ev(uuid, action, loc string, stations int) Event {
	return Event{UUID: uuid, Action: action, Location: loc, Stations: stations}
}

func TestModelFollowsTheExporterSemantics(t *testing.T) {
	const maxAge = time.Hour
	cases := map[string]struct {
		steps []step
		at    time.Duration // when Expect is asked
		want  map[string]Expected
	}{
		"create then delete leaves nothing": {
			steps: []step{{ok: true, evs: []Event{ev("a", "create", "X", 2), ev("a", "delete", "X", 2)}}},
			want:  map[string]Expected{"X": {}},
		},
		"a duplicate create updates the stations": {
			steps: []step{
				{ok: true, evs: []Event{ev("a", "create", "X", 2)}},
				{ok: true, evs: []Event{ev("a", "create", "Y", 3)}},
			},
			want: map[string]Expected{"X": {Sessions: Range{1, 1}, Stations: Range{3, 3}}, "Y": {}},
		},
		"a delete before its create leaves no session": {
			steps: []step{
				{ok: true, evs: []Event{ev("a", "delete", "X", 1)}},
				{ok: true, after: time.Minute, evs: []Event{ev("a", "create", "X", 1)}},
			},
			want: map[string]Expected{"X": {}},
		},
		"a create after the tombstone is gone starts a session": {
			steps: []step{
				{ok: true, evs: []Event{ev("a", "delete", "X", 1)}},
				{ok: true, after: 2 * time.Hour, evs: []Event{ev("a", "create", "X", 1)}},
			},
			at:   2 * time.Hour,
			want: map[string]Expected{"X": {Sessions: Range{1, 1}, Stations: Range{1, 1}}},
		},
		"a missing delete stays active before the maximum age": {
			steps: []step{{ok: true, evs: []Event{ev("a", "create", "X", 4)}}},
			at:    maxAge - time.Minute,
			want:  map[string]Expected{"X": {Sessions: Range{1, 1}, Stations: Range{4, 4}}},
		},
		"a missing delete may or may not be expired near the maximum age": {
			steps: []step{{ok: true, evs: []Event{ev("a", "create", "X", 4)}}},
			at:    maxAge,
			want:  map[string]Expected{"X": {Sessions: Range{0, 1}, Stations: Range{0, 4}}},
		},
		"a missing delete is expired past the maximum age": {
			steps: []step{{ok: true, evs: []Event{ev("a", "create", "X", 4)}}},
			at:    maxAge + time.Minute,
			want:  map[string]Expected{"X": {}},
		},
		"a failed POST leaves its session uncertain": {
			steps: []step{{ok: false, evs: []Event{ev("a", "create", "X", 2)}}},
			want:  map[string]Expected{"X": {Sessions: Range{0, 1}, Stations: Range{0, 2}}},
		},
		"a delete answered 200 settles an uncertain session": {
			steps: []step{
				{ok: false, evs: []Event{ev("a", "create", "X", 2)}},
				{ok: true, evs: []Event{ev("a", "delete", "X", 2)}},
			},
			want: map[string]Expected{"X": {}},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
			m := NewModel()
			for _, s := range c.steps {
				if s.ok {
					m.Applied(s.evs, start.Add(s.after))
				} else {
					m.Failed(s.evs, start.Add(s.after))
				}
			}
			got := m.Expect(start.Add(c.at), maxAge, 10*time.Second)
			if len(got) != len(c.want) {
				t.Fatalf("locations = %v, want %v", got, c.want)
			}
			for loc, w := range c.want {
				if got[loc] != w {
					t.Errorf("%s: got %+v, want %+v", loc, got[loc], w)
				}
			}
		})
	}
}

var timeZero = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

func TestUnendedListsTheSessionsLeftActive(t *testing.T) {
	for name, m := range map[string]*Model{"model": NewModel(), "tracker": NewTracker()} {
		t.Run(name, func(t *testing.T) {
			now := time.Now()
			m.Applied([]Event{{UUID: "a", Action: actionCreate, Location: "Sim A", Stations: 2},
				{UUID: "b", Action: actionCreate, Location: "Sim B", Stations: 1}}, now)
			m.Applied([]Event{{UUID: "a", Action: actionDelete, Location: "Sim A"}}, now)
			m.Failed([]Event{{UUID: "c", Action: actionCreate, Location: "Sim C", Stations: 3}}, now)
			got := m.Unended()
			want := []Event{{UUID: "b", Action: actionDelete, Location: "Sim B", Stations: 1},
				{UUID: "c", Action: actionDelete, Location: "Sim C", Stations: 3}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Unended() = %+v, want %+v", got, want)
			}
		})
	}
}
