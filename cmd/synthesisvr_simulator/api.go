package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/config"
)

// apiFlags are the fake sessions API's flags, on the api command and beside --api on
// demo and check.
type apiFlags struct {
	listen    string
	listenSet bool
	keys      map[string]string // location -> key
	edges     simulator.APIEdges
	// config is the exporter's config file the locations came from ("" without
	// one), and configURL its synthesisvr_api url ("" without that section).
	config, configURL string
}

func addAPIFlags(cmd *kingpin.CmdClause, listenFlag, listenDefault string) *apiFlags {
	f := &apiFlags{keys: map[string]string{}}
	cmd.Flag(listenFlag, "Where the fake SynthesisVR sessions API listens (port 0: a free one); with --config.file, by default where its synthesisvr_api url points when that is http:// on a loopback address with a port.").Default(listenDefault).IsSetByUser(&f.listenSet).StringVar(&f.listen)
	cmd.Flag("api.key", "A location's API key, NAME=KEY (repeatable), over the api_key (or api_key_file) --config.file gives it; locations with neither get a generated key.").StringMapVar(&f.keys)
	cmd.Flag("api.slow", "Share of API answers delayed by --api.slow-by.").Default("0").Float64Var(&f.edges.Slow)
	cmd.Flag("api.slow-by", "How long a slow API answer waits (beyond the exporter's timeout, say).").Default("6s").DurationVar(&f.edges.SlowBy)
	cmd.Flag("api.errors", "Share of API answers that are a 500.").Default("0").Float64Var(&f.edges.Errors)
	cmd.Flag("api.throttle", "Share of API answers that are a 429 with Retry-After.").Default("0").Float64Var(&f.edges.Throttle)
	cmd.Flag("api.html", "Share of API answers that are an HTML error page, with 200 or 502.").Default("0").Float64Var(&f.edges.HTML)
	cmd.Flag("api.shape", "How the API lists sessions: array ({\"sessions\": [...]}), object ({\"sessions\": {\"<id>\": ...}}), bare ([...]) or random.").Default(simulator.ShapeArray).StringVar(&f.edges.Shape)
	cmd.Flag("api.time-format", "How the API writes times: datetime (2006-01-02 15:04:05), minutes, t (2006-01-02T15:04:05), offset (+01:00), z (UTC), unix, unix-string, or random.").Default(simulator.TimeDateTime).StringVar(&f.edges.TimeFormat)
	cmd.Flag("api.string-numbers", "Share of API answers whose stations, duration and cost are numeric strings.").Default("0.5").Float64Var(&f.edges.StringNumbers)
	return f
}

// venueKeys are the venues' locations and zones, with the keys the config gives
// them (empty: still to be given).
func venueKeys(venues []simulator.Venue) []simulator.APIKey {
	out := make([]simulator.APIKey, len(venues))
	for i, v := range venues {
		out[i] = simulator.APIKey{Location: v.Name, Zone: v.Hours.Location(), Key: v.APIKey}
	}
	return out
}

// useConfig notes the exporter's config the locations came from. Without
// --api.listen-address, the fake API then listens where the config's
// synthesisvr_api url points, when that is a loopback http:// address with a port,
// so that the file drives the exporter and the demo alike.
func (f *apiFlags) useConfig(path string, api *config.API) {
	f.config = path
	if api == nil {
		return
	}
	f.configURL = api.URL
	if addr, ok := loopbackAddr(api.URL); ok && !f.listenSet {
		f.listen = addr
	}
}

// loopbackAddr returns the host:port of an http:// URL on a loopback address with a
// port and no path, one the fake API can listen on.
func loopbackAddr(u string) (string, bool) {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" || strings.Trim(p.Path, "/") != "" || p.Port() == "" || p.Port() == "0" {
		return "", false
	}
	host := p.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", false
	}
	return p.Host, true
}

// apiKeys gives each location its key: the one --api.key gives, or the config's,
// or a generated one. fromConfig names the locations served under the config's key.
func (f *apiFlags) apiKeys(locs []simulator.APIKey) (keys []simulator.APIKey, fromConfig map[string]bool, err error) {
	keys = slices.Clone(locs)
	fromConfig = map[string]bool{}
	known := map[string]bool{}
	for i, l := range keys {
		known[l.Location] = true
		k, ok := f.keys[l.Location]
		switch {
		case ok:
		case l.Key != "":
			k = l.Key
			fromConfig[l.Location] = true
		default:
			k = rand.Text()
		}
		keys[i].Key = k
	}
	var unknown []string
	for name := range f.keys {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, nil, fmt.Errorf("--api.key names locations the simulator does not have: %s", strings.Join(unknown, ", "))
	}
	return keys, fromConfig, nil
}

// serveAPI starts the fake API beside a run (demo, load or check) and returns the
// function that stops it and waits for it, for the run to defer.
func serveAPI(ctx context.Context, env *runEnv, f *apiFlags, m *simulator.Model, locs []simulator.APIKey, seed uint64) (func(), error) {
	actx, cancel := context.WithCancel(ctx)
	_, wait, err := startAPI(actx, env, f, m, locs, seed)
	if err != nil {
		cancel()
		return nil, err
	}
	return func() { cancel(); wait() }, nil
}

