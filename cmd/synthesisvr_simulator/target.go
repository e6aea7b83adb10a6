package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// targetFlags say where the exporter is: one named with --exporter.url or
// --webhook.url, or else one the simulator starts itself.
type targetFlags struct {
	exporterURL string
	webhookURL  string
	token       string
	tokenFile   string
	metricsURL  string
	binary      string
	prefix      string
	// own is the exporter the simulator starts, set by choose when no flag names one.
	own *ownExporter
	// keepLocations: the locations are the user's own (a demo's --config.file), never
	// forgotten.
	keepLocations bool
}

func addTargetFlags(app *kingpin.Application) *targetFlags {
	t := &targetFlags{}
	app.Flag("exporter.url", "The exporter to post to, its --web.listen-address as a URL: the webhook is posted to <url>/webhook/<token> and /metrics read from it. Without it (and without --webhook.url) the simulator starts an exporter of its own on a free port, and never writes into one it did not start.").StringVar(&t.exporterURL)
	app.Flag("webhook.url", "The full webhook URL, token included, when the webhook has its own address (--webhook.listen-address).").StringVar(&t.webhookURL)
	app.Flag("webhook.token", "The webhook token of --exporter.url.").Envar("SYNTHESISVR_WEBHOOK_TOKEN").StringVar(&t.token)
	app.Flag("webhook.token-file", "Where to read the token of --exporter.url when none is given, e.g. the exporter's generated data/webhook-token beside its bolt file.").StringVar(&t.tokenFile)
	app.Flag("metrics.url", "Where to read the exporter's metrics (default: <exporter.url>/metrics).").StringVar(&t.metricsURL)
	app.Flag("exporter.binary", "The synthesisvr_exporter the simulator starts, or bench measures (default: built from this module with go build).").StringVar(&t.binary)
	app.Flag("location.prefix", "Starts the name of every location the simulator makes up (load, check, and demo without --config.file), so that they are told apart and, when the exporter's admin API is on, forgotten when the simulator stops; empty: never forgotten.").Default("Sim ").StringVar(&t.prefix)
	return t
}

// choose decides the target once: with no --exporter.url and no --webhook.url, an
// exporter of the simulator's own, on a loopback port free now, with a token of its own.
func (t *targetFlags) choose() error {
	if t.own != nil || t.exporterURL != "" || t.webhookURL != "" {
		return nil
	}
	addr, err := proctest.FreeAddr()
	if err != nil {
		return fmt.Errorf("finding a free port for the simulator's own exporter: %w", err)
	}
	t.own = &ownExporter{addr: addr, token: randomToken()}
	t.exporterURL, t.token = t.own.url(), t.own.token
	return nil
}

// webhook returns the webhook URL with its token.
func (t *targetFlags) webhook() (string, error) {
	if err := t.choose(); err != nil {
		return "", err
	}
	if t.webhookURL != "" {
		return t.webhookURL, nil
	}
	tok, err := t.resolveToken()
	if err != nil {
		return "", err
	}
	return t.webhookFor(tok)
}

// webhookFor returns the webhook URL of a token on the exporter.
func (t *targetFlags) webhookFor(token string) (string, error) {
	if err := t.choose(); err != nil {
		return "", err
	}
	if t.exporterURL == "" {
		return "", errors.New("--webhook.url is one webhook: pass --exporter.url to post to the webhooks the config binds to locations")
	}
	return strings.TrimRight(t.exporterURL, "/") + "/webhook/" + token, nil
}

