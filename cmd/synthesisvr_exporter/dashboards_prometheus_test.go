package main

import (
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/dashboards"
)

// Every query of both dashboards runs here against a real Prometheus that scrapes
// two exporters under simulated traffic and evaluates the shipped rules, with the
// variables substituted as Grafana substitutes them: Prometheus must accept each
// one, and each panel that should have data must show a number other than zero.
// The traffic is twofold: the simulator's demo plays a venue chain at Downtown and
// Mall, with their stations and the fake sessions API (bookings, cancellations,
// extensions, costs, API errors), and a careless client sends every kind of event
// and bad request besides (trafficBatch).

// dashJob is the scrape job of the exporters: the job name the README's scrape
// config and the alert rules use, and the value given to the dashboards' $job.
const dashJob = "synthesisvr"

// Locations of the test config. Mall's name has regex characters, so a selection of
// it tests Grafana's escaping of a multi-value variable; Downtown and Mall have
// stations and API keys, and the demo plays there alone; Walk-in has neither and gets
// trafficBatch's every kind of event; Idle is open all week and gets no traffic, so
// "open without sessions" has something to show; Shut is closed all week. The
// configured locations are always labelled by name; other ones count against
// max_locations alongside those that had events, so with five allowed (as many as
// are configured), the pop-up locations of trafficBatch (a new one in each batch)
// soon fold into _overflow.
const (
	downtown = "Downtown"
	mall     = "Mall (2nd floor)"
	walkIn   = "Walk-in"
	idle     = "Idle"
	shut     = "Shut"
	popUp    = "Pop-up" // and a number: not configured
)

// played are the locations the demo plays at, as the config gives them: their
// stations are the demo's capacities, their keys what the fake API serves them under.
var played = []struct {
	name, timezone, apiKey string
	stations               int
}{
	{downtown, "Europe/Sofia", "downtown-dashboards-key-0123", 10},
	{mall, "America/New_York", "mall-dashboards-key-0123", 6},
}

// dashDemoArgs are the demo's flags: 600 simulated seconds a second (an hour in 6 s,
// a session of 10 to 90 minutes in 1 to 9 s, bookings 6 s to a few minutes ahead), more
// groups than the stations take, so that the floor fills and some are turned away,
// many bookings and cancellations, and every rough edge of the API now and then
// (500s, 429s, HTML pages, slow answers past the exporters' 1 s timeout, every shape
// and time format).
var dashDemoArgs = []string{"--speed=600", "--seed=17", "--arrivals=24", "--status-interval=1h", "--log.level=warn",
	"--edges.booking=0.3", "--edges.cancel=0.3", "--edges.extend=0.1", "--edges.missed-webhook=0.05",
	"--api.errors=0.05", "--api.throttle=0.02", "--api.html=0.01", "--api.slow=0.01", "--api.slow-by=1500ms",
	"--api.shape=random", "--api.time-format=random"}

// dashMaxAge is the exporters' --session.max-age: short, so that sessions whose
// delete never comes expire while the test runs.
const dashMaxAge = 5 * time.Second

// trafficTick is how often the simulator sends each exporter a batch.
const trafficTick = 250 * time.Millisecond

// dashVars are the variables as Grafana sets them for a dashboard showing the last
// 30 s of a data source whose scrape interval is 1 s: the step is the scrape interval
// (Grafana's minimum), so $__rate_interval is 4 s.
var dashVars = dashboards.Vars{Job: []string{dashJob}, Scrape: time.Second, Interval: time.Second, Range: 30 * time.Second}

// dashViews are the selections of the location variable the queries run with: all
// locations (the default), and three chosen ones: one the demo plays, the one of
// trafficBatch, and the idle one.
var dashViews = []struct {
	name      string
	locations []string
}{
	{"all locations", nil},
	{"three locations", []string{mall, walkIn, idle}},
}

