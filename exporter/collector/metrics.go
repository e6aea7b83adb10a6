// Package collector exposes the exporter's Prometheus metrics: the session gauges,
// built from the store at every scrape (so every replica reports the same numbers),
// and the process's own counters of what it received and did.
package collector

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

const namespace = "synthesisvr"

// Event actions as labelled on synthesisvr_session_events_total.
const actionOther = "other"

// DurationBuckets are the bounds of synthesisvr_session_duration_seconds: VR sessions
// last from a few minutes to a few hours.
var DurationBuckets = []float64{60, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800, 14400, 21600}

// RequestBuckets are the bounds of the webhook latency histogram, up to SynthesisVR's 2 s budget.
var RequestBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 5}

// KnownCodes are the webhook answers whose counters start at zero.
var KnownCodes = []int{200, 202, 400, 404, 413, 503}

// resultLabels are the action/result pairs the state machine can produce.
var resultLabels = [...][2]string{
	{session.ActionCreate, session.ResultApplied},
	{session.ActionCreate, session.ResultDuplicate},
	{session.ActionCreate, session.ResultLate},
	{session.ActionDelete, session.ResultApplied},
	{session.ActionDelete, session.ResultUnmatched},
}

// Metrics are the process's own counters. Each replica counts what it received, so
// dashboards sum them over instances. The per-location counters and histogram live in
// locations, written straight into a scrape by a Registry; the others are client_golang
// metrics. Safe for concurrent use.
type Metrics struct {
	locs     *locationMetrics
	folded   prometheus.Counter
	requests *prometheus.CounterVec
	// knownCodes are the counters of KnownCodes, found once: a webhook request then
	// counts itself without hashing its label value.
	knownCodes  map[int]prometheus.Counter
	requestTime prometheus.Histogram
	rejected    *prometheus.CounterVec
	storeErrors *prometheus.CounterVec
}

// NewMetrics registers the counters on reg, with the rejection reasons given
// pre-set to zero. On a *Registry the per-location families take its fast path.
func NewMetrics(reg prometheus.Registerer, reasons []string) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		locs: newLocationMetrics(),
		folded: f.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "locations_folded_events_total",
			Help: "Events whose new location was past limits.max_locations and was counted under location=\"_overflow\".",
		}),
		requests: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "webhook_requests_total",
			Help: "Webhook requests answered, by HTTP status code.",
		}, []string{"code"}),
		requestTime: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "webhook_request_duration_seconds",
			Help:    "Time from a webhook request's arrival to its answer; SynthesisVR waits 2 seconds at most.",
			Buckets: RequestBuckets,
		}),
		rejected: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "webhook_events_rejected_total",
			Help: "Events rejected as invalid, by reason; the rest of their batch was applied.",
		}, []string{"reason"}),
		storeErrors: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "store_errors_total",
			Help: "Store operations that failed, by operation (apply, expire, read).",
		}, []string{"operation"}),
	}
	reg.MustRegister(m.locs)
	m.knownCodes = make(map[int]prometheus.Counter, len(KnownCodes))
	for _, c := range KnownCodes {
		m.knownCodes[c] = m.requests.WithLabelValues(strconv.Itoa(c))
	}
	for _, r := range reasons {
		m.rejected.WithLabelValues(r)
	}
	for _, op := range []string{OpApply, OpExpire, OpRead} {
		m.storeErrors.WithLabelValues(op)
	}
	return m
}

// Store operations, as labelled on synthesisvr_store_errors_total.
const (
	OpApply  = "apply"
	OpExpire = "expire"
	OpRead   = "read"
)

// InitLocation pre-sets a location's counters to zero, so that rate() and
// increase() see them from the first event on.
func (m *Metrics) InitLocation(loc string) { m.locs.get(loc) }

// Outcomes counts what the store did with a request's events or an expiry run.
func (m *Metrics) Outcomes(out []session.Outcome) {
	for _, o := range out {
		m.outcome(o)
	}
}

func (m *Metrics) outcome(o session.Outcome) {
	c := m.locs.get(o.Change.Location)
	if o.Folded {
		m.folded.Inc()
	}
	switch o.Result {
	case session.ResultExpired:
		m.end(o, endExpired)
		return
	case session.ResultIgnored:
		c.event(actionOtherIdx, -1, false)
		return
	}
	a := actionIndex(o.Change.Action)
	c.event(a, resultIndex(o.Change.Action, o.Result), a == actionCreateIdx && o.Result == session.ResultApplied)
	if a == actionDeleteIdx && o.Result == session.ResultApplied {
		m.end(o, endDeleted)
	}
}

// end records an ended session under the location it was started at.
func (m *Metrics) end(o session.Outcome, reason int) {
	m.locs.get(o.Session.Location).end(reason, o.Duration().Seconds(), o.Session.Stations)
}

// Rejected counts one rejected event.
func (m *Metrics) Rejected(reason string) { m.rejected.WithLabelValues(reason).Inc() }

// Request counts one answered webhook request.
func (m *Metrics) Request(code int, took time.Duration) {
	if c, ok := m.knownCodes[code]; ok {
		c.Inc()
	} else {
		m.requests.WithLabelValues(strconv.Itoa(code)).Inc()
	}
	m.requestTime.Observe(took.Seconds())
}

// StoreError counts one failed store operation.
func (m *Metrics) StoreError(op string) { m.storeErrors.WithLabelValues(op).Inc() }
