package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/tracing"
)

// discard is a span exporter that drops what it is given, so the benchmark
// measures the exporter's own cost of making spans, not a network.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkWebhookTracing posts a create and a delete of a new session per
// iteration (in-memory store), with tracing off (the default) and on (the SDK
// with a batch processor, as OTEL_TRACES_EXPORTER turns it on), side by side.
func BenchmarkWebhookTracing(b *testing.B) {
	tp := tracing.NewSDKProvider(sdktrace.WithBatcher(discard{}))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	cases := []struct {
		name  string
		spans *tracing.Spans
	}{
		{"tracing=off", tracing.NewSpans(nil)},
		{"tracing=on", tracing.NewSpans(tp)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e := newEnvWith(b, nil, c.spans, false)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				uuid := fmt.Sprintf("41509791-3de8-5bb9-b4fc-%012x", i)
				for _, action := range []string{"create", "delete"} {
					w := httptest.NewRecorder()
					req := httptest.NewRequest(http.MethodPost, "/webhook/"+token, strings.NewReader(
						`[{"uuid":"`+uuid+`","action":"`+action+`","location":"Kamen Test","stations":2,"customerid":7685}]`))
					e.engine.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
			}
		})
	}
}
