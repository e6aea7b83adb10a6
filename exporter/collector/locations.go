package collector

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// Indexes of the event actions, in label order (create, delete, other).
const (
	actionCreateIdx = iota
	actionDeleteIdx
	actionOtherIdx
)

var actionLabels = [...]string{session.ActionCreate, session.ActionDelete, actionOther}

// Indexes of the end reasons, in label order (deleted, expired).
const (
	endDeleted = iota
	endExpired
)

var endLabels = [...]string{session.ReasonDeleted, session.ReasonExpired}

// actionIndex maps a create or delete to its index; the store gives a result other
// than ignored to creates and deletes only.
func actionIndex(action string) int {
	switch action {
	case session.ActionCreate:
		return actionCreateIdx
	case session.ActionDelete:
		return actionDeleteIdx
	}
	return actionOtherIdx
}

// resultIndex returns the index of an action/result pair in resultLabels, or -1.
func resultIndex(action, result string) int {
	return slices.Index(resultLabels[:], [2]string{action, result})
}

var (
	eventsFamily = newFamilyDesc("session_events_total",
		"Valid session events received by this process, by location and action (create, delete, other).",
		kindCounter, "location", "action")
	resultsFamily = newFamilyDesc("session_event_results_total",
		"Create and delete events by what they did: applied, duplicate (create of an active session), late (create after its delete), unmatched (delete of no active session).",
		kindCounter, "location", "action", "result")
	startedFamily = newFamilyDesc("sessions_started_total",
		"Sessions started by a create event received by this process.",
		kindCounter, "location")
	endedFamily = newFamilyDesc("sessions_ended_total",
		"Sessions ended by this process, by reason: deleted (a delete event) or expired (older than --session.max-age, a missed delete).",
		kindCounter, "location", "reason")
	durationFamily = newFamilyDesc("session_duration_seconds",
		"Duration of ended sessions, from create to delete or expiry.",
		kindHistogram, "location")
	stationSecondsFamily = newFamilyDesc("station_seconds_total",
		"Station time used by ended sessions: stations times duration, in seconds.",
		kindCounter, "location")
)

// locationCounters are one location's counters and duration histogram. One mutex per
// location keeps a histogram's buckets, count and sum consistent within a scrape.
type locationCounters struct {
	name    string
	label   string // name escaped as a label value
	created time.Time

	mu             sync.Mutex
	events         [len(actionLabels)]uint64
	results        [len(resultLabels)]uint64
	started        uint64
	ended          [len(endLabels)]uint64
	buckets        []uint64 // observations per bucket of DurationBuckets, not cumulative
	count          uint64
	sum            float64
	stationSeconds float64
}

// event counts one event of action index a, with its result index r (or -1).
func (c *locationCounters) event(a, r int, started bool) {
	c.mu.Lock()
	c.events[a]++
	if r >= 0 {
		c.results[r]++
	}
	if started {
		c.started++
	}
	c.mu.Unlock()
}

// end counts one ended session that lasted d seconds on stations stations.
func (c *locationCounters) end(reason int, d float64, stations int) {
	i := sort.SearchFloat64s(DurationBuckets, d) // the bucket with d <= its bound, as client_golang
	c.mu.Lock()
	c.ended[reason]++
	if i < len(c.buckets) {
		c.buckets[i]++
	}
	c.count++
	c.sum += d
	// A counter never goes down: a session ending before it started (clocks) adds nothing.
	if s := d * float64(stations); s > 0 {
		c.stationSeconds += s
	}
	c.mu.Unlock()
}

// counts is a copy of a location's counters, read under its lock.
type counts struct {
	events         [len(actionLabels)]uint64
	results        [len(resultLabels)]uint64
	started        uint64
	ended          [len(endLabels)]uint64
	cumulative     []uint64 // per bucket of DurationBuckets, cumulative
	count          uint64
	sum            float64
	stationSeconds float64
}

func (c *locationCounters) read(into *counts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	into.events, into.results, into.started, into.ended = c.events, c.results, c.started, c.ended
	into.count, into.sum, into.stationSeconds = c.count, c.sum, c.stationSeconds
	into.cumulative = into.cumulative[:0]
	var n uint64
	for _, b := range c.buckets {
		n += b
		into.cumulative = append(into.cumulative, n)
	}
}

// locationMetrics are the per-location families of Metrics. It is a prometheus.Collector
// (const metrics from its counters) and a fastCollector. Safe for concurrent use.
type locationMetrics struct {
	mu     sync.RWMutex
	byName map[string]*locationCounters
	sorted []*locationCounters // by name; nil after a location was added. Never modified.
	// le labels of the duration buckets, [0] text and [1] OpenMetrics.
	le [2][]string
}

func newLocationMetrics() *locationMetrics {
	return &locationMetrics{
		byName: map[string]*locationCounters{},
		le:     [2][]string{bucketLabels(DurationBuckets, false), bucketLabels(DurationBuckets, true)},
	}
}

