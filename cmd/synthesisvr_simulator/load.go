package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
)

// loadFlags are the flags of the load and check commands.
type loadFlags struct {
	events      int
	rate        float64
	connections int
	locations   int
	sessions    int
	seed        uint64
	edges       *simulator.Edges
}

func addLoadFlags(cmd *kingpin.CmdClause, events string, edges simulator.Edges) *loadFlags {
	f := &loadFlags{}
	cmd.Flag("events", "How many events to send.").Default(events).IntVar(&f.events)
	cmd.Flag("rate", "Events per second on a fixed schedule (open loop); 0 sends as fast as the connections allow.").Default("0").Float64Var(&f.rate)
	cmd.Flag("connections", "Concurrent connections.").Default("10").IntVar(&f.connections)
	cmd.Flag("locations", "How many locations the sessions are spread over.").Default("10").IntVar(&f.locations)
	cmd.Flag("sessions", "About how many sessions are kept active at once.").Default("1000").IntVar(&f.sessions)
	addSeedFlag(cmd, &f.seed)
	f.edges = addEdgeFlags(cmd, edges)
	return f
}

// addSeedFlag adds --seed; 0 draws one, which the command prints so a run can be repeated.
func addSeedFlag(cmd *kingpin.CmdClause, seed *uint64) {
	cmd.Flag("seed", "Seed of the random choices: the same seed sends the same events. 0 draws one (printed).").Default("0").Uint64Var(seed)
}

// seedOf returns the seed to use and says which it is.
func seedOf(seed uint64, env *runEnv) uint64 {
	if seed == 0 {
		seed = rand.Uint64N(1<<53) + 1
	}
	env.logger.Info("Random choices", "seed", seed)
	return seed
}

func (f *loadFlags) options(url string, t *targetFlags) simulator.LoadOptions {
	locs := make([]string, max(f.locations, 0))
	for i := range locs {
		locs[i] = t.location(fmt.Sprintf("Load %03d", i+1))
	}
	return simulator.LoadOptions{
		URL: url, Events: f.events, Rate: f.rate, Connections: f.connections,
		Locations: locs, Sessions: f.sessions, Edges: *f.edges, Seed: f.seed,
	}
}

func addLoad(app *kingpin.Application, t *targetFlags) registered {
	cmd := app.Command("load", "Send a fixed number of events, as fast as possible or at a fixed rate, and report events/s and latency.")
	f := addLoadFlags(cmd, "10000", simulator.Edges{})
	return registered{clause: cmd, prepare: func() (command, error) {
		url, err := t.webhook()
		if err != nil {
			return nil, err
		}
		o := f.options(url, t)
		if err := o.Validate(); err != nil {
			return nil, err
		}
		// The clean-up needs to know which sessions are still active, nothing more.
		o.Model = simulator.NewTracker()
		return func(ctx context.Context, env *runEnv) int {
			return t.run(ctx, env, o.Model, oneURL(url), func(ctx context.Context) int {
				o.Seed = seedOf(o.Seed, env)
				env.logger.Info("Sending events", "url", redact(url), "events", o.Events, "connections", o.Connections, "rate", o.Rate)
				res, err := simulator.RunLoad(ctx, o)
				if err != nil {
					env.logger.Error("Load failed", "err", err)
					return 1
				}
				fmt.Fprintln(env.stdout, res)
				explain(env, res)
				if res.Failed() > 0 {
					return 1
				}
				return 0
			})
		}, nil
	}}
}

func addCheck(app *kingpin.Application, t *targetFlags) registered {
	cmd := app.Command("check", "Send a load with every rough edge on, then compare the exporter's active sessions and stations per location with the simulator's own model; exit 1 on a difference.")
	f := addLoadFlags(cmd, "10000", simulator.AllEdges)
	maxAge := cmd.Flag("session.max-age", "The exporter's --session.max-age: sessions whose delete never came are expected to end after it.").Default("6h").Duration()
	delay := cmd.Flag("check.delay", "Wait this long after the load before comparing (e.g. past --session.max-age, to see sessions expire).").Default("0s").Duration()
	drop := cmd.Flag("fault.drop", "For testing the check itself: this share of POSTs is not sent, yet counted as taken, like events an exporter lost.").Hidden().Default("0").Float64()
	api := cmd.Flag("api", "Also serve a fake SynthesisVR sessions API with the load's sessions, scheduled on the real clock, and print the exporter's config for it (the exporter must be configured with it before the check).").Bool()
	af := addAPIFlags(cmd, "api.listen-address", "127.0.0.1:0")
	sched := &simulator.Schedule{}
	cmd.Flag("schedule.lead", "With --api: bookings start up to this long after their create.").Default("30s").DurationVar(&sched.Lead)
	cmd.Flag("schedule.length", "With --api: the longest session (the shortest is half of it).").Default("20s").DurationVar(&sched.Length)
	slack := cmd.Flag("api.slack", "With --api: how late the exporter may see a start, an end or a missed session (its lookup delay and synthesisvr_api.poll_interval, plus a scrape); within it of a transition both outcomes pass.").Default("5s").Duration()
	return registered{clause: cmd, prepare: func() (command, error) {
		url, err := t.webhook()
		if err != nil {
			return nil, err
		}
		o := f.options(url, t)
		o.Drop = *drop
		if err := o.Validate(); err != nil {
			return nil, err
		}
		if *api {
			if err := af.edges.Validate(); err != nil {
				return nil, err
			}
			o.Schedule = sched
		} else {
			af = nil
		}
		o.Model = simulator.NewModel()
		return func(ctx context.Context, env *runEnv) int {
			return t.run(ctx, env, o.Model, oneURL(url), func(ctx context.Context) int {
				o.Seed = seedOf(o.Seed, env)
				return runCheck(ctx, env, o, af, t.metrics(), *maxAge, *delay, *slack)
			})
		}, nil
	}}
}

