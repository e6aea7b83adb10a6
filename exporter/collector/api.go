package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// APIBuckets are the bounds of synthesisvr_api_request_duration_seconds, up to the
// longest synthesisvr_api.timeout.
var APIBuckets = []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// API request kinds, as labelled.
const (
	APIKindLookup = "lookup"
	APIKindPoll   = "poll"
)

// APIMetrics count the calls to SynthesisVR's sessions API. Safe for concurrent use.
type APIMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	pending  prometheus.Gauge
	errors   *prometheus.CounterVec
}

// NewAPIMetrics registers the API metrics on reg, with the error reasons given
// pre-set to zero.
func NewAPIMetrics(reg prometheus.Registerer, reasons []string) *APIMetrics {
	f := promauto.With(reg)
	m := &APIMetrics{
		requests: f.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "api_requests_total",
			Help: "Requests to SynthesisVR's sessions API, by location, kind (lookup of one session, poll of the day) and HTTP status code (\"error\": no answer).",
		}, []string{"location", "kind", "code"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "api_request_duration_seconds",
			Help: "Time of requests to SynthesisVR's sessions API, by kind, including waiting for the rate limit.", Buckets: APIBuckets,
		}, []string{"kind"}),
		pending: f.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "api_lookups_pending",
			Help: "Sessions whose lookup in SynthesisVR's sessions API is due, as this process last read them from the store (at most 64 at a time).",
		}),
		errors: f.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "api_errors_total",
			Help: "Failed requests to SynthesisVR's sessions API and sessions it answered that could not be read, by reason.",
		}, []string{"reason"}),
	}
	for _, r := range reasons {
		m.errors.WithLabelValues(r)
	}
	return m
}

// InitLocation pre-sets a location's request counters for a successful answer.
func (m *APIMetrics) InitLocation(loc string) {
	for _, k := range []string{APIKindLookup, APIKindPoll} {
		m.requests.WithLabelValues(loc, k, "200")
	}
}

// Request counts one request.
func (m *APIMetrics) Request(loc, kind, code string, took time.Duration) {
	m.requests.WithLabelValues(loc, kind, code).Inc()
	m.duration.WithLabelValues(kind).Observe(took.Seconds())
}

// Error counts one failure by reason.
func (m *APIMetrics) Error(reason string) { m.errors.WithLabelValues(reason).Inc() }

// Pending sets the lookups waiting.
func (m *APIMetrics) Pending(n int) { m.pending.Set(float64(n)) }
