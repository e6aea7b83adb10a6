// Package lookup asks SynthesisVR's sessions API for the schedule of sessions that
// webhooks brought for locations with an API key, and polls each such location's
// day to take in the sessions no webhook brought. It runs beside the webhook,
// never in its request path: which sessions still need a lookup is read from the
// store, so a restart or a crash loses none.
package lookup

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/synthesisvrapi"
)

// Location is a location with an API key.
type Location struct {
	Name string
	Key  string // a secret: never logged
	TZ   *time.Location
}

// Settings are what a reload may change; they are replaced whole.
type Settings struct {
	Client *synthesisvrapi.Client
	// Locations with a key, by name.
	Locations map[string]Location
	// PollInterval is how often each location's day is read; 0 turns polling off.
	PollInterval time.Duration
}

// Recorder counts the API calls. It must be safe for concurrent use.
type Recorder interface {
	Request(loc, kind, code string, took time.Duration)
	Error(reason string)
	Pending(n int)
}

// Defaults of a Worker.
const (
	// ScanEvery is how often the store is asked for due lookups.
	ScanEvery = time.Second
	// QueueSize bounds the lookups taken from the store per scan and in flight.
	QueueSize = 64
	// Concurrency is how many lookups run at once (the rate limit is per key).
	Concurrency = 4
	// MaxAttempts is how many failed lookups make a session give up: it then
	// stays active as without a key, and its start is counted.
	MaxAttempts = 8
	// FirstBackoff doubles with each failed attempt, up to MaxBackoff.
	FirstBackoff = 5 * time.Second
	MaxBackoff   = 5 * time.Minute
)

// Worker runs the lookups and the polls.
type Worker struct {
	Store  session.Scheduler
	Rec    Recorder
	Logger *slog.Logger
	// Outcomes is told what the store did with every lookup's and poll's result.
	Outcomes func([]session.Outcome)
	Now      func() time.Time
	// MaxAttempts, FirstBackoff, ScanEvery: 0 means the package's default.
	MaxAttempts  int
	FirstBackoff time.Duration
	ScanEvery    time.Duration

	settings atomic.Pointer[Settings]
	mu       sync.Mutex
	inFlight map[string]bool
	// unknown holds, per location, the sessions its last poll listed that the store
	// did not know: one is taken in only when the next poll lists it again, so that
	// a webhook on its way when the API already lists the session wins.
	unknown map[string]map[string]bool
}

// SetSettings puts new settings in force (at start and at every reload).
func (w *Worker) SetSettings(s *Settings) { w.settings.Store(s) }

func (w *Worker) maxAttempts() int {
	if w.MaxAttempts > 0 {
		return w.MaxAttempts
	}
	return MaxAttempts
}

