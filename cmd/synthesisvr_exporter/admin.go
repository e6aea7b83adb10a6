package main

import (
	"context"
	"slices"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/admin"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// startAdmin builds the admin API with --web.enable-admin-api; its counter is
// registered only then.
func (a *app) startAdmin() {
	if !a.f.adminAPI {
		return
	}
	a.admin = admin.New(admin.Options{
		Store:      a.store,
		Ended:      func(_ context.Context, out []session.Outcome) { a.ended(out) },
		Forgotten:  a.collector.Forget,
		Configured: a.isConfigured,
		Recorder:   collector.NewAdminMetrics(a.registry, admin.Codes),
		Backup:     a.backup,
		Spans:      a.spans,
		Logger:     a.logger,
	})
	if !a.f.basicAuth {
		a.logger.Warn("The admin API is on without basic auth: whoever reaches --web.listen-address can end sessions and forget locations. Set users in --web.config.file, or keep that address private",
			"path", admin.Prefix)
		return
	}
	a.logger.Info("The admin API is on, behind basic auth", "path", admin.Prefix)
}

// isConfigured reports whether the configuration in force lists loc.
func (a *app) isConfigured(loc string) bool {
	return slices.ContainsFunc(a.configuredLocations(), func(l collector.Location) bool { return l.Name == loc })
}
