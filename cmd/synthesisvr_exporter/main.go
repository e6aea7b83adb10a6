// Command synthesisvr_exporter receives SynthesisVR session webhooks and exports
// the venue's active sessions as Prometheus metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/server"
)

const name = "synthesisvr_exporter"

func main() {
	// Started by the Windows service manager, the exporter runs under its handler.
	if code, ok := runService(os.Args[1:]); ok {
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// defaultStoragePath is --storage.path's default: relative to the working folder,
// where a console run keeps its data.
const defaultStoragePath = "data/synthesisvr.db"

// hooks connect a run to a service manager (Windows); the zero value is a run from
// a console or systemd.
type hooks struct {
	// storagePath replaces --storage.path's default when set.
	storagePath string
	// stop takes stop requests besides the process's signals; a SIGTERM on it
	// stops the exporter exactly as the signal does.
	stop <-chan os.Signal
	// started is called once the exporter is ready.
	started func()
}

// flags are the command line; README.md, "Command line", lists them for operators.
type flags struct {
	web            *web.FlagConfig
	webhookAddress string
	metricsPath    string
	configFile     string
	backend        string
	storagePath    string
	redis          redisFlags
	maxAge         time.Duration
	tls            bool // --web.config.file serves TLS: the webhook URL is https
	basicAuth      bool // --web.config.file asks for basic auth
	adminAPI       bool
	drainDelay     time.Duration
	lifecycle      bool // --web.enable-lifecycle
	log            *promslog.Config
}

func parseFlags(args []string, stdout, stderr io.Writer, storageDefault string) (*flags, error) {
	app := kingpin.New(name, "Receives SynthesisVR session webhooks and exports active sessions as Prometheus metrics.")
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	// --help and --version print and stop here; run then exits 0.
	terminated := false
	app.Terminate(func(int) { terminated = true })
	f := &flags{log: &promslog.Config{}}
	f.web = kingpinflag.AddFlags(app, ":9865")
	app.Flag("webhook.listen-address", "When set, the webhook is served on this address alone (a port apart from /metrics, e.g. internet-facing). It takes TLS, not basic auth, from --web.config.file.").StringVar(&f.webhookAddress)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&f.metricsPath)
	app.Flag("web.drain-delay", "On shutdown, how long /-/ready answers 503 before the listeners close, so a load balancer moves traffic away first; the webhook keeps taking events meanwhile.").Default("0s").DurationVar(&f.drainDelay)
	app.Flag("web.enable-lifecycle", "Allow POST and PUT /-/reload to reload the configuration (requests a browser marks cross-site are refused); SIGHUP always reloads.").Default("false").BoolVar(&f.lifecycle)
	app.Flag("web.enable-admin-api", "Serve the admin API under /api/v1 on --web.listen-address: list the active sessions, end one, forget a location, take a hot backup of the bolt file. Guard it with basic auth in --web.config.file.").Default("false").BoolVar(&f.adminAPI)
	app.Flag("config.file", "YAML configuration file (webhooks, locations, limits, tracing); without it the exporter runs on defaults.").StringVar(&f.configFile)
	app.Flag("storage.backend", "Where sessions are kept: bolt (a file, one replica), redis (several replicas) or memory (lost on restart).").Default("bolt").EnumVar(&f.backend, "bolt", "redis", "memory")
	app.Flag("storage.path", "The bolt file; its folder is created and also keeps a generated webhook token.").Default(storageDefault).StringVar(&f.storagePath)
	addRedisFlags(app, &f.redis)
	app.Flag("session.max-age", "An active session older than this is ended as expired (its delete was missed).").Default("6h").DurationVar(&f.maxAge)
	promslogflag.AddFlags(app, f.log)
	app.Version(version.Print(name))
	app.HelpFlag.Short('h')
	_, err := app.Parse(args)
	if terminated {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if f.maxAge <= 0 {
		return nil, fmt.Errorf("--session.max-age must be positive, got %s", f.maxAge)
	}
	return f, nil
}

// run is the whole program; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return runWith(args, stdout, stderr, hooks{})
}

// runWith is run under a service manager's hooks.
func runWith(args []string, stdout, stderr io.Writer, h hooks) int {
	storageDefault := defaultStoragePath
	if h.storagePath != "" {
		storageDefault = h.storagePath
	}
	f, err := parseFlags(args, stdout, stderr, storageDefault)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	if f == nil {
		return 0
	}
	f.log.Writer = stderr
	logger := promslog.New(f.log)
	logger.Info("Starting "+name, "version", version.Info())
	logger.Info("Build context", "build_context", version.BuildContext())

	ex, err := start(f, logger)
	if err != nil {
		logger.Error("Cannot start", "err", err)
		return 1
	}
	ex.stop = h.stop
	if h.started != nil {
		h.started()
	}
	return ex.wait()
}

// exporter is the running program, stopped in order by wait.
type exporter struct {
	logger  *slog.Logger
	app     *app
	servers []*http.Server
	errs    chan error
	signals chan os.Signal
	stop    <-chan os.Signal // a service manager's stop requests; nil without one
	stopBg  context.CancelFunc
	bgDone  chan struct{}
	drain   time.Duration
}

func start(f *flags, logger *slog.Logger) (*exporter, error) {
	wc, err := serverWebConfig(f)
	if err != nil {
		return nil, err
	}
	f.tls = wc.TLS != nil
	f.basicAuth = wc.BasicAuth
	// Bind first: a taken port stops the start before anything is generated or logged as ready.
	lns, err := bind(f)
	if err != nil {
		return nil, err
	}
	a, err := newApp(f, logger)
	if err != nil {
		lns.close()
		return nil, err
	}
	ex := &exporter{logger: logger, app: a, errs: make(chan error, 2), drain: f.drainDelay,
		signals: make(chan os.Signal, 4), bgDone: make(chan struct{})}
	if err := ex.serve(f, lns, wc); err != nil {
		lns.close()
		a.close()
		return nil, err
	}
	signal.Notify(ex.signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	var bg context.Context
	bg, ex.stopBg = context.WithCancel(context.Background())
	go func() {
		defer close(ex.bgDone)
		a.runBackground(bg)
	}()
	a.gate.Open()
	logger.Info("Ready to receive webhooks")
	return ex, nil
}

func newHTTPServer(h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ErrorLog:          errorLog,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// wait serves until a stop signal or a server failure, then stops in order:
// ready turns 503 while the webhook keeps taking events for the drain delay,
// the listeners close and in-flight requests finish, expiry and spool replay
// stop, the store closes.
func (ex *exporter) wait() int {
	code := 0
	for stop := false; !stop; {
		var sig os.Signal
		select {
		case sig = <-ex.signals:
		case sig = <-ex.stop:
		case err := <-ex.errs:
			ex.logger.Error("HTTP server failed", "err", err)
			code, stop = 1, true
			continue
		}
		if sig == syscall.SIGHUP {
			ex.hangup()
			continue
		}
		ex.logger.Info("Shutting down", "signal", sig.String())
		stop = true
	}
	// Signals stay caught until the end: a SIGHUP while draining must not kill the process.
	defer signal.Stop(ex.signals)
	ex.app.gate.Drain()
	time.Sleep(ex.drain)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range ex.servers {
		if err := s.Shutdown(ctx); err != nil {
			ex.logger.Error("HTTP server shutdown", "err", err)
		}
	}
	ex.app.gate.Close()
	ex.stopBg()
	<-ex.bgDone
	if err := ex.app.close(); err != nil {
		ex.logger.Error("Closing the store", "err", err)
		code = 1
	}
	ex.logger.Info("Stopped")
	return code
}

// hangup reloads the configuration file on SIGHUP; without one it says so, since
// an operator who sent it expects something to happen.
func (ex *exporter) hangup() {
	if ex.app.f.configFile == "" {
		ex.logger.Warn("Received SIGHUP, but there is nothing to reload: the exporter runs without --config.file")
		return
	}
	_ = ex.app.reload()
}

func serverWebConfig(f *flags) (server.WebConfig, error) {
	wc, err := server.ReadWebConfig(*f.web.WebConfigFile)
	if err != nil {
		return wc, err
	}
	if wc.BasicAuth && f.webhookAddress == "" {
		return wc, errors.New("--web.config.file turns basic auth on, which SynthesisVR cannot send: set --webhook.listen-address to serve the webhook on a listener of its own (it keeps TLS, and is guarded by its token)")
	}
	return wc, nil
}

// tokenDir is where a generated webhook token is kept: beside the bolt file.
func tokenDir(f *flags) string { return filepath.Dir(f.storagePath) }
