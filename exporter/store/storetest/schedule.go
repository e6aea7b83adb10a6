package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// runSchedule runs the phase scenarios on stores that keep schedules.
func runSchedule(t *testing.T, newHarness func(t *testing.T) Harness) {
	probe := newHarness(t).Open(t)
	_, ok := probe.(session.Scheduler)
	closeStore(t, probe)
	if !ok {
		t.Skip("store keeps no schedules")
	}
	t.Run("booking plays and finishes, across reopen", func(t *testing.T) { testBookingLifecycle(t, newHarness(t)) })
	t.Run("lookup state and reconciled sessions survive reopen", func(t *testing.T) { testLookupState(t, newHarness(t)) })
	t.Run("two stores start and finish each session once", func(t *testing.T) { testSharedAdvance(t, newHarness(t)) })
	t.Run("the admin API ends a booking as a cancellation", func(t *testing.T) { testAdminEndOfBooking(t, newHarness(t)) })
}

func scheduled(start time.Duration, minutes int) session.Schedule {
	return session.Schedule{Start: Base.Add(start), End: Base.Add(start + time.Duration(minutes)*time.Minute),
		Experience: "Beat Saber", Cost: 25.5, Stations: 2}
}

// reopen closes s and opens the store again when it keeps data.
func reopen(t *testing.T, h Harness, s session.Store) session.Store {
	t.Helper()
	if !h.Persistent {
		return s
	}
	closeStore(t, s)
	return h.Open(t)
}

func sched(s session.Store) session.Scheduler { return s.(session.Scheduler) }

func wantLocs(t *testing.T, s session.Store, want map[string]session.LocationStats, when string) {
	t.Helper()
	got, err := s.Locations(context.Background())
	if err != nil {
		t.Fatalf("Locations: %v", err)
	}
	for name, w := range want {
		g := got[name]
		if g.Active != w.Active || g.Stations != w.Stations || g.Booked != w.Booked {
			t.Fatalf("%s: location %s = %+v, want %+v", when, name, g, w)
		}
	}
}

func testBookingLifecycle(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	out := applyStep(t, s, Step{Changes: []session.Change{
		{UUID: u1, Action: session.ActionCreate, Location: "A", Stations: 2, NeedsLookup: true},
		{UUID: u2, Action: session.ActionCreate, Location: "A", Stations: 1, NeedsLookup: true},
	}})
	if out[0].Started || out[1].Started {
		t.Fatalf("a create waiting for its lookup counted its start: %+v", out)
	}
	s = reopen(t, h, s)
	due, err := sched(s).Lookups(ctx, Base, 0)
	if err != nil || len(due) != 2 {
		t.Fatalf("lookups due after reopen = %v, %v", due, err)
	}
	o, err := sched(s).Schedule(ctx, u1, scheduled(2*time.Hour, 30), Base.Add(time.Second))
	if err != nil || o.Result != session.ResultScheduled || o.Started {
		t.Fatalf("schedule of a booking = %+v, %v", o, err)
	}
	o, err = sched(s).Schedule(ctx, u2, scheduled(time.Hour, 30), Base.Add(time.Second))
	if err != nil || o.Result != session.ResultScheduled {
		t.Fatalf("schedule = %+v, %v", o, err)
	}
	wantLocs(t, s, map[string]session.LocationStats{"A": {Booked: 2}}, "two bookings")
	s = reopen(t, h, s)
	wantLocs(t, s, map[string]session.LocationStats{"A": {Booked: 2}}, "two bookings after reopen")
	// u2 is cancelled before its start: not an ended session.
	out = applyStep(t, s, Step{At: 30 * time.Minute, Changes: []session.Change{Delete(u2, "A")}})
	if out[0].Reason != session.ReasonCancelled || out[0].Started {
		t.Fatalf("delete of a booking = %+v", out[0])
	}
	x, err := sched(s).Advance(ctx, Base.Add(2*time.Hour), 0)
	if err != nil || len(x.Ended) != 1 || x.Ended[0].Result != session.ResultStarted || !x.Ended[0].Started {
		t.Fatalf("advance at the start = %+v, %v", x, err)
	}
	if got := x.Ended[0].Session.Schedule; got.Experience != "Beat Saber" || got.Cost != 25.5 || !got.Start.Equal(Base.Add(2*time.Hour)) {
		t.Fatalf("schedule kept by the store = %+v", got)
	}
	wantLocs(t, s, map[string]session.LocationStats{"A": {Active: 1, Stations: 2}}, "playing")
	s = reopen(t, h, s)
	defer func() { closeStore(t, s) }()
	wantLocs(t, s, map[string]session.LocationStats{"A": {Active: 1, Stations: 2}}, "playing after reopen")
	if x, err := sched(s).Advance(ctx, Base.Add(2*time.Hour+time.Minute), 0); err != nil || len(x.Ended) != 0 {
		t.Fatalf("advance while playing = %+v, %v", x, err)
	}
	x, err = sched(s).Advance(ctx, Base.Add(3*time.Hour), 0)
	if err != nil || len(x.Ended) != 1 || x.Ended[0].Reason != session.ReasonFinished || x.Ended[0].Started {
		t.Fatalf("advance after the end = %+v, %v", x, err)
	}
	if d := x.Ended[0].Duration(); d != 30*time.Minute {
		t.Fatalf("finished session lasted %v, want 30m", d)
	}
	wantLocs(t, s, map[string]session.LocationStats{"A": {}}, "finished")
	out = applyStep(t, s, Step{At: 3 * time.Hour, Changes: []session.Change{Delete(u1, "A")}})
	if out[0].Result != session.ResultUnmatched {
		t.Fatalf("delete after finish = %+v", out[0])
	}
}

