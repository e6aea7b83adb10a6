package main

import (
	"context"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/config"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/lookup"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/synthesisvrapi"
)

// apiErrorReasons are pre-set on synthesisvr_api_errors_total.
var apiErrorReasons = []string{
	synthesisvrapi.ReasonNetwork, synthesisvrapi.ReasonTimeout, synthesisvrapi.ReasonStatus,
	synthesisvrapi.ReasonHTML, synthesisvrapi.ReasonNotJSON, synthesisvrapi.ReasonAPIError,
	synthesisvrapi.ReasonNoSessions, synthesisvrapi.ReasonNotFound,
}

// newLookup wires the lookup worker on the store's schedules, unless the store
// keeps none. Schedule changes go to the store itself, not through the health
// wrapper: a failed one is retried by the worker and does not turn readiness.
func (a *app) newLookup(raw session.Store, cfg *config.Config) {
	a.apiMetrics = collector.NewAPIMetrics(a.registry, apiErrorReasons)
	sc, ok := raw.(session.Scheduler)
	if !ok {
		return
	}
	a.scheduler = sc
	a.lookup = &lookup.Worker{
		Store: sc, Rec: a.apiMetrics, Logger: a.logger.With("component", "lookup"),
		Outcomes: a.ended, Now: time.Now,
	}
	a.lookup.SetSettings(a.lookupSettings(cfg))
	a.expirer.Advance = sc.Advance
	// A session starts and finishes at most this late: expiry runs as often,
	// which costs a read of the due sessions.
	a.expirer.Every = min(a.expirer.Every, session.AdvanceInterval)
}

// lookupSettings builds the worker's settings from cfg; a location whose time
// zone does not load (validated already) reads the API's times in UTC.
func (a *app) lookupSettings(cfg *config.Config) *lookup.Settings {
	api := cfg.APISettings()
	s := &lookup.Settings{
		Client: synthesisvrapi.New(synthesisvrapi.Options{
			URL: api.URL, LookupRange: api.LookupRange, Timeout: api.Timeout,
			MaxRequestsPerSecond: api.MaxRequestsPerSecond, TracerProvider: a.tracer,
		}),
		Locations:    map[string]lookup.Location{},
		PollInterval: api.PollInterval,
	}
	for _, l := range cfg.Locations {
		if l.APIKey == "" {
			continue
		}
		tz := time.UTC
		if l.Timezone != "" {
			if z, err := time.LoadLocation(l.Timezone); err == nil {
				tz = z
			}
		}
		s.Locations[l.Name] = lookup.Location{Name: l.Name, Key: l.APIKey, TZ: tz}
		a.apiMetrics.InitLocation(l.Name)
	}
	return s
}

// keyed returns the locations whose creates wait for a lookup: those with a key,
// when the store keeps schedules.
func (a *app) keyed(cfg *config.Config) map[string]bool {
	out := map[string]bool{}
	if a.scheduler == nil {
		return out
	}
	for _, l := range cfg.Locations {
		if l.APIKey != "" {
			out[l.Name] = true
		}
	}
	return out
}

func (a *app) runLookup(ctx context.Context) {
	if a.lookup != nil {
		a.lookup.Run(ctx)
	}
}
