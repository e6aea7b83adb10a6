package simulator

import (
	"sort"
	"time"
)

// Plan is one session as SynthesisVR itself knows it, which its sessions API tells
// and its webhooks do not: when it was booked, when it is played, what it costs, and
// what became of it. Times are on the exporter's clock (a demo maps its simulated
// clock onto the real one), so that the exporter can compare them with its own.
type Plan struct {
	UUID       string
	Location   string
	Stations   int
	Experience string
	Cost       float64
	// Booked is when the session was created in SynthesisVR, and its create webhook
	// sent: at Start for a walk-in, hours or days before it for a booking.
	Booked     time.Time
	Start, End time.Time
	// ExtendedAt, when set, is when the session was extended: from then on the API
	// gives ExtendedEnd as its end.
	ExtendedAt, ExtendedEnd time.Time
	// DeletedAt, when set, is when it was removed and its delete webhook sent: before
	// Start a cancellation, during play an operator's stop. Zero: the session's time
	// simply runs out and no delete ever comes.
	DeletedAt time.Time
	// MissedWebhook: the API lists the session, but its webhooks never reach the
	// exporter, which must learn it from the API's list of the day.
	MissedWebhook bool
}

// EndAt returns the session's end as the API gives it at time t.
func (p Plan) EndAt(t time.Time) time.Time {
	if !p.ExtendedAt.IsZero() && !t.Before(p.ExtendedAt) {
		return p.ExtendedEnd
	}
	return p.End
}

// finalEnd is the end after every extension.
func (p Plan) finalEnd() time.Time {
	if !p.ExtendedAt.IsZero() {
		return p.ExtendedEnd
	}
	return p.End
}

// Cancelled reports whether the session was deleted before its start.
func (p Plan) Cancelled() bool { return !p.DeletedAt.IsZero() && p.DeletedAt.Before(p.Start) }

// listedAt reports whether the API lists the session at t: created, and not removed.
func (p Plan) listedAt(t time.Time) bool {
	return !t.Before(p.Booked) && (p.DeletedAt.IsZero() || t.Before(p.DeletedAt))
}

// planned is a plan with what the model learnt of its webhooks.
type planned struct {
	Plan
	// uncertain: a POST carrying one of its events failed.
	uncertain bool
}

// AddPlan records a session's schedule, before its create webhook is sent, so that
// the API can answer a lookup that follows the create at once. A second plan of
// the same uuid replaces the first.
func (m *Model) AddPlan(p Plan) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.locations[p.Location] = true
	m.plans[p.UUID] = &planned{Plan: p}
}

// Listed returns the sessions of location the API lists at time at, by start.
func (m *Model) Listed(location string, at time.Time) []Plan {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Plan
	for _, p := range m.plans {
		if p.Location == location && p.listedAt(at) {
			out = append(out, p.Plan)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].UUID < out[j].UUID
	})
	return out
}

// Plans returns every plan the model holds, by uuid.
func (m *Model) Plans() []Plan {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Plan, 0, len(m.plans))
	for _, p := range m.plans {
		out = append(out, p.Plan)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UUID < out[j].UUID })
	return out
}

// planEvents updates the plans after webhooks were sent at time at: a delete whose
// time the plan did not say (a load run deletes at random) is when it was sent, and
// a failed POST leaves the session uncertain. The caller holds m.mu.
func (m *Model) planEvents(evs []Event, at time.Time, failed bool) {
	for _, e := range evs {
		p, ok := m.plans[e.UUID]
		if !ok {
			continue
		}
		if failed {
			p.uncertain = true
		}
		if e.Action == actionDelete && p.DeletedAt.IsZero() {
			p.DeletedAt = at
		}
	}
}