// dashConfig is the config file both exporters read, with the sessions API at
// apiURL: polled every second, each request bounded by a second.
func dashConfig(apiURL string) string {
	return "webhooks:\n  - name: main\n    token: " + mainToken + "\n" +
		"locations:\n" + playedLocations() +
		"  - name: " + walkIn + "\n    timezone: UTC\n    hours:\n      mon-sun: \"00:00-24:00\"\n" +
		"  - name: " + idle + "\n    timezone: Asia/Tokyo\n    hours:\n      mon-sun: \"00:00-24:00\"\n" +
		"  - name: " + shut + "\n    timezone: Europe/Sofia\n    hours:\n      mon-sun: closed\n" +
		"limits:\n  max_locations: 5\n" +
		"synthesisvr_api:\n  url: " + apiURL + "\n  poll_interval: 1s\n  timeout: 1s\n  max_requests_per_second: 100\n"
}

// demoConfig is the config file of the demo: the played locations alone, as the
// exporters' config has them.
func demoConfig() string { return "locations:\n" + playedLocations() }

func playedLocations() string {
	var b strings.Builder
	for _, l := range played {
		fmt.Fprintf(&b, "  - name: %q\n    timezone: %s\n    hours:\n      mon-sun: \"00:00-24:00\"\n    stations: %d\n    api_key: %s\n",
			l.name, l.timezone, l.stations, l.apiKey)
	}
	return b.String()
}

// dashProvides are the metrics of dashboards.Conditional whose needs this setup
// meets: locations with opening hours and stations, API keys, and the sessions API
// answering with bookings, costs and experiences. Each must be in Conditional, so
// that the test cannot stop requiring their data unnoticed.
var dashProvides = []string{
	"synthesisvr_location_open",
	"synthesisvr_location_stations",
	"synthesisvr_api_requests_total",
	"synthesisvr_sessions_booked",
	"synthesisvr_bookings_cancelled_total",
	"synthesisvr_api_request_duration_seconds_bucket",
	"synthesisvr_api_errors_total",
	"synthesisvr_api_lookups_pending",
	"synthesisvr_session_revenue_total",
	"synthesisvr_experience_revenue_total",
	"synthesisvr_experience_sessions_started_total",
}

// dashConfigured returns the needs (see dashboards.Conditional) this setup meets.
func dashConfigured(t *testing.T) map[string]bool {
	t.Helper()
	configured := map[string]bool{}
	for _, metric := range dashProvides {
		need, ok := dashboards.Conditional[metric]
		if !ok {
			t.Fatalf("dashboards.Conditional no longer names %s: say here what this test configures", metric)
		}
		configured[need] = true
	}
	return configured
}

