package session

import (
	"context"
	"sort"
	"time"
)

// Phases of a session with a known schedule. A session without one has phase "".
const (
	PhaseBooked  = "booked"  // its scheduled start is still ahead
	PhasePlaying = "playing" // between its scheduled start and end
)

// AdvanceInterval is how often sessions are moved through their phases: a play
// begins or ends at most this late.
const AdvanceInterval = 5 * time.Second

// Schedule is when and what a session is played, as the sessions API says.
type Schedule struct {
	Start, End time.Time
	Experience string
	Cost       float64
	Stations   int
}

// Equal reports whether two schedules say the same, whatever their times' zones.
func (s Schedule) Equal(o Schedule) bool {
	return s.Start.Equal(o.Start) && s.End.Equal(o.End) && s.Experience == o.Experience && s.Cost == o.Cost && s.Stations == o.Stations
}

// Known reports whether the schedule was found.
func (s Schedule) Known() bool { return !s.Start.IsZero() }

// Lookup is the state of a session's lookup in the sessions API, kept with the
// session so that a restart or a crash loses no pending lookup.
type Lookup struct {
	Needed   bool      // the session still waits for its schedule
	Attempts int       // failed attempts so far
	NextTry  time.Time // not before then
	GaveUp   bool      // the lookup failed too often: the session stays unscheduled
}

// PlayStart is when the session's play began: its scheduled start when known,
// else when the exporter took it in.
func (s Session) PlayStart() time.Time {
	if s.Schedule.Known() && s.Phase != "" {
		return s.Schedule.Start
	}
	return s.Started
}

// DeleteCancels reports whether a delete of the session cancels it rather than
// ends it: a booking before its start, and a session deleted before its first
// lookup was even tried (moments after its create: a booking or a mistake that
// never played, and nothing says otherwise). A session whose lookups failed is
// ended as without a key.
func (s Session) DeleteCancels() bool {
	return s.Phase == PhaseBooked || s.Phase == "" && s.Lookup.Needed && s.Lookup.Attempts == 0
}

// Due is a session whose lookup is due.
type Due struct {
	UUID     string
	Location string
	Attempts int
}

// Scheduler is the part of a store that keeps sessions' schedules: what the lookup
// worker and the poller write, and the step that moves sessions through their
// phases. Every transition is decided by the store, atomically, so that with
// several replicas each is done (and counted) by exactly one of them.
type Scheduler interface {
	// Schedule gives the active session uuid its schedule (ResultScheduled; the
	// outcome says whether its start was counted, or whether it ended at once);
	// ResultUnknown when the session is not active.
	Schedule(ctx context.Context, uuid string, sched Schedule, now time.Time) (Outcome, error)
	// LookupFailed records a failed lookup of uuid: tried again at next
	// (ResultRetry), or, with giveUp, never again (ResultGaveUp; the session's start
	// is counted then). ResultUnknown when the session is not active.
	LookupFailed(ctx context.Context, uuid string, now, next time.Time, giveUp bool) (Outcome, error)
	// Reconcile takes in a session that the API lists at location: a known one gets
	// its schedule (as Schedule); an unknown one that is not over yet and was not
	// ended is added, booked or playing (ResultReconciled, once).
	Reconcile(ctx context.Context, location, uuid string, sched Schedule, now time.Time) (Outcome, error)
	// Advance moves at most limit sessions whose phase changed by now (limit <= 0:
	// no bound): a booking whose start came begins playing (ResultStarted), a
	// session whose end came ends (ResultFinished). Expiry.More asks for another step.
	Advance(ctx context.Context, now time.Time, limit int) (Expiry, error)
	// Lookups returns at most limit sessions whose lookup is due by now.
	Lookups(ctx context.Context, now time.Time, limit int) ([]Due, error)
}

// phaseAt is the phase of a schedule at now; finished reports that its end passed.
func phaseAt(sched Schedule, now time.Time) (phase string, finished bool) {
	switch {
	case now.Before(sched.Start):
		return PhaseBooked, false
	case now.Before(sched.End):
		return PhasePlaying, false
	default:
		return PhasePlaying, true
	}
}

// Schedule implements Scheduler.Schedule on the state.
func (s *State) Schedule(uuid string, sched Schedule, now time.Time) Outcome {
	sess, ok := s.sessions[uuid]
	if !ok {
		return Outcome{Change: Change{UUID: uuid}, Result: ResultUnknown}
	}
	o := s.reschedule(sess, sched, now)
	if o.Result == "" {
		o.Result = ResultScheduled
	}
	return o
}

