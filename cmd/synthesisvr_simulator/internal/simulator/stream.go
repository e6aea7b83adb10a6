package simulator

import (
	"math/rand/v2"
	"time"
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
	schedule  *Schedule
	missedRun int // missed sessions in a row
}

// Schedule gives a stream's sessions schedules on the exporter's clock, for the
// sessions API: bookings start up to Lead after their create, walk-ins at it; a
// session lasts from half of Length to Length, extensions add up to half of Length.
// Deletes come when the stream draws them, so a delete before the start is a
// cancellation; the Cancel edge is not drawn.
type Schedule struct {
	Model        *Model
	Now          func() time.Time
	Lead, Length time.Duration
}

// WithSchedule makes the stream plan its sessions in sc.Model (which must be the
// model its events are reported to) and returns it.
func (s *Stream) WithSchedule(sc *Schedule) *Stream {
	s.schedule = sc
	return s
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
	if s.schedule != nil && s.plan(e) {
		// Its webhooks never come: the API alone knows it. Up to a few in a row.
		return s.start()
	}
	s.open = append(s.open, e)
	return e
}

// plan draws the schedule of the session e creates, adds it to the model, and
// reports whether its webhooks are missed.
func (s *Stream) plan(e Event) (missed bool) {
	sc := s.schedule
	now := sc.Now()
	p := Plan{UUID: e.UUID, Location: e.Location, Stations: e.Stations, Booked: now, Start: now,
		Experience: experiences[s.rng.IntN(len(experiences))]}
	if s.rng.Float64() < s.edges.Booking {
		p.Start = now.Add(time.Duration(s.rng.Float64() * float64(sc.Lead)))
	}
	length := time.Duration((0.5 + 0.5*s.rng.Float64()) * float64(sc.Length))
	p.End = p.Start.Add(length)
	p.Cost = price(p.Stations, length)
	if s.rng.Float64() < s.edges.Extend {
		p.ExtendedAt = p.Start.Add(time.Duration((0.1 + 0.4*s.rng.Float64()) * float64(length)))
		p.ExtendedEnd = p.End.Add(time.Duration(s.rng.Float64() * float64(sc.Length) / 2))
	}
	// Bounded, so that a rate of 1 cannot loop for ever: the tenth one is sent.
	p.MissedWebhook = s.rng.Float64() < s.edges.MissedWebhook && s.missedRun < 9
	if p.MissedWebhook {
		s.missedRun++
	} else {
		s.missedRun = 0
	}
	sc.Model.AddPlan(p)
	return p.MissedWebhook
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
