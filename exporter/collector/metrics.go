// Package collector exposes the exporter's Prometheus metrics: the session gauges,
// built from the store at every scrape (so every replica reports the same numbers),
// and the process's own counters of what it received and did.
package collector

import (
	"slices"
	"strconv"
	"sync"
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

// The label values pre-set to zero for every location.
var (
	actionLabels = []string{session.ActionCreate, session.ActionDelete, actionOther}
	endLabels    = []string{session.ReasonDeleted, session.ReasonExpired, session.ReasonAdmin, session.ReasonFinished}
	// resultLabels are the action/result pairs the state machine can produce.
	resultLabels = [][2]string{
		{session.ActionCreate, session.ResultApplied},
		{session.ActionCreate, session.ResultDuplicate},
		{session.ActionCreate, session.ResultLate},
		{session.ActionDelete, session.ResultApplied},
		{session.ActionDelete, session.ResultUnmatched},
	}
)

// Metrics are the process's own counters. Each replica counts what it received, so
// dashboards sum them over instances. Safe for concurrent use.
type Metrics struct {
	events         *prometheus.CounterVec
	results        *prometheus.CounterVec
	started        *prometheus.CounterVec
	ended          *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	stationSeconds *prometheus.CounterVec
	// locations holds the locations whose series are pre-set, so that an event of a
	// known location does not set them again.
	locations sync.Map

	folded   prometheus.Counter
	requests *prometheus.CounterVec
	// knownCodes are the counters of KnownCodes, found once: a webhook request then
	// counts itself without hashing its label value.
	knownCodes  map[int]prometheus.Counter
	requestTime prometheus.Histogram
	rejected    *prometheus.CounterVec
	storeErrors *prometheus.CounterVec
	storeResets prometheus.Counter

	schedule scheduleMetrics
}

// NewMetrics registers the counters on reg, with the rejection reasons given
// pre-set to zero.
func NewMetrics(reg prometheus.Registerer, reasons []string) *Metrics {
	f := promauto.With(reg)
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return f.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	m := &Metrics{
		events: counter("session_events_total",
			"Valid session events received by this process, by location and action (create, delete, other).",
			"location", "action"),
		results: counter("session_event_results_total",
			"Create and delete events by what they did: applied, duplicate (create of an active session), late (create after its delete), unmatched (delete of no active session).",
			"location", "action", "result"),
		started: counter("sessions_started_total",
			"Sessions whose play began, counted by this process: at their create, or for a location with a SynthesisVR API key at their scheduled start (a booking is not started).",
			"location"),
		ended: counter("sessions_ended_total",
			"Sessions ended by this process, by reason: deleted (a delete event), expired (older than --session.max-age, a missed delete), finished (their scheduled end came without a delete) or admin (ended through the admin API).",
			"location", "reason"),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "session_duration_seconds",
			Help:    "Duration of ended sessions, from create to delete, expiry or admin end.",
			Buckets: DurationBuckets,
		}, []string{"location"}),
		stationSeconds: counter("station_seconds_total",
			"Station time used by ended sessions: stations times duration, in seconds.",
			"location"),
		folded: f.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "locations_folded_events_total",
			Help: "Events whose new location was past limits.max_locations and was counted under location=\"_overflow\".",
		}),
		requests: counter("webhook_requests_total", "Webhook requests answered, by HTTP status code.", "code"),
		requestTime: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "webhook_request_duration_seconds",
			Help:    "Time from a webhook request's arrival to its answer; SynthesisVR waits 2 seconds at most.",
			Buckets: RequestBuckets,
		}),
		rejected: counter("webhook_events_rejected_total",
			"Events rejected as invalid, by reason; the rest of their batch was applied.", "reason"),
		storeErrors: counter("store_errors_total",
			"Store operations that failed, by operation (apply, expire, read).", "operation"),
		storeResets: f.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "store_resets_total",
			Help: "Times the session store was found to have lost its state (Redis came back empty or was flushed): the sessions it held were gone.",
		}),
	}
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
	m.schedule = newScheduleMetrics(counter)
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
func (m *Metrics) InitLocation(loc string) {
	if _, known := m.locations.LoadOrStore(loc, struct{}{}); known {
		return
	}
	for _, a := range actionLabels {
		m.events.WithLabelValues(loc, a)
	}
	for _, ar := range resultLabels {
		m.results.WithLabelValues(loc, ar[0], ar[1])
	}
	m.started.WithLabelValues(loc)
	for _, r := range endLabels {
		m.ended.WithLabelValues(loc, r)
	}
	m.duration.WithLabelValues(loc)
	m.stationSeconds.WithLabelValues(loc)
	m.schedule.initLocation(loc)
}

