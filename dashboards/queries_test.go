package dashboards_test

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/dashboards"
)

// e2eVars are values a test against a real Prometheus would use: a 1 s scrape
// interval and a short range.
var e2eVars = dashboards.Vars{Job: []string{"synthesisvr"}, Scrape: time.Second, Interval: 2 * time.Second, Range: 10 * time.Minute}

func TestQueriesSubstituteVariables(t *testing.T) {
	tests := map[string]struct {
		board, panel string
		vars         dashboards.Vars
		want         []string // substrings of the panel's first query
		wantErr      string
	}{
		"all locations use the all value": {
			board: dashboards.OverviewUID, panel: "Active sessions", vars: e2eVars,
			want: []string{`synthesisvr_sessions_active{location=~".*"}`},
		},
		"one location is regex-escaped": {
			board: dashboards.OverviewUID, panel: "Active sessions",
			vars: withLocations(e2eVars, "Kamen Test (2.0)"),
			want: []string{`location=~"Kamen Test \\(2\\.0\\)"`},
		},
		"two locations become an alternation": {
			board: dashboards.OverviewUID, panel: "Active stations",
			vars: withLocations(e2eVars, "Downtown", "Uptown"),
			want: []string{`location=~"(Downtown|Uptown)"`},
		},
		"rate interval is four scrapes at least": {
			board: dashboards.ExporterUID, panel: "Webhook requests by answer", vars: e2eVars,
			want: []string{`[4s]`, `job=~"synthesisvr"`},
		},
		"rate interval is one scrape more than the step": {
			board: dashboards.ExporterUID, panel: "Webhook requests by answer",
			vars: dashboards.Vars{Job: []string{"a", "b"}, Scrape: 15 * time.Second, Interval: time.Minute, Range: time.Hour},
			want: []string{`[1m15s]`, `job=~"(a|b)"`},
		},
		"a panel's interval raises the step": {
			board: dashboards.OverviewUID, panel: "Session duration percentiles", vars: e2eVars,
			want: []string{`[1h1s]`},
		},
		"a fixed hourly window stays": {
			board: dashboards.OverviewUID, panel: "Sessions started per hour", vars: e2eVars,
			want: []string{`[1h]`},
		},
		"range in instant queries": {
			board: dashboards.OverviewUID, panel: "Locations", vars: e2eVars,
			want: []string{`[10m]`, `location=~".*"`},
		},
		"the week's heatmap has its own four weeks": {
			board: dashboards.OverviewUID, panel: "Utilization by hour of the week", vars: e2eVars,
			want: []string{`[4w]`, `location_weekday_hour:synthesisvr_station_utilization:ratio{location=~".*"}`},
		},
		"daily bars average the recorded hourly rate over a day": {
			board: dashboards.OverviewUID, panel: "Sessions per day", vars: e2eVars,
			want: []string{`avg_over_time(location:synthesisvr_sessions_started:rate1h{location=~".*"}[1d]) * 86400`},
		},
		"top experiences over the dashboard's range": {
			board: dashboards.OverviewUID, panel: "Top experiences by revenue",
			vars: withLocations(e2eVars, "Downtown", "Uptown"),
			want: []string{`increase(synthesisvr_experience_revenue_total{location=~"(Downtown|Uptown)"}[10m])`},
		},
		"job has no all value": {
			board: dashboards.ExporterUID, panel: "Replicas up",
			vars:    dashboards.Vars{Scrape: time.Second},
			wantErr: `$job: "All" has no all value`,
		},
	}
	boards := boardsByUID(t)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			qs, err := boards[tc.board].Queries(tc.vars)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, q := range qs {
				if q.Panel == tc.panel {
					got = append(got, q.Expr)
				}
			}
			if len(got) == 0 {
				t.Fatalf("no panel %q in %s", tc.panel, tc.board)
			}
			all := strings.Join(got, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("queries of %q:\n%s\nwant them to contain %s", tc.panel, all, w)
				}
			}
			if strings.Contains(all, "$") {
				t.Errorf("a variable is left in:\n%s", all)
			}
		})
	}
}

