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
	// Ended is told about every expired session; Failed about every failed run.
	Ended  func([]Outcome)
	Failed func(error)
	Logger *slog.Logger
	Now    func() time.Time
}

// ExpiryInterval is how often sessions are checked for a maximum age: often enough
// that an expiry is late by at most a small share of the maximum age.
func ExpiryInterval(maxAge time.Duration) time.Duration {
	return min(max(maxAge/60, time.Second), time.Minute)
}

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

// Once runs one expiry.
func (e *Expirer) Once(ctx context.Context) {
	out, err := e.Store.Expire(ctx, e.Now(), e.MaxAge)
	if err != nil {
		e.Logger.Error("Expiring old sessions failed", "err", err)
		e.Failed(err)
		return
	}
	for _, o := range out {
		e.Logger.Warn("Session expired without a delete event", "session", o.Session.UUID,
			"location", o.Session.Location, "started", o.Session.Started, "max_age", e.MaxAge)
	}
	e.Ended(out)
}
