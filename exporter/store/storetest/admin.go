package storetest

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// runAdmin runs the contract of the admin operations: Sessions, End and Forget.
func runAdmin(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("sessions lists the active sessions", func(t *testing.T) { testSessions(t, newHarness(t)) })
	t.Run("end ends an active session once, tombstone kept", func(t *testing.T) { testEnd(t, newHarness(t)) })
	t.Run("forget refuses a busy location unless forced", func(t *testing.T) { testForget(t, newHarness(t)) })
	t.Run("concurrent ends of one session end it once", func(t *testing.T) { testConcurrentEnd(t, newHarness(t)) })
	t.Run("two stores on one backend end and forget once", func(t *testing.T) { testSharedAdmin(t, newHarness(t)) })
}

func listSessions(t *testing.T, s session.Store) []session.Session {
	t.Helper()
	got, err := s.Sessions(context.Background())
	if err != nil {
		t.Fatalf("Sessions: %v", err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].UUID < got[j].UUID })
	for i := range got {
		got[i].Started = got[i].Started.UTC() // stores read times back in local time
	}
	return got
}

func testSessions(t *testing.T, h Harness) {
	s := h.Open(t)
	if got := listSessions(t, s); len(got) != 0 {
		t.Fatalf("sessions of an empty store: %+v", got)
	}
	applyStep(t, s, Step{Changes: []session.Change{Create(u1, "A", 2), Create(u2, "B b", 3)}})
	applyStep(t, s, Step{At: time.Minute, Changes: []session.Change{Create(u3, "A", 1), Delete(u2, "B b")}})
	want := []session.Session{
		{UUID: u1, Location: "A", Stations: 2, Started: Base},
		{UUID: u3, Location: "A", Stations: 1, Started: Base.Add(time.Minute)},
	}
	if got := listSessions(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("sessions\n got %+v\nwant %+v", got, want)
	}
	if !h.Persistent {
		closeStore(t, s)
		return
	}
	closeStore(t, s)
	s = h.Open(t)
	defer closeStore(t, s)
	if got := listSessions(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("sessions after close and reopen\n got %+v\nwant %+v", got, want)
	}
}

func testEnd(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	applyStep(t, s, Step{Changes: []session.Change{Create(u1, "A", 2), Create(u2, "A", 3)}})
	now := Base.Add(30 * time.Minute)
	o, ok, err := s.End(ctx, u1, now)
	if err != nil || !ok {
		t.Fatalf("End of an active session: ok %v, err %v", ok, err)
	}
	if o.Result != session.ResultAdmin || o.Session.Location != "A" || o.Session.Stations != 2 ||
		o.Change.Location != "A" || !o.Ended.Equal(now) || o.Duration() != 30*time.Minute {
		t.Fatalf("End outcome %+v, duration %v", o, o.Duration())
	}
	if _, ok, err := s.End(ctx, u1, now); err != nil || ok {
		t.Fatalf("second End of one session: ok %v, err %v", ok, err)
	}
	if _, ok, err := s.End(ctx, u3, now); err != nil || ok {
		t.Fatalf("End of an unknown session: ok %v, err %v", ok, err)
	}
	// An admin end is no event: the location's last event stays.
	want := map[string]Loc{"A": {Active: 1, Stations: 3}}
	checkLocations(t, s, want, "after an admin end")
	if h.Persistent {
		closeStore(t, s)
		s = h.Open(t)
		checkLocations(t, s, want, "after an admin end, close and reopen")
	}
	defer closeStore(t, s)
	// The tombstone makes a create that comes after the end late, not a ghost.
	out := applyStep(t, s, Step{At: 31 * time.Minute, Changes: []session.Change{Create(u1, "A", 2), Delete(u1, "A")}})
	if got := Results(out); !reflect.DeepEqual(got, []string{session.ResultLate, session.ResultUnmatched}) {
		t.Fatalf("create and delete after an admin end: %v", got)
	}
}

