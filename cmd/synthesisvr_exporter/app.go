package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/admin"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/config"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/lookup"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/server"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/spool"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/boltstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/health"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/tracing"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

// envToken is the environment variable that may hold a webhook token.
const envToken = config.EnvToken

// app holds the wired parts of the exporter.
type app struct {
	f          *flags
	logger     *slog.Logger
	store      session.Store
	spool      *spool.Store // with --storage.backend=redis only
	registry   *prometheus.Registry
	metrics    *collector.Metrics
	gate       *server.Gate
	webhook    *webhook.Handler
	expirer    *session.Expirer
	tracer     *tracing.Provider
	spans      *tracing.Spans
	backup     admin.Backuper // the bolt store; nil with the others
	configured atomic.Pointer[[]collector.Location]
	reloadMu   sync.Mutex
	reloads    *collector.ReloadMetrics
	unknown    *collector.UnknownLocations
	conns      *server.ConnMetrics
	maxConns   int // limits.max_connections, read at start: listeners are not rebound on a reload
	apiMetrics *collector.APIMetrics
	scheduler  session.Scheduler // nil when the store keeps no schedules
	lookup     *lookup.Worker    // nil likewise
	collector  *collector.Collector
	admin      *admin.Handler // with --web.enable-admin-api only
}

func newApp(f *flags, logger *slog.Logger) (*app, error) {
	cfg, err := loadConfig(f.configFile)
	if err != nil {
		return nil, err
	}
	a := &app{f: f, logger: logger, registry: prometheus.NewRegistry()}
	a.metrics = collector.NewMetrics(a.registry, webhook.Reasons)
	a.reloads = collector.NewReloadMetrics(a.registry, time.Now())
	a.unknown = collector.NewUnknownLocations(a.registry, logger)
	a.conns = server.NewConnMetrics(a.registry)
	a.maxConns = cfg.Limits.MaxConnections
	a.metrics.SetMaxExperiences(cfg.Limits.MaxExperiences)
	store, err := a.openStore()
	if err != nil {
		return nil, err
	}
	// Readiness follows the store's writes (a full disk turns it 503).
	a.store = health.New(store, logger)
	if sc, ok := store.(session.Scheduler); ok {
		a.scheduler = sc
	}
	settings, err := a.settings(cfg)
	if err != nil {
		a.store.Close()
		return nil, err
	}
	a.collector = collector.New(a.store, a.metrics, a.configuredLocations, logger)
	a.collector.OnForget = a.unknown.Forget // a forgotten location leaves every series
	a.registry.MustRegister(
		versioncollector.NewCollector(name),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		a.collector,
	)
	a.logGoingLive()
	a.setLocations(cfg)
	a.initKnownLocations()
	a.gate = server.NewGate(a.store)
	if err := a.startTracing(); err != nil {
		a.store.Close()
		return nil, err
	}
	a.webhook = webhook.New(a.unknown.Watch(a.store), a.metrics, a.gate.Accepting, settings, a.spans, logger)
	a.startAdmin()
	a.expirer = &session.Expirer{
		Store: a.store, MaxAge: f.maxAge, Every: session.ExpiryInterval(f.maxAge),
		Ended:  a.ended,
		Failed: func(error) { a.metrics.StoreError(collector.OpExpire) },
		Logger: logger, Now: time.Now,
	}
	a.newLookup(store, cfg)
	return a, nil
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

func (a *app) openStore() (session.Store, error) {
	switch a.f.backend {
	case "memory":
		a.logger.Warn("--storage.backend=memory keeps the sessions in this process only: they are lost on every restart; use bolt (the default) for a venue")
		return memstore.New(), nil
	case "bolt":
		s, err := boltstore.Open(a.f.storagePath)
		if err != nil {
			return nil, err
		}
		a.backup = s
		return s, nil
	case "redis":
		return a.openRedis()
	default:
		return nil, fmt.Errorf("--storage.backend=%s is not known: use bolt, redis or memory", a.f.backend)
	}
}

// runBackground runs session expiry, and the spool's replay with Redis, until ctx
// is done.
func (a *app) runBackground(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { a.expirer.Run(ctx) })
	wg.Go(func() { a.runLookup(ctx) })
	if a.spool != nil {
		wg.Go(func() { a.spool.Run(ctx) })
	}
	wg.Wait()
}

