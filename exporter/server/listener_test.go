package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestErrorLogIsStructuredAndRateLimited(t *testing.T) {
	var out bytes.Buffer
	l := ErrorLog(slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})), ListenerWebhook)
	for range 3000 {
		l.Printf("http: TLS handshake error from 127.0.0.1:1234: client sent an HTTP request to an HTTPS server")
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// 3,000 lines within a second or two: one, perhaps a few more on a slow machine.
	if len(lines) < 1 || len(lines) > 10 {
		t.Fatalf("%d log lines for 3000 errors, want a handful", len(lines))
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("not JSON: %q", lines[0])
	}
	if rec["level"] != "DEBUG" || rec["listener"] != ListenerWebhook || !strings.HasPrefix(rec["err"].(string), "TLS handshake error") {
		t.Errorf("line %v: want level DEBUG, the listener and the error", rec)
	}

	out.Reset()
	quiet := ErrorLog(slog.New(slog.NewJSONHandler(&out, nil)), ListenerMain)
	quiet.Print("http: TLS handshake error")
	if out.Len() != 0 {
		t.Errorf("logged at info level: %q", out.String())
	}
}

func TestLimitCountsConnections(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewConnMetrics(reg)
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := m.Limit(raw, ListenerMain, 2)
	defer l.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	first, second := <-accepted, <-accepted
	select {
	case <-accepted:
		t.Fatal("a third connection was accepted past the limit of 2")
	case <-time.After(100 * time.Millisecond):
	}
	if got := testutil.ToFloat64(m.open.WithLabelValues(ListenerMain)); got != 2 {
		t.Errorf("open connections = %v, want 2", got)
	}
	first.Close()
	first.Close() // counted once
	third := <-accepted
	if got := testutil.ToFloat64(m.open.WithLabelValues(ListenerMain)); got != 2 {
		t.Errorf("open connections after one closed and the waiting one accepted = %v, want 2", got)
	}
	second.Close()
	third.Close()
	if got := testutil.ToFloat64(m.open.WithLabelValues(ListenerMain)); got != 0 {
		t.Errorf("open connections after all closed = %v, want 0", got)
	}
	if got := testutil.ToFloat64(m.limit.WithLabelValues(ListenerMain)); got != 2 {
		t.Errorf("limit = %v, want 2", got)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestWithHeaders(t *testing.T) {
	h := WithHeaders(http.NotFoundHandler(), map[string]string{"Strict-Transport-Security": "max-age=31536000"})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/webhook/x", nil))
	if got := w.Header().Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("header = %q", got)
	}
}
