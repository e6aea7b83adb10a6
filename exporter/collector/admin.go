package collector

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// ForgetLocation deletes every series of a location that an operator removed,
// so that it leaves the dashboards' location list; an event naming it again
// brings it back at zero.
func (m *Metrics) ForgetLocation(loc string) {
	m.locations.Delete(loc)
	match := prometheus.Labels{"location": loc}
	for _, v := range []*prometheus.CounterVec{m.events, m.results, m.started, m.ended, m.stationSeconds,
		m.schedule.cancelled, m.schedule.revenue, m.schedule.experience, m.schedule.experienceRevenue, m.schedule.reconciled} {
		v.DeletePartialMatch(match)
	}
	m.duration.DeletePartialMatch(match)
}

// known reports whether loc's counters are set.
func (m *Metrics) known(loc string) bool {
	_, ok := m.locations.Load(loc)
	return ok
}

// Forget stops exporting every series of a location that an operator removed
// from the store: its counters, and its gauges, which the collector would
// otherwise keep at 0 as it does for a store that lost its state. OnForget, when
// set, is told. The other replicas sharing the store learn it from
// Forgotten at their next scrape, which drops the gauges at once and the
// counters from the scrape after (the registry gathers them beside it).
func (c *Collector) Forget(loc string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgetLocked(loc)
}

func (c *Collector) forgetLocked(loc string) {
	// The counters first: keepExported takes their locations back.
	c.metrics.ForgetLocation(loc)
	delete(c.exported, loc)
	if c.OnForget != nil {
		c.OnForget(loc)
	}
}

// Forget deletes the counter of a location that an operator removed.
func (u *UnknownLocations) Forget(loc string) {
	u.events.DeletePartialMatch(prometheus.Labels{"location": loc})
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.seen, loc)
}

// AdminMetrics count the admin API's requests. Safe for concurrent use.
type AdminMetrics struct {
	requests *prometheus.CounterVec
}

// NewAdminMetrics registers the admin API's counter on reg, with the answers
// each operation gives most pre-set to zero.
func NewAdminMetrics(reg prometheus.Registerer, preset map[string][]int) *AdminMetrics {
	m := &AdminMetrics{requests: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "admin_requests_total",
		Help: "Admin API requests answered, by operation and HTTP status code.",
	}, []string{"operation", "code"})}
	for op, codes := range preset {
		for _, code := range codes {
			m.requests.WithLabelValues(op, strconv.Itoa(code))
		}
	}
	return m
}

// Request counts one answered admin request.
func (m *AdminMetrics) Request(operation string, code int) {
	m.requests.WithLabelValues(operation, strconv.Itoa(code)).Inc()
}
