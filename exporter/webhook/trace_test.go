package webhook_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/tracing"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

const (
	uuidA = "41509791-3de8-5bb9-b4fc-a9753da95aad" // the documented sample's uuid
	uuidB = "B7E2C1D0-0000-4000-8000-00000000000B" // upper case hex
	uuidC = "not-a-uuid"                           // hashed
)

// tracedEnv is a receiver whose spans go to a recorder.
type tracedEnv struct {
	*env
	recorder *tracetest.SpanRecorder
	spans    *tracing.Spans
}

func newTracedEnv(t *testing.T, customerID bool) *tracedEnv {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := tracing.NewSDKProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	spans := tracing.NewSpans(tp)
	return &tracedEnv{env: newEnvWith(t, nil, spans, customerID), recorder: rec, spans: spans}
}

// expire ends every active session, as the expirer does after --session.max-age.
func (e *tracedEnv) expire(t *testing.T) {
	t.Helper()
	ex := &session.Expirer{
		Store: e.store, MaxAge: time.Minute,
		Ended:  func(out []session.Outcome) { webhook.EndSpans(context.Background(), e.spans, out) },
		Failed: func(err error) { t.Errorf("expiry failed: %v", err) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    func() time.Time { return time.Now().Add(time.Hour) },
	}
	ex.Once(context.Background())
}

func ev(uuid, action string) string {
	return fmt.Sprintf(`{"uuid":%q,"action":%q,"location":"Kamen Test","stations":2,"customerid":7685}`, uuid, action)
}

func batch(events ...string) string { return "[" + strings.Join(events, ",") + "]" }

// step is a request to the receiver, or an expiry when body is "".
type step struct{ body string }

func expiry() step { return step{} }

func TestSpanTree(t *testing.T) {
	tests := map[string]struct {
		steps []step
		want  []string // describe() of every span, in the order they ended
	}{
		"create": {
			steps: []step{{batch(ev(uuidA, "create"))}},
			want: []string{
				"synthesisvr.session.create " + uuidA + " applied, in session, linked to request 1",
				"request 1",
			},
		},
		"duplicate": {
			steps: []step{{batch(ev(uuidA, "create"))}, {batch(ev(uuidA, "create"))}},
			want: []string{
				"synthesisvr.session.create " + uuidA + " applied, in session, linked to request 1",
				"request 1",
				"synthesisvr.session.create " + uuidA + " duplicate, in session, linked to request 2",
				"request 2",
			},
		},
		"delete": {
			steps: []step{{batch(ev(uuidA, "create"))}, {batch(ev(uuidA, "delete"))}},
			want: []string{
				"synthesisvr.session.create " + uuidA + " applied, in session, linked to request 1",
				"request 1",
				"synthesisvr.session.delete " + uuidA + " applied, in session, linked to request 2",
				"synthesisvr.session " + uuidA + " deleted, root",
				"request 2",
			},
		},
		"unmatched delete, then a late create": {
			steps: []step{{batch(ev(uuidC, "delete"))}, {batch(ev(uuidC, "create"))}},
			want: []string{
				"synthesisvr.session.delete " + uuidC + " unmatched, in session, linked to request 1",
				"request 1",
				"synthesisvr.session.create " + uuidC + " late, in session, linked to request 2",
				"request 2",
			},
		},
		"expiry": {
			steps: []step{{batch(ev(uuidA, "create"))}, expiry()},
			want: []string{
				"synthesisvr.session.create " + uuidA + " applied, in session, linked to request 1",
				"request 1",
				"synthesisvr.session " + uuidA + " expired, root",
			},
		},
		"a batch with two sessions": {
			steps: []step{{batch(ev(uuidA, "create"), ev(uuidB, "create"), ev(uuidA, "delete"))}},
			want: []string{
				"synthesisvr.session.create " + uuidA + " applied, in session, linked to request 1",
				"synthesisvr.session.create " + uuidB + " applied, in session, linked to request 1",
				"synthesisvr.session.delete " + uuidA + " applied, in session, linked to request 1",
				"synthesisvr.session " + uuidA + " deleted, root",
				"request 1",
			},
		},
		"ignored and rejected events": {
			steps: []step{{batch(ev(uuidB, "pause"), `{"action":"create"}`, `{"uuid":"`+uuidC+`","action":"create","stations":"many"}`)}},
			want: []string{
				"synthesisvr.session.event " + uuidB + " ignored, in session, linked to request 1",
				"synthesisvr.session.event rejected missing_uuid, under request 1",
				"synthesisvr.session.event " + uuidC + " rejected invalid_stations, in session, linked to request 1",
				"request 1",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newTracedEnv(t, false)
			for _, s := range tc.steps {
				if s.body == "" {
					e.expire(t)
					continue
				}
				if w := e.post("/webhook/"+token, s.body); w.Code != http.StatusOK {
					t.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
			spans := e.recorder.Ended()
			if got := describeAll(spans); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("spans:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			checkSessionTrees(t, spans)
			checkNoToken(t, spans, token)
		})
	}
}

// describeAll describes each span by its name, session, result, and where it
// hangs in the tree; request spans are numbered in the order they ended.
func describeAll(spans []sdktrace.ReadOnlySpan) []string {
	requests := map[trace.SpanID]int{}
	for _, s := range spans {
		if s.SpanKind() == trace.SpanKindServer {
			requests[s.SpanContext().SpanID()] = len(requests) + 1
		}
	}
	out := make([]string, 0, len(spans))
	for _, s := range spans {
		if n, ok := requests[s.SpanContext().SpanID()]; ok {
			out = append(out, fmt.Sprintf("request %d", n))
			continue
		}
		a := attrs(s)
		d := strings.TrimSpace(strings.Join([]string{s.Name(), a[tracing.AttrSessionID], a[tracing.AttrResult], a[tracing.AttrReason], a[tracing.AttrEndReason]}, " "))
		d = strings.Join(strings.Fields(d), " ")
		switch p := s.Parent(); {
		case !p.IsValid():
			d += ", root"
		case p.IsRemote():
			d += ", in session"
		default:
			d += fmt.Sprintf(", under request %d", requests[p.SpanID()])
		}
		for _, l := range s.Links() {
			d += fmt.Sprintf(", linked to request %d", requests[l.SpanContext.SpanID()])
		}
		out = append(out, d)
	}
	return out
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// checkSessionTrees checks the ids: every span of a session is in the trace named
// by its uuid; its event spans are children of the session span, which starts
// with the create and ends at the delete or expiry.
func checkSessionTrees(t *testing.T, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	sessions := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		if s.Name() == tracing.SpanSession {
			sessions[attrs(s)[tracing.AttrSessionID]] = s
		}
	}
	for _, s := range spans {
		uuid := attrs(s)[tracing.AttrSessionID]
		if uuid == "" {
			continue
		}
		if got, want := s.SpanContext().TraceID(), tracing.TraceID(uuid); got != want {
			t.Errorf("%s of %s: trace id %s, want %s", s.Name(), uuid, got, want)
		}
		sess, ok := sessions[uuid]
		if !ok || s == sess {
			continue
		}
		if s.Parent().SpanID() != sess.SpanContext().SpanID() {
			t.Errorf("%s of %s: parent %s, want the session span %s", s.Name(), uuid, s.Parent().SpanID(), sess.SpanContext().SpanID())
		}
		switch a := attrs(s); {
		case s.Name() == tracing.SpanCreate && a[tracing.AttrResult] == session.ResultApplied:
			if !s.StartTime().Equal(sess.StartTime()) {
				t.Errorf("session %s starts at %v, its create at %v", uuid, sess.StartTime(), s.StartTime())
			}
		case s.Name() == tracing.SpanDelete && a[tracing.AttrResult] == session.ResultApplied:
			if !s.StartTime().Equal(sess.EndTime()) {
				t.Errorf("session %s ends at %v, its delete at %v", uuid, sess.EndTime(), s.StartTime())
			}
		}
	}
}

// checkNoToken fails if the token appears in a span's name, attributes, links,
// events or status.
func checkNoToken(t *testing.T, spans []sdktrace.ReadOnlySpan, tok string) {
	t.Helper()
	for _, s := range spans {
		text := []string{s.Name(), s.Status().Description}
		for _, kv := range s.Attributes() {
			text = append(text, string(kv.Key)+"="+kv.Value.Emit())
		}
		for _, l := range s.Links() {
			for _, kv := range l.Attributes {
				text = append(text, kv.Value.Emit())
			}
		}
		for _, ev := range s.Events() {
			text = append(text, ev.Name)
			for _, kv := range ev.Attributes {
				text = append(text, kv.Value.Emit())
			}
		}
		for _, kv := range s.Resource().Attributes() {
			text = append(text, kv.Value.Emit())
		}
		if joined := strings.Join(text, "\n"); strings.Contains(joined, tok) {
			t.Errorf("span %q carries the token:\n%s", s.Name(), joined)
		}
	}
}

func TestRequestSpanHidesTheToken(t *testing.T) {
	tests := map[string]struct {
		path     string
		wantCode int
	}{
		"right token":                    {"/webhook/" + token, http.StatusOK},
		"token with a query":             {"/webhook/" + token + "?token=" + token, http.StatusOK},
		"escaped token":                  {"/webhook/%30123456789abcdef0123", http.StatusOK},
		"bound webhook names its config": {"/webhook/" + boundToken, http.StatusOK},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newTracedEnv(t, false)
			if w := e.post(tc.path, sample); w.Code != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.wantCode, w.Body)
			}
			spans := e.recorder.Ended()
			req := spans[len(spans)-1]
			a := attrs(req)
			if req.SpanKind() != trace.SpanKindServer || req.Name() != "POST "+webhook.Path ||
				a["url.path"] != webhook.Path || a["http.route"] != webhook.Path {
				t.Errorf("request span %q (%v) url.path=%q http.route=%q; want POST %s and the route template in both",
					req.Name(), req.SpanKind(), a["url.path"], a["http.route"], webhook.Path)
			}
			if got := a["http.response.status_code"]; got != fmt.Sprint(tc.wantCode) {
				t.Errorf("http.response.status_code = %q, want %d", got, tc.wantCode)
			}
			checkNoToken(t, spans, token)
			checkNoToken(t, spans, boundToken)
		})
	}
}

