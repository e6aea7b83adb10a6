package dashboards_test

import (
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
			usesOpen := strings.Contains(q.Expr, "synthesisvr_location_open")
			if needs := slices.Contains(q.Requires, dashboards.Conditional["synthesisvr_location_open"]); needs != usesOpen {
				t.Errorf("%s: requires opening hours = %v, but names synthesisvr_location_open = %v", q, needs, usesOpen)
			}
			usesErrors := strings.Contains(q.Expr, "synthesisvr_store_errors_total")
			if quiet := q.Quiet == dashboards.Quiet["synthesisvr_store_errors_total"]; quiet != usesErrors {
				t.Errorf("%s: quiet = %q, but names synthesisvr_store_errors_total = %v", q, q.Quiet, usesErrors)
			}
		}
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
