package benchmark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
)

// Options say what the benchmark measures, and how long.
type Options struct {
	Env Env
	// Dir holds the benchmark's files (bolt files); it must exist.
	Dir string
	// Duration is each throughput measurement, after Warmup.
	Duration, Warmup time.Duration
	Connections      []int
	// Rounds repeats the throughput measurements, every target in turn in each
	// round, so that all of them see the same noise of a shared machine; each ratio
	// is taken within a round, and the median round is reported.
	Rounds int
	// WrkRounds are the rounds of the same measurements with wrk; zero leaves wrk out.
	WrkRounds int
	// SteadyRate events/s are sent to bolt for SteadyDuration, to read its p99.
	SteadyRate     float64
	SteadyDuration time.Duration
	// StateLocations and StateSessions are the state for the scrape, RSS and start-up.
	StateLocations, StateSessions int
	Scrapes                       int
	Seed                          uint64
	// Progress receives a line per step.
	Progress io.Writer
}

// Round is one throughput measurement, with the CPU time that each request cost the
// server and the load generator over the measured part.
type Round struct {
	simulator.LoadResult
	ServerCPU, LoadCPU time.Duration
}

// Throughput is one target at one number of connections.
type Throughput struct {
	Target      string
	Connections int
	Rounds      []Round
	// Ratios are the requests/s of each round over the ceiling's in the same round.
	Ratios []float64
	Goal   float64 // 0: none
}

// Ratio is the median of the rounds' ratios to the ceiling.
func (t Throughput) Ratio() float64 {
	rs := slices.Clone(t.Ratios)
	slices.Sort(rs)
	return rs[len(rs)/2]
}

