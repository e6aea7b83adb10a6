package collector

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

var (
	activeDesc = prometheus.NewDesc(
		prometheus.BuildFQName(namespace, "", "sessions_active"),
		"Sessions active now, by location: created and not yet deleted or expired.",
		[]string{"location"}, nil)
	stationsDesc = prometheus.NewDesc(
		prometheus.BuildFQName(namespace, "", "stations_active"),
		"Stations in use by active sessions, by location.",
		[]string{"location"}, nil)
	lastEventDesc = prometheus.NewDesc(
		prometheus.BuildFQName(namespace, "", "last_event_timestamp_seconds"),
		"Unix time the newest event from this location was received.",
		[]string{"location"}, nil)
	storeUpDesc = prometheus.NewDesc(
		prometheus.BuildFQName(namespace, "", "store_up"),
		"Whether the session store answered this scrape (1) or not (0); without it, session gauges are missing.",
		nil, nil)
)

// LocationLister is the part of a session.Store the collector reads.
// It must be safe for concurrent use.
type LocationLister interface {
	Locations(ctx context.Context) (map[string]session.LocationStats, error)
}

// Collector builds the session gauges from the store at every scrape.
type Collector struct {
	store   LocationLister
	metrics *Metrics
	// configured returns the locations named in the configuration, which are
	// exported with zero sessions before they send anything.
	configured func() []string
	timeout    time.Duration
	logger     *slog.Logger
}

// New returns a collector reading store, counting read failures on metrics.
func New(store LocationLister, metrics *Metrics, configured func() []string, logger *slog.Logger) *Collector {
	return &Collector{store: store, metrics: metrics, configured: configured, timeout: 5 * time.Second, logger: logger}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- activeDesc
	ch <- stationsDesc
	ch <- lastEventDesc
	ch <- storeUpDesc
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	locs, err := c.store.Locations(ctx)
	if err != nil {
		c.metrics.StoreError(OpRead)
		c.logger.Error("Reading sessions from the store for a scrape failed", "err", err)
		ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, 1)
	for _, name := range c.configured() {
		if _, ok := locs[name]; !ok {
			locs[name] = session.LocationStats{}
		}
	}
	for name, l := range locs {
		ch <- prometheus.MustNewConstMetric(activeDesc, prometheus.GaugeValue, float64(l.Active), name)
		ch <- prometheus.MustNewConstMetric(stationsDesc, prometheus.GaugeValue, float64(l.Stations), name)
		if !l.LastEvent.IsZero() {
			ch <- prometheus.MustNewConstMetric(lastEventDesc, prometheus.GaugeValue, float64(l.LastEvent.UnixNano())/1e9, name)
		}
	}
}