// oneURL posts every location's events to url.
func oneURL(url string) func(string) string { return func(string) string { return url } }

// runCheck scrapes a baseline, sends the load with o.Model, and compares; with af
// set it serves the fake API over the same model.
func runCheck(ctx context.Context, env *runEnv, o simulator.LoadOptions, af *apiFlags, metricsURL string, maxAge, delay, slack time.Duration) int {
	client := simulator.NewClient(2)
	baseline, err := simulator.Scrape(ctx, client, metricsURL)
	if err != nil {
		env.logger.Error("Reading the exporter's metrics before the load failed", "err", err)
		return 1
	}
	var apiBaseline map[string]simulator.APIValues
	if af != nil {
		if apiBaseline, err = simulator.ScrapeAPI(ctx, client, metricsURL); err != nil {
			env.logger.Error("Reading the exporter's metrics before the load failed", "err", err)
			return 1
		}
	}
	if af != nil {
		locs := make([]simulator.APIKey, len(o.Locations))
		for i, l := range o.Locations {
			locs[i] = simulator.APIKey{Location: l, Zone: time.UTC}
		}
		stop, err := serveAPI(ctx, env, af, o.Model, locs, o.Seed)
		if err != nil {
			env.logger.Error("Starting the fake API failed", "err", err)
			return 1
		}
		defer stop()
	}
	env.logger.Info("Sending events", "url", redact(o.URL), "events", o.Events, "connections", o.Connections, "edges", fmt.Sprintf("%+v", o.Edges))
	res, err := simulator.RunLoad(ctx, o)
	if err != nil {
		env.logger.Error("Load failed", "err", err)
		return 1
	}
	fmt.Fprintln(env.stdout, res)
	explain(env, res)
	if err := sleepCtx(ctx, delay); err != nil {
		return 1
	}
	if af != nil {
		fmt.Fprint(env.stdout, apiSummary(o.Model.ExpectAPI(time.Now(), slack)))
		rep, err := simulator.VerifyAPI(ctx, client, metricsURL, o.Model, apiBaseline, slack)
		return report(env, rep, err)
	}
	return verify(ctx, env, client, metricsURL, o.Model, baseline, maxAge)
}

// apiSummary sums the API expectations over the locations, for people.
func apiSummary(want map[string]simulator.APIExpected) string {
	var t simulator.APIExpected
	for _, e := range want {
		for _, p := range []struct{ sum, add *simulator.Range }{
			{&t.Playing, &e.Playing}, {&t.Booked, &e.Booked}, {&t.Started, &e.Started}, {&t.Finished, &e.Finished},
			{&t.Deleted, &e.Deleted}, {&t.Cancelled, &e.Cancelled}, {&t.Reconciled, &e.Reconciled}, {&t.Revenue, &e.Revenue},
		} {
			p.sum.Min += p.add.Min
			p.sum.Max += p.add.Max
		}
	}
	r := func(x simulator.Range) string {
		if x.Min == x.Max {
			return strconv.FormatFloat(x.Min, 'f', -1, 64)
		}
		return strconv.FormatFloat(x.Min, 'f', -1, 64) + "-" + strconv.FormatFloat(x.Max, 'f', -1, 64)
	}
	t.Revenue = simulator.Range{Min: math.Round(t.Revenue.Min*100) / 100, Max: math.Round(t.Revenue.Max*100) / 100}
	return fmt.Sprintf("with the API: playing %s, booked %s; started %s, finished %s, deleted %s, cancelled %s, reconciled %s; revenue %s\n",
		r(t.Playing), r(t.Booked), r(t.Started), r(t.Finished), r(t.Deleted), r(t.Cancelled), r(t.Reconciled), r(t.Revenue))
}

// report prints a check's outcome: 0 when the exporter matches the model.
func report(env *runEnv, rep simulator.CheckReport, err error) int {
	if err != nil {
		env.logger.Error("Reading the exporter's metrics failed", "err", err)
		return 1
	}
	fmt.Fprint(env.stdout, rep)
	if !rep.OK() {
		return 1
	}
	return 0
}

// verify compares the exporter with the model and prints the outcome.
func verify(ctx context.Context, env *runEnv, client simulator.HTTPDoer, metricsURL string, m *simulator.Model, baseline map[string]simulator.Gauges, maxAge time.Duration) int {
	rep, err := simulator.Verify(ctx, client, metricsURL, m, baseline, maxAge)
	return report(env, rep, err)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// explain says what the answers that were not 200 usually mean.
func explain(env *runEnv, res simulator.LoadResult) {
	if res.Codes[http.StatusNotFound] > 0 {
		env.logger.Error("The exporter answered 404: the webhook token is not one it knows (see --webhook.token), or the URL is not the webhook's", "requests", res.Codes[http.StatusNotFound])
	}
	if res.Codes[http.StatusServiceUnavailable] > 0 {
		env.logger.Error("The exporter answered 503: it was starting, stopping, or its store did not take the events within SynthesisVR's 2 s", "requests", res.Codes[http.StatusServiceUnavailable])
	}
}