func testLookupState(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	applyStep(t, s, Step{Changes: []session.Change{{UUID: u1, Action: session.ActionCreate, Location: "A", Stations: 2, NeedsLookup: true}}})
	if o, err := sched(s).LookupFailed(ctx, u1, Base, Base.Add(time.Minute), false); err != nil || o.Result != session.ResultRetry {
		t.Fatalf("failed lookup = %+v, %v", o, err)
	}
	o, err := sched(s).Reconcile(ctx, "A", u2, scheduled(-5*time.Minute, 30), Base)
	if err != nil || o.Result != session.ResultReconciled || !o.Started {
		t.Fatalf("reconcile = %+v, %v", o, err)
	}
	s = reopen(t, h, s)
	defer func() { closeStore(t, s) }()
	if due, err := sched(s).Lookups(ctx, Base.Add(30*time.Second), 0); err != nil || len(due) != 0 {
		t.Fatalf("lookup due before its next try = %v, %v", due, err)
	}
	due, err := sched(s).Lookups(ctx, Base.Add(time.Minute), 0)
	if err != nil || len(due) != 1 || due[0].UUID != u1 || due[0].Attempts != 1 || due[0].Location != "A" {
		t.Fatalf("lookup due at its next try = %v, %v", due, err)
	}
	if o, err := sched(s).Reconcile(ctx, "A", u2, scheduled(-5*time.Minute, 30), Base.Add(time.Minute)); err != nil || o.Started || o.Result != session.ResultScheduled {
		t.Fatalf("second reconcile = %+v, %v", o, err)
	}
	if o, err := sched(s).LookupFailed(ctx, u1, Base, time.Time{}, true); err != nil || o.Result != session.ResultGaveUp || !o.Started {
		t.Fatalf("give up = %+v, %v", o, err)
	}
	wantLocs(t, s, map[string]session.LocationStats{"A": {Active: 2, Stations: 4}}, "after giving up")
	if o, err := sched(s).Schedule(ctx, "nobody", scheduled(0, 30), Base); err != nil || o.Result != session.ResultUnknown {
		t.Fatalf("schedule of an unknown session = %+v, %v", o, err)
	}
}

func testSharedAdvance(t *testing.T, h Harness) {
	if !h.Shared {
		t.Skip("stores of this kind do not share data")
	}
	ctx := context.Background()
	a, b := h.Open(t), h.Open(t)
	defer closeStore(t, a)
	defer closeStore(t, b)
	const n = 8
	for k := range n {
		if _, err := sched(a).Reconcile(ctx, "A", string(rune('a'+k)), scheduled(time.Minute, 30), Base); err != nil {
			t.Fatal(err)
		}
	}
	count := func(now time.Time) (started, finished int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, s := range []session.Store{a, b} {
			wg.Go(func() {
				for {
					x, err := sched(s).Advance(ctx, now, 3)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, o := range x.Ended {
						if o.Started {
							started++
						}
						if o.Reason == session.ReasonFinished {
							finished++
						}
					}
					mu.Unlock()
					if !x.More {
						return
					}
				}
			})
		}
		wg.Wait()
		return started, finished
	}
	if s, f := count(Base.Add(2 * time.Minute)); s != n || f != 0 {
		t.Fatalf("at the start: %d started, %d finished; want %d, 0", s, f, n)
	}
	if s, f := count(Base.Add(time.Hour)); s != 0 || f != n {
		t.Fatalf("after the end: %d started, %d finished; want 0, %d", s, f, n)
	}
	wantLocs(t, b, map[string]session.LocationStats{"A": {}}, "after all finished")
}

// testAdminEndOfBooking: the admin API ends a booking as a cancellation, and a
// session whose start waited for its lookup with its start counted.
func testAdminEndOfBooking(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	defer func() { closeStore(t, s) }()
	applyStep(t, s, Step{Changes: []session.Change{
		{UUID: u1, Action: session.ActionCreate, Location: "A", Stations: 2, NeedsLookup: true},
		{UUID: u2, Action: session.ActionCreate, Location: "A", Stations: 1, NeedsLookup: true},
	}})
	if _, err := sched(s).Schedule(ctx, u1, scheduled(time.Hour, 30), Base); err != nil {
		t.Fatal(err)
	}
	o, ok, err := s.End(ctx, u1, Base.Add(time.Minute))
	if err != nil || !ok || o.Reason != session.ReasonCancelled || o.Started {
		t.Fatalf("admin end of a booking = %+v, %v, %v", o, ok, err)
	}
	o, ok, err = s.End(ctx, u2, Base.Add(time.Minute))
	if err != nil || !ok || o.Reason != session.ReasonAdmin || !o.Started {
		t.Fatalf("admin end of a session waiting for its lookup = %+v, %v, %v", o, ok, err)
	}
	wantLocs(t, s, map[string]session.LocationStats{"A": {}}, "after the admin ends")
}