func withLocations(v dashboards.Vars, locs ...string) dashboards.Vars {
	v.Location = locs
	return v
}

func TestQueriesCoverEveryTarget(t *testing.T) {
	for _, b := range readBoards(t) {
		qs, err := b.Queries(e2eVars)
		if err != nil {
			t.Fatal(err)
		}
		targets := 0
		for _, p := range b.AllPanels() {
			targets += len(p.Targets)
		}
		if len(qs) != targets {
			t.Errorf("%s: %d queries for %d targets", b.UID, len(qs), targets)
		}
		for _, q := range qs {
			// Each metric of Conditional that the query names (as a whole name),
			// and only those, give what it requires.
			var want []string
			for name, need := range dashboards.Conditional {
				if namesMetric(q.Expr, name) && !slices.Contains(want, need) {
					want = append(want, need)
				}
			}
			slices.Sort(want)
			got := slices.Sorted(slices.Values(q.Requires))
			if !slices.Equal(got, want) {
				t.Errorf("%s: requires %q, want %q from the metrics it names:\n%s", q, got, want, q.Expr)
			}
			usesErrors := strings.Contains(q.Expr, "synthesisvr_store_errors_total")
			if quiet := q.Quiet == dashboards.Quiet["synthesisvr_store_errors_total"]; quiet != usesErrors {
				t.Errorf("%s: quiet = %q, but names synthesisvr_store_errors_total = %v", q, q.Quiet, usesErrors)
			}
		}
	}
}

// namesMetric reports whether expr holds name as a whole metric name.
func namesMetric(expr, name string) bool {
	return regexp.MustCompile(`(^|[^a-zA-Z0-9_:])` + regexp.QuoteMeta(name) + `($|[^a-zA-Z0-9_:])`).MatchString(expr)
}

