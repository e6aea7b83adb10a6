package simulator

import (
	"sort"
	"sync"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// Model is what the exporter should hold after the events the simulator sent: it
// follows the exporter's session semantics (exporter/README.md, "Session semantics"). A
// create of an active uuid is a duplicate that updates its stations; a delete ends
// the session and leaves a tombstone, so a create after its delete is ignored; a
// session whose delete never comes stays active until the maximum age.
//
// Events whose POST got no 200 may or may not have been applied: their sessions
// count as uncertain, between absent and present, until a delete that was answered
// 200 settles them. Model is safe for concurrent use; the events of one uuid must be
// reported in the order the exporter received them.
type Model struct {
	mu       sync.Mutex
	sessions map[string]*modelSession
	// tombstones maps a deleted uuid to when the exporter forgets it.
	tombstones map[string]time.Time
	locations  map[string]bool
	// plans are the sessions' schedules as SynthesisVR knows them, for its API.
	plans map[string]*planned
}

type modelSession struct {
	location string
	stations int
	started  time.Time
	// uncertain: a POST carrying one of its events failed, so it may or may not be active.
	uncertain bool
}

// NewModel returns an empty model.
func NewModel() *Model {
	return &Model{sessions: map[string]*modelSession{}, tombstones: map[string]time.Time{},
		locations: map[string]bool{}, plans: map[string]*planned{}}
}

// NewTracker returns a model that only follows which sessions are active, for a
// run that ends them when it stops but compares nothing: it keeps no tombstones, so
// a long load does not grow it by every session it deleted. Expect on it does not
// know of creates that came after their delete.
func NewTracker() *Model {
	return &Model{sessions: map[string]*modelSession{}, locations: map[string]bool{}, plans: map[string]*planned{}}
}

// Applied records events the exporter answered 200 for, at time at.
func (m *Model) Applied(evs []Event, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.planEvents(evs, at, false)
	for _, e := range evs {
		m.locations[e.Location] = true
		switch e.Action {
		case actionCreate:
			m.create(e, at)
		case actionDelete:
			delete(m.sessions, e.UUID)
			if m.tombstones != nil {
				m.tombstones[e.UUID] = at.Add(session.TombstoneTTL)
			}
		}
	}
}

func (m *Model) create(e Event, at time.Time) {
	if s, ok := m.sessions[e.UUID]; ok {
		// A duplicate: the newest stations value wins, the first location stays.
		s.stations = e.Stations
		return
	}
	if until, ok := m.tombstones[e.UUID]; ok && at.Before(until) {
		return // late: its delete came first
	}
	m.sessions[e.UUID] = &modelSession{location: e.Location, stations: e.Stations, started: at}
}

// Failed records events whose POST failed or got another answer than 200: the
// exporter may have applied them or not.
func (m *Model) Failed(evs []Event, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.planEvents(evs, at, true)
	for _, e := range evs {
		m.locations[e.Location] = true
		s, ok := m.sessions[e.UUID]
		if !ok {
			s = &modelSession{location: e.Location, started: at}
			m.sessions[e.UUID] = s
		}
		s.uncertain = true
		s.stations = max(s.stations, e.Stations)
	}
}

// Range is what a gauge may read: from Min to Max, both included.
type Range struct{ Min, Max float64 }

// Contains reports whether v is within the range.
func (r Range) Contains(v float64) bool { return v >= r.Min && v <= r.Max }

// Expected is what one location's gauges should read.
type Expected struct {
	Sessions Range
	Stations Range
}

// Expect returns, per location the model has seen, the active sessions and stations
// the exporter should report at time now. A session older than maxAge is expired by
// the exporter within its expiry interval plus slack; in between it may be either.
func (m *Model) Expect(now time.Time, maxAge, slack time.Duration) map[string]Expected {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]Expected, len(m.locations))
	for loc := range m.locations {
		out[loc] = Expected{}
	}
	for _, s := range m.sessions {
		age := now.Sub(s.started)
		sure := !s.uncertain && age < maxAge-slack
		if age > maxAge+slack {
			continue // expired for sure
		}
		e := out[s.location]
		e.Sessions.Max++
		e.Stations.Max += float64(s.stations)
		if sure {
			e.Sessions.Min++
			e.Stations.Min += float64(s.stations)
		}
		out[s.location] = e
	}
	return out
}

// Locations returns the locations the model has seen, sorted.
func (m *Model) Locations() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.locations))
	for l := range m.locations {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Unended returns a delete for every session the model holds: those whose delete the
// exporter did not answer 200 for, uncertain ones included, so that a run that stops
// can end what it started. Sending a delete for a session the exporter never saw is
// harmless: it only leaves a tombstone.
func (m *Model) Unended() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Event, 0, len(m.sessions))
	for uuid, s := range m.sessions {
		out = append(out, Event{UUID: uuid, Action: actionDelete, Location: s.location, Stations: s.stations})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UUID < out[j].UUID })
	return out
}
