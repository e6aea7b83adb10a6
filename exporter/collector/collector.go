package collector

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

var (
	activeFamily = newFamilyDesc("sessions_active",
		"Sessions active now, by location: created and not yet deleted or expired.",
		kindGauge, "location")
	stationsFamily = newFamilyDesc("stations_active",
		"Stations in use by active sessions, by location.",
		kindGauge, "location")
	lastEventFamily = newFamilyDesc("last_event_timestamp_seconds",
		"Unix time the newest event from this location was received.",
		kindGauge, "location")
	openFamily = newFamilyDesc("location_open",
		"Whether the location is open now by its configured opening hours (1) or closed (0); configured locations only.",
		kindGauge, "location")
	storeUpFamily = newFamilyDesc("store_up",
		"Whether the session store answered this scrape (1) or not (0); without it, session gauges are missing.",
		kindGauge)
)

// LocationLister is the part of a session.Store the collector reads.
// It must be safe for concurrent use.
type LocationLister interface {
	Locations(ctx context.Context) (map[string]session.LocationStats, error)
}

// Schedule says when a location is open; an *openinghours.Schedule is one. It must be
// safe for concurrent use.
type Schedule interface {
	Open(t time.Time) bool
}

// Location is a location named in the configuration: it is exported with zero
// sessions before it sends anything, and with whether it is open now.
type Location struct {
	Name string
	// Hours says when the location is open; nil leaves synthesisvr_location_open out.
	Hours Schedule
}

// Collector builds the session gauges from the store, and the opening state of the
// configured locations from their hours, at every scrape.
type Collector struct {
	store   LocationLister
	metrics *Metrics
	// configured returns the locations of the configuration in force; it must be safe
	// for concurrent use, since a reload may swap them during a scrape.
	configured func() []Location
	now        func() time.Time
	timeout    time.Duration
	logger     *slog.Logger
}

// New returns a collector reading store, counting read failures on metrics.
func New(store LocationLister, metrics *Metrics, configured func() []Location, logger *slog.Logger) *Collector {
	return &Collector{store: store, metrics: metrics, configured: configured, now: time.Now, timeout: 5 * time.Second, logger: logger}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range []*familyDesc{activeFamily, stationsFamily, lastEventFamily, openFamily, storeUpFamily} {
		ch <- f.desc
	}
}

// Collect implements prometheus.Collector: the registry path.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	r := c.read()
	for _, l := range r.open {
		ch <- prometheus.MustNewConstMetric(openFamily.desc, prometheus.GaugeValue, l.open, l.name)
	}
	ch <- prometheus.MustNewConstMetric(storeUpFamily.desc, prometheus.GaugeValue, r.up)
	for _, l := range r.locs {
		ch <- prometheus.MustNewConstMetric(activeFamily.desc, prometheus.GaugeValue, float64(l.stats.Active), l.name)
		ch <- prometheus.MustNewConstMetric(stationsFamily.desc, prometheus.GaugeValue, float64(l.stats.Stations), l.name)
		if !l.stats.LastEvent.IsZero() {
			ch <- prometheus.MustNewConstMetric(lastEventFamily.desc, prometheus.GaugeValue, lastEvent(l.stats), l.name)
		}
	}
}

func lastEvent(s session.LocationStats) float64 { return float64(s.LastEvent.UnixNano()) / 1e9 }

// locationState is one location as read for a scrape.
type locationState struct {
	name, label string
	stats       session.LocationStats
	open        float64
}

// reading is what one scrape read: the opening state of the configured locations
// with hours, whether the store answered, and the locations it knows with the
// configured ones added at zero. Both lists are sorted by name.
type reading struct {
	open []locationState
	up   float64
	locs []locationState
}

// read reads the store and the clock for one scrape. The opening state does not need
// the store, so it is read when the store is down too.
func (c *Collector) read() reading {
	configured := c.configured()
	var r reading
	now := c.now()
	for _, l := range configured {
		if l.Hours == nil {
			continue
		}
		v := 0.0
		if l.Hours.Open(now) {
			v = 1
		}
		r.open = append(r.open, locationState{name: l.Name, open: v})
	}
	r.open = sortStates(r.open)
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	locs, err := c.store.Locations(ctx)
	if err != nil {
		c.metrics.StoreError(OpRead)
		c.logger.Error("Reading sessions from the store for a scrape failed", "err", err)
		return r
	}
	r.up = 1
	for _, l := range configured {
		if _, ok := locs[l.Name]; !ok {
			locs[l.Name] = session.LocationStats{}
		}
	}
	// Sorting the names alone moves far fewer bytes than sorting the states.
	names := make([]string, 0, len(locs))
	for name := range locs {
		names = append(names, name)
	}
	slices.Sort(names)
	r.locs = make([]locationState, len(names))
	for i, name := range names {
		r.locs[i] = locationState{name: name, label: escapeLabel(name), stats: locs[name]}
	}
	return r
}

// sortStates sorts locations by name, drops a repeated name (a registry would fail
// the scrape on it) and escapes the names as label values.
func sortStates(s []locationState) []locationState {
	slices.SortFunc(s, func(a, b locationState) int { return strings.Compare(a.name, b.name) })
	s = slices.CompactFunc(s, func(a, b locationState) bool { return a.name == b.name })
	for i := range s {
		s[i].label = escapeLabel(s[i].name)
	}
	return s
}

// appendFamilies implements fastCollector.
func (c *Collector) appendFamilies(fams []family) []family {
	r := c.read()
	gauge := func(f *familyDesc, locs []locationState, value func(locationState) (float64, bool)) {
		fams = append(fams, family{name: f.name, write: func(e *encoder) {
			e.header(f)
			for _, l := range locs {
				if v, ok := value(l); ok {
					e.float(v, f.name, `{location="`, l.label, `"}`)
				}
			}
		}})
	}
	if len(r.open) > 0 {
		gauge(openFamily, r.open, func(l locationState) (float64, bool) { return l.open, true })
	}
	fams = append(fams, family{name: storeUpFamily.name, write: func(e *encoder) {
		e.header(storeUpFamily)
		e.float(r.up, storeUpFamily.name)
	}})
	if len(r.locs) == 0 {
		return fams
	}
	gauge(activeFamily, r.locs, func(l locationState) (float64, bool) { return float64(l.stats.Active), true })
	gauge(stationsFamily, r.locs, func(l locationState) (float64, bool) { return float64(l.stats.Stations), true })
	if slices.ContainsFunc(r.locs, func(l locationState) bool { return !l.stats.LastEvent.IsZero() }) {
		gauge(lastEventFamily, r.locs, func(l locationState) (float64, bool) { return lastEvent(l.stats), !l.stats.LastEvent.IsZero() })
	}
	return fams
}
