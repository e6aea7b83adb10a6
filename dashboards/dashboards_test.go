package dashboards_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/dashboards"
)

func TestCommittedJSONIsGenerated(t *testing.T) {
	for _, f := range dashboards.Files {
		t.Run(f.Name, func(t *testing.T) {
			want, err := dashboards.Render(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(f.Name)
			if err != nil {
				t.Fatalf("%v: run `go generate ./dashboards` and commit the file", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("dashboards/%s differs from what the Go code generates (first difference at byte %d): edit the Go code, not the JSON, and run `go generate ./dashboards`",
					f.Name, firstDifference(got, want))
			}
			again, err := dashboards.Render(f)
			if err != nil || !bytes.Equal(again, want) {
				t.Errorf("rendering %s twice gave different bytes (err %v): the output must be deterministic", f.Name, err)
			}
		})
	}
}

func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestDashboardsIdentity(t *testing.T) {
	boards := readBoards(t)
	want := map[string]string{
		"synthesisvr-overview.json": dashboards.OverviewUID,
		"synthesisvr-exporter.json": dashboards.ExporterUID,
	}
	for i, f := range dashboards.Files {
		if boards[i].UID != want[f.Name] || boards[i].UID+".json" != f.Name {
			t.Errorf("%s has uid %q, want %q (dashboards/README.md: the file is named after its uid)", f.Name, boards[i].UID, want[f.Name])
		}
		if boards[i].Title == "" {
			t.Errorf("%s has no title", f.Name)
		}
	}
}

func TestCommittedDashboardsPassLint(t *testing.T) {
	for _, b := range readBoards(t) {
		t.Run(b.UID, func(t *testing.T) {
			for _, p := range lint(b) {
				t.Error(p)
			}
			if n := len(b.AllPanels()); n < 10 {
				t.Errorf("only %d panels: the lint had little to check", n)
			}
		})
	}
}

// TestLintCatches breaks a good dashboard one way at a time, and wants the lint to
// name the problem: a lint that passes everything proves nothing.
func TestLintCatches(t *testing.T) {
	tests := map[string]struct {
		edit func(b map[string]any)
		want string
	}{
		"no datasource variable": {
			edit: func(b map[string]any) { variables(b)[0].(map[string]any)["name"] = "ds" },
			want: `no "datasource" variable`,
		},
		"location variable single-valued": {
			edit: func(b map[string]any) { variable(b, "location")["multi"] = false },
			want: `variable "location": multi false`,
		},
		"panel without description": {
			edit: func(b map[string]any) { delete(panel(b, 1), "description") },
			want: "no description",
		},
		"panel without unit": {
			edit: func(b map[string]any) {
				delete(panel(b, 1)["fieldConfig"].(map[string]any)["defaults"].(map[string]any), "unit")
			},
			want: "no unit",
		},
		"panel without title": {
			edit: func(b map[string]any) { panel(b, 1)["title"] = " " },
			want: "no title",
		},
		"target with a fixed data source": {
			edit: func(b map[string]any) {
				firstTarget(b)["datasource"] = map[string]any{"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
			},
			want: "does not query the data source ${datasource}",
		},
		"target without refId": {
			edit: func(b map[string]any) { delete(firstTarget(b), "refId") },
			want: "a query has no refId",
		},
		"duplicate panel id": {
			edit: func(b map[string]any) { panel(b, 2)["id"] = panel(b, 1)["id"] },
			want: "id also used by",
		},
		"overlapping panels": {
			edit: func(b map[string]any) { panel(b, 2)["gridPos"] = panel(b, 1)["gridPos"] },
			want: "overlaps panel",
		},
		"panel off the grid": {
			edit: func(b map[string]any) { panel(b, 1)["gridPos"].(map[string]any)["x"] = 20.0 },
			want: "off the 24-column grid",
		},
		"fixed rate window": {
			edit: func(b map[string]any) {
				firstTarget(b)["expr"] = `sum(rate(synthesisvr_webhook_requests_total[5m]))`
			},
			want: "range [5m] is neither $__rate_interval",
		},
		"range variable in a range query": {
			edit: func(b map[string]any) {
				t := firstTarget(b)
				t["instant"] = false
				t["expr"] = `sum(increase(synthesisvr_webhook_requests_total[$__range]))`
			},
			want: "is neither $__rate_interval",
		},
		"store gauge summed over replicas": {
			edit: func(b map[string]any) {
				firstTarget(b)["expr"] = `sum(synthesisvr_sessions_active{location=~"$location"})`
			},
			want: "synthesisvr_sessions_active is the same on every replica: aggregate it with max by (location), not sum",
		},
		"counter without rate": {
			edit: func(b map[string]any) { firstTarget(b)["expr"] = `sum(synthesisvr_webhook_requests_total)` },
			want: "synthesisvr_webhook_requests_total counts per process",
		},
		"counter rate not summed": {
			edit: func(b map[string]any) {
				firstTarget(b)["expr"] = `max(rate(synthesisvr_webhook_requests_total[$__rate_interval]))`
			},
			want: "not [range] < rate() < max",
		},
		"recorded series that no rule records": {
			edit: func(b map[string]any) {
				firstTarget(b)["expr"] = `sum(location:synthesisvr_sessions_begun:rate1h{location=~"$location"})`
			},
			want: "location:synthesisvr_sessions_begun:rate1h is not recorded by any rule of ../alerts/synthesisvr.rules.yml",
		},
		"rate of a recorded series": {
			edit: func(b map[string]any) {
				firstTarget(b)["expr"] = `sum(rate(location:synthesisvr_sessions_started:rate1h[$__rate_interval]))`
			},
			want: "location:synthesisvr_sessions_started:rate1h is recorded per location already (a rate or a gauge, not a counter): read it, or average it over time, not [range] < rate() < sum",
		},
		"booked sessions summed over replicas": {
			edit: func(b map[string]any) {
				firstTarget(b)["expr"] = `sum(synthesisvr_sessions_booked{location=~"$location"})`
			},
			want: "synthesisvr_sessions_booked is the same on every replica: aggregate it with max by (location), not sum",
		},
		"station count summed over replicas": {
			edit: func(b map[string]any) {
				firstTarget(b)["expr"] = `sum by (location) (synthesisvr_location_stations{location=~"$location"})`
			},
			want: "synthesisvr_location_stations is the same on every replica",
		},
		"time zone offset not aggregated": {
			edit: func(b map[string]any) {
				firstTarget(b)["expr"] = `synthesisvr_location_utc_offset_seconds{location=~"$location"}`
			},
			want: "synthesisvr_location_utc_offset_seconds is the same on every replica: aggregate it with max by (location), not nothing",
		},
		"dashboard range in a panel with its own relative time": {
			edit: func(b map[string]any) {
				panel(b, 1)["timeFrom"] = "28d"
				// lintVars.Range, which the panel's 28 days replace.
				firstTarget(b)["expr"] = `sum(increase(synthesisvr_webhook_requests_total[1w3s]))`
			},
			want: "range [7d3s] is neither $__rate_interval, nor the panel's interval, nor $__range in an instant query",
		},
		"relative time that is not a duration": {
			edit: func(b map[string]any) { panel(b, 1)["timeFrom"] = "last month" },
			want: `panel relative time (timeFrom) "last month": want a duration such as 28d`,
		},
		"not PromQL": {
			edit: func(b map[string]any) { firstTarget(b)["expr"] = `sum(rate(x[$__rate_interval])` },
			want: "is not PromQL",
		},
		"unknown variable": {
			edit: func(b map[string]any) { firstTarget(b)["expr"] = `up{job=~"$jbo"}` },
			want: "$jbo is not a variable of the dashboard",
		},
	}
	good, err := os.ReadFile("synthesisvr-exporter.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var raw map[string]any
			if err := json.Unmarshal(good, &raw); err != nil {
				t.Fatal(err)
			}
			tc.edit(raw)
			edited, _ := json.Marshal(raw)
			b, err := dashboards.ParseBoard(edited)
			if err != nil {
				t.Fatal(err)
			}
			problems := lint(b)
			for _, p := range problems {
				if strings.Contains(p, tc.want) {
					return
				}
			}
			t.Errorf("lint did not report %q; it reported %q", tc.want, problems)
		})
	}
}

// panel returns the n-th panel that is not a row (from 1).
func panel(b map[string]any, n int) map[string]any {
	for _, p := range b["panels"].([]any) {
		if p := p.(map[string]any); p["type"] != "row" {
			if n--; n == 0 {
				return p
			}
		}
	}
	panic("no such panel")
}

func firstTarget(b map[string]any) map[string]any {
	return panel(b, 1)["targets"].([]any)[0].(map[string]any)
}

func variables(b map[string]any) []any {
	return b["templating"].(map[string]any)["list"].([]any)
}

func variable(b map[string]any, name string) map[string]any {
	for _, v := range variables(b) {
		if v := v.(map[string]any); v["name"] == name {
			return v
		}
	}
	panic("no variable " + name)
}

func readBoards(t *testing.T) []*dashboards.Board {
	t.Helper()
	boards, err := dashboards.ReadBoards(".")
	if err != nil {
		t.Fatalf("%v: run `go generate ./dashboards`", err)
	}
	return boards
}
