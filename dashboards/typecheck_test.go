package dashboards_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/dashboards"
)

// typecheckDir holds the type check against @grafana/schema (dashboards/README.md).
const typecheckDir = "typecheck"

// typecheck runs dashboards/typecheck/check.mjs on files, writing its TypeScript
// to a temporary folder, and returns its output and whether it passed. It skips
// (fails under CI=true) when node or the npm packages are missing.
func typecheck(t *testing.T, files ...string) (string, bool) {
	t.Helper()
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node not found (Debian packages nodejs and npm): cannot type-check the dashboards against @grafana/schema"
	case !exists(filepath.Join(typecheckDir, "node_modules", "@grafana", "schema", "package.json")) ||
		!exists(filepath.Join(typecheckDir, "node_modules", "typescript", "package.json")):
		missing = "dashboards/typecheck/node_modules is missing: run npm ci in dashboards/typecheck"
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	args := []string{filepath.Join(typecheckDir, "check.mjs"), "--out", t.TempDir()}
	out, err := exec.Command(node, append(args, files...)...).CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("check.mjs did not run: %v\n%s", err, out)
		}
		return string(out), false
	}
	return string(out), true
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestDashboardsTypeCheck(t *testing.T) {
	var files []string
	for _, f := range dashboards.Files {
		files = append(files, f.Name)
	}
	out, ok := typecheck(t, files...)
	if !ok {
		t.Fatalf("the committed dashboards do not type-check against @grafana/schema: fix the Go code that writes them, then go generate ./dashboards\n%s", out)
	}
	if !strings.Contains(out, "2 dashboard(s) type-check") {
		t.Errorf("check.mjs did not check both dashboards:\n%s", out)
	}
}

// TestTypeCheckCatches breaks a copy of a committed dashboard in several ways at
// once and wants the type check to fail naming each: a check that passes
// everything proves nothing.
func TestTypeCheckCatches(t *testing.T) {
	good, err := os.ReadFile("synthesisvr-overview.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(good, &raw); err != nil {
		t.Fatal(err)
	}
	panels := raw["panels"].([]any)
	// The first two stats and the first time series, by their index in the list.
	var stats []int
	series := -1
	for i, p := range panels {
		switch p.(map[string]any)["type"] {
		case "stat":
			stats = append(stats, i)
		case "timeseries":
			if series < 0 {
				series = i
			}
		}
	}
	if len(stats) < 2 || series < 0 {
		t.Fatalf("the overview has %d stats and a time series at %d: pick other panels to break", len(stats), series)
	}
	at := func(i int) map[string]any { return panels[i].(map[string]any) }
	title := func(i int) string { return at(i)["title"].(string) }
	at(stats[0])["colour"] = "red"                               // a field no panel has
	at(stats[1])["gridPos"].(map[string]any)["h"] = "8"          // a number as a string
	at(stats[1])["options"].(map[string]any)["sparkline"] = true // an option the stat panel has not
	raw["graphTooltip"] = "crosshair"                            // an enum of numbers as its name
	at(series)["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["custom"].(map[string]any)["drawStyle"] = "columns"
	bad, err := json.MarshalIndent(raw, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "broken.json")
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	out, ok := typecheck(t, path)
	if ok {
		t.Fatalf("the broken dashboard passed the type check:\n%s", out)
	}
	want := []string{
		fmt.Sprintf(`dashboard.panels[%d].colour (panel %q): Object literal may only specify known properties, and '"colour"' does not exist`, stats[0], title(stats[0])),
		fmt.Sprintf(`dashboard.panels[%d].gridPos.h (panel %q): Type 'string' is not assignable to type 'number'`, stats[1], title(stats[1])),
		fmt.Sprintf(`(panel %q): options.sparkline: Object literal may only specify known properties`, title(stats[1])),
		`dashboard.graphTooltip: Type 'string' is not assignable to type 'DashboardCursorSync`,
		fmt.Sprintf(`(panel %q): fieldConfig.defaults.custom.drawStyle: Type '"columns"' is not assignable`, title(series)),
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("the type check did not report %s; it reported:\n%s", w, out)
		}
	}
}
