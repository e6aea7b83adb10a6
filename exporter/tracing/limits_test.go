package tracing

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestAttributeValuesAreCapped(t *testing.T) {
	tests := map[string]struct {
		env  map[string]string
		want int
	}{
		"default":                     {nil, DefaultAttributeValueLength},
		"the general variable":        {map[string]string{EnvAttributeValueLength: "10"}, 10},
		"the span variable wins":      {map[string]string{EnvAttributeValueLength: "10", EnvSpanAttributeValueLength: "20"}, 20},
		"a larger cap is honoured":    {map[string]string{EnvAttributeValueLength: "1000"}, 1000},
		"the span variable alone too": {map[string]string{EnvSpanAttributeValueLength: "30"}, 30},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv(EnvAttributeValueLength, "")
			t.Setenv(EnvSpanAttributeValueLength, "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			exp := tracetest.NewInMemoryExporter()
			p := NewSDKProvider(sdktrace.WithSyncer(exp))
			_, span := p.Tracer("test").Start(context.Background(), "request")
			span.SetAttributes(attribute.String("user_agent.original", strings.Repeat("x", 60<<10)))
			span.End()
			spans := exp.GetSpans()
			_ = p.Shutdown(context.Background())
			if len(spans) != 1 || len(spans[0].Attributes) != 1 {
				t.Fatalf("got %d spans, want one with one attribute", len(spans))
			}
			if got := len(spans[0].Attributes[0].Value.AsString()); got != tc.want {
				t.Errorf("attribute value of %d bytes, want %d", got, tc.want)
			}
		})
	}
}
