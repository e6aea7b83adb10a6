package collector_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// Location names that need escaping in a label value, or are merely unusual.
var oddLocations = []string{`Quote "A"`, `Back\slash`, "New\nline", "Ünïcödé 🎮", "Zeta", session.OverflowLocation, ""}

// locationFamilies are the families the fast path writes.
var locationFamilies = []string{
	"synthesisvr_last_event_timestamp_seconds", "synthesisvr_location_open",
	"synthesisvr_session_duration_seconds", "synthesisvr_session_event_results_total",
	"synthesisvr_session_events_total", "synthesisvr_sessions_active",
	"synthesisvr_sessions_ended_total", "synthesisvr_sessions_started_total",
	"synthesisvr_station_seconds_total", "synthesisvr_stations_active", "synthesisvr_store_up",
}

// busyRegistry returns a Registry holding every family of the exporter but the Go and
// process collectors (their values move between two gathers), fed with outcomes that
// set every counter and put durations in several buckets, beyond the last one, and
// below zero.
func busyRegistry(t *testing.T, store collector.LocationLister) *collector.Registry {
	t.Helper()
	reg := collector.NewRegistry()
	m := collector.NewMetrics(reg, []string{"missing_uuid"})
	collector.NewSpoolMetrics(reg, m, func() int { return 3 })
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "synthesisvr_exporter_build_info", Help: "A metric with a constant '1' value.", ConstLabels: prometheus.Labels{"version": "x"}}))
	configured := []collector.Location{{Name: "Zeta", Hours: fixedHours(true)}, {Name: `Quote "A"`, Hours: fixedHours(false)}, {Name: "Configured only"}}
	// The collector counts its failed reads on metrics of its own, so that two scrapes
	// of a store that is down expose the same store_errors_total.
	reg.MustRegister(collector.New(store, collector.NewMetrics(prometheus.NewRegistry(), nil), func() []collector.Location { return configured }, discard))
	start := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	for i, loc := range oddLocations {
		sess := session.Session{UUID: "u", Location: loc, Stations: i + 1, Started: start}
		create := session.Change{UUID: "u", Action: session.ActionCreate, Location: loc, Stations: i + 1}
		del := session.Change{UUID: "u", Action: session.ActionDelete, Location: loc}
		out := []session.Outcome{
			{Change: create, Result: session.ResultApplied, Session: sess},
			{Change: create, Result: session.ResultDuplicate, Session: sess},
			{Change: create, Result: session.ResultLate, Session: sess},
			{Change: session.Change{UUID: "x", Action: "pause", Location: loc}, Result: session.ResultIgnored},
			{Change: del, Result: session.ResultUnmatched},
		}
		for j, d := range []time.Duration{time.Duration(i) * 7 * time.Minute, 59*time.Second + 333*time.Millisecond, 7 * time.Hour, -time.Second, 3 * time.Hour} {
			if j > i {
				break
			}
			out = append(out, session.Outcome{Change: del, Result: session.ResultApplied, Session: sess, Ended: start.Add(d)})
		}
		// 6 hours of 50 stations: 1.08e+06 station-seconds, as the text format writes it.
		big := session.Session{UUID: "v", Location: loc, Stations: 50, Started: start}
		out = append(out, session.Outcome{Change: session.Change{UUID: "v", Location: loc}, Result: session.ResultExpired, Session: big, Ended: start.Add(6 * time.Hour)})
		m.Outcomes(out)
	}
	m.Request(http.StatusOK, 3*time.Millisecond)
	return reg
}

func oddStore() fakeStore {
	locs := map[string]session.LocationStats{}
	for i, loc := range oddLocations {
		s := session.LocationStats{Active: i * 1000, Stations: i * 250_000}
		if i%2 == 0 {
			s.LastEvent = time.Unix(1795771241, int64(i)*123_456_789)
		}
		locs[loc] = s
	}
	return fakeStore{locs: locs}
}

// negotiated returns the format a scraper sending accept gets.
func negotiated(accept string) expfmt.Format {
	h := http.Header{}
	h.Set("Accept", accept)
	return expfmt.NegotiateAccept(h, expfmt.DefaultOpenMetricsAcceptedFormats()...)
}

var scrapers = map[string]string{
	"text 0.0.4":                     "text/plain;version=0.0.4",
	"OpenMetrics 1.0.0 (Prometheus)": "application/openmetrics-text;version=1.0.0;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
	"OpenMetrics 0.0.1":              "application/openmetrics-text;version=0.0.1",
	"no Accept":                      "",
}

