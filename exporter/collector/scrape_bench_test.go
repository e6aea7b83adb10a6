package collector_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/event"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/server"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
)

// scrapeState returns the exporter's registry (build info aside) holding 1,000
// locations and 10,000 active sessions, each location having started and ended
// sessions, as issue 8 sizes it.
func scrapeState(b *testing.B) *collector.Registry {
	b.Helper()
	store := memstore.New()
	reg := collector.NewRegistry()
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

// scrapeHandlers are /metrics as it was (promhttp encoding everything the registry
// gathers, with the options server.Main gave it) and as it is (server.MetricsHandler
// taking the Registry's fast path), over the same state.
func scrapeHandlers(reg *collector.Registry) map[string]http.Handler {
	return map[string]http.Handler{
		"registry": promhttp.InstrumentMetricHandler(prometheus.NewRegistry(), promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			EnableOpenMetrics: true, MaxRequestsInFlight: 4, Timeout: 10 * time.Second,
		})),
		"fast": server.MetricsHandler(server.Options{Gatherer: reg, Registerer: prometheus.NewRegistry(), Logger: discard}),
	}
}

// scrapeOnce scrapes h as Prometheus does (OpenMetrics negotiation) with the given
// Accept-Encoding, and returns the body's size.
func scrapeOnce(b *testing.B, h http.Handler, encoding string) int {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	r.Header.Set("Accept", scrapers["OpenMetrics 1.0.0 (Prometheus)"])
	r.Header.Set("Accept-Encoding", encoding)
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	return w.Body.Len()
}

// BenchmarkScrape serves /metrics both ways, one after the other over the same state:
// ns/op, B/op and allocs/op per scrape, and the body's size.
//
//	go test ./exporter/collector -run '^$' -bench Scrape -cpu 1
func BenchmarkScrape(b *testing.B) {
	handlers := scrapeHandlers(scrapeState(b))
	for _, path := range []string{"registry", "fast"} {
		for _, enc := range []string{"identity", "gzip"} {
			b.Run(path+"/"+enc, func(b *testing.B) {
				b.ReportAllocs()
				var size int
				for b.Loop() {
					size = scrapeOnce(b, handlers[path], enc)
				}
				b.ReportMetric(float64(size), "bytes/scrape")
			})
		}
	}
}

// BenchmarkScrapeRatio alternates a gzipped scrape of each path, so that both see the
// same load on a shared machine, and reports each one's time and new/old.
func BenchmarkScrapeRatio(b *testing.B) {
	handlers := scrapeHandlers(scrapeState(b))
	var took, cpu [2]time.Duration
	for b.Loop() {
		for i, path := range []string{"registry", "fast"} {
			start, startCPU := time.Now(), cpuTime(b)
			scrapeOnce(b, handlers[path], "gzip")
			took[i] += time.Since(start)
			cpu[i] += cpuTime(b) - startCPU
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) / 1000 }
	b.ReportMetric(ms(took[0]), "registry-ms/scrape")
	b.ReportMetric(ms(took[1]), "fast-ms/scrape")
	b.ReportMetric(float64(took[1])/float64(took[0]), "fast/registry")
	// CPU time (user and system, every thread of the process, GC included) is what a
	// scrape would take on a core of its own, however loaded the machine is.
	b.ReportMetric(ms(cpu[0]), "registry-cpu-ms/scrape")
	b.ReportMetric(ms(cpu[1]), "fast-cpu-ms/scrape")
}

// cpuTime returns the CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScrapeParts splits a scrape into its parts: the registry path's Gather and
// encoding, and the fast path's Expose and writing, without HTTP or gzip.
func BenchmarkScrapeParts(b *testing.B) {
	reg := scrapeState(b)
	format := expfmt.NewFormat(expfmt.TypeOpenMetrics)
	b.Run("registry/gather", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reg.Gather(); err != nil {
				b.Fatal(err)
			}
		}
	})
	mfs := reg.MustGather()
	b.Run("registry/encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			enc := expfmt.NewEncoder(io.Discard, format)
			for _, mf := range mfs {
				if err := enc.Encode(mf); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("fast/expose", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reg.Expose(nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	write, err := reg.Expose(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast/write", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := write(io.Discard, format); err != nil {
				b.Fatal(err)
			}
		}
	})
}
