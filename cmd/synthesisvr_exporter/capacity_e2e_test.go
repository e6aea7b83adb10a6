package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	mCapacity  = "synthesisvr_location_stations"
	mUTCOffset = "synthesisvr_location_utc_offset_seconds"
)

// capacityConfig is a config of three locations; each argument is the rest of a
// location's entry after its name (e.g. "    stations: 12\n").
func capacityConfig(downtown, mall, plain string) string {
	return "locations:\n" +
		"  - name: Downtown\n" + downtown +
		"  - name: Mall\n" + mall +
		"  - name: Plain\n" + plain
}

// TestStationsAndUTCOffsetFollowTheConfig: the station counts and UTC offsets of the
// configured locations are exported from the config file, follow reloads by SIGHUP and
// by POST /-/reload (a count changed, set, removed; a timezone changed), and a count
// out of range is refused at its line, at a reload and at the start.
func TestStationsAndUTCOffsetFollowTheConfig(t *testing.T) {
	const token = "e2eCapacityToken-0123456789"
	cfg := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfg, capacityConfig("    timezone: Europe/Sofia\n    stations: 12\n", "    timezone: America/New_York\n", ""))
	p := startExporter(t, options{config: cfg, args: []string{"--web.enable-lifecycle"}, env: []string{envToken + "=" + token}})

	wantCounts(t, postEvents(t, p.webhookURL(token), "["+createEvent("cap-1", "Downtown", 3)+"]"), counts{Received: 1, Applied: 1})
	m := wantOffsets(t, p, map[string]string{"Downtown": "Europe/Sofia", "Mall": "America/New_York", "Plain": "UTC"})
	m.want(t, 12, mCapacity, "location", "Downtown")
	m.want(t, 3, mStations, "location", "Downtown") // in use, beside the capacity
	wantNoCapacity(t, m, "Mall", "Plain")

	// SIGHUP: Downtown's count changes, Mall gets one, Mall's timezone changes.
	writeFile(t, cfg, capacityConfig("    timezone: Europe/Sofia\n    stations: 14\n", "    timezone: Asia/Kolkata\n    stations: 6\n", ""))
	p.signal(syscall.SIGHUP)
	p.waitLog("Configuration reloaded", 1)
	m = wantOffsets(t, p, map[string]string{"Downtown": "Europe/Sofia", "Mall": "Asia/Kolkata", "Plain": "UTC"})
	m.want(t, 14, mCapacity, "location", "Downtown")
	m.want(t, 6, mCapacity, "location", "Mall")
	m.want(t, 19800, mUTCOffset, "location", "Mall") // India keeps +05:30 all year
	wantNoCapacity(t, m, "Plain")

	// POST /-/reload: Downtown's count is removed, Plain is no longer configured.
	good := "locations:\n  - name: Downtown\n    timezone: Europe/Sofia\n  - name: Mall\n    timezone: Asia/Kolkata\n    stations: 6\n"
	writeFile(t, cfg, good)
	if r := post(t, p.base+"/-/reload", ""); r.code != http.StatusOK {
		t.Fatalf("POST /-/reload: status %d: %s", r.code, r.body)
	}
	m = scrape(t, p.base)
	m.want(t, 6, mCapacity, "location", "Mall")
	wantNoCapacity(t, m, "Downtown", "Plain")
	if _, ok := m.value(mUTCOffset, "location", "Plain"); ok {
		t.Error("the UTC offset of a location no longer configured is still exported")
	}

	// Out of range: refused at its line, by a reload and at a start; the counts in
	// force stay.
	const refused = "must be a whole number from 1 to 10000"
	line := strings.Count(good, "\n") // Mall's stations
	for _, bad := range []string{"0", "10001"} {
		content := strings.Replace(good, "stations: 6", "stations: "+bad, 1)
		where := fmt.Sprintf("%s:%d: locations[1].stations: %s", cfg, line, refused)
		t.Run("stations: "+bad+" at a reload", func(t *testing.T) {
			writeFile(t, cfg, content)
			if r := post(t, p.base+"/-/reload", ""); r.code != http.StatusInternalServerError || !strings.Contains(r.body, where) {
				t.Errorf("POST /-/reload: %d %q, want 500 with %q", r.code, r.body, where)
			}
			m := scrape(t, p.base)
			m.want(t, 6, mCapacity, "location", "Mall")
			m.want(t, 0, "synthesisvr_exporter_config_last_reload_successful")
		})
		t.Run("stations: "+bad+" at the start", func(t *testing.T) {
			start := filepath.Join(t.TempDir(), "config.yml")
			writeFile(t, start, content)
			log := &logBuffer{}
			q := launch(t, options{config: start}, log)
			if code := q.waitExit(readyTimeout); code != 1 {
				t.Fatalf("exit code %d with stations: %s, want 1", code, bad)
			}
			if want := fmt.Sprintf("%s:%d: locations[1].stations: %s", start, line, refused); !strings.Contains(log.String(), want) {
				t.Errorf("the start error does not say %q:\n%s", want, log.String())
			}
		})
	}
}

// wantOffsets scrapes p and checks the UTC offset of each location, by its zone name,
// against the offset of that zone just before or just after the scrape (a daylight
// saving change may fall between them). It returns the scrape.
func wantOffsets(t *testing.T, p *exporterProc, zones map[string]string) exposition {
	t.Helper()
	before := time.Now()
	m := scrape(t, p.base)
	after := time.Now()
	for loc, name := range zones {
		zone, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		_, early := before.In(zone).Zone()
		_, late := after.In(zone).Zone()
		got, ok := m.value(mUTCOffset, "location", loc)
		if !ok || (got != float64(early) && got != float64(late)) {
			t.Errorf("%s = %v (present %v), want %d, the offset of %s now", seriesKey(mUTCOffset, "location", loc), got, ok, early, name)
		}
	}
	return m
}

// wantNoCapacity fails if any of the locations has a station count exported.
func wantNoCapacity(t *testing.T, m exposition, locations ...string) {
	t.Helper()
	for _, loc := range locations {
		if v, ok := m.value(mCapacity, "location", loc); ok {
			t.Errorf("%s = %v, want no series: the config sets no stations for it", seriesKey(mCapacity, "location", loc), v)
		}
	}
}