// Outcomes counts what the store did with a request's events or an expiry run.
func (m *Metrics) Outcomes(out []session.Outcome) {
	for _, o := range out {
		m.outcome(o)
	}
}

func (m *Metrics) outcome(o session.Outcome) {
	loc := o.Change.Location
	m.InitLocation(loc)
	if o.Folded {
		m.folded.Inc()
	}
	if o.Started {
		m.start(o)
	} else {
		m.presetExperience(o)
	}
	switch o.Result {
	case session.ResultExpired:
		m.end(o, session.ReasonExpired)
		return
	case session.ResultAdmin:
		if o.Reason == session.ReasonCancelled {
			m.schedule.cancelled.WithLabelValues(o.Session.Location).Inc()
		} else {
			m.end(o, session.ReasonAdmin)
		}
		return
	case session.ResultFinished:
		m.end(o, session.ReasonFinished)
		return
	case session.ResultReconciled:
		m.schedule.reconciled.WithLabelValues(loc).Inc()
		return
	}
	if o.Change.Action == "" {
		return // a schedule transition (a lookup's, a poll's, a phase's): no event
	}
	switch o.Result {
	case session.ResultIgnored:
		m.events.WithLabelValues(loc, actionOther).Inc()
		return
	}
	action := o.Change.Action
	if action != session.ActionCreate && action != session.ActionDelete {
		action = actionOther
	}
	m.events.WithLabelValues(loc, action).Inc()
	if action == actionOther {
		return
	}
	// Only the pairs pre-set to zero: the label values stay bounded.
	if slices.Contains(resultLabels, [2]string{action, o.Result}) {
		m.results.WithLabelValues(loc, action, o.Result).Inc()
	}
	if o.Result != session.ResultApplied {
		return
	}
	switch {
	case action != session.ActionDelete:
	case o.Reason == session.ReasonCancelled:
		m.schedule.cancelled.WithLabelValues(o.Session.Location).Inc()
	default:
		m.end(o, session.ReasonDeleted)
	}
}

// end records an ended session under the location it was started at.
func (m *Metrics) end(o session.Outcome, reason string) {
	loc := o.Session.Location
	m.InitLocation(loc)
	m.ended.WithLabelValues(loc, reason).Inc()
	// A session that ends before it started (the clock stepped back) lasted 0 s: a
	// negative observation would lower the histogram's _sum, which only grows.
	d := max(o.Duration().Seconds(), 0)
	m.duration.WithLabelValues(loc).Observe(d)
	// A counter never goes down, so such a session adds no station time either.
	if s := d * float64(o.Session.Stations); s > 0 {
		m.stationSeconds.WithLabelValues(loc).Add(s)
	}
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

// StoreReset counts a store found to have lost its state.
func (m *Metrics) StoreReset() { m.storeResets.Inc() }

// Locations returns every location whose counters are set: configured, known to
// the store at start, or seen in an event by this process. The session gauges
// keep a zero series for each, also when a store that lost its state no longer
// knows it.
func (m *Metrics) Locations() []string {
	var out []string
	m.locations.Range(func(k, _ any) bool {
		out = append(out, k.(string))
		return true
	})
	return out
}

// StoreError counts one failed store operation.
func (m *Metrics) StoreError(op string) { m.storeErrors.WithLabelValues(op).Inc() }