// registryPath encodes Gather's families as promhttp does.
func registryPath(t *testing.T, reg prometheus.Gatherer, format expfmt.Format) []byte {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.(expfmt.Closer).Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func fastPath(t *testing.T, reg *collector.Registry, format expfmt.Format, names ...string) []byte {
	t.Helper()
	write, err := reg.Expose(names)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := write(&b, format); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFastPathMatchesRegistry holds the fast path to what client_golang and expfmt
// write for the same state: the same bytes, hence the same parsed families, in every
// format a scraper may negotiate.
func TestFastPathMatchesRegistry(t *testing.T) {
	stores := map[string]struct {
		store        fakeStore
		wantFamilies []string
	}{
		"store up, labels to escape": {oddStore(), locationFamilies},
		"store down": {fakeStore{err: errors.New("down")}, slices.DeleteFunc(slices.Clone(locationFamilies), func(n string) bool {
			return n == "synthesisvr_sessions_active" || n == "synthesisvr_stations_active" || n == "synthesisvr_last_event_timestamp_seconds"
		})},
	}
	for storeName, st := range stores {
		reg := busyRegistry(t, st.store)
		for scraper, accept := range scrapers {
			t.Run(storeName+", "+scraper, func(t *testing.T) {
				format := negotiated(accept)
				if !reg.Writes(format) {
					t.Fatalf("%s: not written by the fast path", format)
				}
				slow, fast := registryPath(t, reg, format), fastPath(t, reg, format)
				if !bytes.Equal(slow, fast) {
					t.Fatalf("%s: fast path differs from the registry's:\n%s", format, firstDifference(slow, fast))
				}
				if format.FormatType() == expfmt.TypeOpenMetrics {
					return // the same bytes; expfmt's OpenMetrics parser is slow, TestParsedFamiliesMatch runs it
				}
				got := decode(t, fast, format)
				for _, name := range st.wantFamilies {
					if _, ok := got[name]; !ok {
						t.Errorf("family %s missing", name)
					}
				}
			})
		}
	}
}

// decode parses an exposition with expfmt's parser of its format.
func decode(t *testing.T, body []byte, format expfmt.Format) map[string]*dto.MetricFamily {
	t.Helper()
	dec := expfmt.NewDecoder(bytes.NewReader(body), format)
	out := map[string]*dto.MetricFamily{}
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatalf("%s does not parse: %v", format, err)
		}
		out[mf.GetName()] = mf
	}
}

func firstDifference(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range max(len(la), len(lb)) {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\nregistry: %q\nfast:     %q", i+1, x, y)
		}
	}
	return "same lines"
}

// TestParsedFamiliesMatch compares the families parsed from both paths, so that a
// difference shows as one series rather than as bytes.
func TestParsedFamiliesMatch(t *testing.T) {
	reg := busyRegistry(t, oddStore())
	for _, scraper := range []string{"text 0.0.4", "OpenMetrics 1.0.0 (Prometheus)"} {
		t.Run(scraper, func(t *testing.T) {
			format := negotiated(scrapers[scraper])
			slow, fast := decode(t, registryPath(t, reg, format), format), decode(t, fastPath(t, reg, format), format)
			for _, name := range locationFamilies {
				if !proto.Equal(slow[name], fast[name]) {
					t.Errorf("%s:\nregistry: %v\nfast:     %v", name, slow[name], fast[name])
				}
			}
			if len(slow) != len(fast) {
				t.Errorf("%d families from the registry, %d from the fast path", len(slow), len(fast))
			}
		})
	}
}

func TestExposeFiltersByName(t *testing.T) {
	reg := busyRegistry(t, oddStore())
	format := negotiated("text/plain")
	names := []string{"synthesisvr_store_up", "synthesisvr_webhook_requests_total", "synthesisvr_no_such_metric"}
	got := decode(t, fastPath(t, reg, format, names...), format)
	if len(got) != 2 || got["synthesisvr_store_up"] == nil || got["synthesisvr_webhook_requests_total"] == nil {
		t.Fatalf("families %v, want store_up and webhook_requests_total", slices.Collect(mapKeys(got)))
	}
}

func mapKeys(m map[string]*dto.MetricFamily) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestRegistryFastFamiliesLint(t *testing.T) {
	problems, err := testutil.GatherAndLint(busyRegistry(t, oddStore()))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestRegistryRegistration(t *testing.T) {
	newCollector := func(m *collector.Metrics) prometheus.Collector {
		return collector.New(fakeStore{}, m, noLocations, discard)
	}
	tests := map[string]func(t *testing.T, reg *collector.Registry, m *collector.Metrics){
		"the same fast collector twice": func(t *testing.T, reg *collector.Registry, m *collector.Metrics) {
			c := newCollector(m)
			reg.MustRegister(c)
			err := reg.Register(newCollector(m))
			are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err)
			if !ok || are.ExistingCollector != c {
				t.Fatalf("err %v, want AlreadyRegisteredError with the first collector", err)
			}
		},
		"a plain metric with a fast family's name": func(t *testing.T, reg *collector.Registry, m *collector.Metrics) {
			reg.MustRegister(newCollector(m))
			if err := reg.Register(prometheus.NewGauge(prometheus.GaugeOpts{Name: "synthesisvr_store_up", Help: "Other help."})); err == nil {
				t.Fatal("registered a second synthesisvr_store_up")
			}
		},
		"a second Metrics": func(t *testing.T, reg *collector.Registry, _ *collector.Metrics) {
			defer func() {
				if recover() == nil {
					t.Fatal("NewMetrics registered its families twice")
				}
			}()
			collector.NewMetrics(reg, nil)
		},
		"unregistered, then registered again": func(t *testing.T, reg *collector.Registry, m *collector.Metrics) {
			c := newCollector(m)
			reg.MustRegister(c)
			if !reg.Unregister(c) {
				t.Fatal("Unregister: false")
			}
			if got := testutil.CollectAndCount(reg, "synthesisvr_store_up"); got != 0 {
				t.Fatalf("%d store_up series after Unregister", got)
			}
			reg.MustRegister(c)
			if got := testutil.CollectAndCount(reg, "synthesisvr_store_up"); got != 1 {
				t.Fatalf("%d store_up series, want 1", got)
			}
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			reg := collector.NewRegistry()
			test(t, reg, collector.NewMetrics(reg, nil))
		})
	}
}
