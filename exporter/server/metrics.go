package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const (
	// maxScrapes bounds concurrent scrapes; one more is answered 503.
	maxScrapes = 4
	// scrapeTimeout answers 503 to a scrape that takes longer.
	scrapeTimeout = 10 * time.Second
)

// MetricsHandler returns the handler of --web.telemetry-path: promhttp serving reg
// (text, OpenMetrics or protobuf as negotiated, gzip when asked), with promhttp's
// scrape metrics registered on reg. Gathering errors are logged on logger.
func MetricsHandler(reg *prometheus.Registry, logger *slog.Logger) http.Handler {
	return promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		EnableOpenMetrics:   true,
		MaxRequestsInFlight: maxScrapes,
		Timeout:             scrapeTimeout,
		ErrorLog:            slog.NewLogLogger(logger.Handler(), slog.LevelError),
		Registry:            reg,
	}))
}
