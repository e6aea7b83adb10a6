package server

import (
	"context"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"golang.org/x/net/netutil"
	"golang.org/x/time/rate"
)

// Listeners names, as label values of the connection metrics.
const (
	ListenerMain    = "main"
	ListenerWebhook = "webhook"
)

// ConnMetrics count the connections of each listener.
type ConnMetrics struct {
	open  *prometheus.GaugeVec
	limit *prometheus.GaugeVec
}

// NewConnMetrics registers the connection metrics on reg.
func NewConnMetrics(reg prometheus.Registerer) *ConnMetrics {
	f := promauto.With(reg)
	return &ConnMetrics{
		open: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "synthesisvr_exporter_http_connections",
			Help: "Open connections of the listener; at limits.max_connections further clients wait to be accepted.",
		}, []string{"listener"}),
		limit: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "synthesisvr_exporter_http_connections_limit",
			Help: "The most connections the listener keeps open at once (limits.max_connections).",
		}, []string{"listener"}),
	}
}

// Limit returns l accepting at most n connections at once (netutil.LimitListener):
// idle clients cannot take every file descriptor. Its open connections are
// counted under name.
func (m *ConnMetrics) Limit(l net.Listener, name string, n int) net.Listener {
	m.limit.WithLabelValues(name).Set(float64(n))
	return netutil.LimitListener(&countedListener{Listener: l, open: m.open.WithLabelValues(name)}, n)
}

// countedListener counts the connections it accepted that are not closed yet.
type countedListener struct {
	net.Listener
	open prometheus.Gauge
}

func (l *countedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.open.Inc()
	return &countedConn{Conn: c, open: l.open}, nil
}

type countedConn struct {
	net.Conn
	open prometheus.Gauge
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(c.open.Dec)
	return c.Conn.Close()
}

// ErrorLog returns the ErrorLog of an http.Server: net/http's own messages (a
// TLS handshake that failed, an accept error) go through logger, structured, at
// debug, and at most one a second, with the number left out since, so that a
// flood of bad connections cannot flood the log.
func ErrorLog(logger *slog.Logger, listener string) *log.Logger {
	return log.New(&errorWriter{logger: logger, listener: listener, limit: rate.NewLimiter(rate.Every(time.Second), 1)}, "", 0)
}

type errorWriter struct {
	logger   *slog.Logger
	listener string
	limit    *rate.Limiter
	quiet    atomic.Int64
}

func (w *errorWriter) Write(p []byte) (int, error) {
	if !w.logger.Enabled(context.Background(), slog.LevelDebug) {
		return len(p), nil
	}
	if !w.limit.Allow() {
		w.quiet.Add(1)
		return len(p), nil
	}
	w.logger.Debug("HTTP server error", "listener", w.listener,
		"err", strings.TrimSpace(strings.TrimPrefix(string(p), "http: ")), "suppressed", w.quiet.Swap(0))
	return len(p), nil
}

// WithHeaders returns h setting the headers of the web config's
// http_server_config on every answer, as exporter-toolkit does on its listener.
func WithHeaders(h http.Handler, headers map[string]string) http.Handler {
	if len(headers) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		h.ServeHTTP(w, r)
	})
}