// startAPI serves a fake API over m until ctx ends, and prints what to put in the
// exporter's config. It returns the API's base URL, and a function that waits for the
// server to stop after ctx ended.
func startAPI(ctx context.Context, env *runEnv, f *apiFlags, m *simulator.Model, locs []simulator.APIKey, seed uint64) (string, func(), error) {
	if err := f.edges.Validate(); err != nil {
		return "", nil, err
	}
	keys, fromConfig, err := f.apiKeys(locs)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return "", nil, fmt.Errorf("the fake API cannot listen: %w", err)
	}
	api := simulator.NewAPI(m, keys, f.edges, seed)
	srv := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			env.logger.Error("The fake API stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx) // slow answers still waiting are cut: it is a fake
		_ = srv.Close()
	}()
	base := "http://" + ln.Addr().String()
	if f.configURL != "" && !sameAddr(f.configURL, ln.Addr()) {
		env.logger.Warn("The config's synthesisvr_api url is not where the fake API listens: an exporter reading that file asks elsewhere (leave out --api.listen-address, or change the url)",
			"config", f.config, "url", f.configURL, "fake_api", base)
	}
	printAPIConfig(env.stdout, base, keys, fromConfig, f.config)
	return base, func() { <-done }, nil
}

// sameAddr reports whether url points at the loopback listener addr.
func sameAddr(u string, addr net.Addr) bool {
	hostPort, ok := loopbackAddr(u)
	if !ok {
		return false
	}
	_, port, err := net.SplitHostPort(hostPort)
	tcp, isTCP := addr.(*net.TCPAddr)
	return err == nil && isTCP && port == strconv.Itoa(tcp.Port)
}

// printAPIConfig prints the exporter's config lines for the fake API: a key that
// came from the config file is not printed again.
func printAPIConfig(w io.Writer, url string, keys []simulator.APIKey, fromConfig map[string]bool, configFile string) {
	fmt.Fprintf(w, "fake SynthesisVR API: %s\nIn the exporter's config file:\n  synthesisvr_api:\n    url: %s\n  locations:\n", url, url)
	for _, k := range keys {
		if fromConfig[k.Location] {
			fmt.Fprintf(w, "    - name: %q\n      # api_key: as in %s\n", k.Location, configFile)
			continue
		}
		fmt.Fprintf(w, "    - name: %q\n      api_key: %q\n", k.Location, k.Key)
	}
}

func addAPI(app *kingpin.Application) registered {
	cmd := app.Command("api", "Serve a fake SynthesisVR sessions API (GET /data/sessions/<key>/json/<range>/<search>, searches uuid:<uuid> and today) with a day of demo sessions per location, and print the exporter's config for it.")
	f := &demoFlags{}
	cmd.Flag("locations", "How many locations.").Default("3").IntVar(&f.locations)
	cmd.Flag("config.file", "The exporter's config file: the locations are its locations (names, time zones, stations), each served under its api_key (or api_key_file).").StringVar(&f.configFile)
	cmd.Flag("timezone", "Time zone of the locations without a config file (IANA name, or Local).").Default("Local").StringVar(&f.timezone)
	cmd.Flag("open", "Daily opening hours of every location, as demo's --open.").Default("10:00-22:00").StringVar(&f.open)
	cmd.Flag("arrivals", "Mean sessions per location per open hour.").Default("8").Float64Var(&f.arrivals)
	addSeedFlag(cmd, &f.seed)
	f.edges = addEdgeFlags(cmd, demoEdges)
	af := addAPIFlags(cmd, "listen-address", "127.0.0.1:9866")
	f.apiFlags = af
	return registered{clause: cmd, prepare: func() (command, error) {
		f.stations, f.durations, f.speed = [2]int{1, 4}, [2]time.Duration{10 * time.Minute, 90 * time.Minute}, 1
		// The API sends no webhook: the venues' URLs are never used.
		o, err := f.options(&targetFlags{webhookURL: "http://unused.invalid/"})
		if err != nil {
			return nil, err
		}
		if err := af.edges.Validate(); err != nil {
			return nil, err
		}
		return func(ctx context.Context, env *runEnv) int { return runAPI(ctx, env, o, af) }, nil
	}}
}

// runAPI plans the sessions from the start of today until a week ahead and serves
// them; the API lists each once it is booked, so the day goes on as it is served.
func runAPI(ctx context.Context, env *runEnv, o simulator.DemoOptions, af *apiFlags) int {
	o.Seed, o.Model = seedOf(o.Seed, env), simulator.NewModel()
	now := time.Now()
	o.Start = now.AddDate(0, 0, -1)
	planned := simulator.PlanSessions(o, now.AddDate(0, 0, 7))
	_, wait, err := startAPI(ctx, env, af, o.Model, venueKeys(o.Venues), o.Seed)
	if err != nil {
		env.logger.Error("Starting the fake API failed", "err", err)
		return 1
	}
	env.logger.Info("Fake SynthesisVR API serving", "sessions_planned", planned.Sessions, "turned_away", planned.TurnedAway, "from", o.Start.Format(time.RFC3339))
	<-ctx.Done()
	wait()
	return 0
}