func (t *targetFlags) resolveToken() (string, error) {
	if t.token != "" {
		return t.token, nil
	}
	if t.tokenFile == "" {
		return "", fmt.Errorf("no webhook token for --exporter.url %s: pass --webhook.token or SYNTHESISVR_WEBHOOK_TOKEN, or --webhook.token-file (an exporter without a configured token keeps a generated one in data/webhook-token); leave out --exporter.url to let the simulator start an exporter of its own", t.exporterURL)
	}
	b, err := os.ReadFile(t.tokenFile)
	if err != nil {
		return "", fmt.Errorf("reading the webhook token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("the webhook token file %s is empty", t.tokenFile)
	}
	return tok, nil
}

// metrics returns the URL of the exporter's /metrics.
func (t *targetFlags) metrics() string {
	if t.metricsURL != "" {
		return t.metricsURL
	}
	if t.exporterURL == "" {
		// --webhook.url alone: the exporter's metrics listener at its usual place.
		return "http://localhost:9865/metrics"
	}
	return strings.TrimRight(t.exporterURL, "/") + "/metrics"
}

// location names a location the simulator makes up.
func (t *targetFlags) location(name string) string { return t.prefix + name }

// cleanupTimeout bounds the clean-up after a run: a second interrupt ends it sooner.
const cleanupTimeout = 10 * time.Second

// run runs body against the target, starting the simulator's own exporter first
// when it has one. When body returns (done, failed, or ctx ended by an interrupt),
// every session m holds that was not ended is ended with its delete webhook, the
// way SynthesisVR ends one, posted to urlOf(location); then, when the exporter's
// admin API is on, the made-up locations are forgotten. Then the own exporter stops.
func (t *targetFlags) run(ctx context.Context, env *runEnv, m *simulator.Model, urlOf func(location string) string, body func(context.Context) int) int {
	if t.own != nil {
		defer t.own.stop(env)
		if err := t.own.start(ctx, env, t.binary); err != nil {
			env.logger.Error("Starting the simulator's own exporter failed", "err", err)
			return 1
		}
	}
	code := body(ctx)
	cctx, cancel := context.WithTimeout(env.abort, cleanupTimeout)
	defer cancel()
	t.cleanup(cctx, env, m, urlOf)
	return code
}

// cleanup ends m's sessions and forgets the made-up locations.
func (t *targetFlags) cleanup(ctx context.Context, env *runEnv, m *simulator.Model, urlOf func(string) string) {
	client := simulator.NewClient(2)
	if evs := m.Unended(); len(evs) > 0 {
		env.logger.Info("Ending the sessions the simulator left active (interrupt again to skip)", "sessions", len(evs))
		res := simulator.EndSessions(ctx, client, evs, urlOf)
		if res.Failed > 0 {
			env.logger.Warn("Some sessions the simulator started could not be ended: they stay active until the exporter's --session.max-age",
				"ended", res.Ended, "not_taken", res.Failed, "cut_short", context.Cause(ctx))
		} else {
			env.logger.Info("Sessions ended", "ended", res.Ended)
		}
	}
	locs := t.madeUp(m.Locations())
	switch {
	case len(locs) == 0:
		return
	case t.exporterURL == "":
		env.logger.Info("Locations kept: pass --exporter.url to forget them through the admin API", "locations", len(locs))
		return
	}
	if ok, why := simulator.AdminAPI(ctx, client, t.exporterURL); !ok {
		env.logger.Info("Locations kept: the exporter's admin API is off (--web.enable-admin-api) or out of reach", "locations", len(locs), "answer", why)
		return
	}
	forgotten := 0
	for _, l := range locs {
		if err := simulator.ForgetLocation(ctx, client, t.exporterURL, l); err != nil {
			env.logger.Warn("Forgetting a location failed", "location", l, "err", err)
			continue
		}
		forgotten++
	}
	env.logger.Info("Locations forgotten through the admin API", "forgotten", forgotten, "of", len(locs))
}

// madeUp returns the locations the simulator named itself, those that carry the prefix.
func (t *targetFlags) madeUp(locs []string) []string {
	if t.prefix == "" || t.keepLocations {
		return nil
	}
	var out []string
	for _, l := range locs {
		if strings.HasPrefix(l, t.prefix) {
			out = append(out, l)
		}
	}
	return out
}

// addEdgeFlags adds the rough-edge rates to a command, with its defaults.
func addEdgeFlags(cmd *kingpin.CmdClause, def simulator.Edges) *simulator.Edges {
	e := &simulator.Edges{}
	f := func(v float64) string { return fmt.Sprintf("%g", v) }
	cmd.Flag("edges.batch", "Share of POSTs that carry several events (2 to 5).").Default(f(def.Batch)).Float64Var(&e.Batch)
	cmd.Flag("edges.duplicate", "Share of events delivered twice.").Default(f(def.Duplicate)).Float64Var(&e.Duplicate)
	cmd.Flag("edges.missing-delete", "Share of sessions whose delete never comes: their time runs out (without the API they stay active until the exporter's --session.max-age).").Default(f(def.MissingDelete)).Float64Var(&e.MissingDelete)
	cmd.Flag("edges.delete-first", "Share of sessions whose delete arrives before their create (they never start).").Default(f(def.DeleteFirst)).Float64Var(&e.DeleteFirst)
	cmd.Flag("edges.booking", "With a schedule (demo, --api): share of sessions booked ahead, their create sent hours before their start; the others are walk-ins.").Default(f(def.Booking)).Float64Var(&e.Booking)
	cmd.Flag("edges.cancel", "With a schedule (demo): share of bookings deleted before their start.").Default(f(def.Cancel)).Float64Var(&e.Cancel)
	cmd.Flag("edges.extend", "With a schedule (demo, --api): share of sessions extended while they play (the API's end moves later).").Default(f(def.Extend)).Float64Var(&e.Extend)
	cmd.Flag("edges.missed-webhook", "With a schedule (demo, --api): share of sessions the API lists whose webhooks never reach the exporter.").Default(f(def.MissedWebhook)).Float64Var(&e.MissedWebhook)
	return e
}

// redact hides the token of a webhook URL in what the simulator prints.
func redact(url string) string { return simulator.RedactURL(url) }
