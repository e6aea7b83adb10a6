package benchmark

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/simulator"
)

// result is a throughput round of rps requests per second.
func result(rps int, failed int) simulator.LoadResult {
	return simulator.LoadResult{Requests: rps, Elapsed: time.Second,
		Codes: map[int]int{http.StatusOK: rps - failed, http.StatusServiceUnavailable: failed}}
}

func results(memory, bolt float64, failed int, scrape time.Duration) *Results {
	th := func(name string, rps float64, goal float64, failed int) Throughput {
		return Throughput{Target: name, Connections: 50, Goal: goal,
			Rounds: []simulator.LoadResult{result(int(rps), failed)}, Ratios: []float64{rps / 10000}}
	}
	return &Results{
		Options:    Options{SteadyRate: 1000, Duration: time.Second, Rounds: 1},
		Throughput: []Throughput{th("ceiling", 10000, 0, 0), th("memory", memory, 0.75, 0), th("bolt", bolt, 0.40, failed)},
		Steady:     simulator.LoadResult{Latency: simulator.Latency{P99: 5 * time.Millisecond}},
		State:      StateResults{Locations: 1000, Sessions: 10000, ScrapeP50: scrape, RSSFull: 40 << 20},
	}
}

func TestReportCountsMissedTargets(t *testing.T) {
	cases := map[string]struct {
		r      *Results
		missed int
		line   string
	}{
		"all met":                {r: results(9000, 5000, 0, 5*time.Millisecond), missed: 0, line: "All targets met."},
		"bolt under its share":   {r: results(9000, 3000, 0, 5*time.Millisecond), missed: 1, line: "0.30  >= 0.40   NO"},
		"bolt failing requests":  {r: results(9000, 5000, 3, 5*time.Millisecond), missed: 1, line: "1 targets missed."},
		"a slow scrape":          {r: results(9000, 5000, 0, 30*time.Millisecond), missed: 1, line: "30 ms"},
		"memory and bolt missed": {r: results(5000, 1000, 0, 5*time.Millisecond), missed: 2, line: "2 targets missed."},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			if got := c.r.Report(&b); got != c.missed {
				t.Errorf("missed = %d, want %d:\n%s", got, c.missed, b.String())
			}
			if !strings.Contains(b.String(), c.line) {
				t.Errorf("report does not hold %q:\n%s", c.line, b.String())
			}
		})
	}
}

func TestCeilingReadsTheBodyAndAnswers204(t *testing.T) {
	w := httptest.NewRecorder()
	Ceiling().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/webhook/x", strings.NewReader(`[{"uuid":"a"}]`)))
	if w.Code != http.StatusNoContent {
		t.Errorf("status %d, want 204", w.Code)
	}
}
