package session

import (
	"fmt"
	"time"
)

// Sessions returns a copy of every active session, in no particular order.
func (s *State) Sessions() []Session {
	out := make([]Session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		out = append(out, sess)
	}
	return out
}

// End ends the active session uuid as an operator asks; see Store.End.
func (s *State) End(uuid string, now time.Time) (Outcome, bool) {
	sess, ok := s.sessions[uuid]
	if !ok {
		return Outcome{}, false
	}
	s.end(sess)
	s.putTombstone(uuid, now.Add(TombstoneTTL))
	return AdminOutcome(sess, now), true
}

// Forget removes a location and, with force, ends its sessions first; see
// Store.Forget.
func (s *State) Forget(loc string, now time.Time, force bool) ([]Outcome, error) {
	l, ok := s.locations[loc]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLocation, loc)
	}
	if l.Active+l.Booked > 0 && !force {
		return nil, fmt.Errorf("%w: %q has %d", ErrLocationBusy, loc, l.Active+l.Booked)
	}
	var out []Outcome
	for _, sess := range s.sessions {
		if sess.Location == loc {
			out = append(out, AdminOutcome(sess, now))
		}
	}
	for _, o := range out {
		s.end(o.Session)
		s.putTombstone(o.Session.UUID, now.Add(TombstoneTTL))
	}
	delete(s.locations, loc)
	s.markLocation(loc)
	SortExpired(out)
	return out, nil
}

// AdminOutcome is the outcome of a session ended through the admin API at now;
// every store makes it alike. A booking ended so is cancelled, as by a delete; a
// session whose start waited for its lookup is counted as started with its end.
func AdminOutcome(sess Session, now time.Time) Outcome {
	o := Outcome{
		Change:  Change{UUID: sess.UUID, Location: sess.Location, Stations: sess.Stations},
		Result:  ResultAdmin,
		Session: sess,
		Ended:   now,
		Reason:  ReasonAdmin,
	}
	if sess.Phase == PhaseBooked {
		o.Reason = ReasonCancelled
	} else {
		o.Started = sess.Waiting
	}
	return o
}
