// Package tracing sends OpenTelemetry spans of SynthesisVR sessions: a tracer
// provider configured by the standard OTEL_* environment variables, and the span
// model of exporter/README.md ("Tracing"), where a session is one trace whose id is its uuid. It imports
// nothing of the project: callers hand it plain values.
package tracing

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Environment variables that decide whether spans are sent at all.
const (
	EnvDisabled       = "OTEL_SDK_DISABLED"
	EnvExporter       = "OTEL_TRACES_EXPORTER"
	EnvEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
)

// Options describe this process in the resource of its spans. OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES override them.
type Options struct {
	ServiceName string // service.name
	Version     string // service.version
	Instance    string // service.instance.id
}

// Provider is the process's tracer provider: the SDK when the environment asks for
// spans, otherwise a no-op one that starts no goroutine and costs nothing.
type Provider struct {
	trace.TracerProvider
	sdk *sdktrace.TracerProvider // nil when off
	// Why says, for the log, what turned tracing on or left it off.
	Why string
}

// Enabled reports whether spans are sent.
func (p *Provider) Enabled() bool { return p.sdk != nil }

// Shutdown sends the spans still buffered and stops the provider; call it last,
// once nothing makes spans any more. It is a no-op when tracing is off.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p.sdk == nil {
		return nil
	}
	if err := p.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("flushing spans: %w", err)
	}
	return nil
}

// Wanted reports whether the environment asks for spans, and why.
//
// Unlike autoexport, whose default is otlp, the exporter sends nothing unless told
// to: tracing is on when OTEL_TRACES_EXPORTER names an exporter other than none, or
// when it is unset and an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. OTEL_SDK_DISABLED=true (any case)
// turns it off whatever else is set, as the specification says; the Go SDK itself
// ignores that variable.
func Wanted(getenv func(string) string) (bool, string) {
	if strings.EqualFold(strings.TrimSpace(getenv(EnvDisabled)), "true") {
		return false, EnvDisabled + "=true"
	}
	switch exp := getenv(EnvExporter); exp {
	case "none":
		return false, EnvExporter + "=none"
	case "":
	default:
		return true, EnvExporter + "=" + exp
	}
	for _, k := range []string{EnvTracesEndpoint, EnvEndpoint} {
		if getenv(k) != "" {
			return true, k + " is set (OTLP)"
		}
	}
	return false, "neither " + EnvExporter + " nor an OTLP endpoint is set"
}

// New returns the provider the environment asks for (see Wanted). A setting the
// OTel SDK cannot use is an error that names the variable.
func New(ctx context.Context, o Options) (*Provider, error) {
	on, why := Wanted(os.Getenv)
	if !on {
		return &Provider{TracerProvider: noop.NewTracerProvider(), Why: why}, nil
	}
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, envError(err)
	}
	res, err := newResource(ctx, o)
	if err != nil {
		_ = exp.Shutdown(ctx)
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME: %w", err)
	}
	sdk := NewSDKProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Provider{TracerProvider: sdk, sdk: sdk, Why: why}, nil
}

// envError names the variables behind an exporter that cannot be built.
func envError(err error) error {
	exp := os.Getenv(EnvExporter)
	if exp == "" {
		exp = "otlp"
	}
	if strings.Contains(err.Error(), "unknown exporter") {
		return fmt.Errorf("%s=%q: %w; use otlp, console or none (one of them)", EnvExporter, exp, err)
	}
	return fmt.Errorf("%s=%s: cannot build the span exporter from the OTEL_EXPORTER_OTLP_* variables: %w", EnvExporter, exp, err)
}

// NewSDKProvider returns an SDK tracer provider with the exporter's id generator,
// which gives a session span the ids derived from its uuid, and its span limits
// (SpanLimits). Every SDK provider that Spans use must come from here.
func NewSDKProvider(opts ...sdktrace.TracerProviderOption) *sdktrace.TracerProvider {
	own := []sdktrace.TracerProviderOption{
		sdktrace.WithIDGenerator(idGenerator{}),
		sdktrace.WithRawSpanLimits(SpanLimits(os.Getenv)),
	}
	return sdktrace.NewTracerProvider(append(own, opts...)...)
}

// DefaultAttributeValueLength caps span attribute values when the environment
// sets no cap: the SDK's default is none, and a request header such as a 60 KB
// User-Agent would otherwise be kept whole in every span until it is sent.
const DefaultAttributeValueLength = 256

// Environment variables of the attribute value cap, the span's own first.
const (
	EnvSpanAttributeValueLength = "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT"
	EnvAttributeValueLength     = "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"
)

// SpanLimits are the SDK's span limits from the OTEL_*_LIMIT variables, with
// attribute values capped at DefaultAttributeValueLength unless
// OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT or OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT says
// otherwise.
func SpanLimits(getenv func(string) string) sdktrace.SpanLimits {
	l := sdktrace.NewSpanLimits()
	if getenv(EnvSpanAttributeValueLength) == "" && getenv(EnvAttributeValueLength) == "" {
		l.AttributeValueLengthLimit = DefaultAttributeValueLength
	}
	return l
}

// newResource describes the process; the environment's attributes win.
func newResource(ctx context.Context, o Options) (*resource.Resource, error) {
	own := []attribute.KeyValue{semconv.ServiceName(o.ServiceName), semconv.ServiceVersion(o.Version)}
	if o.Instance != "" {
		own = append(own, semconv.ServiceInstanceID(o.Instance))
	}
	return resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithAttributes(own...),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
}
