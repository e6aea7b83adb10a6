package benchmark_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/benchmark"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/event"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/server"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

const benchToken = "0123456789abcdef0123"

// discardWriter is a ResponseWriter that keeps the status and throws the body away,
// as cheap as a writer can be, so that the handlers' own work is what is timed.
type discardWriter struct {
	header http.Header
	code   int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// SetReadDeadline is there because a server's writer has it, and the receiver sets one.
func (w *discardWriter) SetReadDeadline(time.Time) error { return nil }

// receiverEngines are the ceiling and the exporter's own receiver engine (routes,
// recovery, metrics) on the memory store, as the bench command runs them.
func receiverEngines() map[string]http.Handler {
	reg := prometheus.NewRegistry()
	m := collector.NewMetrics(reg, event.Reasons)
	s := webhook.NewSettings(webhook.Settings{
		Hooks: []webhook.Hook{{Name: "main", Token: benchToken}}, MaxBodyBytes: 1 << 20, MaxEvents: 1000, MaxLocations: 1000, MaxInFlight: 64,
	})
	logger := slog.New(slog.DiscardHandler)
	h := webhook.New(memstore.New(), m, func() bool { return true }, s, nil, logger)
	return map[string]http.Handler{
		"ceiling": benchmark.Ceiling(),
		"memory":  server.Webhook(server.Options{Webhook: h, Logger: logger}),
	}
}

// request is one POST of one event, reused: each call makes the next event, a
// create or the delete of the session created before it, as the bench command's
// load sends them.
type request struct {
	req  *http.Request
	body bytes.Reader
	buf  []byte
	w    discardWriter
	i    int
}

func newRequest(b *testing.B) *request {
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/webhook/"+benchToken, nil)
	if err != nil {
		b.Fatal(err)
	}
	return &request{req: req, w: discardWriter{header: http.Header{}}}
}

// serve sends the next event to h and checks the answer.
func (r *request) serve(b *testing.B, h http.Handler) {
	action := "create"
	if r.i%2 == 1 {
		action = "delete"
	}
	r.buf = fmt.Appendf(r.buf[:0], `[{"uuid":"bench-%d","action":%q,"location":"Venue %04d","stations":2,"customerid":%d}]`, r.i/2, action, r.i/2%10, r.i)
	r.body.Reset(r.buf)
	r.req.Body, r.req.ContentLength = io.NopCloser(&r.body), int64(len(r.buf))
	clear(r.w.header)
	r.w.code = 0
	h.ServeHTTP(&r.w, r.req)
	if r.w.code != http.StatusOK && r.w.code != http.StatusNoContent {
		b.Fatalf("status %d", r.w.code)
	}
	r.i++
}

// BenchmarkReceiver serves one event per request through the ceiling and through
// the exporter's receiver on the memory store, in process and without a network:
// the time and allocations each handler adds to what net/http does anyway.
//
//	go test ./cmd/synthesisvr_simulator/internal/benchmark -run '^$' -bench 'Receiver$' -cpu 1
func BenchmarkReceiver(b *testing.B) {
	engines := receiverEngines()
	for _, name := range []string{"ceiling", "memory"} {
		b.Run(name, func(b *testing.B) {
			r := newRequest(b)
			b.ReportAllocs()
			for b.Loop() {
				r.serve(b, engines[name])
			}
		})
	}
}

// BenchmarkReceiverRatio alternates one request to each handler, so that both see
// the same moments of a shared machine, and reports each one's time per request
// and memory/ceiling, the figure to compare across changes.
//
//	go test ./cmd/synthesisvr_simulator/internal/benchmark -run '^$' -bench ReceiverRatio -cpu 1
func BenchmarkReceiverRatio(b *testing.B) {
	engines := receiverEngines()
	names := []string{"ceiling", "memory"}
	reqs := []*request{newRequest(b), newRequest(b)}
	var took [2]time.Duration
	for b.Loop() {
		for i, name := range names {
			start := time.Now()
			reqs[i].serve(b, engines[name])
			took[i] += time.Since(start)
		}
	}
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) / 1000 }
	b.ReportMetric(us(took[0]), "ceiling-us/req")
	b.ReportMetric(us(took[1]), "memory-us/req")
	b.ReportMetric(float64(took[1])/float64(took[0]), "memory/ceiling")
}
