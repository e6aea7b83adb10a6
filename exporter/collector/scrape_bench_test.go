package collector_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/event"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
)

// BenchmarkScrape serves /metrics for 1,000 locations holding 10,000 active
// sessions, each location having started and ended sessions, as issue 8 sizes it.
//
//	go test ./exporter/collector -run '^$' -bench Scrape
func BenchmarkScrape(b *testing.B) {
	store := memstore.New()
	reg := prometheus.NewRegistry()
	m := collector.NewMetrics(reg, event.Reasons)
	reg.MustRegister(collector.New(store, m, func() []collector.Location { return nil }, discard))
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
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
	for _, enc := range []string{"identity", "gzip"} {
		b.Run(enc, func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				r.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
				r.Header.Set("Accept-Encoding", enc)
				h.ServeHTTP(w, r)
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/scrape")
		})
	}
	_ = io.Discard
}

func BenchmarkScrapeParts(b *testing.B) {
	store := memstore.New()
	reg := prometheus.NewRegistry()
	m := collector.NewMetrics(reg, event.Reasons)
	reg.MustRegister(collector.New(store, m, func() []collector.Location { return nil }, discard))
	now := time.Now()
	for l := range 1000 {
		loc := fmt.Sprintf("Location %04d", l)
		var changes []session.Change
		for s := range 11 {
			changes = append(changes, session.Change{UUID: fmt.Sprintf("%s-%d", loc, s), Action: session.ActionCreate, Location: loc, Stations: 2})
		}
		changes = append(changes, session.Change{UUID: loc + "-10", Action: session.ActionDelete, Location: loc})
		out, _ := store.Apply(context.Background(), session.Batch{Now: now, Changes: changes})
		m.Outcomes(out)
	}
	b.Run("gather", func(b *testing.B) {
		for b.Loop() {
			if _, err := reg.Gather(); err != nil {
				b.Fatal(err)
			}
		}
	})
	mfs, _ := reg.Gather()
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			for _, mf := range mfs {
				if _, err := expfmt.MetricFamilyToText(io.Discard, mf); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