func TestWrongTokenMakesNoSpan(t *testing.T) {
	traced := newTracedEnv(t, false)
	plain := newEnv(t, nil)
	req := func(e *env) func() {
		return func() {
			r := httptest.NewRequest(http.MethodPost, "/webhook/"+token+"x", strings.NewReader(sample))
			r.Header.Set("User-Agent", strings.Repeat("a", 60<<10))
			w := httptest.NewRecorder()
			e.engine.ServeHTTP(w, r)
			if w.Code != http.StatusNotFound {
				t.Fatalf("status %d, want 404", w.Code)
			}
		}
	}
	withTracing := testing.AllocsPerRun(200, req(traced.env))
	without := testing.AllocsPerRun(200, req(plain))
	if n := len(traced.recorder.Started()); n != 0 {
		t.Errorf("wrong-token requests started %d spans, want none", n)
	}
	// The request and recorder themselves allocate; tracing must add nothing.
	if withTracing > without {
		t.Errorf("a wrong-token request allocates %v times with tracing on and %v without", withTracing, without)
	}
}

func TestEventAttributes(t *testing.T) {
	tests := map[string]struct {
		customerID bool
		path       string
		want       map[string]string
	}{
		"customer id off by default": {
			path: "/webhook/" + token,
			want: map[string]string{
				tracing.AttrSessionID: uuidA, tracing.AttrAction: "create", tracing.AttrResult: "applied",
				tracing.AttrLocation: "Kamen Test", tracing.AttrStations: "1", tracing.AttrIndex: "0",
				tracing.AttrWebhook: "main",
			},
		},
		"customer id when configured": {
			customerID: true, path: "/webhook/" + token,
			want: map[string]string{
				tracing.AttrSessionID: uuidA, tracing.AttrAction: "create", tracing.AttrResult: "applied",
				tracing.AttrLocation: "Kamen Test", tracing.AttrStations: "1", tracing.AttrIndex: "0",
				tracing.AttrWebhook: "main", tracing.AttrCustomerID: "7685",
			},
		},
		"bound webhook's location": {
			path: "/webhook/" + boundToken,
			want: map[string]string{
				tracing.AttrSessionID: uuidA, tracing.AttrAction: "create", tracing.AttrResult: "applied",
				tracing.AttrLocation: "Downtown", tracing.AttrStations: "1", tracing.AttrIndex: "0",
				tracing.AttrWebhook: "downtown",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newTracedEnv(t, tc.customerID)
			if w := e.post(tc.path, sample); w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			got := attrs(e.recorder.Ended()[0])
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("attributes %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSessionSpanAttributes(t *testing.T) {
	e := newTracedEnv(t, true)
	e.post("/webhook/"+token, batch(ev(uuidA, "create")))
	e.post("/webhook/"+token, batch(`{"uuid":"`+uuidA+`","action":"create","location":"Kamen Test","stations":3}`))
	e.post("/webhook/"+token, batch(ev(uuidA, "delete")))
	var sess sdktrace.ReadOnlySpan
	for _, s := range e.recorder.Ended() {
		if s.Name() == tracing.SpanSession {
			sess = s
		}
	}
	if sess == nil {
		t.Fatal("no session span")
	}
	want := map[string]string{
		tracing.AttrSessionID: uuidA, tracing.AttrLocation: "Kamen Test",
		tracing.AttrStations: "3", tracing.AttrEndReason: "deleted",
	}
	if got := attrs(sess); !reflect.DeepEqual(got, want) {
		t.Errorf("session span attributes %v, want %v (the customer id belongs on event spans only)", got, want)
	}
	if sess.Parent().IsValid() || len(sess.Links()) != 0 {
		t.Errorf("session span has parent %v and links %v; want a root", sess.Parent(), sess.Links())
	}
}

func TestNoSpansWhenOff(t *testing.T) {
	e := newEnvWith(t, nil, tracing.NewSpans(nil), true)
	if w := e.post("/webhook/"+token, sample); w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}
