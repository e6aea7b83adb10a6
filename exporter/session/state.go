package session

import (
	"sort"
	"time"
)

// State is the whole session state held in memory, with the transitions of the
// state machine. It is not safe for concurrent use: stores guard it with a lock.
// A store that persists it asks for the keys each transition touched (Dirty).
type State struct {
	sessions map[string]Session
	// tombstones maps a uuid to when its tombstone may be forgotten, in unix
	// nanoseconds: a third of a time.Time, for what is the bulk of the state.
	tombstones map[string]int64
	locations  map[string]*LocationStats
	dirty      *Dirty
}

// Dirty names the keys that transitions changed since it was last taken. For a
// session or tombstone it also gives its time before the first of those changes
// (a session's start, a tombstone's end of life; zero when there was none): a
// store that keys records by those times finds the old record without keeping an
// index of its own.
type Dirty struct {
	Sessions   map[string]time.Time
	Tombstones map[string]time.Time
	Locations  map[string]struct{}
}

func newDirty() *Dirty {
	return &Dirty{
		Sessions:   map[string]time.Time{},
		Tombstones: map[string]time.Time{},
		Locations:  map[string]struct{}{},
	}
}

// Empty reports whether nothing changed.
func (d *Dirty) Empty() bool {
	return len(d.Sessions) == 0 && len(d.Tombstones) == 0 && len(d.Locations) == 0
}

// NewState returns an empty state; with track, it records what changes (see TakeDirty).
func NewState(track bool) *State {
	s := &State{
		sessions:   map[string]Session{},
		tombstones: map[string]int64{},
		locations:  map[string]*LocationStats{},
	}
	if track {
		s.dirty = newDirty()
	}
	return s
}

// TakeDirty returns the keys changed since the last call and starts a new record.
func (s *State) TakeDirty() *Dirty {
	d := s.dirty
	s.dirty = newDirty()
	return d
}

// Apply applies a batch in order and returns one outcome per change.
func (s *State) Apply(b Batch) []Outcome {
	out := make([]Outcome, len(b.Changes))
	for i, c := range b.Changes {
		out[i] = s.apply(b, c)
	}
	return out
}

func (s *State) apply(b Batch, c Change) Outcome {
	o := Outcome{Change: c}
	o.Change.Location, o.Folded = s.label(b, c.Location)
	l := s.touchLocation(o.Change.Location, b.Now)
	switch c.Action {
	case ActionCreate:
		s.create(b, &o, l)
	case ActionDelete:
		s.delete(&o, b.Now)
	default:
		o.Result = ResultIgnored
	}
	return o
}

// label returns the location label for a change, folding new locations past the limit.
func (s *State) label(b Batch, loc string) (string, bool) {
	if _, ok := s.locations[loc]; ok || b.MaxLocations <= 0 || b.Exempt[loc] {
		return loc, false
	}
	if len(s.locations) < b.MaxLocations {
		return loc, false
	}
	return OverflowLocation, true
}

// create starts the session of o at l, its location's stats, unless that would
// pass a limit of b.
func (s *State) create(b Batch, o *Outcome, l *LocationStats) {
	c := o.Change
	if old, ok := s.sessions[c.UUID]; ok {
		// The newest stations value wins; the session keeps its first location.
		s.adjust(old.Location, 0, c.Stations-old.Stations)
		old.Stations = c.Stations
		s.putSession(old)
		o.Result, o.Session = ResultDuplicate, old
		return
	}
	if _, ok := s.tombstones[c.UUID]; ok {
		o.Result = ResultLate
		return
	}
	if b.MaxActive > 0 && len(s.sessions) >= b.MaxActive || b.MaxActiveAtLocation > 0 && l.Active >= b.MaxActiveAtLocation {
		o.Result = ResultLimited
		return
	}
	sess := Session{UUID: c.UUID, Location: c.Location, Stations: c.Stations, Started: b.Now}
	s.putSession(sess)
	l.Active++
	l.Stations += sess.Stations
	o.Result, o.Session = ResultApplied, sess
}

func (s *State) delete(o *Outcome, now time.Time) {
	uuid := o.Change.UUID
	s.putTombstone(uuid, now.Add(TombstoneTTL))
	sess, ok := s.sessions[uuid]
	if !ok {
		o.Result = ResultUnmatched
		return
	}
	s.end(sess)
	o.Result, o.Session, o.Ended = ResultApplied, sess, now
}

