package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReloadAndUnknownLocationMetrics: a failed reload shows in the metrics an
// alert reads, and events for a title the config does not name are counted and
// logged once.
func TestReloadAndUnknownLocationMetrics(t *testing.T) {
	const token = "e2eLossMetricsToken-0123456789"
	cfg := filepath.Join(t.TempDir(), "config.yml")
	good := "locations:\n  - name: Downtown\n    timezone: Europe/Sofia\n"
	writeFile(t, cfg, good)
	p := startExporter(t, options{config: cfg, env: []string{envToken + "=" + token}})
	m := scrape(t, p.base)
	m.want(t, 1, "synthesisvr_exporter_config_last_reload_successful")
	started, _ := m.value("synthesisvr_exporter_config_last_reload_success_timestamp_seconds")
	if started <= 0 {
		t.Fatalf("last reload success timestamp %v at start, want the start time", started)
	}

	writeFile(t, cfg, "locations: [\n")
	p.signal(syscall.SIGHUP)
	p.waitLog("Reloading the configuration failed", 1)
	m = scrape(t, p.base)
	m.want(t, 0, "synthesisvr_exporter_config_last_reload_successful")
	m.want(t, started, "synthesisvr_exporter_config_last_reload_success_timestamp_seconds")

	writeFile(t, cfg, good)
	p.signal(syscall.SIGHUP)
	p.waitLog("Configuration reloaded", 1)
	m = scrape(t, p.base)
	m.want(t, 1, "synthesisvr_exporter_config_last_reload_successful")
	if again, _ := m.value("synthesisvr_exporter_config_last_reload_success_timestamp_seconds"); again <= started {
		t.Errorf("last reload success timestamp %v after a good reload, want past %v", again, started)
	}

	url := p.webhookURL(token)
	wantCounts(t, postEvents(t, url, "["+createEvent("u-1", "Downtown", 1)+","+createEvent("u-2", "Downtwon", 1)+"]"),
		counts{Received: 2, Applied: 2})
	wantCounts(t, postEvents(t, url, "["+createEvent("u-3", "Downtwon", 1)+"]"), counts{Received: 1, Applied: 1})
	m = scrape(t, p.base)
	m.want(t, 2, "synthesisvr_unknown_location_events_total", "location", "Downtwon")
	if _, ok := m.value("synthesisvr_unknown_location_events_total", "location", "Downtown"); ok {
		t.Error("the configured location is counted as unknown")
	}
	if n := strings.Count(p.log.String(), "location=Downtwon"); n != 1 {
		t.Errorf("the unknown title is logged %d times, want once:\n%s", n, p.log.String())
	}
}