// get returns the counters of loc, creating them at zero.
func (l *locationMetrics) get(loc string) *locationCounters {
	l.mu.RLock()
	c := l.byName[loc]
	l.mu.RUnlock()
	if c != nil {
		return c
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c = l.byName[loc]; c == nil {
		c = &locationCounters{name: loc, label: escapeLabel(loc), created: time.Now(), buckets: make([]uint64, len(DurationBuckets))}
		l.byName[loc] = c
		l.sorted = nil
	}
	return c
}

// list returns every location's counters, sorted by name.
func (l *locationMetrics) list() []*locationCounters {
	l.mu.RLock()
	s := l.sorted
	l.mu.RUnlock()
	if s != nil {
		return s
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sorted == nil {
		s := make([]*locationCounters, 0, len(l.byName))
		for _, c := range l.byName {
			s = append(s, c)
		}
		slices.SortFunc(s, func(a, b *locationCounters) int { return strings.Compare(a.name, b.name) })
		l.sorted = s
	}
	return l.sorted
}

// Describe implements prometheus.Collector.
func (l *locationMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range []*familyDesc{eventsFamily, resultsFamily, startedFamily, endedFamily, durationFamily, stationSecondsFamily} {
		ch <- f.desc
	}
}

// Collect implements prometheus.Collector: the registry path.
func (l *locationMetrics) Collect(ch chan<- prometheus.Metric) {
	var v counts
	for _, c := range l.list() {
		c.read(&v)
		counter := func(f *familyDesc, n float64, labels ...string) {
			ch <- prometheus.MustNewConstMetricWithCreatedTimestamp(f.desc, prometheus.CounterValue, n, c.created, labels...)
		}
		for a, n := range v.events {
			counter(eventsFamily, float64(n), c.name, actionLabels[a])
		}
		for r, n := range v.results {
			counter(resultsFamily, float64(n), c.name, resultLabels[r][0], resultLabels[r][1])
		}
		counter(startedFamily, float64(v.started), c.name)
		for r, n := range v.ended {
			counter(endedFamily, float64(n), c.name, endLabels[r])
		}
		buckets := make(map[float64]uint64, len(DurationBuckets))
		for i, ub := range DurationBuckets {
			buckets[ub] = v.cumulative[i]
		}
		ch <- prometheus.MustNewConstHistogramWithCreatedTimestamp(durationFamily.desc, v.count, v.sum, buckets, c.created, c.name)
		counter(stationSecondsFamily, v.stationSeconds, c.name)
	}
}

// appendFamilies implements fastCollector. Series come in the registry's order:
// sorted by the label values taken in the order of the sorted label names.
func (l *locationMetrics) appendFamilies(fams []family) []family {
	locs := l.list()
	if len(locs) == 0 {
		return fams
	}
	all := make([]counts, len(locs))
	nb := len(DurationBuckets)
	cumulative := make([]uint64, len(locs)*nb) // one allocation for all the histograms
	for i, c := range locs {
		all[i].cumulative = cumulative[i*nb : i*nb : (i+1)*nb]
		c.read(&all[i])
	}
	name := func(f *familyDesc, w func(e *encoder)) family {
		return family{name: f.name, write: func(e *encoder) { e.header(f); w(e) }}
	}
	return append(fams,
		name(eventsFamily, func(e *encoder) { // labels action, location
			for a, action := range actionLabels {
				for i, c := range locs {
					e.float(float64(all[i].events[a]), eventsFamily.name, `{action="`, action, `",location="`, c.label, `"}`)
				}
			}
		}),
		name(resultsFamily, func(e *encoder) { // labels action, location, result
			for _, action := range actionLabels[:2] {
				for i, c := range locs {
					for r, ar := range resultLabels {
						if ar[0] == action {
							e.float(float64(all[i].results[r]), resultsFamily.name, `{action="`, action, `",location="`, c.label, `",result="`, ar[1], `"}`)
						}
					}
				}
			}
		}),
		name(startedFamily, func(e *encoder) {
			for i, c := range locs {
				e.float(float64(all[i].started), startedFamily.name, `{location="`, c.label, `"}`)
			}
		}),
		name(endedFamily, func(e *encoder) { // labels location, reason
			for i, c := range locs {
				for r, reason := range endLabels {
					e.float(float64(all[i].ended[r]), endedFamily.name, `{location="`, c.label, `",reason="`, reason, `"}`)
				}
			}
		}),
		name(durationFamily, func(e *encoder) { l.writeDurations(e, locs, all) }),
		name(stationSecondsFamily, func(e *encoder) {
			for i, c := range locs {
				e.float(all[i].stationSeconds, stationSecondsFamily.name, `{location="`, c.label, `"}`)
			}
		}),
	)
}

func (l *locationMetrics) writeDurations(e *encoder, locs []*locationCounters, all []counts) {
	le := l.le[0]
	if e.om {
		le = l.le[1]
	}
	const name = "synthesisvr_session_duration_seconds"
	for i, c := range locs {
		v := &all[i]
		for b, n := range v.cumulative {
			e.count(n, name, `_bucket{location="`, c.label, `"`, le[b])
		}
		e.count(v.count, name, `_bucket{location="`, c.label, `"`, le[len(le)-1])
		e.float(v.sum, name, `_sum{location="`, c.label, `"}`)
		e.count(v.count, name, `_count{location="`, c.label, `"}`)
	}
}