// Expire ends at most limit sessions started before now-maxAge and forgets at most
// limit tombstones that are past their time (limit <= 0: no bound), so that one step of a large backlog
// stays short for the store's writer. Which due sessions a step takes is not
// specified; its outcomes are sorted by start time, then uuid.
func (s *State) Expire(now time.Time, maxAge time.Duration, limit int) Expiry {
	var x Expiry
	cutoff := now.Add(-maxAge)
	for _, sess := range s.sessions {
		if !sess.Started.Before(cutoff) {
			continue
		}
		if limit > 0 && len(x.Ended) == limit {
			x.More = true
			break
		}
		x.Ended = append(x.Ended, Outcome{
			Change:  Change{UUID: sess.UUID, Location: sess.Location, Stations: sess.Stations},
			Result:  ResultExpired,
			Session: sess,
			Ended:   now,
		})
	}
	for _, o := range x.Ended {
		s.end(o.Session)
		s.putTombstone(o.Session.UUID, now.Add(TombstoneTTL))
	}
	nowN := now.UnixNano()
	for uuid, until := range s.tombstones {
		if until > nowN {
			continue
		}
		if limit > 0 && x.Forgotten == limit {
			x.More = true
			break
		}
		s.dropTombstone(uuid)
		x.Forgotten++
	}
	SortExpired(x.Ended)
	return x
}

// SortExpired sorts expiry outcomes by start time, then uuid.
func SortExpired(out []Outcome) {
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Session, out[j].Session
		if !a.Started.Equal(b.Started) {
			return a.Started.Before(b.Started)
		}
		return a.UUID < b.UUID
	})
}

// Locations returns a copy of every location's stats.
func (s *State) Locations() map[string]LocationStats {
	out := make(map[string]LocationStats, len(s.locations))
	for name, l := range s.locations {
		out[name] = *l
	}
	return out
}

func (s *State) end(sess Session) {
	s.markSession(sess.UUID)
	delete(s.sessions, sess.UUID)
	s.adjust(sess.Location, -1, -sess.Stations)
}

func (s *State) adjust(loc string, sessions, stations int) {
	l := s.location(loc)
	l.Active += sessions
	l.Stations += stations
	s.markLocation(loc)
}

// touchLocation records an event at loc and returns its stats, marked changed.
func (s *State) touchLocation(loc string, now time.Time) *LocationStats {
	l := s.location(loc)
	if now.After(l.LastEvent) {
		l.LastEvent = now
	}
	s.markLocation(loc)
	return l
}

func (s *State) location(loc string) *LocationStats {
	l, ok := s.locations[loc]
	if !ok {
		l = &LocationStats{}
		s.locations[loc] = l
	}
	return l
}

func (s *State) putSession(sess Session) {
	s.markSession(sess.UUID)
	s.sessions[sess.UUID] = sess
}

func (s *State) putTombstone(uuid string, until time.Time) {
	s.markTombstone(uuid)
	s.tombstones[uuid] = until.UnixNano()
}

func (s *State) dropTombstone(uuid string) {
	s.markTombstone(uuid)
	delete(s.tombstones, uuid)
}

// markSession records uuid as changed, with its start before the first change;
// it runs before the change.
func (s *State) markSession(uuid string) {
	if s.dirty == nil {
		return
	}
	if _, ok := s.dirty.Sessions[uuid]; !ok {
		s.dirty.Sessions[uuid] = s.sessions[uuid].Started
	}
}

// markTombstone is markSession for tombstones.
func (s *State) markTombstone(uuid string) {
	if s.dirty == nil {
		return
	}
	if _, ok := s.dirty.Tombstones[uuid]; !ok {
		var old time.Time
		if until, ok := s.tombstones[uuid]; ok {
			old = time.Unix(0, until)
		}
		s.dirty.Tombstones[uuid] = old
	}
}

func (s *State) markLocation(loc string) {
	if s.dirty != nil {
		s.dirty.Locations[loc] = struct{}{}
	}
}

// Session returns the active session with this uuid.
func (s *State) Session(uuid string) (Session, bool) {
	sess, ok := s.sessions[uuid]
	return sess, ok
}

// Tombstone returns until when a tombstone for this uuid is kept.
func (s *State) Tombstone(uuid string) (time.Time, bool) {
	until, ok := s.tombstones[uuid]
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(0, until), true
}

// Location returns one location's stats.
func (s *State) Location(name string) (LocationStats, bool) {
	l, ok := s.locations[name]
	if !ok {
		return LocationStats{}, false
	}
	return *l, true
}

// Restore puts back a session read from storage, without marking it dirty.
func (s *State) Restore(sess Session) {
	s.sessions[sess.UUID] = sess
	l := s.location(sess.Location)
	l.Active++
	l.Stations += sess.Stations
}

// RestoreTombstone puts back a tombstone read from storage.
func (s *State) RestoreTombstone(uuid string, until time.Time) {
	s.tombstones[uuid] = until.UnixNano()
}

// RestoreLocation puts back a known location and its last event read from storage.
func (s *State) RestoreLocation(name string, lastEvent time.Time) {
	s.location(name).LastEvent = lastEvent
}
