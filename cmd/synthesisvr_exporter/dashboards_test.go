package main

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/dashboards"
)

// The dashboards and the alert rules name metrics; these tests check every name
// against what the built exporter really exports, so that renaming a metric fails
// CI instead of leaving an empty panel or an alert that never fires.

// prometheusSeries are the series Prometheus itself writes for every target.
var prometheusSeries = []string{
	"up", "scrape_duration_seconds", "scrape_samples_scraped",
	"scrape_samples_post_metric_relabeling", "scrape_series_added",
	"ALERTS", "ALERTS_FOR_STATE",
}

// targetLabels are the labels Prometheus adds to every series of a target.
var targetLabels = []string{"job", "instance"}

// pendingMetrics are named by the dashboards ahead of the change that exports them
// (exporter/README.md lists the exported ones). Once the exporter exports one, the test says to remove it.
var pendingMetrics = map[string]string{}

// locationSentinel stands for the selected locations, to find the selectors that
// filter by the location variable.
const locationSentinel = "LOCATION-SENTINEL"

// dashboardsConfig configures a location open all week, with its stations, so that
// the metrics of configured locations, opening hours and capacity are exported too.
const dashboardsConfig = `locations:
  - name: Downtown
    timezone: Europe/Sofia
    stations: 12
    hours:
      mon-fri: "00:00-23:59"
      sat: "00:00-23:59"
      sun: "00:00-23:59"
`

// family is what the exporter exports under one metric name.
type family struct{ labels map[string]bool }

func TestDashboardAndAlertMetricsExist(t *testing.T) {
	exported := exportedFamilies(t)
	checkPending(t, exported)
	boards, err := dashboards.ReadBoards(filepath.Join("..", "..", "dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	// Series of the shipped recording rules count as exported; the "alerts" subtest
	// checks that each rule reads only what the exporter exports.
	known := maps.Clone(exported)
	recorded, err := dashboards.RecordingRules(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	for name := range recorded {
		known[name] = recordedFamily(name)
	}
	for _, b := range boards {
		t.Run(b.UID, func(t *testing.T) { checkBoard(t, b, known) })
	}
	t.Run("alerts", func(t *testing.T) { checkAlerts(t, exported) })
}

// exportedFamilies starts the exporter with a configured location, sends it a
// session that starts and ends and an invalid event, and returns every name it
// exports then, histograms' series names included, with their label names.
func exportedFamilies(t *testing.T) map[string]family {
	t.Helper()
	const token = "e2eDashboardsToken-0123456789"
	cfg := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfg, dashboardsConfig)
	p := startExporter(t, options{config: cfg, env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + token}})
	// A location the config does not name is counted apart.
	body := "[" + createEvent("dash-1", "Downtown", 2) + `,{"uuid":"dash-1","action":"delete"},{"action":"create"},` +
		createEvent("dash-2", "Downtwon", 1) + "]"
	wantCounts(t, postEvents(t, p.webhookURL(token), body), counts{Received: 4, Applied: 3, Rejected: 1})
	out := map[string]family{}
	for _, s := range prometheusSeries {
		out[s] = family{labels: map[string]bool{}}
	}
	addFamilies(t, out, scrape(t, p.base).text)
	// The spool's metrics exist with --storage.backend=redis only; a Redis that is
	// not there is enough for them.
	r := startExporter(t, options{config: cfg, env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + token},
		args: []string{"--storage.backend=redis", "--storage.redis.url=redis://" + freeAddr(t) + "/0"}})
	addFamilies(t, out, scrape(t, r.base).text)
	// The sessions API's metrics exist for a location with an API key, the
	// duration histogram once a call was made, the experience counters once a
	// session it scheduled began: an API that lists one session, begun a minute ago.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"sessions": [{"uuid": "dash-api-1", "start_time": %d, "duration": 30, "experience": "Beat Saber", "cost": 12.5}]}`,
			time.Now().Add(-time.Minute).Unix())
	}))
	t.Cleanup(api.Close)
	apiCfg := filepath.Join(t.TempDir(), "api.yml")
	writeFile(t, apiCfg, dashboardsConfig+"    api_key: dashboards-test-key-0123\nsynthesisvr_api:\n  url: "+api.URL+"\n")
	a := startExporter(t, options{config: apiCfg, env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + token}})
	wantCounts(t, postEvents(t, a.webhookURL(token), "["+createEvent("dash-api-1", "Downtown", 2)+"]"), counts{Received: 1, Applied: 1})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		text := scrape(t, a.base).text
		if (strings.Contains(text, "synthesisvr_api_request_duration_seconds_bucket") && strings.Contains(text, "synthesisvr_experience_revenue_total{")) ||
			time.Now().After(deadline) {
			addFamilies(t, out, text)
			break
		}
	}
	return out
}

// recordedFamily is a recorded series by its name's level, the labels it keeps
// (level:metric:operations): location_reason: keeps location and reason.
func recordedFamily(name string) family {
	f := family{labels: map[string]bool{}}
	level, _, _ := strings.Cut(name, ":")
	for _, l := range strings.Split(level, "_") {
		f.labels[l] = true
	}
	return f
}

