package dashboards_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestQueriesPassPromtool has the Prometheus of Debian (2.42, older than the parser
// this package links) check every query, written as recording rules: a query that
// only a newer Prometheus accepts fails here.
func TestQueriesPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		msg := "promtool not found (Debian package prometheus): cannot check the queries with a real Prometheus parser"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	var names []string
	for _, b := range readBoards(t) {
		qs, err := b.Queries(e2eVars)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			rules = append(rules, rule{Record: fmt.Sprintf("dashboard_query_%d", len(rules)), Expr: q.Expr})
			names = append(names, q.String())
		}
	}
	doc := map[string]any{"groups": []any{map[string]any{"name": "dashboards", "rules": rules}}}
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "queries.yml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, explain(string(out), names))
	}
	if !strings.Contains(string(out), fmt.Sprintf("%d rules found", len(rules))) {
		t.Errorf("promtool did not find the %d queries:\n%s", len(rules), out)
	}
}

// explain adds the panel of each dashboard_query_N that promtool names.
func explain(out string, names []string) string {
	for i := len(names) - 1; i >= 0; i-- {
		out = strings.ReplaceAll(out, fmt.Sprintf("dashboard_query_%d", i), fmt.Sprintf("dashboard_query_%d (%s)", i, names[i]))
	}
	return out
}
