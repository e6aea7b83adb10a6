// Package server routes the exporter's HTTP endpoints, in one place: metrics,
// health, readiness, reload, the landing page, the admin API and the webhook
// receiver.
package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/admin"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

// Pinger is the part of the store readiness needs. It must be safe for concurrent use.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Gate says whether the exporter is ready and whether it accepts events, which
// differ while it drains: a load balancer must stop sending (ready turns 503)
// while the webhook still takes what was already on its way, since SynthesisVR
// never resends an event. Both are off while starting.
type Gate struct {
	open     atomic.Bool
	draining atomic.Bool
	store    Pinger
}

// NewGate returns a closed gate over store.
func NewGate(store Pinger) *Gate { return &Gate{store: store} }

// Open starts accepting events, and readiness.
func (g *Gate) Open() { g.open.Store(true) }

// Drain turns readiness off (on shutdown, for --web.drain-delay) while events are
// still accepted.
func (g *Gate) Drain() { g.draining.Store(true) }

// Close stops accepting events.
func (g *Gate) Close() { g.open.Store(false) }

// Accepting reports whether events may be taken now: from Open to Close,
// draining or not.
func (g *Gate) Accepting() bool { return g.open.Load() }

// Ready reports why the exporter is not ready, or nil: starting, draining, or a
// store that cannot take events (with Redis, the spool takes them while Redis is
// away, and the replica stays ready).
func (g *Gate) Ready(ctx context.Context) error {
	switch {
	case !g.open.Load():
		return errNotAccepting
	case g.draining.Load():
		return errDraining
	}
	return g.store.Ping(ctx)
}

// Options are what the routes serve.
type Options struct {
	MetricsPath string
	// Registry is what /metrics serves; promhttp's own metrics are registered on it.
	Registry *prometheus.Registry
	Webhook  *webhook.Handler
	Gate     *Gate
	// Reload reloads the configuration; nil when there is no file to reload.
	Reload func() error
	// Lifecycle allows POST and PUT /-/reload (--web.enable-lifecycle); without it
	// they answer 403 and only SIGHUP reloads.
	Lifecycle bool
	// Admin serves the admin API under /api/v1; nil (without
	// --web.enable-admin-api) answers 403 there.
	Admin   *admin.Handler
	Landing web.LandingConfig
	Logger  *slog.Logger
}

// newEngine returns a gin engine without hints: unknown paths, wrong methods and
// trailing slashes all get the same 404, so a scan learns nothing about tokens.
func newEngine(logger *slog.Logger) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = false
	r.ContextWithFallback = true
	r.Use(recovery(logger))
	// The exporter is not behind a proxy it knows; it never trusts forwarded headers.
	_ = r.SetTrustedProxies(nil)
	r.NoRoute(webhook.NotFound)
	return r
}

// Main returns the engine of --web.listen-address; with webhookToo it serves the
// receiver as well.
func Main(o Options, webhookToo bool) (http.Handler, error) {
	r := newEngine(o.Logger)
	landing, err := web.NewLandingPage(o.Landing)
	if err != nil {
		return nil, err
	}
	r.GET("/", gin.WrapH(landing))
	r.GET(o.MetricsPath, gin.WrapH(MetricsHandler(o.Registry, o.Logger)))
	r.GET("/-/healthy", healthy)
	r.HEAD("/-/healthy", healthy)
	r.GET("/-/ready", o.ready)
	r.HEAD("/-/ready", o.ready)
	r.POST("/-/reload", o.reload)
	r.PUT("/-/reload", o.reload)
	r.Match(otherMethods("POST", "PUT"), "/-/reload", methodNotAllowed("POST, PUT"))
	// The admin API, on this listener only, so that --web.config.file's basic
	// auth guards it; every /api/v1 route goes through admin.Register.
	if o.Admin != nil {
		o.Admin.Register(r)
	} else {
		r.NoRoute(admin.Disabled, webhook.NotFound)
	}
	if webhookToo {
		o.Webhook.Register(r)
	}
	return r, nil
}

// Webhook returns the engine of --webhook.listen-address: the receiver alone.
func Webhook(o Options) http.Handler {
	r := newEngine(o.Logger)
	o.Webhook.Register(r)
	return r
}

func healthy(c *gin.Context) { c.String(http.StatusOK, "Healthy.\n") }

func (o Options) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
	defer cancel()
	if err := o.Gate.Ready(ctx); err != nil {
		c.String(http.StatusServiceUnavailable, "Not ready: %v\n", err)
		return
	}
	c.String(http.StatusOK, "Ready.\n")
}

func (o Options) reload(c *gin.Context) {
	if !o.Lifecycle {
		c.String(http.StatusForbidden, "Lifecycle API is not enabled: start the exporter with --web.enable-lifecycle to reload over HTTP, or send it SIGHUP.\n")
		return
	}
	if crossSite(c.Request) {
		c.String(http.StatusForbidden, "Cross-site request refused: reload from the exporter's own origin, with curl -X POST, or send it SIGHUP.\n")
		return
	}
	if o.Reload == nil {
		c.String(http.StatusBadRequest, "No configuration file to reload: the exporter runs without --config.file.\n")
		return
	}
	if err := o.Reload(); err != nil {
		c.String(http.StatusInternalServerError, "Reload failed; the previous configuration stays in force:\n%v\n", err)
		return
	}
	c.String(http.StatusOK, "Configuration reloaded.\n")
}

// otherMethods are the HTTP methods besides allowed.
func otherMethods(allowed ...string) []string {
	all := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions}
	return slices.DeleteFunc(all, func(m string) bool { return slices.Contains(allowed, m) })
}

// methodNotAllowed answers 405 with the Allow header. It is routed for /-/reload
// only: a GET there is an operator's mistake worth naming, unlike the scans the
// engine answers 404 elsewhere.
func methodNotAllowed(allow string) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Allow", allow)
		c.String(http.StatusMethodNotAllowed, "Method not allowed: /-/reload takes %s, e.g. curl -X POST.\n", allow)
	}
}

// crossSite reports whether a browser marks r as sent from another site: a form
// or a script of a page elsewhere, which must not reload the exporter. curl and
// Prometheus-style tooling send neither header.
func crossSite(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err != nil || !strings.EqualFold(u.Host, r.Host)
}

// recovery answers 500 to a request whose handler panicked and logs the route
// template: gin's own Recovery dumps the request line, which carries the token.
func recovery(logger *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, err any) {
		logger.Error("Handler panicked", "route", c.FullPath(), "method", c.Request.Method, "panic", err)
		c.AbortWithStatus(http.StatusInternalServerError)
	})
}
