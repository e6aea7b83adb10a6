// Package admin is the exporter's admin API, for an operator: list the active
// sessions, end a session whose delete will never come, and forget a location
// that was renamed or was only ever a test. It is served only with
// --web.enable-admin-api, on the metrics listener, behind its basic auth.
package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/tracing"
)

// Prefix is where the admin API's routes live.
const Prefix = "/api/v1"

// Operations, as labelled on synthesisvr_admin_requests_total.
const (
	OpListSessions   = "list_sessions"
	OpEndSession     = "end_session"
	OpForgetLocation = "forget_location"
)

// Codes are the answers each operation can give, for pre-setting counters.
var Codes = map[string][]int{
	OpListSessions:   {http.StatusOK, http.StatusServiceUnavailable},
	OpEndSession:     {http.StatusOK, http.StatusNotFound, http.StatusServiceUnavailable},
	OpForgetLocation: {http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusServiceUnavailable},
	OpBackup:         {http.StatusOK, http.StatusNotImplemented, http.StatusInternalServerError, http.StatusServiceUnavailable},
}

// storeTimeout bounds one store operation of a request.
const storeTimeout = 5 * time.Second

// Store is the part of a session.Store the admin API uses. It must be safe for
// concurrent use; End and Forget decide atomically, so that replicas sharing
// the store count each ended session once.
type Store interface {
	Sessions(ctx context.Context) ([]session.Session, error)
	End(ctx context.Context, uuid string, now time.Time) (session.Outcome, bool, error)
	Forget(ctx context.Context, location string, now time.Time, force bool) ([]session.Outcome, error)
}

// Recorder counts answered requests. It must be safe for concurrent use.
type Recorder interface {
	Request(operation string, code int)
}

// Options are what the handlers need.
type Options struct {
	Store Store
	// Ended is told about the sessions a request ended, to count them and end
	// their spans as a delete would.
	Ended func(ctx context.Context, out []session.Outcome)
	// Forgotten is told about a location removed from the store, to delete its
	// series.
	Forgotten func(location string)
	// Configured reports whether the configuration in force lists a location:
	// such a location is exported at every scrape, so it is not forgotten.
	Configured func(location string) bool
	Recorder   Recorder
	// Backup copies the store's file for GET /api/v1/backup; nil when the store
	// has none (memory, Redis).
	Backup Backuper
	Spans  *tracing.Spans // nil: no spans
	Logger *slog.Logger
	Now    func() time.Time // nil: time.Now
}

// Handler serves the admin API. It is safe for concurrent use.
type Handler struct {
	o Options
}

// New returns the admin API's handler.
func New(o Options) *Handler {
	if o.Spans == nil {
		o.Spans = tracing.NewSpans(nil)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Handler{o: o}
}

// Register adds the admin API's routes under Prefix to r, each traced as a
// server span when tracing is on. A route of its own goes here too.
func (h *Handler) Register(r gin.IRouter) {
	api := r.Group(Prefix, h.o.Spans.Middleware()...)
	api.GET("/sessions", h.listSessions)
	// Catch-all parameters, so that a uuid or a location name may hold a slash
	// (sent as %2F).
	api.DELETE("/sessions/*uuid", h.endSession)
	api.DELETE("/locations/*name", h.forgetLocation)
	api.GET("/backup", h.backup)
}

// Disabled answers 403 to every path under Prefix, naming the flag that turns the
// admin API on, and passes other paths on: it goes before the engine's NoRoute
// handler while the admin API is off.
func Disabled(c *gin.Context) {
	if p := c.Request.URL.Path; p != Prefix && !strings.HasPrefix(p, Prefix+"/") {
		return
	}
	c.AbortWithStatusJSON(http.StatusForbidden, errorBody{Error: "the admin API is disabled: start the exporter with --web.enable-admin-api to use it"})
}

// errorBody is the answer of a request that failed.
type errorBody struct {
	Error string `json:"error"`
}

// errConfigured refuses to forget a location the configuration names.
var errConfigured = errors.New("the location is named in the configuration")

// errNoName is a request without a location name.
var errNoName = errors.New("no location name")

// statusOf maps the errors of the admin operations to their HTTP status; any
// other error is the store's.
func statusOf(err error) int {
	switch {
	case errors.Is(err, session.ErrUnknownLocation):
		return http.StatusNotFound
	case errors.Is(err, session.ErrLocationBusy), errors.Is(err, errConfigured):
		return http.StatusConflict
	case errors.Is(err, errNoName), errors.Is(err, errBadForce):
		return http.StatusBadRequest
	default:
		return http.StatusServiceUnavailable
	}
}

// answer writes the answer of an operation and counts it.
func (h *Handler) answer(c *gin.Context, op string, code int, body any) {
	c.JSON(code, body)
	h.count(op, code)
}

// count counts an answered request.
func (h *Handler) count(op string, code int) {
	if h.o.Recorder != nil {
		h.o.Recorder.Request(op, code)
	}
}

// storeContext bounds a request's store operation.
func storeContext(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), storeTimeout)
}

// param reads a catch-all route parameter without its leading slash.
func param(c *gin.Context, name string) string {
	return strings.TrimPrefix(c.Param(name), "/")
}