// Median returns the round with the median requests/s.
func (t Throughput) Median() Round {
	rs := slices.Clone(t.Rounds)
	slices.SortFunc(rs, func(a, b Round) int {
		switch x, y := a.RequestsPerSecond(), b.RequestsPerSecond(); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return rs[len(rs)/2]
}

// Results are everything one benchmark run measured.
type Results struct {
	Options    Options
	Throughput []Throughput
	Steady     simulator.LoadResult
	State      StateResults
	// Skipped says which targets could not run here, and why.
	Skipped []string
	// Wrk are the throughputs measured with wrk instead of the Go load generator,
	// reported beside them, with no targets; WrkSkipped says why there are none.
	Wrk        []Throughput
	WrkSkipped string
}

// Run measures, in one run: throughput of every target against the ceiling, a
// steady rate on bolt, then a bolt exporter holding a large state.
func Run(ctx context.Context, o Options) (*Results, error) {
	if o.Rounds < 1 || len(o.Connections) == 0 || o.Duration <= 0 {
		return nil, errors.New("the benchmark needs at least one round, one number of connections and a duration")
	}
	r := &Results{Options: o}
	if err := r.throughput(ctx); err != nil {
		return r, err
	}
	state, err := measureState(ctx, o)
	r.State = state
	return r, err
}

func (r *Results) throughput(ctx context.Context) error {
	o := r.Options
	var targets []Target
	for _, t := range Targets() {
		if err := t.available(); err != nil {
			r.Skipped = append(r.Skipped, fmt.Sprintf("%s left out: %v", t.Name, err))
			fmt.Fprintf(o.Progress, "%s left out: %v\n", t.Name, err)
			continue
		}
		targets = append(targets, t)
	}
	procs := make([]*process, len(targets))
	defer func() {
		for _, p := range procs {
			if p != nil {
				p.kill()
			}
		}
	}()
	for i, t := range targets {
		dir, err := os.MkdirTemp(o.Dir, t.Name+"-")
		if err != nil {
			return err
		}
		if procs[i], err = t.Start(&o.Env, dir); err != nil {
			return err
		}
	}
	for _, c := range o.Connections {
		for _, t := range targets {
			r.Throughput = append(r.Throughput, Throughput{Target: t.Name, Connections: c, Goal: t.Goals[c]})
		}
	}
	for round := range o.Rounds {
		for ci, c := range o.Connections {
			// The ceiling is measured before and after the others, and each ratio is
			// taken to the mean of the two, so that a machine getting faster or slower
			// during the round favours no one.
			order := make([]int, 0, len(targets)+1)
			for ti := range targets {
				order = append(order, ti)
			}
			order = append(order, 0) // the ceiling again
			got := make([][]Round, len(targets))
			for _, ti := range order {
				res, err := r.load(ctx, procs[ti], c, uint64(round*100+ci))
				if err != nil {
					return fmt.Errorf("%s at %d connections: %w", targets[ti].Name, c, err)
				}
				fmt.Fprintf(o.Progress, "round %d, %-8s %2d connections: %s\n", round+1, targets[ti].Name, c, res)
				got[ti] = append(got[ti], res)
			}
			ratios := roundRatios(got)
			for ti := range targets {
				th := &r.Throughput[ci*len(targets)+ti]
				th.Rounds = append(th.Rounds, got[ti]...)
				th.Ratios = append(th.Ratios, ratios[ti]...)
			}
		}
	}
	if o.WrkRounds > 0 {
		if err := r.runWrk(ctx, targets, procs); err != nil {
			return err
		}
	}
	return r.steady(ctx, procs[slices.IndexFunc(targets, func(t Target) bool { return t.Name == "bolt" })])
}

// roundRatios are the ratios of one round's measurements, got[target], the ceiling
// first with its measurements before and after the others: each requests/s over the
// mean of the ceiling's two.
func roundRatios(got [][]Round) [][]float64 {
	var sum float64
	for _, c := range got[0] {
		sum += c.RequestsPerSecond()
	}
	ceiling := sum / float64(len(got[0]))
	out := make([][]float64, len(got))
	for ti, rounds := range got {
		for _, res := range rounds {
			out[ti] = append(out[ti], res.RequestsPerSecond()/ceiling)
		}
	}
	return out
}

// load sends one event per POST, as fast as the connections allow, and reads the CPU
// time of the server and of this process over the measured part.
func (r *Results) load(ctx context.Context, p *process, conns int, seed uint64) (Round, error) {
	o := r.Options
	var mu sync.Mutex // the readings are taken on the load's own goroutine
	var server, self time.Duration
	readErr := errors.New("the measured part of the load never started")
	res, err := simulator.RunLoad(ctx, simulator.LoadOptions{
		URL: p.webhookURL(o.Env.Token), Duration: o.Duration, Warmup: o.Warmup,
		Connections: conns, Locations: benchLocations(10), Sessions: 1000,
		Seed: o.Seed + seed, Client: simulator.NewClient(conns),
		Measuring: func() {
			mu.Lock()
			defer mu.Unlock()
			server, readErr = p.cpu()
			self = selfCPU()
		},
	})
	if err != nil {
		return Round{LoadResult: res}, err
	}
	serverEnd, endErr := p.cpu()
	mu.Lock()
	defer mu.Unlock()
	if err := errors.Join(readErr, endErr); err != nil {
		return Round{LoadResult: res}, err
	}
	n := time.Duration(max(res.Requests, 1))
	// Requests that failed are reported beside the figures, not fatal: on a shared
	// machine a stalled disk can make bolt answer 503, and that is a finding.
	return Round{LoadResult: res, ServerCPU: (serverEnd - server) / n, LoadCPU: (selfCPU() - self) / n}, nil
}

// steady sends SteadyRate events/s to bolt on a fixed schedule.
func (r *Results) steady(ctx context.Context, bolt *process) error {
	o := r.Options
	res, err := simulator.RunLoad(ctx, simulator.LoadOptions{
		URL: bolt.webhookURL(o.Env.Token), Duration: o.SteadyDuration, Warmup: time.Second,
		Rate: o.SteadyRate, Connections: 50, Locations: benchLocations(10), Sessions: 1000,
		Seed: o.Seed + 999, Client: simulator.NewClient(50),
	})
	fmt.Fprintf(o.Progress, "steady %.0f events/s on bolt: %s\n", o.SteadyRate, res)
	r.Steady = res
	return err
}

// benchLocations names n locations.
func benchLocations(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Venue %04d", i+1)
	}
	return out
}
