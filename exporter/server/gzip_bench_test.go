package server

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/common/expfmt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// bigRegistry holds 1,000 locations with sessions started and ended at each, as
// issue 8 sizes a scrape.
func bigRegistry(b testing.TB) *collector.Registry {
	b.Helper()
	store := storeOf{}
	reg := collector.NewRegistry()
	m := collector.NewMetrics(reg, nil)
	reg.MustRegister(collector.New(store, m, func() []collector.Location { return nil }, discard))
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for l := range 1000 {
		loc := fmt.Sprintf("Location %04d", l)
		store[loc] = session.LocationStats{Active: 10, Stations: 20, LastEvent: start}
		sess := session.Session{UUID: loc, Location: loc, Stations: 2, Started: start}
		m.Outcomes([]session.Outcome{
			{Change: session.Change{UUID: loc, Action: session.ActionCreate, Location: loc, Stations: 2}, Result: session.ResultApplied, Session: sess},
			{Change: session.Change{UUID: loc, Action: session.ActionDelete, Location: loc}, Result: session.ResultApplied, Session: sess, Ended: start.Add(time.Duration(l) * time.Second)},
		})
	}
	return reg
}

// bigExposition is bigRegistry's OpenMetrics exposition.
func bigExposition(b *testing.B) []byte {
	write, err := bigRegistry(b).Expose(nil)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := write(&buf, expfmt.NewFormat(expfmt.TypeOpenMetrics)); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkGzip compresses one large exposition at gzipLevel with compress/gzip (the
// baseline promhttp also uses) and with klauspost/compress (what the handler uses),
// side by side: time per scrape and the bytes that travel.
//
//	go test ./exporter/server -run '^$' -bench Gzip -cpu 1
func BenchmarkGzip(b *testing.B) {
	data := bigExposition(b)
	std, _ := stdgzip.NewWriterLevel(io.Discard, gzipLevel)
	kp, _ := gzip.NewWriterLevel(io.Discard, gzipLevel)
	for _, w := range []struct {
		name string
		zw   interface {
			io.WriteCloser
			Reset(io.Writer)
		}
	}{{"compress-gzip", std}, {"klauspost-gzip", kp}} {
		b.Run(w.name, func(b *testing.B) {
			var out bytes.Buffer
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				out.Reset()
				w.zw.Reset(&out)
				if _, err := w.zw.Write(data); err != nil {
					b.Fatal(err)
				}
				if err := w.zw.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.Len()), "gzip-bytes")
		})
	}
}

// BenchmarkScrapeGzip writes the exposition of bigRegistry through gzip, as a
// scrape does, with the gzip in turn with the writing (as before) and on the
// pipeline's goroutine beside it (as now), alternating, so that both see the same
// machine: wall time per scrape of each, and pipelined/sequential.
//
//	go test ./exporter/server -run '^$' -bench ScrapeGzip
func BenchmarkScrapeGzip(b *testing.B) {
	reg := bigRegistry(b)
	format := expfmt.NewFormat(expfmt.TypeOpenMetrics)
	gz, _ := gzip.NewWriterLevel(io.Discard, gzipLevel)
	scrape := func(pipelined bool) {
		write, err := reg.Expose(nil)
		if err != nil {
			b.Fatal(err)
		}
		gz.Reset(io.Discard)
		var out io.Writer = gz
		var p *pipeline
		if pipelined {
			p = newPipeline(gz)
			out = p
		}
		err = write(out, format)
		if p != nil {
			err = errors.Join(err, p.Close())
		}
		if err := errors.Join(err, gz.Close()); err != nil {
			b.Fatal(err)
		}
	}
	var took [2]time.Duration
	for b.Loop() {
		for i, pipelined := range []bool{false, true} {
			start := time.Now()
			scrape(pipelined)
			took[i] += time.Since(start)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) / 1000 }
	b.ReportMetric(ms(took[0]), "sequential-ms/scrape")
	b.ReportMetric(ms(took[1]), "pipelined-ms/scrape")
	b.ReportMetric(float64(took[1])/float64(took[0]), "pipelined/sequential")
}

// TestGzipScrapeOnOneAndTwoThreads scrapes a large exposition gzipped, on one thread
// (gzip in turn with the writing) and on two (through the pipeline), and wants what
// an uncompressed scrape of the same state gives.
func TestGzipScrapeOnOneAndTwoThreads(t *testing.T) {
	h := MetricsHandler(Options{Gatherer: bigRegistry(t), Logger: discard})
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	header := map[string]string{"Accept": prometheusAccept}
	// The process collector's figures move between scrapes; the locations' do not.
	locations := func(b []byte) []byte {
		var out []byte
		for line := range bytes.Lines(b) {
			if bytes.Contains(line, []byte(`location="`)) {
				out = append(out, line...)
			}
		}
		return out
	}
	plain := locations(get(h, "/metrics", header).Body.Bytes())
	if len(plain) < 1<<20 {
		t.Fatalf("the exposition has %d bytes of locations, too few to take many blocks", len(plain))
	}
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		w := get(h, "/metrics", map[string]string{"Accept": prometheusAccept, "Accept-Encoding": "gzip"})
		if w.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("GOMAXPROCS %d: not gzipped", procs)
		}
		if got := locations(unzipped(t, w)); !bytes.Equal(got, plain) {
			t.Errorf("GOMAXPROCS %d: the gzipped scrape differs from the plain one (%d bytes, want %d)", procs, len(got), len(plain))
		}
	}
}