func testForget(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	applyStep(t, s, Step{Changes: []session.Change{Create(u1, "Old name", 2), Create(u2, "Old name", 1), Create(u3, "Kept", 4)}})
	applyStep(t, s, Step{Changes: []session.Change{Create("gone", "Quiet", 1), Delete("gone", "Quiet")}})
	now := Base.Add(time.Hour)
	if _, err := s.Forget(ctx, "Old name", now, false); !errors.Is(err, session.ErrLocationBusy) {
		t.Fatalf("Forget of a busy location without force: %v, want ErrLocationBusy", err)
	}
	if _, err := s.Forget(ctx, "Nowhere", now, true); !errors.Is(err, session.ErrUnknownLocation) {
		t.Fatalf("Forget of an unknown location: %v, want ErrUnknownLocation", err)
	}
	checkLocations(t, s, map[string]Loc{"Old name": {Active: 2, Stations: 3}, "Kept": {Active: 1, Stations: 4}, "Quiet": {}},
		"after refused forgets")
	out, err := s.Forget(ctx, "Quiet", now, false)
	if err != nil || len(out) != 0 {
		t.Fatalf("Forget of an idle location: %v, %v", out, err)
	}
	out, err = s.Forget(ctx, "Old name", now, true)
	if err != nil {
		t.Fatalf("Forget with force: %v", err)
	}
	var uuids []string
	for _, o := range out {
		if o.Result != session.ResultAdmin || o.Session.Location != "Old name" || !o.Ended.Equal(now) || o.Duration() != time.Hour {
			t.Fatalf("forced forget outcome %+v", o)
		}
		uuids = append(uuids, o.Session.UUID)
	}
	if want := []string{u1, u2}; !reflect.DeepEqual(uuids, want) { // sorted by start, then uuid
		t.Fatalf("forced forget ended %v, want %v", uuids, want)
	}
	want := map[string]Loc{"Kept": {Active: 1, Stations: 4}}
	checkLocations(t, s, want, "after forgetting")
	if got := listSessions(t, s); len(got) != 1 || got[0].UUID != u3 {
		t.Fatalf("sessions after forgetting: %+v", got)
	}
	if h.Persistent {
		closeStore(t, s)
		s = h.Open(t)
		checkLocations(t, s, want, "after forgetting, close and reopen")
	}
	defer closeStore(t, s)
	// A location comes back with its next event; the ended sessions stay ended.
	out = applyStep(t, s, Step{At: 2 * time.Hour, Changes: []session.Change{Create(u1, "Old name", 2), Create("new", "Old name", 1)}})
	if got := Results(out); !reflect.DeepEqual(got, []string{session.ResultLate, session.ResultApplied}) {
		t.Fatalf("creates after forgetting: %v", got)
	}
	checkLocations(t, s, map[string]Loc{"Kept": {Active: 1, Stations: 4}, "Old name": {Active: 1, Stations: 1, LastEvent: 2 * time.Hour}},
		"after the location came back")
}

func testConcurrentEnd(t *testing.T, h Harness) {
	s := h.Open(t)
	defer closeStore(t, s)
	applyStep(t, s, Step{Changes: []session.Change{Create(u1, "A", 1)}})
	const n = 8
	var ended sync.WaitGroup
	var mu sync.Mutex
	count := 0
	for range n {
		ended.Go(func() {
			_, ok, err := s.End(context.Background(), u1, Base.Add(time.Minute))
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				count++
				mu.Unlock()
			}
		})
	}
	ended.Wait()
	if count != 1 {
		t.Fatalf("%d of %d concurrent ends ended the session, want 1", count, n)
	}
	checkLocations(t, s, map[string]Loc{"A": {}}, "after concurrent ends")
}

// testSharedAdmin does what two replicas do when an operator's request reaches
// each of them, or a retried one does: each session ends once.
func testSharedAdmin(t *testing.T, h Harness) {
	if !h.Shared {
		t.Skip("stores of this kind do not share data")
	}
	a, b := h.Open(t), h.Open(t)
	defer closeStore(t, a)
	defer closeStore(t, b)
	applyStep(t, a, Step{Changes: []session.Change{Create(u1, "A", 1), Create(u2, "B", 1), Create(u3, "B", 2)}})
	wantOnce(t, onBoth(t, a, b, func(s session.Store) ([]session.Outcome, error) {
		o, ok, err := s.End(context.Background(), u1, Base.Add(time.Minute))
		if !ok {
			return nil, err
		}
		return []session.Outcome{o}, err
	}), 1, "ended by an admin end")
	wantOnce(t, onBoth(t, a, b, func(s session.Store) ([]session.Outcome, error) {
		out, err := s.Forget(context.Background(), "B", Base.Add(time.Minute), true)
		if errors.Is(err, session.ErrUnknownLocation) {
			return nil, nil // the other store forgot it first
		}
		return out, err
	}), 2, "ended by a forced forget")
	want := map[string]Loc{"A": {}}
	checkLocations(t, a, want, "on the first store")
	checkLocations(t, b, want, "on the second store")
	// The other store learns what was forgotten, until an event names it again.
	wantForgotten(t, b, []string{"B"}, "after forgetting")
	applyStep(t, a, Step{At: time.Hour, Changes: []session.Change{Create("back", "B", 1)}})
	wantForgotten(t, b, nil, "after an event named it again")
}

func wantForgotten(t *testing.T, s session.Store, want []string, when string) {
	t.Helper()
	got, err := s.Forgotten(context.Background())
	if err != nil {
		t.Fatalf("Forgotten %s: %v", when, err)
	}
	if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
		t.Fatalf("forgotten locations %s: %q, want %q", when, got, want)
	}
}
