package session

import (
	"context"
	"log/slog"
	"time"
)

// Expirer ends sessions whose delete never came. Every replica may run one: the
// store ends each session once, and only the replica that ended it is told.
type Expirer struct {
	Store  Store
	MaxAge time.Duration
	// Every is the pause between runs.
	Every time.Duration
	// Chunk bounds one step (see ExpiryChunk); 0 means ExpiryChunk.
	Chunk int
	// Ended is told about every expired session; Failed about every failed step.
	Ended  func([]Outcome)
	Failed func(error)
	Logger *slog.Logger
	Now    func() time.Time
	// Advance, when set, also moves sessions through their phases at every run
	// (Scheduler.Advance), in steps of Chunk: play begins, play ends (finished).
	// Its outcomes go to Ended too.
	Advance func(ctx context.Context, now time.Time, limit int) (Expiry, error)

	runs int       // runs so far: the first one finds what an earlier run left
	last time.Time // start of the previous run, with its monotonic reading
}

// ExpiryInterval is how often sessions are checked for a maximum age: often enough
// that an expiry is late by at most a small share of the maximum age.
func ExpiryInterval(maxAge time.Duration) time.Duration {
	return min(max(maxAge/60, time.Second), time.Minute)
}

// clockStep is how far the wall clock may move from the monotonic one between two
// runs before the step is logged: NTP slews by far less.
const clockStep = 5 * time.Second

// Run expires sessions until ctx is done, starting with one run at once so that
// a restart after a long stop catches up.
func (e *Expirer) Run(ctx context.Context) {
	t := time.NewTicker(e.Every)
	defer t.Stop()
	for {
		e.Once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once runs one expiry: bounded steps until nothing is due, a step fails, or ctx
// is done (a shutdown does not wait for a large backlog; the next start goes on).
// Between steps the store's writer is free, so webhook commits go in between.
func (e *Expirer) Once(ctx context.Context) {
	now := e.Now()
	why := e.reason(now)
	chunk := e.Chunk
	if chunk <= 0 {
		chunk = ExpiryChunk
	}
	ended, forgotten := 0, 0
	for step := 1; ctx.Err() == nil; step++ {
		// A step under way finishes (it is short) and is counted; a shutdown stops
		// the steps after it.
		x, err := e.Store.Expire(context.WithoutCancel(ctx), now, e.MaxAge, chunk)
		if err != nil {
			e.Logger.Error("Expiring old sessions failed", "err", err, "ended_so_far", ended)
			e.Failed(err)
			return
		}
		ended += len(x.Ended)
		forgotten += x.Forgotten
		if len(x.Ended) > 0 || (x.More && step == 1) {
			e.Logger.Warn("Sessions expired without a delete event", "sessions", len(x.Ended),
				"sessions_so_far", ended, "tombstones_forgotten", x.Forgotten, "more_due", x.More,
				"max_age", e.MaxAge, "why", why)
		}
		for _, o := range x.Ended {
			e.Logger.Debug("Session expired without a delete event", "session", o.Session.UUID,
				"location", o.Session.Location, "started", o.Session.Started, "max_age", e.MaxAge)
		}
		e.Ended(x.Ended)
		if !x.More {
			break
		}
	}
	if forgotten > 0 {
		e.Logger.Debug("Forgot tombstones past their time", "tombstones", forgotten)
	}
	if e.Advance != nil {
		e.advance(ctx, now, chunk)
	}
}

// advance moves sessions through their phases, in bounded steps like expiry.
func (e *Expirer) advance(ctx context.Context, now time.Time, chunk int) {
	for ctx.Err() == nil {
		x, err := e.Advance(context.WithoutCancel(ctx), now, chunk)
		if err != nil {
			e.Logger.Error("Moving sessions through their schedules failed", "err", err)
			e.Failed(err)
			return
		}
		for _, o := range x.Ended {
			e.Logger.Debug("Session moved by its schedule", "session", o.Session.UUID, "location", o.Session.Location,
				"result", o.Result, "start", o.Session.Schedule.Start, "end", o.Session.Schedule.End)
		}
		e.Ended(x.Ended)
		if !x.More {
			return
		}
	}
}

// reason says why sessions may be due now, for the log: the first run finds what
// was kept while the exporter was stopped; a later one may follow a clock step.
func (e *Expirer) reason(now time.Time) string {
	e.runs++
	prev := e.last
	e.last = now
	if e.runs == 1 {
		return "sessions restored from the store at start: the exporter was stopped, or the clock stepped forward, for longer than the maximum age, or their deletes never came"
	}
	// Sub of two readings with a monotonic clock measures real time; Round(0)
	// strips it, leaving the wall clock, which a step moves.
	real := now.Sub(prev)
	wall := now.Round(0).Sub(prev.Round(0))
	switch step := wall - real; {
	case step > clockStep:
		e.Logger.Warn("The wall clock stepped forward: sessions age by it, so some may expire early", "step", step)
		return "the wall clock stepped forward by " + step.Round(time.Second).String()
	case step < -clockStep:
		e.Logger.Warn("The wall clock stepped back: sessions started meanwhile expire late, and no duration goes negative", "step", -step)
	}
	return "delete event missed"
}
