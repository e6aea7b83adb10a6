package collector

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// SpoolMetrics count what the local spool does while the shared store (Redis)
// cannot be reached. Like the other counters they are this process's own.
// Safe for concurrent use.
type SpoolMetrics struct {
	metrics  *Metrics
	spooled  prometheus.Counter
	replayed prometheus.Counter
	lost     prometheus.Counter
}

// NewSpoolMetrics registers the spool's metrics on reg; pending reports the
// events waiting in the spool. Replayed outcomes are counted on m as well, like
// those of events applied at once.
func NewSpoolMetrics(reg prometheus.Registerer, m *Metrics, pending func() int) *SpoolMetrics {
	f := promauto.With(reg)
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "spool_pending_events",
		Help: "Events waiting in the local spool for the session store to be reachable again.",
	}, func() float64 { return float64(pending()) })
	return &SpoolMetrics{
		metrics: m,
		spooled: f.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "spool_events_total",
			Help: "Events written to the local spool because the session store could not take them (answered 202).",
		}),
		replayed: f.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "spool_replayed_events_total",
			Help: "Spooled events applied to the session store once it was reachable again.",
		}),
		lost: f.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "spool_lost_events_total",
			Help: "Events that neither the session store nor the local spool could keep (answered 503, or an unreadable spooled batch): lost, since SynthesisVR does not resend.",
		}),
	}
}

// Spooled counts events written to the spool.
func (s *SpoolMetrics) Spooled(events int) { s.spooled.Add(float64(events)) }

// Replayed counts a replayed batch and what it did.
func (s *SpoolMetrics) Replayed(out []session.Outcome) {
	s.replayed.Add(float64(len(out)))
	s.metrics.Outcomes(out)
}

// Lost counts events that could not be kept.
func (s *SpoolMetrics) Lost(events int) { s.lost.Add(float64(events)) }
