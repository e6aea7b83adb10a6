package session

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func createKeyed(s *State, uuid string, now time.Time) Outcome {
	return s.Apply(Batch{Now: now, Changes: []Change{{UUID: uuid, Action: ActionCreate, Location: "L", Stations: 2, NeedsLookup: true}}})[0]
}

func sched(start time.Time, minutes int) Schedule {
	return Schedule{Start: start, End: start.Add(time.Duration(minutes) * time.Minute), Experience: "Beat Saber", Cost: 25.5, Stations: 2}
}

func wantLoc(t *testing.T, s *State, active, stations, booked int) {
	t.Helper()
	l, _ := s.Location("L")
	if l.Active != active || l.Stations != stations || l.Booked != booked {
		t.Fatalf("location L = %+v, want active %d stations %d booked %d", l, active, stations, booked)
	}
}

func TestBookingPlaysAndFinishes(t *testing.T) {
	s := NewState(false)
	if o := createKeyed(s, "a", t0); o.Started || o.Result != ResultApplied {
		t.Fatalf("keyed create = %+v, want applied and not started", o)
	}
	wantLoc(t, s, 1, 2, 0) // unscheduled: active as without a key
	if d := s.Lookups(t0, 0); len(d) != 1 || d[0].UUID != "a" {
		t.Fatalf("lookups due = %v", d)
	}
	o := s.Schedule("a", sched(t0.Add(2*time.Hour), 30), t0.Add(time.Second))
	if o.Result != ResultScheduled || o.Started || o.Session.Phase != PhaseBooked {
		t.Fatalf("schedule = %+v", o)
	}
	wantLoc(t, s, 0, 0, 1)
	if d := s.Lookups(t0.Add(time.Hour), 0); len(d) != 0 {
		t.Fatalf("lookups due after the schedule = %v", d)
	}
	if x := s.Advance(t0.Add(time.Hour), 0); len(x.Ended) != 0 {
		t.Fatalf("advance before the start = %+v", x)
	}
	x := s.Advance(t0.Add(2*time.Hour), 0)
	if len(x.Ended) != 1 || x.Ended[0].Result != ResultStarted || !x.Ended[0].Started {
		t.Fatalf("advance at the start = %+v", x)
	}
	wantLoc(t, s, 1, 2, 0)
	if x := s.Advance(t0.Add(2*time.Hour+time.Minute), 0); len(x.Ended) != 0 {
		t.Fatalf("advance while playing = %+v", x)
	}
	end := t0.Add(2*time.Hour + 30*time.Minute)
	x = s.Advance(end.Add(10*time.Second), 0)
	if len(x.Ended) != 1 || x.Ended[0].Reason != ReasonFinished || x.Ended[0].Started || !x.Ended[0].Ended.Equal(end) {
		t.Fatalf("advance after the end = %+v", x)
	}
	if d := x.Ended[0].Duration(); d != 30*time.Minute {
		t.Fatalf("duration = %v, want 30m", d)
	}
	wantLoc(t, s, 0, 0, 0)
	if o := s.Apply(Batch{Now: end.Add(time.Minute), Changes: []Change{{UUID: "a", Action: ActionDelete, Location: "L"}}})[0]; o.Result != ResultUnmatched {
		t.Fatalf("delete after finish = %+v", o)
	}
}

func TestDeleteOfBookingCancels(t *testing.T) {
	s := NewState(false)
	createKeyed(s, "a", t0)
	s.Schedule("a", sched(t0.Add(time.Hour), 30), t0)
	o := s.Apply(Batch{Now: t0.Add(time.Minute), Changes: []Change{{UUID: "a", Action: ActionDelete, Location: "L"}}})[0]
	if o.Reason != ReasonCancelled || o.Started {
		t.Fatalf("delete of a booking = %+v", o)
	}
	wantLoc(t, s, 0, 0, 0)
}

func TestScheduleWhilePlayingCountsStartOnce(t *testing.T) {
	s := NewState(false)
	createKeyed(s, "a", t0)
	o := s.Schedule("a", sched(t0.Add(-time.Minute), 30), t0)
	if !o.Started || o.Session.Phase != PhasePlaying {
		t.Fatalf("schedule of a playing session = %+v", o)
	}
	// Extended: a later poll moves the end; nothing is counted again.
	o = s.Schedule("a", sched(t0.Add(-time.Minute), 60), t0.Add(40*time.Minute))
	if o.Started || o.Result != ResultScheduled {
		t.Fatalf("extension = %+v", o)
	}
	if x := s.Advance(t0.Add(45*time.Minute), 0); len(x.Ended) != 0 {
		t.Fatalf("extended session ended early: %+v", x)
	}
	o = s.Apply(Batch{Now: t0.Add(50 * time.Minute), Changes: []Change{{UUID: "a", Action: ActionDelete, Location: "L"}}})[0]
	if o.Reason != ReasonDeleted || o.Started {
		t.Fatalf("delete while playing = %+v", o)
	}
}