// addFamilies adds the names of an exposition to out, histograms' series names
// included, with their label names.
func addFamilies(t *testing.T, out map[string]family, text string) {
	t.Helper()
	tp := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := tp.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	for name, mf := range mfs {
		names := []string{name}
		switch mf.GetType().String() {
		case "HISTOGRAM":
			names = []string{name + "_bucket", name + "_sum", name + "_count"}
		case "SUMMARY":
			names = append(names, name+"_sum", name+"_count")
		}
		for _, n := range names {
			f := family{labels: map[string]bool{}}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					f.labels[l.GetName()] = true
				}
			}
			if strings.HasSuffix(n, "_bucket") {
				f.labels["le"] = true
			}
			out[n] = f
		}
	}
}

func checkPending(t *testing.T, exported map[string]family) {
	t.Helper()
	for name, from := range pendingMetrics {
		if _, ok := exported[name]; ok {
			t.Errorf("%s is exported now: remove it from pendingMetrics in %s", name, "cmd/synthesisvr_exporter/dashboards_test.go")
		} else {
			t.Logf("%s is not exported yet: allowed until %s lands", name, from)
		}
	}
}

// checkBoard checks every query of a dashboard and its variables' metrics and labels.
func checkBoard(t *testing.T, b *dashboards.Board, exported map[string]family) {
	vars := dashboards.Vars{Location: []string{locationSentinel}, Job: []string{"synthesisvr"}, Scrape: 15 * time.Second, Interval: time.Minute, Range: 24 * time.Hour}
	qs, err := b.Queries(vars)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		checkExpr(t, q.String(), q.Expr, exported, true)
	}
	for _, v := range b.Templating.List {
		metric, label, ok := v.LabelValues()
		if !ok {
			continue
		}
		f, found := exported[metric]
		switch {
		case !found:
			t.Errorf("variable %q: label_values of %s, which the exporter does not export", v.Name, metric)
		case !f.labels[label] && !slices.Contains(targetLabels, label):
			t.Errorf("variable %q: %s has no label %q", v.Name, metric, label)
		}
	}
}

// checkExpr checks that every metric an expression selects is exported (or is
// pending), and, for a dashboard query, that a metric with a location label is
// filtered by the location variable.
func checkExpr(t *testing.T, where, expr string, exported map[string]family, dashboard bool) {
	t.Helper()
	e, err := parser.ParseExpr(expr)
	if err != nil {
		t.Errorf("%s: %q: %v", where, expr, err)
		return
	}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		f, found := exported[vs.Name]
		_, pending := pendingMetrics[vs.Name]
		switch {
		case !found && !pending:
			t.Errorf("%s: %s is not a metric the exporter exports (nor a series of Prometheus's own)", where, vs.Name)
		case dashboard && (f.labels["location"] || pending) && !filtersLocation(vs):
			t.Errorf("%s: %s has a location label but is not filtered by location=~\"$location\"", where, vs.Name)
		}
		return nil
	})
}

func filtersLocation(vs *parser.VectorSelector) bool {
	for _, m := range vs.LabelMatchers {
		if m.Name == "location" && m.Type == labels.MatchRegexp && m.Value == locationSentinel {
			return true
		}
	}
	return false
}

// ruleFile is the part of a Prometheus rule file, or of a promtool test file, that
// names metrics.
type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert  string `yaml:"alert"`
			Record string `yaml:"record"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
	Tests []struct {
		InputSeries []struct {
			Series string `yaml:"series"`
		} `yaml:"input_series"`
		PromQLExprTest []struct {
			Expr string `yaml:"expr"`
		} `yaml:"promql_expr_test"`
	} `yaml:"tests"`
}

// checkAlerts checks the rule files and their tests under alerts/, when there are any.
func checkAlerts(t *testing.T, exported map[string]family) {
	files, err := filepath.Glob(filepath.Join("..", "..", "alerts", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no alerts/*.yml yet")
	}
	rules := map[string]ruleFile{}
	known := maps.Clone(exported)
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var rf ruleFile
		if err := yaml.Unmarshal(data, &rf); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rules[path] = rf
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					known[r.Record] = recordedFamily(r.Record)
				}
			}
		}
	}
	for path, rf := range rules {
		name := filepath.Base(path)
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				checkExpr(t, name+": rule "+r.Alert+r.Record, r.Expr, known, false)
			}
		}
		for i, tc := range rf.Tests {
			for _, s := range tc.InputSeries {
				checkSeries(t, name, i, s.Series, known)
			}
			for _, e := range tc.PromQLExprTest {
				checkExpr(t, name+": promql_expr_test", e.Expr, known, false)
			}
		}
	}
}

// checkSeries checks that a unit test's input series is one the exporter exports,
// so that a test cannot pass on a series that never exists.
func checkSeries(t *testing.T, file string, test int, series string, known map[string]family) {
	t.Helper()
	ms, err := parser.ParseMetricSelector(series)
	if err != nil {
		t.Errorf("%s: test %d: input series %q: %v", file, test+1, series, err)
		return
	}
	for _, m := range ms {
		if m.Name != labels.MetricName {
			continue
		}
		if _, ok := known[m.Value]; !ok {
			if _, pending := pendingMetrics[m.Value]; !pending {
				t.Errorf("%s: test %d: input series %s is not a metric the exporter exports", file, test+1, m.Value)
			}
		}
	}
}
