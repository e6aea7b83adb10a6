package collector_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/event"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/server"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
)

// scrapeState returns the exporter's registry (build info aside) holding 1,000
// locations and 10,000 active sessions in a memory store, each location having
// started and ended sessions.
func scrapeState(b *testing.B) *prometheus.Registry {
	b.Helper()
	store := memstore.New()
	reg := prometheus.NewRegistry()
	m := collector.NewMetrics(reg, event.Reasons)
	reg.MustRegister(collector.New(store, m, func() []collector.Location { return nil }, discard),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	now := time.Now()
	for l := range 1000 {
		loc := fmt.Sprintf("Location %04d", l)
		var changes []session.Change
		for s := range 11 {
			changes = append(changes, session.Change{UUID: fmt.Sprintf("%s-%d", loc, s), Action: session.ActionCreate, Location: loc, Stations: 2})
		}
		changes = append(changes, session.Change{UUID: loc + "-10", Action: session.ActionDelete, Location: loc})
		out, err := store.Apply(context.Background(), session.Batch{Now: now, Changes: changes})
		if err != nil {
			b.Fatal(err)
		}
		m.Outcomes(out)
	}
	return reg
}

// BenchmarkScrape serves /metrics through the exporter's promhttp handler over that
// state: ns/op, B/op and allocs/op per scrape, and the body's size as sent.
//
//	go test ./exporter/collector -run '^$' -bench Scrape -benchmem
func BenchmarkScrape(b *testing.B) {
	h := server.MetricsHandler(scrapeState(b), discard)
	const openMetrics = "application/openmetrics-text;version=1.0.0;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
	for _, tc := range []struct{ name, accept, encoding string }{
		{"text", "text/plain;version=0.0.4", ""},
		{"text-gzip", "text/plain;version=0.0.4", "gzip"},
		{"openmetrics-gzip", openMetrics, "gzip"}, // what Prometheus asks for
	} {
		b.Run(tc.name, func(b *testing.B) {
			var size int
			startCPU := cpuTime(b)
			for b.Loop() {
				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				r.Header.Set("Accept", tc.accept)
				r.Header.Set("Accept-Encoding", tc.encoding)
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				size = w.Body.Len()
			}
			// CPU time (every thread of the process, GC included) is what a scrape
			// takes on a core of its own, however loaded the shared machine is.
			b.ReportMetric(float64((cpuTime(b)-startCPU).Microseconds())/1000/float64(b.N), "cpu-ms/scrape")
			b.ReportMetric(float64(size), "bytes/scrape")
		})
	}
}
