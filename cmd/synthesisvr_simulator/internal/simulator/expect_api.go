package simulator

import "time"

// APIExpected is what one location's metrics should read at a time when the exporter
// reads SynthesisVR's sessions API: the gauges at that time, and the counters' growth
// since the model began. Each is a range: a transition closer to the time than the
// slack given to ExpectAPI may or may not have been seen yet.
type APIExpected struct {
	// Playing and Stations: sessions playing (synthesisvr_sessions_active and
	// synthesisvr_stations_active); a create whose lookup is pending may count too.
	Playing, Stations Range
	// Booked: sessions whose start is still ahead (synthesisvr_sessions_booked).
	Booked Range
	// Started: sessions whose play began (synthesisvr_sessions_started_total);
	// Revenue: the sum of their cost (synthesisvr_session_revenue_total).
	Started, Revenue Range
	// Finished: sessions that reached their end with no delete
	// (synthesisvr_sessions_ended_total{reason="finished"}); Deleted: ended by a
	// delete during play (reason="deleted").
	Finished, Deleted Range
	// Cancelled: bookings deleted before their start (synthesisvr_bookings_cancelled_total).
	Cancelled Range
	// Reconciled: sessions the API listed but no webhook brought
	// (synthesisvr_sessions_reconciled_total).
	Reconciled Range
}

// ExpectAPI returns, per location the model has seen, what an exporter that reads
// the API should report at time now. slack is how late the exporter may see a
// transition: its lookup delay, its poll interval and a scrape's timing together;
// within slack of a start, an end, an extension or a delete both outcomes pass. A
// session that no webhook brought is known only once a poll sees it playing, so it
// counts for sure only when it played longer than slack.
func (m *Model) ExpectAPI(now time.Time, slack time.Duration) map[string]APIExpected {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]APIExpected, len(m.locations))
	for loc := range m.locations {
		out[loc] = APIExpected{}
	}
	for _, p := range m.plans {
		e := out[p.Location]
		expectPlan(&e, p, now, slack)
		out[p.Location] = e
	}
	return out
}

// check is one fact's outcome at a time: true for sure, or maybe.
type check struct{ sure, maybe bool }

// during says whether now is within [from, until) given slack at both edges; a zero
// until is for ever.
func during(now, from, until time.Time, slack time.Duration) check {
	open := until.IsZero()
	return check{
		sure:  !now.Before(from.Add(slack)) && (open || now.Before(until.Add(-slack))),
		maybe: !now.Before(from.Add(-slack)) && (open || now.Before(until.Add(slack))),
	}
}

// add counts v in r: in Max when the fact may hold, in Min when it surely does.
func (r *Range) add(c check, v float64) {
	if c.maybe || c.sure {
		r.Max += v
	}
	if c.sure {
		r.Min += v
	}
}

// expectPlan adds one session's share at now to e.
func expectPlan(e *APIExpected, p *planned, now time.Time, slack time.Duration) {
	// The end before and after an extension that may not have been seen yet.
	endLo, endHi := p.End, p.End
	if !p.ExtendedAt.IsZero() && !now.Before(p.ExtendedAt.Add(-slack)) {
		endHi = p.ExtendedEnd
		if !now.Before(p.ExtendedAt.Add(slack)) {
			endLo = p.ExtendedEnd
		}
	}
	del := p.DeletedAt
	if p.MissedWebhook {
		del = time.Time{} // its delete, if any, never reaches the exporter either
	}
	// known: the exporter can learn of the session at all; a missed one only when a
	// poll lists it while it plays.
	known := check{sure: !p.MissedWebhook || endLo.Sub(p.Start) >= slack, maybe: true}
	both := func(a, b check) check {
		return check{sure: a.sure && b.sure && !p.uncertain, maybe: a.maybe && b.maybe}
	}
	notBefore := func(t time.Time) check { // del is zero, or at or after t
		return check{sure: del.IsZero() || !del.Before(t.Add(slack)), maybe: del.IsZero() || !del.Before(t.Add(-slack))}
	}

	// Playing: from the start until the end, or a delete during play.
	until := func(end time.Time) time.Time {
		if !del.IsZero() && del.Before(end) {
			return del
		}
		return end
	}
	playing := both(during(now, p.Start, until(endLo), slack), notBefore(p.Start))
	playing.maybe = during(now, p.Start, until(endHi), slack).maybe && notBefore(p.Start).maybe
	if !p.MissedWebhook && during(now, p.Booked, p.Booked.Add(slack), slack).maybe {
		// Its lookup may still be pending: counted active as without the API.
		playing.maybe = playing.maybe || del.IsZero() || now.Before(del.Add(slack))
	}
	playing = both(playing, known)
	e.Playing.add(playing, 1)
	e.Stations.add(playing, float64(p.Stations))

	if !p.MissedWebhook && p.Start.After(p.Booked) {
		e.Booked.add(both(during(now, p.Booked, until(p.Start), slack), check{true, true}), 1)
	}

	started := both(both(during(now, p.Start, time.Time{}, slack), notBefore(p.Start)), known)
	e.Started.add(started, 1)
	e.Revenue.add(started, p.Cost)
	if p.MissedWebhook {
		e.Reconciled.add(started, 1)
	}

	finished := both(check{sure: !now.Before(endHi.Add(slack)), maybe: !now.Before(endLo.Add(-slack))}, known)
	finished = both(finished, check{sure: notBefore(endHi).sure, maybe: notBefore(endLo).maybe})
	e.Finished.add(finished, 1)

	if del.IsZero() {
		return
	}
	deleted := check{
		sure:  !now.Before(del.Add(slack)) && !del.Before(p.Start.Add(slack)) && del.Before(endLo.Add(-slack)),
		maybe: !now.Before(del.Add(-slack)) && (!del.Before(p.Start.Add(-slack)) || del.Before(p.Booked.Add(slack))) && del.Before(endHi.Add(slack)),
	}
	e.Deleted.add(both(deleted, check{true, true}), 1)
	cancelled := check{
		sure:  !now.Before(del.Add(slack)) && del.Before(p.Start.Add(-slack)) && !del.Before(p.Booked.Add(slack)),
		maybe: !now.Before(del.Add(-slack)) && del.Before(p.Start.Add(slack)),
	}
	e.Cancelled.add(both(cancelled, check{true, true}), 1)
}
