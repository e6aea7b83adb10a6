package tracing

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Span names of the span model (exporter/README.md, "The spans").
const (
	SpanSession = "synthesisvr.session"
	SpanCreate  = "synthesisvr.session.create"
	SpanDelete  = "synthesisvr.session.delete"
	// SpanOther is an event that was neither applied as a create nor as a delete
	// because its action is unknown (ignored) or it is invalid (rejected).
	SpanOther = "synthesisvr.session.event"
)

// Attribute keys of the span model.
const (
	AttrSessionID = "synthesisvr.session.id"
	AttrLocation  = "synthesisvr.location"
	AttrStations  = "synthesisvr.stations"
	AttrEndReason = "synthesisvr.session.end_reason" // deleted, expired, admin, finished or cancelled
	// The schedule from SynthesisVR's sessions API, on sessions that had one.
	AttrScheduledStart = "synthesisvr.session.scheduled_start" // RFC 3339
	AttrScheduledEnd   = "synthesisvr.session.scheduled_end"   // RFC 3339
	AttrExperience     = "synthesisvr.session.experience"
	AttrCost           = "synthesisvr.session.cost"
	AttrAction         = "synthesisvr.event.action"
	AttrResult         = "synthesisvr.event.result"
	AttrReason         = "synthesisvr.event.rejection_reason"
	AttrIndex          = "synthesisvr.event.index" // position in the request's array
	AttrFolded         = "synthesisvr.location.folded"
	AttrWebhook        = "synthesisvr.webhook.name" // the config's name of the webhook, never its token
	AttrCustomerID     = "synthesisvr.customer.id"
)

// ResultRejected is the result of an invalid event; the other results are the
// session state machine's.
const ResultRejected = "rejected"

// scope is the instrumentation scope of the session spans.
const scope = "github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/tracing"

// Event is one event of a webhook request, once handled.
type Event struct {
	Index    int
	UUID     string // "" for a rejected event without a valid uuid
	Action   string // create, delete, another (ignored) one, or "" when rejected
	Location string // the label used; "" when rejected
	Stations int
	Folded   bool   // the location was folded into the overflow label
	Result   string // applied, duplicate, unmatched, late, ignored or rejected
	// Reason and Message say why an event was rejected.
	Reason, Message string
	Webhook         string // the name of the webhook that received it
	// CustomerID is put on the span only with HasCustomerID, which the caller sets
	// only when the configuration allows it.
	CustomerID    int64
	HasCustomerID bool
	// Start and End bound its handling: from the request's decoding to the moment
	// the store had it durably.
	Start, End time.Time
}

// SessionEnd is a session that ended, by its delete, by expiry or through the
// admin API.
type SessionEnd struct {
	UUID     string
	Location string
	Stations int
	Started  time.Time // the stored start, which survives restarts
	Ended    time.Time
	Reason   string // deleted, expired, admin, finished or cancelled
	// Schedule is the session's schedule from the sessions API; zero when unknown.
	ScheduledStart, ScheduledEnd time.Time
	Experience                   string
	Cost                         float64
}

// Spans makes the spans of the span model. It is safe for concurrent use.
type Spans struct {
	provider trace.TracerProvider
	tracer   trace.Tracer
	on       bool
}

// NewSpans returns the spans of a provider; with a no-op provider (or nil) every
// method returns at once. An SDK provider must come from NewSDKProvider.
func NewSpans(p trace.TracerProvider) *Spans {
	if own, ok := p.(*Provider); ok {
		p = own.TracerProvider
	}
	if p == nil {
		p = noop.NewTracerProvider()
	}
	_, off := p.(noop.TracerProvider)
	return &Spans{provider: p, tracer: p.Tracer(scope), on: !off}
}

// Enabled reports whether spans are made; callers skip building their values when not.
func (s *Spans) Enabled() bool { return s.on }

// Event records the span of one event. ctx carries the span of the HTTP request,
// which the event span links to. An event with a uuid is a child of its session's
// span, in the session's trace, even though that span is only sent when the session
// ends; one without (rejected for its uuid) is a child of the request span.
func (s *Spans) Event(ctx context.Context, e Event) {
	if !s.on {
		return
	}
	opts := []trace.SpanStartOption{trace.WithTimestamp(e.Start), trace.WithAttributes(eventAttrs(e)...)}
	if e.UUID != "" {
		if link := trace.LinkFromContext(ctx); link.SpanContext.IsValid() {
			opts = append(opts, trace.WithLinks(link))
		}
		ctx = trace.ContextWithRemoteSpanContext(ctx, sessionParent(e.UUID))
	}
	_, span := s.tracer.Start(ctx, eventSpanName(e), opts...)
	if e.Result == ResultRejected {
		span.SetStatus(codes.Error, e.Message)
	}
	span.End(trace.WithTimestamp(e.End))
}

func eventSpanName(e Event) string {
	switch {
	case e.Result == ResultRejected:
		return SpanOther
	case e.Action == "create":
		return SpanCreate
	case e.Action == "delete":
		return SpanDelete
	default:
		return SpanOther
	}
}

func eventAttrs(e Event) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 10)
	if e.UUID != "" {
		attrs = append(attrs, attribute.String(AttrSessionID, e.UUID))
	}
	attrs = append(attrs, attribute.Int(AttrIndex, e.Index), attribute.String(AttrResult, e.Result))
	if e.Result == ResultRejected {
		attrs = append(attrs, attribute.String(AttrReason, e.Reason))
	} else {
		attrs = append(attrs,
			attribute.String(AttrAction, e.Action),
			attribute.String(AttrLocation, e.Location),
			attribute.Int(AttrStations, e.Stations))
	}
	if e.Folded {
		attrs = append(attrs, attribute.Bool(AttrFolded, true))
	}
	if e.Webhook != "" {
		attrs = append(attrs, attribute.String(AttrWebhook, e.Webhook))
	}
	if e.HasCustomerID {
		attrs = append(attrs, attribute.Int64(AttrCustomerID, e.CustomerID))
	}
	return attrs
}

// SessionEnded sends the span of a whole session: a root whose trace id is made
// from the uuid (TraceID) and whose span id every process derives alike, from its
// stored start to its end. ctx only carries cancellation; its span is not the parent.
func (s *Spans) SessionEnded(ctx context.Context, e SessionEnd) {
	if !s.on {
		return
	}
	_, span := s.tracer.Start(withSession(ctx, e.UUID), SpanSession,
		trace.WithNewRoot(),
		trace.WithTimestamp(e.Started),
		trace.WithAttributes(
			attribute.String(AttrSessionID, e.UUID),
			attribute.String(AttrLocation, e.Location),
			attribute.Int(AttrStations, e.Stations),
			attribute.String(AttrEndReason, e.Reason),
		))
	if !e.ScheduledStart.IsZero() {
		span.SetAttributes(
			attribute.String(AttrScheduledStart, e.ScheduledStart.UTC().Format(time.RFC3339)),
			attribute.String(AttrScheduledEnd, e.ScheduledEnd.UTC().Format(time.RFC3339)),
			attribute.String(AttrExperience, e.Experience),
			attribute.Float64(AttrCost, e.Cost))
	}
	span.End(trace.WithTimestamp(e.Ended))
}
