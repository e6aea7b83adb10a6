package collector

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// OtherExperience is the experience label past limits.max_experiences.
const OtherExperience = "_other"

// scheduleMetrics are the counters of sessions with a known schedule.
type scheduleMetrics struct {
	cancelled  *prometheus.CounterVec
	revenue    *prometheus.CounterVec
	experience *prometheus.CounterVec
	// experienceRevenue is revenue by experience, labelled as experience is.
	experienceRevenue *prometheus.CounterVec
	reconciled        *prometheus.CounterVec

	mu             sync.Mutex
	maxExperiences int
	experiences    map[string]bool // experience labels in use
}

func newScheduleMetrics(counter func(name, help string, labels ...string) *prometheus.CounterVec) scheduleMetrics {
	return scheduleMetrics{
		cancelled: counter("bookings_cancelled_total",
			"Booked sessions deleted before their scheduled start (locations with an API key); they are not counted as started or ended.",
			"location"),
		revenue: counter("session_revenue_total",
			"Sum of the cost of sessions whose play began, in the venue's currency, from SynthesisVR's sessions API.",
			"location"),
		experience: counter("experience_sessions_started_total",
			"Sessions whose play began, by experience from SynthesisVR's sessions API; experiences past limits.max_experiences are counted as \"_other\".",
			"location", "experience"),
		experienceRevenue: counter("experience_revenue_total",
			"Sum of the cost of sessions whose play began, in the venue's currency, by experience from SynthesisVR's sessions API; experiences past limits.max_experiences are counted as \"_other\".",
			"location", "experience"),
		reconciled: counter("sessions_reconciled_total",
			"Sessions that SynthesisVR's sessions API listed but no webhook brought, taken in by this process's poll.",
			"location"),
		maxExperiences: 50,
		experiences:    map[string]bool{},
	}
}

func (s *scheduleMetrics) initLocation(loc string) {
	s.cancelled.WithLabelValues(loc)
	s.revenue.WithLabelValues(loc)
	s.reconciled.WithLabelValues(loc)
}

// experienceLabel bounds the experience label values.
func (s *scheduleMetrics) experienceLabel(e string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.experiences[e] {
		return e
	}
	if len(s.experiences) >= s.maxExperiences {
		return OtherExperience
	}
	s.experiences[e] = true
	return e
}

// SetMaxExperiences sets limits.max_experiences; labels already in use stay.
func (m *Metrics) SetMaxExperiences(n int) {
	m.schedule.mu.Lock()
	defer m.schedule.mu.Unlock()
	if n > 0 {
		m.schedule.maxExperiences = n
	}
}

// presetExperience sets the experience counters of a session whose schedule is
// known before its play begins (a booking looked up or polled) at 0: a counter series
// born at its first increment loses that increment to increase() and rate(), so
// without it an experience's first session would be missing from its rates.
func (m *Metrics) presetExperience(o session.Outcome) {
	sc := o.Session.Schedule
	if !sc.Known() || o.Session.Phase != session.PhaseBooked {
		return
	}
	loc := o.Session.Location
	if loc == "" {
		loc = o.Change.Location
	}
	exp := m.schedule.experienceLabel(sc.Experience)
	m.schedule.experience.WithLabelValues(loc, exp)
	m.schedule.experienceRevenue.WithLabelValues(loc, exp)
}

// start counts a session's start, once per session (session.Outcome.Started):
// with its revenue and experience, and the revenue of its experience, when its
// schedule is known.
func (m *Metrics) start(o session.Outcome) {
	loc := o.Session.Location
	if loc == "" {
		loc = o.Change.Location
	}
	m.InitLocation(loc)
	m.started.WithLabelValues(loc).Inc()
	sc := o.Session.Schedule
	if !sc.Known() {
		return
	}
	exp := m.schedule.experienceLabel(sc.Experience)
	m.schedule.experience.WithLabelValues(loc, exp).Inc()
	// Set at 0 for a free session too, so that an experience has its revenue series
	// from its first session on.
	revenue := m.schedule.experienceRevenue.WithLabelValues(loc, exp)
	if sc.Cost > 0 {
		m.schedule.revenue.WithLabelValues(loc).Add(sc.Cost)
		revenue.Add(sc.Cost)
	}
}
