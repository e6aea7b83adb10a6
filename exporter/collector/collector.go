package collector

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// The session gauges, built from the store at every scrape.
var (
	activeDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "sessions_active"),
		"Sessions active now, by location: created and not yet deleted or expired.",
		[]string{"location"}, nil)
	stationsDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "stations_active"),
		"Stations in use by active sessions, by location.",
		[]string{"location"}, nil)
	bookedDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "sessions_booked"),
		"Sessions booked, by location: known from SynthesisVR's sessions API, their scheduled start still ahead (not counted as active).",
		[]string{"location"}, nil)
	lastEventDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "last_event_timestamp_seconds"),
		"Unix time the newest event from this location was received.",
		[]string{"location"}, nil)
	openDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "location_open"),
		"Whether the location is open now by its configured opening hours (1) or closed (0); configured locations only.",
		[]string{"location"}, nil)
	capacityDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "location_stations"),
		"VR stations the location has, from locations[].stations in the configuration: its capacity, against which synthesisvr_stations_active gives utilization; configured locations that set stations only.",
		[]string{"location"}, nil)
	utcOffsetDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "location_utc_offset_seconds"),
		"Offset of the location's local time east of UTC now, in seconds, daylight saving included, from its configured timezone (0 without one): adding it to time() gives the location's wall clock, e.g. for its hour of the week; configured locations only.",
		[]string{"location"}, nil)
	storeUpDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "store_up"),
		"Whether the session store answered this scrape (1) or not (0); without it, session gauges are missing.",
		nil, nil)
)

// LocationLister is the part of a session.Store the collector reads.
// It must be safe for concurrent use.
type LocationLister interface {
	Locations(ctx context.Context) (map[string]session.LocationStats, error)
	// Forgotten names the locations an operator forgot, through this process or
	// another one sharing the store.
	Forgotten(ctx context.Context) ([]string, error)
}

// Schedule says when a location is open; an *openinghours.Schedule is one. It must be
// safe for concurrent use.
type Schedule interface {
	Open(t time.Time) bool
}

// Location is a location named in the configuration: it is exported with zero
// sessions before it sends anything, with whether it is open now, its station count
// and its offset from UTC.
type Location struct {
	Name string
	// Hours says when the location is open; nil leaves synthesisvr_location_open out.
	Hours Schedule
	// Stations is how many stations the location has; 0 (not configured) leaves
	// synthesisvr_location_stations out.
	Stations int
	// Zone is the location's time zone, for synthesisvr_location_utc_offset_seconds;
	// nil is UTC.
	Zone *time.Location
}

// Collector builds the session gauges from the store, and the opening state, station
// count and UTC offset of the configured locations from the configuration, at every
// scrape.
type Collector struct {
	store   LocationLister
	metrics *Metrics
	// configured returns the locations of the configuration in force; it must be safe
	// for concurrent use, since a reload may swap them during a scrape.
	configured func() []Location
	now        func() time.Time
	timeout    time.Duration
	logger     *slog.Logger
	// OnForget, when set before use, is told about every location forgotten
	// (Forget, or another replica's forget), for series kept elsewhere.
	OnForget func(location string)

	// exported holds every location this collector exported, but those an
	// operator forgot: bounded by the store's limits.max_locations, as the
	// store's own locations are. mu also orders a scrape's read of the store.
	mu       sync.Mutex
	exported map[string]struct{}
}

// New returns a collector reading store, counting read failures on metrics.
func New(store LocationLister, metrics *Metrics, configured func() []Location, logger *slog.Logger) *Collector {
	return &Collector{store: store, metrics: metrics, configured: configured, now: time.Now, timeout: 5 * time.Second, logger: logger,
		exported: map[string]struct{}{}}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{activeDesc, stationsDesc, bookedDesc, lastEventDesc, openDesc, capacityDesc, utcOffsetDesc, storeUpDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. The gauges of the configuration (opening
// state, stations, UTC offset) do not need the store, so they are exported while the
// store is down too.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	configured := c.configured()
	collectConfigured(ch, configured, c.now())
	// The store's read and the memory of exported locations change together, so
	// that a location forgotten meanwhile (Forget) is not remembered again from a
	// read made before it was forgotten.
	c.mu.Lock()
	defer c.mu.Unlock()
	locs, err := c.read()
	if err != nil {
		c.metrics.StoreError(OpRead)
		c.logger.Error("Reading sessions from the store for a scrape failed", "err", err)
		ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, 1)
	for _, l := range configured {
		if _, ok := locs[l.Name]; !ok {
			locs[l.Name] = session.LocationStats{}
		}
	}
	c.keepExported(locs)
	for name, s := range locs {
		ch <- prometheus.MustNewConstMetric(activeDesc, prometheus.GaugeValue, float64(s.Active), name)
		ch <- prometheus.MustNewConstMetric(stationsDesc, prometheus.GaugeValue, float64(s.Stations), name)
		ch <- prometheus.MustNewConstMetric(bookedDesc, prometheus.GaugeValue, float64(s.Booked), name)
		if !s.LastEvent.IsZero() {
			ch <- prometheus.MustNewConstMetric(lastEventDesc, prometheus.GaugeValue, float64(s.LastEvent.UnixNano())/1e9, name)
		}
	}
}

// collectConfigured sends the gauges of the configured locations, as of now. A name
// configured twice is sent once, from its first entry: a repeated series would fail
// the scrape.
func collectConfigured(ch chan<- prometheus.Metric, configured []Location, now time.Time) {
	seen := make(map[string]bool, len(configured))
	for _, l := range configured {
		if seen[l.Name] {
			continue
		}
		seen[l.Name] = true
		if l.Hours != nil {
			open := 0.0
			if l.Hours.Open(now) {
				open = 1
			}
			ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, open, l.Name)
		}
		if l.Stations > 0 {
			ch <- prometheus.MustNewConstMetric(capacityDesc, prometheus.GaugeValue, float64(l.Stations), l.Name)
		}
		zone := l.Zone
		if zone == nil {
			zone = time.UTC
		}
		_, offset := now.In(zone).Zone()
		ch <- prometheus.MustNewConstMetric(utcOffsetDesc, prometheus.GaugeValue, float64(offset), l.Name)
	}
}

// keepExported adds a zero entry to locs for every location exported before and
// missing now, and remembers locs: when the store loses its state (a Redis that
// came back empty), the location series read 0 instead of vanishing, which would
// keep "== 0" alerts quiet. Locations with counters set (seen in events) count as
// exported too.
func (c *Collector) keepExported(locs map[string]session.LocationStats) {
	for _, name := range c.metrics.Locations() {
		c.exported[name] = struct{}{}
	}
	for name := range c.exported {
		if _, ok := locs[name]; !ok {
			locs[name] = session.LocationStats{}
		}
	}
	for name := range locs {
		c.exported[name] = struct{}{}
	}
}

// read reads the store for one scrape, within the collector's timeout, and
// forgets the locations an operator forgot through another replica. c.mu is held.
func (c *Collector) read() (map[string]session.LocationStats, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	locs, err := c.store.Locations(ctx)
	if err != nil {
		return nil, err
	}
	gone, err := c.store.Forgotten(ctx)
	if err != nil {
		return nil, err
	}
	for _, name := range gone {
		// Read after the locations: a location in both was forgotten between
		// the two reads.
		delete(locs, name)
		if _, ok := c.exported[name]; ok || c.metrics.known(name) {
			c.forgetLocked(name)
		}
	}
	return locs, nil
}
