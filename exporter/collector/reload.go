package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// ReloadMetrics report the configuration's reloads under the names Prometheus
// gives its own, so that the same alert reads both. Safe for concurrent use.
type ReloadMetrics struct {
	successful  prometheus.Gauge
	lastSuccess prometheus.Gauge
}

// NewReloadMetrics registers the reload metrics on reg. The configuration loaded
// at start, at now, counts as the first successful load.
func NewReloadMetrics(reg prometheus.Registerer, now time.Time) *ReloadMetrics {
	f := promauto.With(reg)
	m := &ReloadMetrics{
		successful: f.NewGauge(prometheus.GaugeOpts{
			Name: "synthesisvr_exporter_config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful (1) or kept the previous configuration (0).",
		}),
		lastSuccess: f.NewGauge(prometheus.GaugeOpts{
			Name: "synthesisvr_exporter_config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration load, at start or by a reload.",
		}),
	}
	m.Reloaded(nil, now)
	return m
}

// Reloaded records a reload attempt at now, failed when err is not nil.
func (m *ReloadMetrics) Reloaded(err error, now time.Time) {
	if err != nil {
		m.successful.Set(0)
		return
	}
	m.successful.Set(1)
	m.lastSuccess.Set(float64(now.UnixNano()) / 1e9)
}
