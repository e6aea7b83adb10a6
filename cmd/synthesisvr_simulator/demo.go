package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/config"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/openinghours"
)

// demoEdges are the rough edges of a demo: rare, as at a real venue, but there.
// Bookings, cancellations, extensions and missed webhooks shape the schedules the
// fake API serves (--api).
var demoEdges = simulator.Edges{Batch: 0.1, Duplicate: 0.02, MissingDelete: 0.01, DeleteFirst: 0.01,
	Booking: 0.2, Cancel: 0.05, Extend: 0.05, MissedWebhook: 0.01}

// venueNames title the demo's locations; more locations are numbered.
var venueNames = []string{"Downtown", "Riverside Mall", "Airport", "Old Town", "Harbour", "University", "Stadium", "North Park"}

type demoFlags struct {
	locations  int
	open       string
	timezone   string
	configFile string
	arrivals   float64
	stations   [2]int
	durations  [2]time.Duration
	speed      float64
	start      string
	runFor     time.Duration
	check      bool
	maxAge     time.Duration
	status     time.Duration
	seed       uint64
	edges      *simulator.Edges
	api        bool
	// apiFlags are the fake API's flags; with --config.file, venues tells them the
	// file's synthesisvr_api section.
	apiFlags *apiFlags
}

func addDemo(app *kingpin.Application, t *targetFlags) registered {
	cmd := app.Command("demo", "Simulate a chain of VR venues: sessions arrive during opening hours, 1 to 4 stations, 10 to 90 minutes (the default command).").Default()
	f := &demoFlags{}
	cmd.Flag("locations", "How many venues.").Default("3").IntVar(&f.locations)
	cmd.Flag("open", "Daily opening hours of every venue in its time zone, HH:MM-HH:MM as in the config file's hours, several separated by commas (a range may cross midnight; 00:00-24:00 is always open); with --config.file, of the locations without hours.").Default("10:00-22:00").StringVar(&f.open)
	cmd.Flag("timezone", "Time zone of the venues (IANA name, or Local).").Default("Local").StringVar(&f.timezone)
	cmd.Flag("config.file", "The exporter's config file: venues are its locations (names, time zones, hours, closed_on), each posting to the webhook bound to it, with its stations as its capacity (a group that does not fit is turned away) and, with --api, served under its api_key. Their names are the user's: never forgotten. Without --exporter.url, the simulator's own exporter reads it too.").StringVar(&f.configFile)
	cmd.Flag("arrivals", "Mean sessions per venue per open hour (Poisson).").Default("8").Float64Var(&f.arrivals)
	cmd.Flag("stations.min", "Fewest stations in a session.").Default("1").IntVar(&f.stations[0])
	cmd.Flag("stations.max", "Most stations in a session.").Default("4").IntVar(&f.stations[1])
	cmd.Flag("duration.min", "Shortest session, in simulated time.").Default("10m").DurationVar(&f.durations[0])
	cmd.Flag("duration.max", "Longest session, in simulated time.").Default("90m").DurationVar(&f.durations[1])
	cmd.Flag("speed", "Simulated seconds per real second (60: an hour a minute). The exporter times sessions by its own clock, so durations shrink by this factor.").Default("1").Float64Var(&f.speed)
	cmd.Flag("start", "Simulated start time, RFC 3339 (default now); if every venue is closed then, the simulation starts at the next opening.").StringVar(&f.start)
	cmd.Flag("run-for", "Stop after this long in real time (0: until interrupted).").Default("0s").DurationVar(&f.runFor)
	cmd.Flag("check", "At the end, compare the exporter's gauges with the simulator's model (exit 1 on a difference).").BoolVar(&f.check)
	cmd.Flag("session.max-age", "The exporter's --session.max-age, for --check.").Default("6h").DurationVar(&f.maxAge)
	cmd.Flag("status-interval", "How often to log progress.").Default("30s").DurationVar(&f.status)
	addSeedFlag(cmd, &f.seed)
	f.edges = addEdgeFlags(cmd, demoEdges)
	cmd.Flag("api", "Also serve a fake SynthesisVR sessions API with the demo's sessions, and print the exporter's config for it.").BoolVar(&f.api)
	f.apiFlags = addAPIFlags(cmd, "api.listen-address", "127.0.0.1:0")
	return registered{clause: cmd, prepare: func() (command, error) {
		o, err := f.options(t)
		if err != nil {
			return nil, err
		}
		if err := f.apiFlags.edges.Validate(); err != nil {
			return nil, err
		}
		o.Model = simulator.NewModel()
		urls := make(map[string]string, len(o.Venues))
		for _, v := range o.Venues {
			urls[v.Name] = v.URL
		}
		return func(ctx context.Context, env *runEnv) int {
			return t.run(ctx, env, o.Model, func(l string) string { return urls[l] }, func(ctx context.Context) int {
				return runDemo(ctx, env, o, f, t.metrics())
			})
		}, nil
	}}
}

func (f *demoFlags) options(t *targetFlags) (simulator.DemoOptions, error) {
	o := simulator.DemoOptions{
		Arrivals: f.arrivals, MinStations: f.stations[0], MaxStations: f.stations[1],
		MinDuration: f.durations[0], MaxDuration: f.durations[1], Speed: f.speed,
		RunFor: f.runFor, Edges: *f.edges, Seed: f.seed,
		Tick: 100 * time.Millisecond, Status: f.status, Start: time.Now(),
	}
	hours, err := simulator.DailyHours(f.open)
	if err != nil {
		return o, fmt.Errorf("--open: %w", err)
	}
	if f.start != "" {
		if o.Start, err = time.Parse(time.RFC3339, f.start); err != nil {
			return o, fmt.Errorf("--start: want RFC 3339, e.g. 2026-05-02T18:00:00+02:00: %w", err)
		}
	}
	if o.Venues, err = f.venues(t, hours); err != nil {
		return o, err
	}
	return o, o.Validate()
}

