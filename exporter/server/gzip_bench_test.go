package server

import (
	"bytes"
	stdgzip "compress/gzip"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/common/expfmt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// bigExposition is the OpenMetrics exposition of 1,000 locations with sessions
// started and ended at each, as issue 8 sizes a scrape.
func bigExposition(b *testing.B) []byte {
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
	write, err := reg.Expose(nil)
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
