package simulator

import (
	"math/rand/v2"
)

// Stream generates an endless, deterministic sequence of session events for load and
// check runs: sessions start and end at random, keeping about Target active, spread
// over the given locations, with the rough edges drawn at their rates. Events of one
// uuid come out in the order they must reach the exporter, so a Stream must feed one
// connection at a time. A Stream is not safe for concurrent use.
type Stream struct {
	rng       *rand.Rand
	edges     Edges
	locations []string
	target    int
	open      []Event // the create events of sessions that may still be deleted
	pending   []Event // events due next: duplicates and the creates after their delete
	customer  int
}

// NewStream returns a stream seeded with seed.
func NewStream(seed uint64, edges Edges, locations []string, target int) *Stream {
	return &Stream{
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		edges:     edges,
		locations: locations,
		target:    max(target, 1),
		customer:  1000,
	}
}

// Next returns the events of the next POST (one, or several with the batch edge).
func (s *Stream) Next() []Event {
	n := s.edges.batchSize(s.rng)
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = s.next()
	}
	return evs
}

func (s *Stream) next() Event {
	if len(s.pending) > 0 {
		e := s.pending[0]
		s.pending = s.pending[1:]
		return e
	}
	var e Event
	// Below the target, sessions start more often than they end, and above it less:
	// the number of active sessions hovers around the target.
	pStart := 0.25
	if len(s.open) < s.target {
		pStart = 0.75
	}
	if len(s.open) == 0 || s.rng.Float64() < pStart {
		e = s.start()
	} else {
		e = s.end()
	}
	if s.rng.Float64() < s.edges.Duplicate {
		s.pending = append(s.pending, e)
	}
	return e
}

// start begins a session: its create, or with the delete-first edge its delete, the
// create following next.
func (s *Stream) start() Event {
	s.customer++
	e := Event{
		UUID:       newUUID(s.rng),
		Action:     actionCreate,
		Location:   s.locations[s.rng.IntN(len(s.locations))],
		Stations:   1 + s.rng.IntN(4),
		CustomerID: s.customer,
	}
	if s.rng.Float64() < s.edges.DeleteFirst {
		s.pending = append(s.pending, e)
		e.Action = actionDelete
		return e
	}
	s.open = append(s.open, e)
	return e
}

// end deletes a random open session; with the missing-delete edge the delete is
// never sent, and a new session starts instead.
func (s *Stream) end() Event {
	for len(s.open) > 0 {
		i := s.rng.IntN(len(s.open))
		e := s.open[i]
		s.open[i] = s.open[len(s.open)-1]
		s.open = s.open[:len(s.open)-1]
		if s.rng.Float64() < s.edges.MissingDelete {
			continue
		}
		e.Action = actionDelete
		return e
	}
	return s.start()
}
