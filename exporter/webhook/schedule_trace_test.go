package webhook_test

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/tracing"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

// TestSessionSpanCarriesSchedule: a finished session's span says how it ended and
// carries its schedule and experience; a cancelled booking's says cancelled.
func TestSessionSpanCarriesSchedule(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := tracing.NewSDKProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	start := time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)
	sc := session.Schedule{Start: start, End: start.Add(30 * time.Minute), Experience: "Beat Saber", Cost: 25.5}
	webhook.EndSpans(context.Background(), tracing.NewSpans(tp), []session.Outcome{
		{Result: session.ResultFinished, Reason: session.ReasonFinished, Ended: sc.End,
			Session: session.Session{UUID: uuidA, Location: "Kamen", Started: start.Add(-time.Hour), Schedule: sc, Phase: session.PhasePlaying}},
		{Result: session.ResultApplied, Reason: session.ReasonCancelled, Ended: start.Add(-time.Minute),
			Session: session.Session{UUID: uuidB, Location: "Kamen", Started: start.Add(-time.Hour), Schedule: sc, Phase: session.PhaseBooked}},
	})
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	want := []map[string]string{
		{tracing.AttrEndReason: "finished", tracing.AttrExperience: "Beat Saber", tracing.AttrScheduledStart: "2026-11-30T14:00:00Z",
			tracing.AttrScheduledEnd: "2026-11-30T14:30:00Z", tracing.AttrCost: "25.5"},
		{tracing.AttrEndReason: "cancelled"},
	}
	for i, s := range spans {
		got := map[string]string{}
		for _, a := range s.Attributes() {
			got[string(a.Key)] = a.Value.Emit()
		}
		for k, v := range want[i] {
			if got[k] != v {
				t.Errorf("span %d: %s = %q, want %q", i, k, got[k], v)
			}
		}
	}
}