func TestGiveUpCountsStartAndStaysActive(t *testing.T) {
	s := NewState(false)
	createKeyed(s, "a", t0)
	if o := s.LookupFailed("a", t0, t0.Add(time.Minute), false); o.Result != ResultRetry || o.Started {
		t.Fatalf("failed lookup = %+v", o)
	}
	if d := s.Lookups(t0.Add(30*time.Second), 0); len(d) != 0 {
		t.Fatalf("lookup due before its next try: %v", d)
	}
	if d := s.Lookups(t0.Add(time.Minute), 0); len(d) != 1 || d[0].Attempts != 1 {
		t.Fatalf("lookup at its next try: %v", d)
	}
	if o := s.LookupFailed("a", t0, time.Time{}, true); o.Result != ResultGaveUp || !o.Started {
		t.Fatalf("give up = %+v", o)
	}
	if d := s.Lookups(t0.Add(time.Hour), 0); len(d) != 0 {
		t.Fatalf("lookup due after giving up: %v", d)
	}
	wantLoc(t, s, 1, 2, 0)
	x := s.Expire(t0.Add(2*time.Hour), time.Hour, 0)
	if len(x.Ended) != 1 || x.Ended[0].Started {
		t.Fatalf("expiry after giving up = %+v (its start was counted already)", x)
	}
}

func TestDeleteBeforeLookup(t *testing.T) {
	s := NewState(false)
	createKeyed(s, "a", t0)
	createKeyed(s, "b", t0)
	// Before its first lookup was tried: it never played, as far as anyone knows.
	o := s.Apply(Batch{Now: t0.Add(time.Second), Changes: []Change{{UUID: "a", Action: ActionDelete, Location: "L"}}})[0]
	if o.Started || o.Reason != ReasonCancelled {
		t.Fatalf("delete before the first lookup = %+v", o)
	}
	// After a failed lookup: as without a key, its start is counted with its end.
	s.LookupFailed("b", t0, t0.Add(time.Minute), false)
	o = s.Apply(Batch{Now: t0.Add(time.Minute), Changes: []Change{{UUID: "b", Action: ActionDelete, Location: "L"}}})[0]
	if !o.Started || o.Reason != ReasonDeleted {
		t.Fatalf("delete after a failed lookup = %+v", o)
	}
	wantLoc(t, s, 0, 0, 0)
}

func TestReconcile(t *testing.T) {
	s := NewState(false)
	o := s.Reconcile("L", "p", sched(t0.Add(-5*time.Minute), 30), t0)
	if o.Result != ResultReconciled || !o.Started || o.Session.Phase != PhasePlaying {
		t.Fatalf("reconcile of a playing session = %+v", o)
	}
	if o := s.Reconcile("L", "p", sched(t0.Add(-5*time.Minute), 30), t0.Add(time.Minute)); o.Result != ResultScheduled || o.Started {
		t.Fatalf("second reconcile = %+v", o)
	}
	if o := s.Reconcile("L", "f", sched(t0.Add(-time.Hour), 30), t0); o.Result != ResultIgnored {
		t.Fatalf("reconcile of a session already over = %+v", o)
	}
	o = s.Reconcile("L", "b", sched(t0.Add(time.Hour), 30), t0)
	if o.Result != ResultReconciled || o.Started || o.Session.Phase != PhaseBooked {
		t.Fatalf("reconcile of a booking = %+v", o)
	}
	wantLoc(t, s, 1, 2, 1)
	s.Apply(Batch{Now: t0, Changes: []Change{{UUID: "d", Action: ActionDelete, Location: "L"}}})
	if o := s.Reconcile("L", "d", sched(t0.Add(-time.Minute), 30), t0); o.Result != ResultIgnored {
		t.Fatalf("reconcile of a deleted session = %+v", o)
	}
	x := s.Advance(t0.Add(2*time.Hour), 0)
	if len(x.Ended) != 2 {
		t.Fatalf("advance = %+v", x)
	}
	wantLoc(t, s, 0, 0, 0)
}

func TestAdvanceIsBounded(t *testing.T) {
	s := NewState(false)
	for _, u := range []string{"a", "b", "c"} {
		s.Reconcile("L", u, sched(t0.Add(time.Minute), 30), t0)
	}
	x := s.Advance(t0.Add(2*time.Minute), 2)
	if len(x.Ended) != 2 || !x.More {
		t.Fatalf("bounded advance = %d, more %v", len(x.Ended), x.More)
	}
	x = s.Advance(t0.Add(2*time.Minute), 2)
	if len(x.Ended) != 1 || x.More {
		t.Fatalf("second step = %d, more %v", len(x.Ended), x.More)
	}
}
