package simulator

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// LoadOptions say what a load run sends, and how.
type LoadOptions struct {
	// URL is the webhook URL, token included.
	URL string
	// Events is how many events to send; with Duration set it is ignored.
	Events int
	// Duration, when set, runs for this long after Warmup instead of counting events.
	Duration time.Duration
	// Warmup is sent before the measured part and left out of the figures.
	Warmup time.Duration
	// Rate, when above zero, sends this many events per second on a fixed schedule
	// (open loop: latency counts from when a request was due, so a slow answer cannot
	// hide the queue behind it); zero sends as fast as the connections allow.
	Rate        float64
	Connections int
	Locations   []string
	// Sessions is about how many sessions are kept active at once, over all connections.
	Sessions int
	Edges    Edges
	Seed     uint64
	// Drop is for testing the check only: this share of POSTs is not sent, yet
	// recorded in the model as answered 200, like events an exporter lost.
	Drop float64
	// Model, when set, records what was sent and answered.
	Model *Model
	// Schedule, when set, gives the sessions schedules planned in Model, for the
	// sessions API (its Model is set to Model).
	Schedule *Schedule
	Client   *http.Client
	// Measuring, when set, is called once as the measured part starts (after the
	// warm-up), so that a caller can take its own readings over the same span.
	Measuring func()
}

// Validate reports options that cannot run.
func (o *LoadOptions) Validate() error {
	var errs []error
	if o.URL == "" {
		errs = append(errs, errors.New("no webhook URL"))
	}
	if o.Events <= 0 && o.Duration <= 0 {
		errs = append(errs, errors.New("--events must be at least 1"))
	}
	if o.Connections < 1 {
		errs = append(errs, fmt.Errorf("--connections must be at least 1, got %d", o.Connections))
	}
	if o.Rate < 0 {
		errs = append(errs, fmt.Errorf("--rate must not be negative, got %g", o.Rate))
	}
	if len(o.Locations) == 0 {
		errs = append(errs, errors.New("--locations must be at least 1"))
	}
	if o.Drop < 0 || o.Drop > 1 {
		errs = append(errs, fmt.Errorf("--fault.drop must be from 0 to 1, got %g", o.Drop))
	}
	errs = append(errs, o.Edges.Validate())
	return errors.Join(errs...)
}

// LoadResult is what a load run measured (warm-up excluded).
type LoadResult struct {
	Events   int
	Requests int
	// Codes counts the answers by status; Errors the requests that got none.
	Codes   map[int]int
	Errors  int
	Dropped int
	// FirstError is the first transport error, for the report.
	FirstError string
	Elapsed    time.Duration
	Latency    Latency
}

// RequestsPerSecond is the measured request rate.
func (r LoadResult) RequestsPerSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// EventsPerSecond is the measured event rate.
func (r LoadResult) EventsPerSecond() float64 { return float64(r.Events) / r.Elapsed.Seconds() }

// Failed is the number of requests not answered 200 or 204.
func (r LoadResult) Failed() int {
	n := r.Errors
	for code, c := range r.Codes {
		if code != http.StatusOK && code != http.StatusNoContent {
			n += c
		}
	}
	return n
}

// String formats the result for people.
func (r LoadResult) String() string {
	var codes []string
	for code, n := range r.Codes {
		codes = append(codes, fmt.Sprintf("%d×%d", n, code))
	}
	sort.Strings(codes)
	s := fmt.Sprintf("%d events in %d requests in %s: %.0f events/s, %.0f requests/s; latency %s; answers %s",
		r.Events, r.Requests, r.Elapsed.Round(time.Millisecond), r.EventsPerSecond(), r.RequestsPerSecond(),
		r.Latency, strings.Join(codes, " "))
	if r.Errors > 0 {
		s += fmt.Sprintf("; %d without answer (first: %s)", r.Errors, r.FirstError)
	}
	if r.Dropped > 0 {
		s += fmt.Sprintf("; %d POSTs dropped on purpose", r.Dropped)
	}
	return s
}

// job is one POST for a worker; due is when it was scheduled (open loop).
type job struct {
	evs []Event
	due time.Time
}

// load is one run in progress.
type load struct {
	o        LoadOptions
	streams  []*Stream
	left     atomic.Int64 // events still to send (counted runs)
	measured atomic.Bool  // past the warm-up
	mu       sync.Mutex
	res      LoadResult
	lat      []time.Duration
}

