package benchmark

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// result is a throughput round of rps requests per second.
func result(rps int, failed int) Round {
	return Round{LoadResult: simulator.LoadResult{Requests: rps, Elapsed: time.Second,
		Codes: map[int]int{http.StatusOK: rps - failed, http.StatusServiceUnavailable: failed}},
		ServerCPU: time.Second / time.Duration(rps), LoadCPU: 40 * time.Microsecond}
}

func results(memory, bolt float64, failed int, scrape time.Duration) *Results {
	th := func(name string, rps float64, goal float64, failed int) Throughput {
		return Throughput{Target: name, Connections: 50, Goal: goal,
			Rounds: []Round{result(int(rps), failed)}, Ratios: []float64{rps / 10000}}
	}
	return &Results{
		Options:    Options{SteadyRate: 1000, Duration: time.Second, Rounds: 1},
		Throughput: []Throughput{th("ceiling", 10000, 0, 0), th("memory", memory, 0, 0), th("bolt", bolt, 0.40, failed)},
		Steady:     simulator.LoadResult{Latency: simulator.Latency{P99: 5 * time.Millisecond}},
		State:      StateResults{Locations: 1000, Sessions: 10000, ScrapeP50: scrape, RSSFull: 40 << 20},
	}
}

// withWrk adds wrk rows: the memory store at half the ceiling, bolt at a tenth, with
// 2 failed requests that count against no target.
func withWrk(r *Results) *Results {
	r.Options.WrkRounds = 1
	row := func(name string, rps int, failed int) Throughput {
		return Throughput{Target: name, Connections: 50, Rounds: []Round{result(rps, failed)}, Ratios: []float64{float64(rps) / 20000}}
	}
	r.Wrk = []Throughput{row("ceiling", 20000, 0), row("memory", 10000, 0), row("bolt", 2000, 2)}
	return r
}

func withoutWrk(r *Results) *Results {
	r.Options.WrkRounds = 1
	r.WrkSkipped = "wrk not installed (Debian: apt-get install wrk)"
	return r
}

func skipped(r *Results, why string) *Results {
	r.Skipped = append(r.Skipped, why)
	return r
}

func TestReportCountsMissedTargets(t *testing.T) {
	cases := map[string]struct {
		r      *Results
		missed int
		line   string
	}{
		"all met":               {r: results(9000, 5000, 0, 5*time.Millisecond), missed: 0, line: "All targets met."},
		"CPU per request":       {r: results(9000, 5000, 0, 5*time.Millisecond), missed: 0, line: "111 us  40 us"},
		"bolt under its share":  {r: results(9000, 3000, 0, 5*time.Millisecond), missed: 1, line: "0.30  >= 0.40   NO"},
		"bolt failing requests": {r: results(9000, 5000, 3, 5*time.Millisecond), missed: 1, line: "1 targets missed."},
		"a slow scrape":         {r: results(9000, 5000, 0, 90*time.Millisecond), missed: 1, line: "90 ms"},
		"memory has no target":  {r: results(5000, 1000, 0, 5*time.Millisecond), missed: 1, line: "1 targets missed."},
		"wrk rows, no targets":  {r: withWrk(results(9000, 5000, 0, 5*time.Millisecond)), missed: 0, line: "bolt           50        2000"},
		"wrk ratios":            {r: withWrk(results(9000, 5000, 0, 5*time.Millisecond)), missed: 0, line: "0.50"},
		"wrk absent":            {r: withoutWrk(results(9000, 5000, 0, 5*time.Millisecond)), missed: 0, line: "wrk: wrk not installed"},
		"a target left out":     {r: skipped(results(9000, 5000, 0, 5*time.Millisecond), "redis left out: redis-server is not installed"), missed: 0, line: "redis left out: redis-server is not installed"},
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

// TestCPUReadsProc reads this test's own process through /proc, as the bench reads a
// child's, after burning some CPU, and compares it with getrusage.
func TestCPUReadsProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here: the bench reads CPU times on Linux only")
	}
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	p := &process{name: "self", Process: &proctest.Process{Cmd: &exec.Cmd{Process: self}}}
	before, err := p.cpu()
	if err != nil {
		t.Fatal(err)
	}
	// Busy until getrusage counts 200 ms more, however loaded the machine.
	start := selfCPU()
	for deadline := time.Now().Add(20 * time.Second); selfCPU()-start < 200*time.Millisecond && time.Now().Before(deadline); {
	}
	rusage := selfCPU() - start
	after, err := p.cpu()
	if err != nil {
		t.Fatal(err)
	}
	// /proc counts in hundredths of a second, and other goroutines of the test ran too.
	if used := after - before; used < rusage-20*time.Millisecond || used > rusage+100*time.Millisecond {
		t.Errorf("/proc says %s used while getrusage counted %s", used, rusage)
	}
}

// TestRatiosToTheCeilingBeforeAndAfter takes a round where the machine slowed down
// evenly: the ceiling did 12,000 requests/s before and 8,000 after, and a store
// measured in between did 8,000; its ratio is to the mean of the two, 0.8.
func TestRatiosToTheCeilingBeforeAndAfter(t *testing.T) {
	got := roundRatios([][]Round{{result(12000, 0), result(8000, 0)}, {result(8000, 0)}, {result(2000, 0)}})
	want := [][]float64{{1.2, 0.8}, {0.8}, {0.2}}
	for ti := range want {
		for i := range want[ti] {
			if d := got[ti][i] - want[ti][i]; d > 1e-9 || d < -1e-9 {
				t.Fatalf("ratios %v, want %v", got, want)
			}
		}
	}
}

func TestTargetNeedsItsProgram(t *testing.T) {
	missing := Target{Name: "x", Needs: "no-such-program-for-synthesisvr", Install: "apt-get install it"}
	if err := missing.available(); err == nil || !strings.Contains(err.Error(), "apt-get install it") {
		t.Errorf("available() = %v, want an error with the install hint", err)
	}
	if err := (Target{Name: "y", Needs: "sh"}).available(); err != nil {
		t.Errorf("sh is on PATH, yet: %v", err)
	}
	if err := (Target{Name: "z"}).available(); err != nil {
		t.Errorf("a target that needs nothing: %v", err)
	}
}
