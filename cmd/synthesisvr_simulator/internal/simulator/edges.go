package simulator

import (
	"fmt"
	"math/rand/v2"
)

// Edges are SynthesisVR's rough edges, each a probability from 0 to 1.
type Edges struct {
	// Batch: a POST carries several events (2 to 5) instead of one.
	Batch float64
	// Duplicate: an event is delivered twice.
	Duplicate float64
	// MissingDelete: a session's delete never comes; it stays active until the
	// exporter's maximum age ends it.
	MissingDelete float64
	// DeleteFirst: a session's delete arrives before its create, so it never starts.
	DeleteFirst float64

	// The rest shape the sessions' schedules, which the sessions API tells: they
	// matter with a plan (a demo, or a load with schedules).

	// Booking: a session is booked ahead, its create sent hours or days before its
	// start; the others are walk-ins, created as they start.
	Booking float64
	// Cancel: a booking is deleted before its start.
	Cancel float64
	// Extend: a session is extended while it plays; the API's end moves later.
	Extend float64
	// MissedWebhook: the API lists a session whose webhooks never reach the exporter.
	MissedWebhook float64
}

// AllEdges turns every rough edge on, at rates that make each one frequent in a
// short run.
// The schedule's edges are drawn only by a stream with a schedule (check --api).
var AllEdges = Edges{Batch: 0.2, Duplicate: 0.05, MissingDelete: 0.05, DeleteFirst: 0.05,
	Booking: 0.3, Extend: 0.1, MissedWebhook: 0.05}

// Validate reports a rate outside 0..1.
func (e Edges) Validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"batch", e.Batch}, {"duplicate", e.Duplicate}, {"missing-delete", e.MissingDelete}, {"delete-first", e.DeleteFirst},
		{"booking", e.Booking}, {"cancel", e.Cancel}, {"extend", e.Extend}, {"missed-webhook", e.MissedWebhook}} {
		if r.v < 0 || r.v > 1 {
			return fmt.Errorf("--edges.%s must be a probability from 0 to 1, got %g", r.name, r.v)
		}
	}
	return nil
}

// batchSize draws how many events the next POST carries.
func (e Edges) batchSize(rng *rand.Rand) int {
	if rng.Float64() < e.Batch {
		return 2 + rng.IntN(4)
	}
	return 1
}
