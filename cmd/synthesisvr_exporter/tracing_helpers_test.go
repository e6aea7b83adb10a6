package main

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP traces endpoint that decodes the real protobuf, as
// an OpenTelemetry collector does, and keeps what it received.
type otlpReceiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	raw      [][]byte // every request body, decompressed
	spans    []receivedSpan
	requests int
}

// receivedSpan is a span with the service name of its resource.
type receivedSpan struct {
	*tracepb.Span
	service string
}

// startOTLPReceiver serves POST /v1/traces on a free loopback port until the test ends.
func startOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", r.export)
	r.srv = httptest.NewServer(mux) // httptest listens on 127.0.0.1
	t.Cleanup(r.srv.Close)
	return r
}

// env is what points an exporter at this receiver: the two standard OTLP
// variables, the protocol, and a short batch delay so spans arrive fast.
func (r *otlpReceiver) env(extra ...string) []string {
	return append([]string{
		"OTEL_SDK_DISABLED=false",
		"OTEL_TRACES_EXPORTER=otlp",
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + r.srv.URL,
		"OTEL_BSP_SCHEDULE_DELAY=50",
	}, extra...)
}

func (r *otlpReceiver) export(w http.ResponseWriter, req *http.Request) {
	body, err := readOTLPBody(req)
	if err != nil {
		r.t.Errorf("OTLP receiver: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var msg coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &msg); err != nil {
		r.t.Errorf("OTLP receiver: the body is not an ExportTraceServiceRequest: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.requests++
	r.raw = append(r.raw, body)
	for _, rs := range msg.GetResourceSpans() {
		service := attrValue(rs.GetResource().GetAttributes(), "service.name")
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, receivedSpan{Span: s, service: service})
			}
		}
	}
	r.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func readOTLPBody(req *http.Request) ([]byte, error) {
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			return nil, err
		}
		body = zr
	}
	return io.ReadAll(io.LimitReader(body, 16<<20))
}

// waitSpan waits until a span that match accepts has arrived and returns it.
func (r *otlpReceiver) waitSpan(what string, match func(receivedSpan) bool) receivedSpan {
	r.t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for {
		r.mu.Lock()
		for _, s := range r.spans {
			if match(s) {
				r.mu.Unlock()
				return s
			}
		}
		r.mu.Unlock()
		if time.Now().After(deadline) {
			r.t.Fatalf("no %s arrived within %s; received %d spans", what, readyTimeout, len(r.all()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// all returns every span received so far.
func (r *otlpReceiver) all() []receivedSpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedSpan(nil), r.spans...)
}

// contains reports whether any request body held b.
func (r *otlpReceiver) contains(b []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, raw := range r.raw {
		if bytes.Contains(raw, b) {
			return true
		}
	}
	return false
}

// count is the number of export requests received.
func (r *otlpReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// named matches a span by name and session id attribute.
func named(name, uuid string) func(receivedSpan) bool {
	return func(s receivedSpan) bool {
		return s.GetName() == name && attrValue(s.GetAttributes(), "synthesisvr.session.id") == uuid
	}
}

// attrValue is the string form of an attribute, "" when absent.
func attrValue(kvs []*commonpb.KeyValue, key string) string {
	for _, kv := range kvs {
		if kv.GetKey() != key {
			continue
		}
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			return v.StringValue
		case *commonpb.AnyValue_IntValue:
			return strconv.FormatInt(v.IntValue, 10)
		}
	}
	return ""
}

func hexID(b []byte) string { return hex.EncodeToString(b) }

// spanTime turns an OTLP timestamp into a time.
func spanTime(ns uint64) time.Time { return time.Unix(0, int64(ns)) }