// settings builds the receiver's settings from the webhooks that config.Webhooks
// makes active, and logs them (never their tokens).
func (a *app) settings(cfg *config.Config) (*webhook.Settings, error) {
	env, envSet := os.LookupEnv(envToken)
	hooks, err := config.Webhooks(cfg, config.TokenSources{
		Env: env, EnvSet: envSet, Dir: tokenDir(a.f), Generate: a.f.backend != "redis",
	})
	if errors.Is(err, config.ErrNoToken) {
		return nil, errRedisToken
	}
	if err != nil {
		return nil, err
	}
	s := webhook.Settings{
		MaxBodyBytes:      cfg.Limits.MaxBodyBytes,
		MaxEvents:         cfg.Limits.MaxEventsPerRequest,
		MaxLocations:      cfg.Limits.MaxLocations,
		MaxActiveSessions: cfg.Limits.MaxActiveSessions,
		MaxInFlight:       cfg.Limits.MaxRequestsInFlight,
		Exempt:            map[string]bool{},
		CustomerIDOnSpans: cfg.Tracing.CustomerID,
		Keyed:             a.keyed(cfg),
	}
	for _, w := range hooks {
		s.Hooks = append(s.Hooks, webhook.Hook{Name: w.Name, Token: w.Token, Location: w.Location, MaxActive: w.MaxActiveSessions})
		if w.Location != "" {
			s.Exempt[w.Location] = true
		}
	}
	for _, l := range cfg.Locations {
		s.Exempt[l.Name] = true
	}
	a.logWebhooks(hooks)
	for _, l := range cfg.Locations {
		if l.APIKeyExposed {
			a.logger.Warn("The location's SynthesisVR API key file is readable by its group or by others; let only the exporter's user read it (chmod 600)",
				"location", l.Name, "file", l.APIKeyFile)
		}
	}
	return webhook.NewSettings(s), nil
}

// logWebhooks logs every active webhook: its name, location and where its token
// came from. Only a token generated just now is shown, once, in its URL, for the
// operator to paste into SynthesisVR.
func (a *app) logWebhooks(hooks []config.Webhook) {
	for _, w := range hooks {
		if w.Created {
			msg := "No webhook token was configured: generated one. Paste this URL into SynthesisVR (Web Widgets & API > API & Webhooks), with this machine's public name, and keep it secret"
			if !a.f.tls {
				msg += "; SynthesisVR needs it as https:// (" + goingLiveDoc + ")"
			}
			a.logger.Warn(msg, "url", webhookURL(a.f, w.Token), "token_file", w.TokenFile)
		}
		if w.Exposed {
			a.logger.Warn("The webhook's token file is readable by its group or by others; let only the exporter's user read it (chmod 600)",
				"name", w.Name, "file", w.TokenFile)
		}
		loc := w.Location
		if loc == "" {
			loc = "from payload"
		}
		a.logger.Info("Webhook active", "name", w.Name, "location", loc, "token_source", w.Source)
	}
}

// goingLiveDoc is where the README tells how to give SynthesisVR an https:// URL.
const goingLiveDoc = `deploy/README.md, "Going live"`

// logGoingLive logs, at the start, the form of the URL to paste into SynthesisVR.
// Served over plain HTTP, the exporter is not that URL by itself: SynthesisVR
// needs https://, from --web.config.file or a proxy in front.
func (a *app) logGoingLive() {
	if a.f.tls {
		a.logger.Info("The URL to paste into SynthesisVR, with this machine's public name and the webhook's token", "url", webhookURL(a.f, "<token>"))
		return
	}
	a.logger.Info("The webhook is served over plain HTTP, fine on a LAN or behind a proxy: SynthesisVR needs a public https:// URL, which TLS (--web.config.file) or Caddy or nginx in front gives; see "+goingLiveDoc,
		"here", webhookURL(a.f, "<token>"), "to_paste", "https://<public name>/webhook/<token>")
}

