package collector

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// Applier is the part of a session.Store that takes webhook events. It must be
// safe for concurrent use.
type Applier interface {
	Apply(ctx context.Context, b session.Batch) ([]session.Outcome, error)
}

// UnknownLocations counts events whose location the config does not name while
// it names some: a title in SynthesisVR that differs from locations[].name leaves
// the configured location silent, and its alerts point at the wrong cause. Each
// such title is logged once. Safe for concurrent use.
type UnknownLocations struct {
	events *prometheus.CounterVec
	logger *slog.Logger

	mu   sync.Mutex
	seen map[string]bool
}

// NewUnknownLocations registers the counter on reg.
func NewUnknownLocations(reg prometheus.Registerer, logger *slog.Logger) *UnknownLocations {
	return &UnknownLocations{
		events: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: "synthesisvr_unknown_location_events_total",
			Help: "Webhook events taken for a location the config names neither under locations nor in a webhook, while it names others: a location title that differs from the configured name. Titles past limits.max_locations count under _overflow.",
		}, []string{"location"}),
		logger: logger,
		seen:   map[string]bool{},
	}
}

// Watch returns store, checking the locations of every batch it takes (applied
// or spooled) against the batch's Exempt set, which holds exactly the names the
// config gives.
func (u *UnknownLocations) Watch(store Applier) Applier { return watched{store, u} }

type watched struct {
	Applier
	u *UnknownLocations
}

// Apply implements Applier.
func (w watched) Apply(ctx context.Context, b session.Batch) ([]session.Outcome, error) {
	out, err := w.Applier.Apply(ctx, b)
	if err == nil || errors.Is(err, session.ErrSpooled) {
		w.u.check(b)
	}
	return out, err
}

func (u *UnknownLocations) check(b session.Batch) {
	if len(b.Exempt) == 0 {
		return // no configured locations: every title is welcome
	}
	for _, c := range b.Changes {
		if !b.Exempt[c.Location] {
			u.count(c.Location, b)
		}
	}
}

// count counts one event of an unknown title; the labels stay within
// limits.max_locations, as the session labels do.
func (u *UnknownLocations) count(title string, b session.Batch) {
	u.mu.Lock()
	label := title
	if !u.seen[title] {
		if b.MaxLocations > 0 && len(u.seen) >= b.MaxLocations {
			label = session.OverflowLocation
		} else {
			u.seen[title] = true
			u.logger.Warn("Webhook events for a location the config does not name: if it is one of the configured locations under another title, make the names match or bind its webhook to the location",
				"location", title, "configured", slices.Sorted(maps.Keys(b.Exempt)))
		}
	}
	u.mu.Unlock()
	u.events.WithLabelValues(label).Inc()
}
