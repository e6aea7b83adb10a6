package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

type storeOf map[string]session.LocationStats

func (s storeOf) Locations(context.Context) (map[string]session.LocationStats, error) {
	out := make(map[string]session.LocationStats, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out, nil
}

func (storeOf) Forgotten(context.Context) ([]string, error) { return nil, nil }

// exporterRegistry is a registry with the exporter's families for two locations.
func exporterRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	m := collector.NewMetrics(reg, []string{"missing_uuid"})
	store := storeOf{"Kamen \"Test\"": {Active: 2, Stations: 3, LastEvent: time.Unix(1795771241, 0)}, "Uptown": {}}
	reg.MustRegister(collector.New(store, m, func() []collector.Location { return nil }, discard))
	m.InitLocation("Uptown")
	m.Outcomes([]session.Outcome{{Change: session.Change{UUID: "u", Action: session.ActionCreate, Location: "Kamen \"Test\""}, Result: session.ResultApplied}})
	return reg
}

func get(h http.Handler, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestMetricsHandlerNegotiates scrapes as curl, as Prometheus and with gzip, and
// wants the format and encoding each one asked for.
func TestMetricsHandlerNegotiates(t *testing.T) {
	tests := map[string]struct {
		header            map[string]string
		wantType, wantEnc string
		wantEOF           bool
	}{
		"curl": {nil, "text/plain; version=0.0.4; charset=utf-8; escaping=underscores", "", false},
		"gzip": {map[string]string{"Accept-Encoding": "gzip"}, "text/plain; version=0.0.4; charset=utf-8; escaping=underscores", "gzip", false},
		"OpenMetrics": {map[string]string{"Accept": "application/openmetrics-text; version=1.0.0"},
			"application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores", "", true},
		"Prometheus": {map[string]string{"Accept": "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3", "Accept-Encoding": "gzip"},
			"application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores", "gzip", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			reg := exporterRegistry()
			w := get(MetricsHandler(reg, discard), tc.header)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if got := w.Header().Get("Content-Type"); got != tc.wantType {
				t.Errorf("Content-Type %q, want %q", got, tc.wantType)
			}
			if got := w.Header().Get("Content-Encoding"); got != tc.wantEnc {
				t.Errorf("Content-Encoding %q, want %q", got, tc.wantEnc)
			}
			body := w.Body.Bytes()
			if tc.wantEnc == "gzip" {
				zr, err := gzip.NewReader(w.Body)
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			for _, want := range []string{`synthesisvr_sessions_active{location="Kamen \"Test\""} 2`, "synthesisvr_session_events_total", "promhttp_metric_handler_requests_total"} {
				if !bytes.Contains(body, []byte(want)) {
					t.Errorf("body does not hold %s:\n%s", want, body)
				}
			}
			if got := bytes.HasSuffix(body, []byte("\n# EOF\n")); got != tc.wantEOF {
				t.Errorf("body ends with # EOF: %v, want %v", got, tc.wantEOF)
			}
		})
	}
}

// TestMetricsHandlerCountsScrapes wants promhttp's scrape counter on the registry
// it serves.
func TestMetricsHandlerCountsScrapes(t *testing.T) {
	reg := exporterRegistry()
	h := MetricsHandler(reg, discard)
	for range 3 {
		get(h, nil)
	}
	want := `
# HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.
# TYPE promhttp_metric_handler_requests_total counter
promhttp_metric_handler_requests_total{code="200"} 3
promhttp_metric_handler_requests_total{code="500"} 0
promhttp_metric_handler_requests_total{code="503"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "promhttp_metric_handler_requests_total"); err != nil {
		t.Fatal(err)
	}
}

// failing is a collector whose every scrape fails.
type failing struct{ desc *prometheus.Desc }

func (f failing) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }
func (f failing) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(f.desc, errors.New("collector X failed"))
}

// TestMetricsHandlerGatherErrorIs500 wants a failed scrape answered 500 and logged
// through the exporter's logger.
func TestMetricsHandlerGatherErrorIs500(t *testing.T) {
	var log bytes.Buffer
	reg := prometheus.NewRegistry()
	reg.MustRegister(failing{prometheus.NewDesc("x", "X.", nil, nil)})
	w := get(MetricsHandler(reg, slog.New(slog.NewTextHandler(&log, nil))), map[string]string{"Accept-Encoding": "gzip"})
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "collector X failed") {
		t.Errorf("status %d, body %q: want a 500 naming the error", w.Code, w.Body)
	}
	if !strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), "collector X failed") {
		t.Errorf("log %q: want the error at level ERROR", log.String())
	}
}

// blocking is a collector whose scrapes say they started and wait for release.
type blocking struct {
	desc    *prometheus.Desc
	entered chan struct{}
	release chan struct{}
}

func (b blocking) Describe(ch chan<- *prometheus.Desc) { ch <- b.desc }
func (b blocking) Collect(ch chan<- prometheus.Metric) {
	b.entered <- struct{}{}
	<-b.release
	ch <- prometheus.MustNewConstMetric(b.desc, prometheus.GaugeValue, 1)
}

// TestMetricsHandlerBoundsConcurrentScrapes holds maxScrapes scrapes inside a
// collector and wants one more answered 503 at once.
func TestMetricsHandlerBoundsConcurrentScrapes(t *testing.T) {
	b := blocking{prometheus.NewDesc("x", "X.", nil, nil), make(chan struct{}, maxScrapes), make(chan struct{})}
	reg := prometheus.NewRegistry()
	reg.MustRegister(b)
	h := MetricsHandler(reg, discard)
	var wg sync.WaitGroup
	codes := make(chan int, maxScrapes)
	for range maxScrapes {
		wg.Go(func() { codes <- get(h, nil).Code })
	}
	for range maxScrapes {
		select {
		case <-b.entered:
		case <-time.After(5 * time.Second):
			close(b.release)
			t.Fatal("the first scrapes did not start within 5 s")
		}
	}
	w := get(h, nil)
	close(b.release)
	wg.Wait()
	close(codes)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "Limit of concurrent requests reached (4)") {
		t.Errorf("scrape past the limit: status %d, body %q; want 503", w.Code, w.Body)
	}
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("scrape within the limit: status %d", c)
		}
	}
}