// webhookURL is the receiver's URL on this machine.
func webhookURL(f *flags, token string) string {
	addr := f.webhookAddress
	if addr == "" && len(*f.web.WebListenAddresses) > 0 {
		addr = (*f.web.WebListenAddresses)[0]
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = addr, ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host, _ = os.Hostname()
	}
	scheme := "http://"
	if f.tls {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, port) + "/webhook/" + token
}

// setLocations puts the configured locations, with their opening hours, station
// counts and time zones, in force for the next scrape.
func (a *app) setLocations(cfg *config.Config) {
	locs := make([]collector.Location, 0, len(cfg.Locations))
	for _, l := range cfg.Locations {
		loc := collector.Location{Name: l.Name, Stations: l.Stations}
		// A nil *Schedule in the interface would not read as nil to the collector.
		if l.Schedule != nil {
			loc.Hours = l.Schedule
			loc.Zone = l.Schedule.Location() // the timezone, parsed once by config.Load
		}
		locs = append(locs, loc)
		a.metrics.InitLocation(l.Name)
	}
	a.configured.Store(&locs)
}

func (a *app) configuredLocations() []collector.Location { return *a.configured.Load() }

// initKnownLocations pre-sets the counters of every location the store knows.
func (a *app) initKnownLocations() {
	locs, err := a.store.Locations(context.Background())
	if err != nil {
		a.logger.Warn("Reading known locations failed; their counters start at their first event", "err", err)
		return
	}
	for l := range locs {
		a.metrics.InitLocation(l)
	}
}

// reload reloads the configuration file; a bad file leaves the old one in force.
func (a *app) reload() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	if a.f.configFile == "" {
		return errors.New("no --config.file to reload")
	}
	cfg, err := config.Load(a.f.configFile)
	if err == nil {
		var s *webhook.Settings
		if s, err = a.settings(cfg); err == nil {
			a.webhook.SetSettings(s)
			a.setLocations(cfg)
			a.metrics.SetMaxExperiences(cfg.Limits.MaxExperiences)
			if a.lookup != nil {
				a.lookup.SetSettings(a.lookupSettings(cfg))
			}
		}
	}
	// synthesisvr_exporter_config_last_reload_successful: a failed reload keeps the
	// previous configuration, silently but for this log and that metric's alert.
	a.reloads.Reloaded(err, time.Now())
	if err != nil {
		a.logger.Error("Reloading the configuration failed; the previous one stays in force", "file", a.f.configFile, "err", err)
		return err
	}
	a.logger.Info("Configuration reloaded", "file", a.f.configFile)
	return nil
}

func (a *app) options() server.Options {
	o := server.Options{
		MetricsPath: a.f.metricsPath,
		Registry:    a.registry,
		Webhook:     a.webhook,
		Gate:        a.gate,
		Lifecycle:   a.f.lifecycle,
		Admin:       a.admin,
		Logger:      a.logger,
		Landing: web.LandingConfig{
			Name:        "SynthesisVR Exporter",
			Description: "Receives SynthesisVR session webhooks at POST /webhook/&lt;token&gt; and exports active sessions per location.",
			Version:     version.Info(),
			Profiling:   "false",
			Links: []web.LandingLinks{
				{Address: a.f.metricsPath, Text: "Metrics"},
				{Address: "/-/healthy", Text: "Health"},
				{Address: "/-/ready", Text: "Readiness"},
			},
		},
	}
	if a.f.configFile != "" {
		o.Reload = a.reload
	}
	return o
}

func (a *app) mainHandler(webhookToo bool) (http.Handler, error) {
	return server.Main(a.options(), webhookToo)
}

func (a *app) webhookHandler() http.Handler { return server.Webhook(a.options()) }

// close closes the store, then stops tracing: spans of the last requests and
// expiries are flushed after everything that makes them has stopped.
func (a *app) close() error {
	err := a.store.Close()
	a.stopTracing()
	return err
}
