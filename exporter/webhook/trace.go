package webhook

import (
	"context"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/event"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/tracing"
)

// handled is one request whose events the store took.
type handled struct {
	settings *Settings
	hook     Hook
	batch    *event.Batch
	events   []event.Event     // the valid events, in array order
	outcomes []session.Outcome // one per valid event
	start    time.Time
}

// trace records a span per event, valid or rejected, and the span of every
// session the request ended. ctx carries the request's span.
func (h *Handler) trace(ctx context.Context, r handled) {
	if !h.spans.Enabled() {
		return
	}
	end := h.now()
	for i, o := range r.outcomes {
		e := r.events[i]
		h.spans.Event(ctx, tracing.Event{
			Index: e.Index, UUID: o.Change.UUID, Action: o.Change.Action,
			Location: o.Change.Location, Stations: o.Change.Stations, Folded: o.Folded,
			Result: o.Result, Webhook: r.hook.Name,
			CustomerID: e.CustomerID, HasCustomerID: e.HasCustomerID && r.settings.CustomerIDOnSpans,
			Start: r.start, End: end,
		})
	}
	for _, rej := range r.batch.Rejected {
		h.spans.Event(ctx, tracing.Event{
			Index: rej.Index, UUID: rej.UUID, Result: tracing.ResultRejected,
			Reason: rej.Reason, Message: rej.Message, Webhook: r.hook.Name,
			Start: r.start, End: end,
		})
	}
	EndSpans(ctx, h.spans, r.outcomes)
}

// EndSpans records the span of every session that the outcomes ended: applied
// deletes, expiries (the expirer's outcomes) and admin ends.
func EndSpans(ctx context.Context, s *tracing.Spans, out []session.Outcome) {
	if !s.Enabled() {
		return
	}
	for _, o := range out {
		if o.Ended.IsZero() {
			continue
		}
		reason := o.Reason
		if reason == "" {
			reason = session.ReasonDeleted
			switch o.Result {
			case session.ResultExpired:
				reason = session.ReasonExpired
			case session.ResultAdmin:
				reason = session.ReasonAdmin
			}
		}
		sc := o.Session.Schedule
		s.SessionEnded(ctx, tracing.SessionEnd{
			UUID: o.Session.UUID, Location: o.Session.Location, Stations: o.Session.Stations,
			Started: o.Session.Started, Ended: o.Ended, Reason: reason,
			ScheduledStart: sc.Start, ScheduledEnd: sc.End, Experience: sc.Experience, Cost: sc.Cost,
		})
	}
}