// Run looks sessions up and polls until ctx is done.
func (w *Worker) Run(ctx context.Context) {
	w.inFlight = map[string]bool{}
	queue := make(chan session.Due, QueueSize)
	var wg sync.WaitGroup
	for range Concurrency {
		wg.Go(func() {
			for d := range queue {
				w.lookup(ctx, d)
				w.done(d.UUID)
			}
		})
	}
	wg.Go(func() { w.pollLoop(ctx) })
	every := w.ScanEvery
	if every <= 0 {
		every = ScanEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for ctx.Err() == nil {
		w.scan(ctx, queue)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	close(queue)
	wg.Wait()
}

// scan queues the due lookups not already in flight, without waiting: a full
// queue leaves the rest for the next scan (the store keeps them).
func (w *Worker) scan(ctx context.Context, queue chan<- session.Due) {
	due, err := w.Store.Lookups(ctx, w.Now(), QueueSize)
	if err != nil {
		if ctx.Err() == nil {
			w.Logger.Warn("Reading the sessions due for a lookup failed; trying again", "err", err)
		}
		return
	}
	w.Rec.Pending(len(due))
	for _, d := range due {
		if !w.start(d.UUID) {
			continue
		}
		select {
		case queue <- d:
		default:
			w.done(d.UUID)
			return
		}
	}
}

func (w *Worker) start(uuid string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.inFlight[uuid] {
		return false
	}
	w.inFlight[uuid] = true
	return true
}

func (w *Worker) done(uuid string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.inFlight, uuid)
}

// lookup asks the API for one session and stores what it learnt.
func (w *Worker) lookup(ctx context.Context, d session.Due) {
	s := w.settings.Load()
	loc, ok := s.Locations[d.Location]
	if !ok {
		// The location lost its key in a reload: the session stays as without one.
		w.failed(ctx, d, nil, true)
		return
	}
	var got synthesisvrapi.Session
	err := w.call(loc.Name, synthesisvrapi.KindLookup, func() (err error) {
		got, err = s.Client.Lookup(ctx, loc.Key, loc.TZ, d.UUID)
		return err
	})
	if ctx.Err() != nil {
		return // stopping: the lookup stays due in the store
	}
	if err != nil {
		w.failed(ctx, d, err, d.Attempts+1 >= w.maxAttempts())
		return
	}
	o, err := w.Store.Schedule(ctx, d.UUID, schedule(got), w.Now())
	if err != nil {
		w.Logger.Warn("Storing a session's schedule failed; it is looked up again", "session", d.UUID, "err", err)
		return
	}
	w.Logger.Debug("Session looked up", "session", d.UUID, "location", loc.Name, "start", got.Start, "end", got.End,
		"experience", got.Experience, "result", o.Result)
	w.Outcomes([]session.Outcome{o})
}

// failed records a failed lookup: tried again after a backoff (at least what the
// API asked), or given up.
func (w *Worker) failed(ctx context.Context, d session.Due, cause error, giveUp bool) {
	now := w.Now()
	first := w.FirstBackoff
	if first <= 0 {
		first = FirstBackoff
	}
	wait := min(first<<min(d.Attempts, 16), MaxBackoff)
	wait += time.Duration(rand.Int64N(int64(wait)/4 + 1)) // replicas do not retry in step
	var e *synthesisvrapi.Error
	if errors.As(cause, &e) && e.RetryAfter > wait {
		wait = e.RetryAfter
	}
	o, err := w.Store.LookupFailed(ctx, d.UUID, now, now.Add(wait), giveUp)
	if err != nil {
		w.Logger.Warn("Storing a failed lookup failed", "session", d.UUID, "err", err)
		return
	}
	if giveUp {
		w.Logger.Warn("Gave up looking a session up in SynthesisVR's API: it counts as active until its delete, as without a key",
			"session", d.UUID, "location", d.Location, "attempts", d.Attempts+1, "err", cause)
	} else {
		w.Logger.Debug("Looking a session up failed; trying again", "session", d.UUID, "location", d.Location,
			"attempt", d.Attempts+1, "retry_in", wait, "err", cause)
	}
	w.Outcomes([]session.Outcome{o})
}

// call runs one request and counts it.
func (w *Worker) call(loc, kind string, f func() error) error {
	start := time.Now()
	err := f()
	took := time.Since(start)
	code := "200"
	var e *synthesisvrapi.Error
	if errors.As(err, &e) {
		if e.Reason == synthesisvrapi.ReasonCanceled {
			return err // a shutdown, not the API's failure
		}
		if e.Code != "" {
			code = e.Code
		} else {
			code = "error"
		}
		w.Rec.Error(e.Reason)
	} else if err != nil {
		code = "error"
		w.Rec.Error("other")
	}
	w.Rec.Request(loc, kind, code, took)
	return err
}

func schedule(s synthesisvrapi.Session) session.Schedule {
	return session.Schedule{Start: s.Start, End: s.End, Experience: s.Experience, Cost: s.Cost, Stations: s.Stations}
}

// pollLoop reads every location's day each poll interval.
func (w *Worker) pollLoop(ctx context.Context) {
	w.unknown = map[string]map[string]bool{}
	for {
		wait := time.Minute // while polling is off, look again for a reload
		if s := w.settings.Load(); s != nil && s.PollInterval > 0 {
			w.pollAll(ctx, s)
			wait = s.PollInterval
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (w *Worker) pollAll(ctx context.Context, s *Settings) {
	for _, loc := range s.Locations {
		if ctx.Err() != nil {
			return
		}
		w.poll(ctx, s, loc)
	}
}

// poll takes in the day's sessions of loc: known ones get their schedule, unknown
// ones listed by two polls in a row are reconciled. Nothing ends because the poll
// did not list it.
func (w *Worker) poll(ctx context.Context, s *Settings, loc Location) {
	var res synthesisvrapi.Result
	err := w.call(loc.Name, synthesisvrapi.KindPoll, func() (err error) {
		res, err = s.Client.TodayResult(ctx, loc.Key, loc.TZ)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			w.Logger.Warn("Polling SynthesisVR's sessions API failed", "location", loc.Name, "err", err)
		}
		return
	}
	for _, r := range res.Skipped {
		w.Rec.Error(r)
	}
	var out []session.Outcome
	seen, unknown := w.unknown[loc.Name], map[string]bool{}
	for _, got := range res.Sessions {
		if got.UUID == "" {
			continue // without a uuid it cannot be matched with its webhooks
		}
		var o session.Outcome
		var err error
		if seen[got.UUID] {
			o, err = w.Store.Reconcile(ctx, loc.Name, got.UUID, schedule(got), w.Now())
		} else if o, err = w.Store.Schedule(ctx, got.UUID, schedule(got), w.Now()); err == nil && o.Result == session.ResultUnknown {
			unknown[got.UUID] = true
			continue
		}
		if err != nil {
			w.Logger.Warn("Storing a polled session failed", "location", loc.Name, "session", got.UUID, "err", err)
			break
		}
		if o.Result == session.ResultReconciled {
			w.Logger.Info("Took in a session that no webhook brought", "location", loc.Name, "session", got.UUID,
				"start", got.Start, "end", got.End, "phase", o.Session.Phase)
		}
		out = append(out, o)
	}
	w.unknown[loc.Name] = unknown
	w.Outcomes(out)
}