// reschedule gives sess its schedule and moves it to the phase of now: a session
// whose play began stays playing (a booking moved later after its start changes
// nothing counted), one whose end passed finishes.
func (s *State) reschedule(sess Session, sched Schedule, now time.Time) Outcome {
	o := Outcome{Change: Change{UUID: sess.UUID, Location: sess.Location, Stations: sess.Stations}}
	phase, finished := phaseAt(sched, now)
	if sess.Phase == PhasePlaying {
		phase = PhasePlaying
	}
	if sess.Schedule.Equal(sched) && sess.Phase == phase && !sess.Lookup.Needed && !finished && !(phase == PhasePlaying && sess.Waiting) {
		o.Session = sess // a poll saw it unchanged: nothing to write
		return o
	}
	s.count(sess, -1)
	sess.Schedule = sched
	sess.Phase = phase
	sess.Lookup = Lookup{}
	if phase == PhasePlaying && sess.Waiting {
		sess.Waiting = false
		o.Started = true
	}
	s.count(sess, 1)
	s.putSession(sess)
	o.Session = sess
	if finished {
		s.finish(&o, sess, now)
	}
	return o
}

// finish ends a playing session whose scheduled end passed.
func (s *State) finish(o *Outcome, sess Session, now time.Time) {
	s.end(sess)
	s.putTombstone(sess.UUID, now.Add(TombstoneTTL))
	o.Result, o.Session, o.Reason = ResultFinished, sess, ReasonFinished
	// It ended at its scheduled end, also when the step ran later.
	o.Ended = sess.Schedule.End
	if o.Ended.Before(sess.Schedule.Start) || o.Ended.After(now) {
		o.Ended = now
	}
}

// LookupFailed implements Scheduler.LookupFailed on the state.
func (s *State) LookupFailed(uuid string, now, next time.Time, giveUp bool) Outcome {
	sess, ok := s.sessions[uuid]
	if !ok {
		return Outcome{Change: Change{UUID: uuid}, Result: ResultUnknown}
	}
	o := Outcome{Change: Change{UUID: uuid, Location: sess.Location, Stations: sess.Stations}, Result: ResultRetry}
	if !sess.Lookup.Needed {
		// Another replica's lookup answered meanwhile.
		o.Result, o.Session = ResultScheduled, sess
		return o
	}
	sess.Lookup.Attempts++
	sess.Lookup.NextTry = next
	if giveUp {
		sess.Lookup = Lookup{Attempts: sess.Lookup.Attempts, GaveUp: true}
		o.Result = ResultGaveUp
		o.Started = sess.Waiting
		sess.Waiting = false
	}
	s.putSession(sess)
	o.Session = sess
	return o
}

// Reconcile implements Scheduler.Reconcile on the state.
func (s *State) Reconcile(location, uuid string, sched Schedule, now time.Time) Outcome {
	if _, ok := s.sessions[uuid]; ok {
		return s.Schedule(uuid, sched, now)
	}
	o := Outcome{Change: Change{UUID: uuid, Location: location, Stations: sched.Stations}, Result: ResultIgnored}
	if _, ok := s.tombstones[uuid]; ok || uuid == "" {
		return o
	}
	phase, finished := phaseAt(sched, now)
	if finished {
		return o // over before it was seen: nothing to count as playing
	}
	sess := Session{UUID: uuid, Location: location, Stations: sched.Stations, Started: now,
		Schedule: sched, Phase: phase, Waiting: phase == PhaseBooked}
	s.putSession(sess)
	s.count(sess, 1)
	o.Result, o.Session, o.Started = ResultReconciled, sess, phase == PhasePlaying
	return o
}

// Advance implements Scheduler.Advance on the state. Its outcomes are sorted by
// start time, then uuid.
func (s *State) Advance(now time.Time, limit int) Expiry {
	var x Expiry
	var due []Session
	for _, sess := range s.sessions {
		if sess.Phase == "" {
			continue
		}
		phase, finished := phaseAt(sess.Schedule, now)
		if sess.Phase == PhaseBooked && phase == PhasePlaying || finished {
			if limit > 0 && len(due) == limit {
				x.More = true
				break
			}
			due = append(due, sess)
		}
	}
	for _, sess := range due {
		o := s.reschedule(sess, sess.Schedule, now)
		if o.Result == "" {
			o.Result = ResultStarted
		}
		x.Ended = append(x.Ended, o)
	}
	SortExpired(x.Ended)
	return x
}

// Lookups implements Scheduler.Lookups on the state, the earliest due first.
func (s *State) Lookups(now time.Time, limit int) []Due {
	var due []Session
	for _, sess := range s.sessions {
		if sess.Lookup.Needed && !sess.Lookup.NextTry.After(now) {
			due = append(due, sess)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		a, b := due[i].Lookup.NextTry, due[j].Lookup.NextTry
		if !a.Equal(b) {
			return a.Before(b)
		}
		return due[i].UUID < due[j].UUID
	})
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	out := make([]Due, len(due))
	for i, sess := range due {
		out[i] = Due{UUID: sess.UUID, Location: sess.Location, Attempts: sess.Lookup.Attempts}
	}
	return out
}