// venues are the configured locations, or --locations named ones, open at hours in
// their own time zones.
func (f *demoFlags) venues(t *targetFlags, hours *openinghours.Schedule) ([]simulator.Venue, error) {
	if f.configFile != "" {
		t.keepLocations = true
		if err := t.choose(); err != nil {
			return nil, err
		}
		if t.own != nil {
			t.own.configFile = f.configFile
		}
		venues, cfg, err := configVenues(f.configFile, t, hours)
		if err != nil {
			return nil, err
		}
		if f.apiFlags != nil {
			f.apiFlags.useConfig(f.configFile, cfg.API)
		}
		return venues, nil
	}
	if f.locations < 1 {
		return nil, fmt.Errorf("--locations must be at least 1, got %d", f.locations)
	}
	zone, err := time.LoadLocation(f.timezone)
	if err != nil {
		return nil, fmt.Errorf("--timezone: %w", err)
	}
	url, err := t.webhook()
	if err != nil {
		return nil, err
	}
	out := make([]simulator.Venue, f.locations)
	for i := range out {
		name := fmt.Sprintf("Venue %d", i+1)
		if i < len(venueNames) {
			name = venueNames[i]
		}
		out[i] = simulator.Venue{Name: t.location(name), URL: url, Hours: hours.In(zone)}
	}
	return out, nil
}

// configVenues reads the venues from the exporter's config: each location is open
// as its hours, closed_on and timezone say (through the exporter's own parsing), or
// at hours in its time zone when it has no hours; it has as many stations as its
// stations says (no limit without); its API key is its api_key (or api_key_file);
// it posts to the webhook bound to it, or else to the default one.
func configVenues(path string, t *targetFlags, hours *openinghours.Schedule) ([]simulator.Venue, *config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	if len(cfg.Locations) == 0 {
		return nil, nil, fmt.Errorf("%s has no locations: add some, or leave out --config.file and use --locations", path)
	}
	bound := map[string]string{}
	for _, w := range cfg.Webhooks {
		if w.Location != "" {
			bound[w.Location] = w.Token
		}
	}
	out := make([]simulator.Venue, 0, len(cfg.Locations))
	for _, l := range cfg.Locations {
		zone, err := time.LoadLocation(l.Timezone)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: location %s: %w", path, l.Name, err)
		}
		v := simulator.Venue{Name: l.Name, Hours: hours.In(zone), Stations: l.Stations, APIKey: l.APIKey}
		if l.Hours != nil && l.Schedule != nil {
			v.Hours = l.Schedule
		}
		if tok, ok := bound[l.Name]; ok {
			if v.URL, err = t.webhookFor(tok); err != nil {
				return nil, nil, fmt.Errorf("location %s: %w", l.Name, err)
			}
		} else if v.URL, err = t.webhook(); err != nil {
			return nil, nil, fmt.Errorf("location %s has no webhook bound to it in %s, and %w", l.Name, path, err)
		}
		out = append(out, v)
	}
	return out, cfg, nil
}

func runDemo(ctx context.Context, env *runEnv, o simulator.DemoOptions, f *demoFlags, metricsURL string) int {
	o.Seed = seedOf(o.Seed, env)
	o.Logger, o.Client = env.logger, simulator.NewClient(2)
	if first := simulator.FirstOpening(o.Venues, o.Start); !first.Equal(o.Start) {
		env.logger.Info("Every venue is closed at the start: the simulated clock starts at the first opening",
			"start", o.Start.Format(time.RFC3339), "opening", first.Format(time.RFC3339))
		o.Start = first
	}
	var baseline map[string]simulator.Gauges
	if f.check {
		var err error
		if baseline, err = simulator.Scrape(ctx, o.Client, metricsURL); err != nil {
			env.logger.Error("Reading the exporter's metrics before the demo failed", "err", err)
			return 1
		}
	}
	if f.api {
		stop, err := serveAPI(ctx, env, f.apiFlags, o.Model, venueKeys(o.Venues), o.Seed)
		if err != nil {
			env.logger.Error("Starting the fake API failed", "err", err)
			return 1
		}
		defer stop()
	}
	names := make([]string, len(o.Venues))
	stations := "no limit"
	var limits []string
	for i, v := range o.Venues {
		names[i] = v.Name
		if v.Stations > 0 {
			limits = append(limits, fmt.Sprintf("%s=%d", v.Name, v.Stations))
		}
	}
	if len(limits) > 0 {
		stations = strings.Join(limits, ", ")
		if len(limits) < len(o.Venues) {
			stations += " (the others: no limit)"
		}
	}
	open := f.open
	if f.configFile != "" {
		open = "as in " + f.configFile
	}
	env.logger.Info("Demo started", "venues", fmt.Sprint(names), "open", open, "speed", o.Speed, "arrivals_per_hour", o.Arrivals, "stations", stations)
	res, err := simulator.RunDemo(ctx, o)
	if err != nil {
		env.logger.Error("Demo failed", "err", err)
		return 1
	}
	fmt.Fprintf(env.stdout, "demo: %d sessions, %d groups turned away (no free stations), %d events in %d requests, %d not taken\n",
		res.Sessions, res.TurnedAway, res.Events, res.Requests, res.Failed)
	if !f.check {
		return 0
	}
	// The demo was stopped: a fresh context bounds the comparison.
	vctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if code := verify(vctx, env, o.Client, metricsURL, o.Model, baseline, f.maxAge); code != 0 || res.Failed > 0 {
		return 1
	}
	return 0
}