func TestDashboardQueriesInPrometheus(t *testing.T) {
	requireBinary(t)
	requirePrometheus(t)
	boards, err := dashboards.ReadBoards(filepath.Join("..", "..", "dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	configured := dashConfigured(t)
	rules, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	cfg, demoCfg := filepath.Join(dir, "config.yml"), filepath.Join(dir, "demo.yml")
	apiAddr := freeAddr(t)
	writeFile(t, cfg, dashConfig("http://"+apiAddr))
	writeFile(t, demoCfg, demoConfig())
	// Only errors are logged: the simulator's expected warnings would bury them.
	o := options{config: cfg, args: []string{"--session.max-age=" + dashMaxAge.String(), "--log.level=error"}}
	exps := []*exporterProc{startExporter(t, o), startExporter(t, o)}
	sim := startTraffic(exps)
	t.Cleanup(sim.stop)
	// The demo posts to the first exporter alone; both poll its API, so the second
	// takes in the demo's sessions as ones no webhook brought.
	demo := startDemo(t, demoCfg, exps[0], apiAddr, func(addr string) {
		writeFile(t, cfg, dashConfig("http://"+addr))
		for _, e := range exps {
			e.signal(syscall.SIGHUP)
		}
	}, dashDemoArgs...)
	var targets []string
	for _, e := range exps {
		targets = append(targets, strings.TrimPrefix(e.base, "http://"))
	}
	prom := startPrometheus(t, promOptions{jobs: []promJob{{name: dashJob, targets: targets}}, ruleFiles: []string{rules}})
	prom.waitUntil(25*time.Second, trafficScraped(prom, len(exps)))
	prom.waitUntil(20*time.Second, apiDataArrived(prom, len(exps)))
	alerts, records := shippedRules()
	prom.waitUntil(10*time.Second, rulesHealthy(prom, alerts+records))
	if err := sim.err(); err != nil {
		t.Fatalf("simulated traffic: %v", err)
	}

	// The simulators keep sending while the queries run, as a venue does, so that the
	// stats of the last few scrape intervals have requests to show.
	grace := &retryBudget{left: 10 * time.Second}
	for _, view := range dashViews {
		t.Run(view.name, func(t *testing.T) {
			vars := dashVars
			vars.Location = view.locations
			for _, b := range boards {
				qs, err := b.Queries(vars)
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range qs {
					t.Run(q.Board+"/"+q.Panel+"/"+q.RefID, func(t *testing.T) {
						checkPanelQuery(t, prom, q, configured, grace)
					})
				}
			}
		})
	}
	checkCapacity(t, prom, exps[0])
	demo.stop()
	sim.stop()
	if err := sim.err(); err != nil {
		t.Errorf("simulated traffic: %v", err)
	}
}

// checkCapacity checks the chain from the config's stations to the recorded
// capacity: the locations with stations have exactly those, the others none, so that
// their utilization panels say to set them. The utilization on the exporter the demo
// posts to is logged: at 600 times real speed, a second of lag in the exporter's
// view of starts and ends is ten minutes of play, so it may pass 1 for a moment
// while the demo's floor never does (the demo's capacity is tested in
// cmd/synthesisvr_simulator/internal/simulator).
func checkCapacity(t *testing.T, prom *promServer, demoed *exporterProc) {
	t.Helper()
	const recorded = `location:synthesisvr_location_stations:max`
	got := prom.byLocation(recorded)
	want := map[string]float64{}
	for _, l := range played {
		want[l.name] = float64(l.stations)
	}
	if !maps.Equal(got, want) {
		t.Errorf("%s = %v, want the config's stations %v", recorded, got, want)
	}
	sel := `{job="` + dashJob + `", instance="` + strings.TrimPrefix(demoed.base, "http://") + `"}`
	ratio := `(synthesisvr_stations_active` + sel + ` / on (location) synthesisvr_location_stations` + sel + `)[5m:1s]`
	avg, peak := prom.byLocation(`avg_over_time(`+ratio+`)`), prom.byLocation(`max_over_time(`+ratio+`)`)
	for _, l := range played {
		t.Logf("%s (%d stations): utilization %.3f on average, %.3f at the highest", l.name, l.stations, avg[l.name], peak[l.name])
	}
}

// apiDataArrived is a waitUntil condition: the sessions API's data has reached
// Prometheus. Both played locations have sessions booked ahead, and their revenue
// and cancelled bookings have grown while Prometheus watched (an increase, as the
// panels read them), and each exporter has had answers from the API.
func apiDataArrived(prom *promServer, n int) func() string {
	job := `job="` + dashJob + `"`
	perLocation := []struct{ what, expr string }{
		{"revenue", `sum by (location) (increase(synthesisvr_session_revenue_total{` + job + `}[5m])) > 0`},
		{"sessions booked ahead", `max by (location) (synthesisvr_sessions_booked{` + job + `}) > 0`},
		{"cancelled bookings", `sum by (location) (increase(synthesisvr_bookings_cancelled_total{` + job + `}[5m])) > 0`},
	}
	answered := `sum by (instance) (synthesisvr_api_requests_total{` + job + `, code="200"}) > 0`
	return func() string {
		for _, c := range perLocation {
			got := map[string]bool{}
			for _, s := range prom.query(c.expr) {
				got[string(s.Metric["location"])] = true
			}
			for _, l := range played {
				if !got[l.name] {
					return fmt.Sprintf("no %s at %s yet (%s)", c.what, l.name, c.expr)
				}
			}
		}
		if got := len(prom.query(answered)); got != n {
			return fmt.Sprintf("API answers 200 at %d of %d exporters so far (%s)", got, n, answered)
		}
		return ""
	}
}

// trafficScraped is a waitUntil condition: Prometheus has scraped each exporter
// successfully several times, and has seen sessions expire on each, which takes
// the longest of what the simulator does (dashMaxAge after its first batch).
func trafficScraped(prom *promServer, n int) func() string {
	conds := []struct{ what, expr string }{
		{"five scrapes of each exporter, the last one up",
			`count_over_time(up{job="` + dashJob + `"}[1m]) >= 5 and up{job="` + dashJob + `"} == 1`},
		{"expired sessions on each exporter",
			`sum by (instance) (increase(synthesisvr_sessions_ended_total{job="` + dashJob + `", reason="expired"}[1m])) > 0`},
	}
	return func() string {
		for _, c := range conds {
			if got := len(prom.query(c.expr)); got != n {
				return fmt.Sprintf("%s: %d of %d exporters so far (%s)", c.what, got, n, c.expr)
			}
		}
		return ""
	}
}

// retryBudget bounds, over all the subtests together, the time spent waiting for a
// query to show data: a scrape delayed on a loaded machine may leave a 4 s rate
// window with a single sample for a moment, but a query that never has data must
// not make the test wait once per panel.
type retryBudget struct{ left time.Duration }

// wait sleeps one scrape interval and reports whether the budget allowed it.
func (b *retryBudget) wait() bool {
	const step = 500 * time.Millisecond
	if b.left < step {
		return false
	}
	b.left -= step
	time.Sleep(step)
	return true
}

// checkPanelQuery runs one query as Grafana would and fails unless Prometheus
// accepts it and, when the setup gives it what it needs, it shows data.
func checkPanelQuery(t *testing.T, prom *promServer, q dashboards.Query, configured map[string]bool, grace *retryBudget) {
	t.Helper()
	var missing []string
	for _, need := range q.Requires {
		if !configured[need] {
			missing = append(missing, need)
		}
	}
	for {
		v, err := runPanelQuery(prom, q)
		if err != nil {
			t.Fatalf("Prometheus refused the query of %s: %v\nquery: %s", q, err, q.Expr)
		}
		if len(missing) > 0 {
			t.Logf("accepted; data not required: needs %s", strings.Join(missing, ", "))
			return
		}
		why := lacksData(v, q.Quiet != "")
		if why == "" {
			return
		}
		if !grace.wait() {
			t.Fatalf("%s shows no data: %s\nquery (%s): %s\nresult: %v", q, why, queryKind(q), q.Expr, v)
		}
	}
}

// dashWindow is the dashboard's time range (dashVars.Range) for range queries.
const dashWindow = 30 * time.Second

// runPanelQuery sends q as Grafana's data source does: an instant query now, or a
// range query over the last dashWindow at the panel's step. The range ends now and
// starts a whole number of steps before, so that its last point covers the latest
// scrapes; an hourly panel's range is then its single point now. (Grafana's backend
// rounds both ends down to a multiple of the step instead, so an hourly panel
// there shows the hours that have ended, and the hour in progress once it ends.)
func runPanelQuery(prom *promServer, q dashboards.Query) (model.Value, error) {
	now := time.Now()
	if q.Instant {
		return prom.instant(q.Expr, now)
	}
	if q.Step <= 0 {
		return nil, fmt.Errorf("range query with step %s", q.Step)
	}
	start := now.Add(-(dashWindow / q.Step) * q.Step)
	return prom.rangeQuery(q.Expr, start, now, q.Step)
}

func queryKind(q dashboards.Query) string {
	if q.Instant {
		return "instant"
	}
	return fmt.Sprintf("range over %s, step %s", dashWindow, q.Step)
}

// lacksData says why a result would leave its panel without data, or "" when it
// has some. Only numbers count: a NaN (a quantile of a histogram that nothing was
// added to in the window) or an infinity shows no number, so the traffic must end
// sessions and answer requests inside every window. A quiet query (see
// dashboards.Quiet) may show zeros; any other must show a number other than zero,
// since the simulator drives everything the dashboards count.
func lacksData(v model.Value, quiet bool) string {
	var samples, numbers, nonZero int
	add := func(f model.SampleValue) {
		samples++
		x := float64(f)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		numbers++
		if x != 0 {
			nonZero++
		}
	}
	switch v := v.(type) {
	case model.Vector:
		for _, s := range v {
			add(s.Value)
		}
	case model.Matrix:
		for _, s := range v {
			for _, p := range s.Values {
				add(p.Value)
			}
		}
	case *model.Scalar:
		add(v.Value)
	}
	switch {
	case samples == 0:
		return "the result is empty"
	case numbers == 0:
		return fmt.Sprintf("all %d samples are NaN or infinite", samples)
	case nonZero == 0 && !quiet:
		return fmt.Sprintf("all %d numbers are zero", numbers)
	}
	return ""
}
