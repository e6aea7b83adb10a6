package main

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// traceUUID is a SynthesisVR session id; its trace is the uuid without dashes.
const (
	traceUUID = "41509791-3de8-5bb9-b4fc-a9753da95aad"
	traceID   = "415097913de85bb9b4fca9753da95aad"
)

// window is the span of wall-clock time a request took, seen from the test.
type window struct{ from, to time.Time }

func (w window) holds(t time.Time) bool { return !t.Before(w.from) && !t.After(w.to) }

// postTimed posts body and returns when the exporter may have handled it.
func postTimed(t *testing.T, url, body string) window {
	t.Helper()
	w := window{from: time.Now()}
	postEvents(t, url, body)
	w.to = time.Now()
	return w
}

func TestSessionTraceReachesTheCollector(t *testing.T) {
	tests := map[string]struct {
		restart bool
	}{
		"one process": {},
		"exporter restarted between create and delete": {restart: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rcv := startOTLPReceiver(t)
			env := rcv.env()
			if tc.restart {
				// Spans leave only when the provider shuts down: the stop must flush them.
				env = rcv.env("OTEL_BSP_SCHEDULE_DELAY=600000")
			}
			p := startExporter(t, options{env: env})
			p.waitLog("Tracing is on", 1)
			tok := readToken(t, p.storage)
			created := postTimed(t, p.webhookURL(tok), createEvent(traceUUID, "Kamen Test", 2))
			if tc.restart {
				p.signal(syscall.SIGTERM)
				if code := p.waitExit(readyTimeout); code != 0 {
					t.Fatalf("exit code %d after SIGTERM", code)
				}
				rcv.waitSpan("create span flushed on exit", named("synthesisvr.session.create", traceUUID))
				p = startExporter(t, options{storage: p.storage, env: rcv.env()})
			}
			deleted := postTimed(t, p.webhookURL(tok), `[{"uuid":"`+traceUUID+`","action":"delete","location":"Kamen Test","stations":2}]`)

			sess := rcv.waitSpan("session span", named("synthesisvr.session", traceUUID))
			checkSessionSpan(t, sess, created, deleted)
			create := rcv.waitSpan("create span", named("synthesisvr.session.create", traceUUID))
			del := rcv.waitSpan("delete span", named("synthesisvr.session.delete", traceUUID))
			for _, ev := range []receivedSpan{create, del} {
				checkEventSpan(t, ev, sess)
			}
			if got, want := spanTime(create.GetStartTimeUnixNano()), spanTime(sess.GetStartTimeUnixNano()); !got.Equal(want) {
				t.Errorf("the session starts at %v, its create at %v: the stored start is not the create's", want, got)
			}
			if rcv.contains([]byte(tok)) {
				t.Error("the token reached the collector")
			}
			checkRequestSpans(t, rcv.all())
		})
	}
}

// checkSessionSpan checks the synthesisvr.session span: a root in the trace named
// by the uuid, from the create to the delete.
func checkSessionSpan(t *testing.T, s receivedSpan, created, deleted window) {
	t.Helper()
	if got := hexID(s.GetTraceId()); got != traceID {
		t.Errorf("session trace id %s, want %s (the uuid without dashes)", got, traceID)
	}
	if len(s.GetParentSpanId()) != 0 {
		t.Errorf("session span has parent %x; want a root", s.GetParentSpanId())
	}
	if start := spanTime(s.GetStartTimeUnixNano()); !created.holds(start) {
		t.Errorf("session starts at %v, outside its create request [%v, %v]", start, created.from, created.to)
	}
	if end := spanTime(s.GetEndTimeUnixNano()); !deleted.holds(end) {
		t.Errorf("session ends at %v, outside its delete request [%v, %v]", end, deleted.from, deleted.to)
	}
	if got := attrValue(s.GetAttributes(), "synthesisvr.session.end_reason"); got != "deleted" {
		t.Errorf("end reason %q, want deleted", got)
	}
	if s.service != name {
		t.Errorf("service.name %q, want %q", s.service, name)
	}
}

// checkEventSpan checks that an event span is a child of the session span and
// links to the request that carried it.
func checkEventSpan(t *testing.T, ev, sess receivedSpan) {
	t.Helper()
	if !bytes.Equal(ev.GetTraceId(), sess.GetTraceId()) || !bytes.Equal(ev.GetParentSpanId(), sess.GetSpanId()) {
		t.Errorf("%s: trace %x parent %x; want trace %x parent %x (the session span)",
			ev.GetName(), ev.GetTraceId(), ev.GetParentSpanId(), sess.GetTraceId(), sess.GetSpanId())
	}
	if len(ev.GetLinks()) != 1 {
		t.Fatalf("%s has %d links, want 1 (its request)", ev.GetName(), len(ev.GetLinks()))
	}
}

// checkRequestSpans checks the server spans: named by the route template, which is
// also their url.path, and the target of the event spans' links.
func checkRequestSpans(t *testing.T, spans []receivedSpan) {
	t.Helper()
	requests := map[string]bool{}
	for _, s := range spans {
		if s.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
			continue
		}
		requests[hexID(s.GetSpanId())] = true
		if s.GetName() != "POST /webhook/:token" || attrValue(s.GetAttributes(), "url.path") != "/webhook/:token" {
			t.Errorf("request span %q with url.path %q; want the route template in both", s.GetName(), attrValue(s.GetAttributes(), "url.path"))
		}
	}
	for _, s := range spans {
		for _, l := range s.GetLinks() {
			if !requests[hexID(l.GetSpanId())] {
				t.Errorf("%s links to %x, which is no request span", s.GetName(), l.GetSpanId())
			}
		}
	}
}

func TestTracingOffSendsNothing(t *testing.T) {
	tests := map[string][]string{
		"OTEL_SDK_DISABLED=true":    {"OTEL_SDK_DISABLED=true"},
		"OTEL_TRACES_EXPORTER=none": {"OTEL_TRACES_EXPORTER=none"},
	}
	for name, extra := range tests {
		t.Run(name, func(t *testing.T) {
			rcv := startOTLPReceiver(t)
			p := startExporter(t, options{env: rcv.env(extra...)})
			p.waitLog("Tracing is off", 1)
			tok := readToken(t, p.storage)
			postEvents(t, p.webhookURL(tok), createEvent(traceUUID, "Kamen Test", 1))
			p.signal(syscall.SIGTERM)
			p.waitExit(readyTimeout)
			if n := rcv.count(); n != 0 {
				t.Errorf("the collector received %d requests with tracing off", n)
			}
			if !strings.Contains(p.log.String(), name) {
				t.Errorf("the log does not say why tracing is off (%s):\n%s", name, p.log.String())
			}
		})
	}
}

func TestBadTracingSettingStopsTheStart(t *testing.T) {
	requireBinary(t)
	p := launch(t, options{storage: t.TempDir() + "/data/s.db", env: []string{"OTEL_SDK_DISABLED=false", "OTEL_TRACES_EXPORTER=jaeger"}}, &logBuffer{})
	if code := p.waitExit(readyTimeout); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	if log := p.log.String(); !strings.Contains(log, `OTEL_TRACES_EXPORTER=\"jaeger\"`) && !strings.Contains(log, `OTEL_TRACES_EXPORTER="jaeger"`) {
		t.Errorf("the log does not name the bad variable:\n%s", log)
	}
}
