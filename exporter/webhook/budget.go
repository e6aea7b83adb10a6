package webhook

import (
	"context"
	"sync"
	"time"
)

// budget is a request's context with the deadline its store must meet, without the
// timer that context.WithDeadline starts, and registers on the request's context, for
// every request. The timer starts the first time anything waits on Done, asks Err,
// or looks up a Value: bolt's group commit, Redis, a wait for a place in flight, or
// tracing. The memory store does none of them, and for it the timer was a tenth of
// the receiver's own time. Deadline needs no timer.
type budget struct {
	parent   context.Context
	deadline time.Time
	once     sync.Once
	timed    context.Context
	cancel   context.CancelFunc
}

// withBudget returns the request's context bounded by d (or by the parent's own
// deadline when that is earlier); stop releases it.
func withBudget(parent context.Context, d time.Time) *budget {
	if pd, ok := parent.Deadline(); ok && pd.Before(d) {
		d = pd
	}
	return &budget{parent: parent, deadline: d}
}

// spent stands in for the timed context once the request is over.
var spent = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// start returns the timed context, starting it on first use.
func (b *budget) start() context.Context {
	b.once.Do(func() { b.timed, b.cancel = context.WithDeadline(b.parent, b.deadline) })
	return b.timed
}

// stop releases the timer if it started; after it, the budget is canceled.
func (b *budget) stop() {
	b.once.Do(func() { b.timed = spent })
	if b.cancel != nil {
		b.cancel()
	}
}

func (b *budget) Deadline() (time.Time, bool) { return b.deadline, true }
func (b *budget) Done() <-chan struct{}       { return b.start().Done() }
func (b *budget) Err() error                  { return b.start().Err() }

// Value answers from the timed context, so that context.Cause and contexts
// derived from this one see its cancellation as their parent's.
func (b *budget) Value(key any) any {
	if b.start() == spent {
		return b.parent.Value(key)
	}
	return b.timed.Value(key)
}
