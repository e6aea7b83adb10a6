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
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

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

// exporterRegistry is a registry with the exporter's families for two locations, one
// of them with a name to escape.
func exporterRegistry() *collector.Registry {
	reg := collector.NewRegistry()
	m := collector.NewMetrics(reg, []string{"missing_uuid"})
	store := storeOf{"Kamen \"Test\"": {Active: 2, Stations: 3, LastEvent: time.Unix(1795771241, 0)}, "Uptown": {}}
	reg.MustRegister(collector.New(store, m, func() []collector.Location { return nil }, discard))
	m.InitLocation("Uptown")
	m.Outcomes([]session.Outcome{{Change: session.Change{UUID: "u", Action: session.ActionCreate, Location: "Kamen \"Test\""}, Result: session.ResultApplied}})
	return reg
}

func get(h http.Handler, target string, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func unzipped(t *testing.T, w *httptest.ResponseRecorder) []byte {
	t.Helper()
	if w.Header().Get("Content-Encoding") != "gzip" {
		return w.Body.Bytes()
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const prometheusAccept = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

// TestMetricsHandlerAnswersAsPromhttp scrapes the fast path and promhttp over the
// same registry and wants the same status, headers and (uncompressed) body.
func TestMetricsHandlerAnswersAsPromhttp(t *testing.T) {
	reg := exporterRegistry()
	scrapes := prometheus.NewRegistry()
	fast := MetricsHandler(Options{Gatherer: reg, Registerer: scrapes, Logger: discard})
	want := promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true, OfferedCompressions: []promhttp.Compression{promhttp.Identity, promhttp.Gzip}})
	tests := map[string]struct {
		target, accept, encoding string
		wantType                 expfmt.FormatType
		wantGzip                 bool
	}{
		"Prometheus, gzip":            {"/metrics", prometheusAccept, "gzip", expfmt.TypeOpenMetrics, true},
		"Prometheus, no compression":  {"/metrics", prometheusAccept, "", expfmt.TypeOpenMetrics, false},
		"curl":                        {"/metrics", "*/*", "", expfmt.TypeTextPlain, false},
		"text, gzip refused":          {"/metrics", "text/plain", "gzip;q=0", expfmt.TypeTextPlain, false},
		"gzip and identity tie":       {"/metrics", "text/plain", "gzip, identity", expfmt.TypeTextPlain, false},
		"any encoding":                {"/metrics", "text/plain", "*", expfmt.TypeTextPlain, false},
		"gzip preferred":              {"/metrics", "text/plain", "identity;q=0.5, gzip", expfmt.TypeTextPlain, true},
		"protobuf, through promhttp":  {"/metrics", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", "gzip", expfmt.TypeProtoDelim, true},
		"some families by name[]":     {"/metrics?name[]=synthesisvr_store_up&name[]=synthesisvr_sessions_active", prometheusAccept, "gzip", expfmt.TypeOpenMetrics, true},
		"name[] of no family, as one": {"/metrics?name[]=nothing", "text/plain", "", expfmt.TypeTextPlain, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			header := map[string]string{"Accept": tc.accept, "Accept-Encoding": tc.encoding}
			got, exp := get(fast, tc.target, header), get(want, tc.target, header)
			if got.Code != http.StatusOK || exp.Code != http.StatusOK {
				t.Fatalf("status %d, promhttp %d", got.Code, exp.Code)
			}
			for _, h := range []string{"Content-Type", "Content-Encoding"} {
				if got.Header().Get(h) != exp.Header().Get(h) {
					t.Errorf("%s %q, promhttp %q", h, got.Header().Get(h), exp.Header().Get(h))
				}
			}
			if g, e := strings.Join(got.Header().Values("Vary"), ","), strings.Join(exp.Header().Values("Vary"), ","); g != e {
				t.Errorf("Vary %q, promhttp %q", g, e)
			}
			if ft := expfmt.ResponseFormat(got.Header()).FormatType(); ft != tc.wantType {
				t.Errorf("format type %v, want %v", ft, tc.wantType)
			}
			if gz := got.Header().Get("Content-Encoding") == "gzip"; gz != tc.wantGzip {
				t.Errorf("gzip %v, want %v", gz, tc.wantGzip)
			}
			body, expBody := unzipped(t, got), unzipped(t, exp)
			if !bytes.Equal(body, expBody) {
				t.Errorf("body:\n%s\npromhttp:\n%s", body, expBody)
			}
			if tc.wantType == expfmt.TypeOpenMetrics && !bytes.HasSuffix(body, []byte("\n# EOF\n")) {
				t.Errorf("OpenMetrics body does not end with # EOF:\n%s", body)
			}
		})
	}
	if n := testutil.ToFloat64(counterOf(t, scrapes, "promhttp_metric_handler_requests_total", "200")); n != float64(len(tests)) {
		t.Errorf("promhttp_metric_handler_requests_total{code=\"200\"} %v, want %d", n, len(tests))
	}
}

// counterOf returns a gathered counter as a collector testutil.ToFloat64 reads.
func counterOf(t *testing.T, g prometheus.Gatherer, name, code string) prometheus.Collector {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labelIs(m, "code", code) {
				c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: "x"})
				c.Add(m.GetCounter().GetValue())
				return c
			}
		}
	}
	t.Fatalf("%s{code=%q} not gathered", name, code)
	return nil
}

func labelIs(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// fakeExposer fails or blocks as a test needs.
type fakeExposer struct {
	prometheus.Gatherer
	err     error
	entered chan struct{} // receives once per Expose call when not nil
	release chan struct{} // Expose waits for it to close when not nil
}

func (f *fakeExposer) Writes(expfmt.Format) bool { return true }

func (f *fakeExposer) Expose([]string) (func(io.Writer, expfmt.Format) error, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.release != nil {
		<-f.release
	}
	if f.err != nil {
		return nil, f.err
	}
	return func(w io.Writer, _ expfmt.Format) error {
		_, err := io.WriteString(w, "# EOF\n")
		return err
	}, nil
}

func TestMetricsHandlerGatherErrorIs500(t *testing.T) {
	h := MetricsHandler(Options{Gatherer: &fakeExposer{Gatherer: prometheus.NewRegistry(), err: errors.New("collector X failed")}, Registerer: prometheus.NewRegistry(), Logger: discard})
	w := get(h, "/metrics", map[string]string{"Accept-Encoding": "gzip"})
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "collector X failed") || w.Header().Get("Content-Encoding") != "" {
		t.Fatalf("status %d, encoding %q, body %q: want a plain 500 naming the error", w.Code, w.Header().Get("Content-Encoding"), w.Body)
	}
}

func TestMetricsHandlerBoundsConcurrentScrapes(t *testing.T) {
	f := &fakeExposer{Gatherer: prometheus.NewRegistry(), entered: make(chan struct{}, maxScrapes), release: make(chan struct{})}
	h := MetricsHandler(Options{Gatherer: f, Registerer: prometheus.NewRegistry(), Logger: discard})
	var wg sync.WaitGroup
	codes := make(chan int, maxScrapes)
	for range maxScrapes {
		wg.Go(func() { codes <- get(h, "/metrics", nil).Code })
	}
	for range maxScrapes {
		select {
		case <-f.entered:
		case <-time.After(5 * time.Second):
			close(f.release)
			t.Fatal("the first scrapes did not start within 5 s")
		}
	}
	w := get(h, "/metrics", nil)
	close(f.release)
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