// TestConditionalRecordedSeries checks what Conditional says a recorded series
// needs against its rule: the needs of the metrics the rule's expression reads
// (recorded ones through their own rules), so that a panel reading the recorded
// series requires what one reading the raw metrics would.
func TestConditionalRecordedSeries(t *testing.T) {
	rules, err := dashboards.RecordingRules(dashboards.RulesFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 10 {
		t.Fatalf("%d recording rules in %s: the test had little to check", len(rules), dashboards.RulesFile)
	}
	var needs func(name string, seen []string) []string
	needs = func(name string, seen []string) []string {
		expr, recorded := rules[name]
		if !recorded {
			if need, ok := dashboards.Conditional[name]; ok {
				return []string{need}
			}
			return nil
		}
		if slices.Contains(seen, name) {
			t.Fatalf("%s is recorded from itself through %v", name, seen)
		}
		names, err := dashboards.MetricNames(expr)
		if err != nil {
			t.Fatalf("the rule of %s: %v", name, err)
		}
		var out []string
		for _, n := range names {
			for _, need := range needs(n, append(seen, name)) {
				if !slices.Contains(out, need) {
					out = append(out, need)
				}
			}
		}
		return out
	}
	for name := range rules {
		derived := needs(name, nil)
		listed, ok := dashboards.Conditional[name]
		switch {
		case len(derived) > 1:
			t.Errorf("%s needs %q: Conditional holds one need per metric", name, derived)
		case len(derived) == 1 && (!ok || listed != derived[0]):
			t.Errorf("Conditional[%q] = %q, want %q: its rule reads metrics that need it", name, listed, derived[0])
		case len(derived) == 0 && ok:
			t.Errorf("Conditional[%q] = %q, but its rule reads no metric that needs anything", name, listed)
		}
	}
	for name := range dashboards.Conditional {
		if _, ok := rules[name]; dashboards.IsRecorded(name) && !ok {
			t.Errorf("Conditional names %s, which no rule of %s records", name, dashboards.RulesFile)
		}
	}
}

func TestRecordingRules(t *testing.T) {
	tests := map[string]struct {
		yaml    string
		want    map[string]string
		wantErr string
	}{
		"records and alerts": {
			yaml: "groups:\n  - name: a\n    rules:\n      - record: location:x:max\n        expr: max by (location) (x)\n      - alert: X\n        expr: up == 0\n",
			want: map[string]string{"location:x:max": "max by (location) (x)"},
		},
		"recorded twice": {
			yaml:    "groups:\n  - name: a\n    rules:\n      - record: a:b:c\n        expr: b\n  - name: z\n    rules:\n      - record: a:b:c\n        expr: c\n",
			wantErr: `group "z" records a:b:c again`,
		},
		"not YAML": {
			yaml:    "groups: [",
			wantErr: "rules.yml: yaml:",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rules.yml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := dashboards.RecordingRules(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !maps.Equal(got, tc.want) {
				t.Errorf("RecordingRules = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestQueriesPanelRelativeTime: a panel's relative time (timeFrom) is the range of
// its queries, in $__range and in Query.Range; the other panels keep the
// dashboard's.
func TestQueriesPanelRelativeTime(t *testing.T) {
	b, err := dashboards.ParseBoard([]byte(`{"uid": "u", "panels": [
		{"id": 1, "title": "month", "timeFrom": "28d", "targets": [{"refId": "A", "instant": true, "expr": "avg_over_time(x[$__range])"}]},
		{"id": 2, "title": "dashboard", "targets": [{"refId": "A", "instant": true, "expr": "avg_over_time(x[$__range])"}]}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	qs, err := b.Queries(e2eVars)
	if err != nil {
		t.Fatal(err)
	}
	if qs[0].Expr != "avg_over_time(x[4w])" || qs[0].Range != 28*24*time.Hour {
		t.Errorf("panel with timeFrom 28d: %q over %s, want avg_over_time(x[4w]) over 28 days", qs[0].Expr, qs[0].Range)
	}
	if qs[1].Expr != "avg_over_time(x[10m])" || qs[1].Range != e2eVars.Range {
		t.Errorf("panel without timeFrom: %q over %s, want the dashboard's 10m", qs[1].Expr, qs[1].Range)
	}
	b.Panels[0].TimeFrom = "now-28d"
	if _, err := b.Queries(e2eVars); err == nil || !strings.Contains(err.Error(), `panel 1 "month" target A: panel relative time (timeFrom) "now-28d"`) {
		t.Errorf("timeFrom now-28d: err = %v, want it refused with where it is", err)
	}
}

func TestMetricNames(t *testing.T) {
	tests := map[string]struct {
		expr    string
		want    []string
		wantErr string
	}{
		"aggregated rate": {
			expr: `sum by (code) (rate(synthesisvr_webhook_requests_total{job="x"}[1m]))`,
			want: []string{"synthesisvr_webhook_requests_total"},
		},
		"binary with repeats": {
			expr: `a_total / on (location) b + a_total`,
			want: []string{"a_total", "b"},
		},
		"name as a matcher": {
			expr: `{__name__="up", job="x"}`,
			want: []string{"up"},
		},
		"no metric": {
			expr: `time() - 3`,
		},
		"syntax error": {
			expr:    `sum(rate(x[1m])`,
			wantErr: "unclosed left parenthesis",
		},
		"grafana variable left in": {
			expr:    `rate(x[$__rate_interval])`,
			wantErr: "1:8",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := dashboards.MetricNames(tc.expr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("MetricNames(%q) = %q, %v; want %q", tc.expr, got, err, tc.want)
			}
		})
	}
}

func boardsByUID(t *testing.T) map[string]*dashboards.Board {
	t.Helper()
	out := map[string]*dashboards.Board{}
	for _, b := range readBoards(t) {
		out[b.UID] = b
	}
	return out
}
