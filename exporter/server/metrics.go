package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

// Exposer is a gatherer that also writes its own exposition, faster than promhttp
// encoding what it gathers; a *collector.Registry is one. It must be safe for
// concurrent use.
type Exposer interface {
	prometheus.Gatherer
	// Writes reports whether Expose's writer writes format.
	Writes(format expfmt.Format) bool
	// Expose reads the families named in names (all of them when names is empty) and
	// returns a function writing them in a format that Writes accepts. An error means
	// nothing was written.
	Expose(names []string) (func(w io.Writer, format expfmt.Format) error, error)
}

const (
	// maxScrapes bounds concurrent scrapes, as promhttp's MaxRequestsInFlight.
	maxScrapes = 4
	// scrapeTimeout answers 503 to a scrape that takes longer.
	scrapeTimeout = 10 * time.Second
	// gzipLevel is gzip.BestSpeed: the exposition repeats itself so much that it
	// compresses 25 to 1 at that level, and promhttp's default level costs more CPU
	// per scrape for a few percent fewer bytes. The gzip is klauspost/compress's
	// (already in the module graph through promhttp's zstd): at this level it takes
	// half the time of compress/gzip on a 1,000-location exposition for 2% more bytes.
	gzipLevel = gzip.BestSpeed
)

// MetricsHandler returns the handler of --web.telemetry-path, instrumented with
// promhttp's scrape metrics on o.Registerer. When o.Gatherer is an Exposer, text
// and OpenMetrics scrapes take its fast path; the other formats (protobuf) and other
// gatherers go through promhttp.
func MetricsHandler(o Options) http.Handler {
	opts := promhttp.HandlerOpts{
		EnableOpenMetrics: true,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelError),
	}
	var h http.Handler
	if e, ok := o.Gatherer.(Exposer); ok {
		h = &exposition{exposer: e, fallback: promhttp.HandlerFor(e, opts), sem: make(chan struct{}, maxScrapes), logger: o.Logger}
		h = http.TimeoutHandler(h, scrapeTimeout, fmt.Sprintf("Exceeded configured timeout of %v.\n", scrapeTimeout))
	} else {
		opts.MaxRequestsInFlight, opts.Timeout = maxScrapes, scrapeTimeout
		h = promhttp.HandlerFor(o.Gatherer, opts)
	}
	if o.Registerer == nil {
		return h
	}
	return promhttp.InstrumentMetricHandler(o.Registerer, h)
}

// exposition serves a scrape the way promhttp does (format negotiation, gzip, a
// bound on concurrent scrapes, 500 on a failed gather) from an Exposer.
type exposition struct {
	exposer  Exposer
	fallback http.Handler
	sem      chan struct{}
	logger   *slog.Logger
}

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzipLevel)
	return w
}}

func (x *exposition) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case x.sem <- struct{}{}:
		defer func() { <-x.sem }()
	default:
		http.Error(w, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", maxScrapes), http.StatusServiceUnavailable)
		return
	}
	format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultOpenMetricsAcceptedFormats()...)
	if !x.exposer.Writes(format) {
		x.fallback.ServeHTTP(w, r)
		return
	}
	write, err := x.exposer.Expose(r.URL.Query()["name[]"])
	if err != nil {
		x.logger.Error("Gathering metrics failed", "err", err)
		http.Error(w, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Add("Vary", "Accept")
	h.Add("Vary", "Accept-Encoding")
	h.Set("Content-Type", string(format))
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		if err := write(w, format); err != nil {
			// The status is sent; all that is left is to stop and say why.
			x.logger.Error("Writing metrics failed", "err", err)
		}
		return
	}
	h.Set("Content-Encoding", "gzip")
	gz := gzipPool.Get().(*gzip.Writer)
	gz.Reset(w)
	defer func() {
		gz.Reset(nil)
		gzipPool.Put(gz)
	}()
	if runtime.GOMAXPROCS(0) == 1 {
		// One thread: a pipeline could not overlap anything, and its copies and
		// handoffs cost a sixth more (BenchmarkScrapeGzip -cpu 1).
		err = errors.Join(write(gz, format), gz.Close())
	} else {
		// gzip runs on the pipeline's goroutine while the exposition is written.
		p := newPipeline(gz)
		// Even when write panics, the pipeline ends before gz goes back to the pool.
		defer p.Close()
		if err = write(p, format); errors.Is(err, errPipeline) {
			err = nil // Close says why
		}
		err = errors.Join(err, p.Close(), gz.Close())
	}
	if err != nil {
		x.logger.Error("Writing metrics failed", "err", err)
	}
}

// acceptsGzip negotiates the encoding as promhttp does between identity and gzip,
// offered in that order: the highest q above 0 wins and identity wins a tie, so
// "gzip, identity" stays uncompressed and "gzip" (what Prometheus sends) is gzipped.
func acceptsGzip(accept string) bool {
	best, bestQ := "identity", -1.0
	for _, offer := range []string{"identity", "gzip"} {
		for spec := range strings.SplitSeq(accept, ",") {
			value, q := parseCoding(spec)
			if q > bestQ && (value == "*" || value == offer) {
				best, bestQ = offer, q
			}
		}
	}
	return best == "gzip" && bestQ > 0
}

// parseCoding returns a coding of Accept-Encoding and its q (1 without one, 0 when
// it does not parse).
func parseCoding(spec string) (string, float64) {
	value, params, _ := strings.Cut(spec, ";")
	value = strings.ToLower(strings.TrimSpace(value))
	if value == "" {
		return "", -1
	}
	q := 1.0
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(p, "=")
		if ok && strings.TrimSpace(k) == "q" {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return value, 0
			}
			q = f
		}
	}
	return value, q
}
