package simulator

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/event"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

const testToken = "simulator-test-token-0123"

// receiver starts the exporter's own receiver and collector in-process, on a
// memory store, and returns its base URL. The end-to-end test of the built binary
// is in cmd/synthesisvr_exporter.
func receiver(t *testing.T) string {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := memstore.New()
	reg := prometheus.NewRegistry()
	metrics := collector.NewMetrics(reg, event.Reasons)
	reg.MustRegister(collector.New(store, metrics, func() []collector.Location { return nil }, logger))
	h := webhook.New(store, metrics, func() bool { return true }, webhook.NewSettings(webhook.Settings{
		Hooks: []webhook.Hook{{Name: "test", Token: testToken}}, MaxBodyBytes: 1 << 20, MaxEvents: 1000, MaxLocations: 1000,
	}), nil, logger)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	h.Register(r)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCheckAgainstTheReceiver(t *testing.T) {
	cases := map[string]struct {
		edges   Edges
		drop    float64
		wantOK  bool
		wantMsg string
	}{
		"no rough edges":                 {edges: Edges{}, wantOK: true},
		"every rough edge":               {edges: AllEdges, wantOK: true},
		"every rough edge, events lost":  {edges: AllEdges, drop: 0.05, wantMsg: "synthesisvr_sessions_active{location="},
		"all deletes missing, none lost": {edges: Edges{MissingDelete: 1}, wantOK: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			base := receiver(t)
			ctx := context.Background()
			client := NewClient(4)
			baseline, err := Scrape(ctx, client, base+"/metrics")
			if err != nil {
				t.Fatal(err)
			}
			m := NewModel()
			res, err := RunLoad(ctx, LoadOptions{
				URL: base + "/webhook/" + testToken, Events: 1000, Connections: 4,
				Locations: []string{"A", "B", "C"}, Sessions: 40, Edges: c.edges, Seed: 11,
				Drop: c.drop, Model: m, Client: client,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Failed() > 0 || (c.drop > 0) != (res.Dropped > 0) {
				t.Fatalf("load: %s", res)
			}
			rep, err := Verify(ctx, client, base+"/metrics", m, baseline, 6*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() != c.wantOK {
				t.Errorf("check OK = %v, want %v:\n%s", rep.OK(), c.wantOK, rep)
			}
			if !strings.Contains(rep.String(), c.wantMsg) {
				t.Errorf("report %q does not name %q", rep, c.wantMsg)
			}
		})
	}
}

func TestLoadAtAFixedRate(t *testing.T) {
	base := receiver(t)
	res, err := RunLoad(context.Background(), LoadOptions{
		URL: base + "/webhook/" + testToken, Events: 200, Rate: 1000, Connections: 3,
		Locations: []string{"A"}, Sessions: 10, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 200 || res.Codes[http.StatusOK] != res.Requests {
		t.Fatalf("load: %s", res)
	}
	// 200 events at 1000/s take at least 199 ms: the schedule held them back.
	if res.Elapsed < 190*time.Millisecond {
		t.Errorf("200 events at 1000/s took %s: the rate was not held", res.Elapsed)
	}
}

// TestMeasuringMarksTheMeasuredPart has a timed run with a warm-up tell when its
// measured part starts, once: the requests before it are not in the result.
func TestMeasuringMarksTheMeasuredPart(t *testing.T) {
	base := receiver(t)
	var calls atomic.Int32
	var served atomic.Int64
	counting := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			next.ServeHTTP(w, r)
		})
	}
	proxy := httptest.NewServer(counting(httputil.NewSingleHostReverseProxy(mustParse(t, base))))
	t.Cleanup(proxy.Close)
	var atMeasuring int64
	start := time.Now()
	var startedAfter time.Duration
	res, err := RunLoad(context.Background(), LoadOptions{
		URL: proxy.URL + "/webhook/" + testToken, Duration: 300 * time.Millisecond, Warmup: 200 * time.Millisecond,
		Connections: 2, Locations: []string{"A"}, Sessions: 10, Seed: 1,
		Measuring: func() {
			if calls.Add(1) == 1 {
				atMeasuring, startedAfter = served.Load(), time.Since(start)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 || startedAfter < 200*time.Millisecond {
		t.Fatalf("Measuring called %d times, first after %s; want once, after the 200 ms warm-up", calls.Load(), startedAfter)
	}
	// A request on its way at that moment may count: one per connection.
	if atMeasuring == 0 || int64(res.Requests) > served.Load()-atMeasuring+2 {
		t.Errorf("%d requests served before Measuring, %d after, yet %d counted", atMeasuring, served.Load()-atMeasuring, res.Requests)
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestLoadOptionsAreValidated(t *testing.T) {
	_, err := RunLoad(context.Background(), LoadOptions{URL: "http://x", Events: 1, Connections: 0,
		Locations: []string{"A"}, Edges: Edges{Batch: 2}})
	for _, want := range []string{"--connections", "--edges.batch"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

func TestScrapeRefusesWhatIsNotAnExporter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "# TYPE up gauge\nup 1\n")
	}))
	t.Cleanup(srv.Close)
	if _, err := Scrape(context.Background(), NewClient(1), srv.URL); err == nil || !strings.Contains(err.Error(), "synthesisvr_store_up") {
		t.Errorf("Scrape of a foreign target: err = %v, want one naming synthesisvr_store_up", err)
	}
}