// RunLoad sends events as the options say and measures the answers.
func RunLoad(ctx context.Context, o LoadOptions) (LoadResult, error) {
	if err := o.Validate(); err != nil {
		return LoadResult{}, err
	}
	if o.Client == nil {
		o.Client = NewClient(o.Connections)
	}
	l := &load{o: o, res: LoadResult{Codes: map[int]int{}}}
	perConn := max(o.Sessions/o.Connections, 1)
	for i := range o.Connections {
		s := NewStream(o.Seed*1_000_003+uint64(i), o.Edges, o.Locations, perConn)
		if o.Schedule != nil && o.Model != nil {
			sc := *o.Schedule
			sc.Model = o.Model
			if sc.Now == nil {
				sc.Now = time.Now
			}
			s.WithSchedule(&sc)
		}
		l.streams = append(l.streams, s)
	}
	l.left.Store(int64(o.Events))
	ctx, cancel := l.deadline(ctx)
	defer cancel()
	start := l.startClock(ctx)
	if o.Rate > 0 {
		l.openLoop(ctx)
	} else {
		l.closedLoop(ctx)
	}
	l.res.Elapsed = time.Since(*start.Load())
	l.res.Latency = summarize(l.lat)
	return l.res, nil
}

// deadline bounds a timed run; a counted one runs until its events are sent.
func (l *load) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if l.o.Duration <= 0 {
		l.measured.Store(true)
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, l.o.Warmup+l.o.Duration)
}

// startClock returns when the measured part started, moved on after the warm-up.
func (l *load) startClock(ctx context.Context) *atomic.Pointer[time.Time] {
	var p atomic.Pointer[time.Time]
	now := time.Now()
	p.Store(&now)
	if l.o.Duration > 0 && l.o.Warmup > 0 {
		go func() {
			select {
			case <-time.After(l.o.Warmup):
				l.measuring()
				t := time.Now()
				p.Store(&t)
				l.measured.Store(true)
			case <-ctx.Done():
			}
		}()
	} else {
		l.measuring()
		l.measured.Store(true)
	}
	return &p
}

func (l *load) measuring() {
	if l.o.Measuring != nil {
		l.o.Measuring()
	}
}

// take trims a batch to the events still to send in a counted run.
func (l *load) take(evs []Event) []Event {
	if l.o.Duration > 0 {
		return evs
	}
	left := l.left.Add(-int64(len(evs)))
	if over := -left; over > 0 {
		evs = evs[:max(len(evs)-int(over), 0)]
	}
	return evs
}

// closedLoop sends from every connection as fast as the answers come.
func (l *load) closedLoop(ctx context.Context) {
	var wg sync.WaitGroup
	for i, s := range l.streams {
		wg.Go(func() {
			drop := rand.New(rand.NewPCG(l.o.Seed, uint64(i)))
			for ctx.Err() == nil {
				evs := l.take(s.Next())
				if len(evs) == 0 {
					return
				}
				l.send(ctx, drop, job{evs: evs, due: time.Now()})
			}
		})
	}
	wg.Wait()
}

// openLoop schedules requests at the fixed rate and hands each to its stream's
// connection, which sends them in order.
func (l *load) openLoop(ctx context.Context) {
	queues := make([]chan job, len(l.streams))
	var wg sync.WaitGroup
	for i := range queues {
		queues[i] = make(chan job, 4096)
		wg.Go(func() {
			drop := rand.New(rand.NewPCG(l.o.Seed, uint64(i)))
			for j := range queues[i] {
				if ctx.Err() == nil {
					l.send(ctx, drop, j)
				}
			}
		})
	}
	l.schedule(ctx, queues)
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
}

func (l *load) schedule(ctx context.Context, queues []chan job) {
	due := time.Now()
	for k := 0; ctx.Err() == nil; k++ {
		w := k % len(queues)
		evs := l.take(l.streams[w].Next())
		if len(evs) == 0 {
			return
		}
		if wait := time.Until(due); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return
			}
		}
		select {
		case queues[w] <- job{evs: evs, due: due}:
		case <-ctx.Done():
			return
		}
		due = due.Add(time.Duration(float64(len(evs)) / l.o.Rate * float64(time.Second)))
	}
}

// send posts one job, records the answer in the model and, past the warm-up, in the result.
func (l *load) send(ctx context.Context, drop *rand.Rand, j job) {
	sent := time.Now()
	if l.o.Drop > 0 && drop.Float64() < l.o.Drop {
		if l.o.Model != nil {
			l.o.Model.Applied(j.evs, sent)
		}
		l.mu.Lock()
		l.res.Dropped++
		l.mu.Unlock()
		return
	}
	code, err := post(ctx, l.o.Client, l.o.URL, encodeBatch(j.evs))
	took := time.Since(j.due)
	if ctx.Err() != nil && err != nil {
		// Cut by the end of a timed run: neither counted nor known to be applied.
		if l.o.Model != nil {
			l.o.Model.Failed(j.evs, sent)
		}
		return
	}
	if l.o.Model != nil {
		if err == nil && code == http.StatusOK {
			l.o.Model.Applied(j.evs, sent)
		} else {
			l.o.Model.Failed(j.evs, sent)
		}
	}
	if !l.measured.Load() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.res.Requests++
	l.res.Events += len(j.evs)
	l.lat = append(l.lat, took)
	if err != nil {
		l.res.Errors++
		if l.res.FirstError == "" {
			l.res.FirstError = err.Error()
		}
		return
	}
	l.res.Codes[code]++
}
