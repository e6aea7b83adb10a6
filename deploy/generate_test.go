package deploy_test

import (
	"bytes"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/deploy"
)

// TestGeneratedFilesAreUpToDate fails when alerts/ or dashboards/ changed and
// `go generate ./deploy/...` was not run.
func TestGeneratedFilesAreUpToDate(t *testing.T) {
	files, err := deploy.Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if got := readFile(t, p); !bytes.Equal(got, files[p]) {
			t.Errorf("%s is not what `go generate ./deploy/...` makes of its sources: run it and commit the result", p)
		}
	}
}

// TestPrometheusRuleGroupsEqualRulesFile compares, as data, the groups of the
// PrometheusRule with those of the rule file Prometheus loads.
func TestPrometheusRuleGroupsEqualRulesFile(t *testing.T) {
	var file struct {
		Groups any `yaml:"groups"`
	}
	if err := yaml.Unmarshal(readFile(t, deploy.RulesFile), &file); err != nil {
		t.Fatal(err)
	}
	var obj struct {
		Spec struct {
			Groups any `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(readFile(t, deploy.PrometheusRulePath), &obj); err != nil {
		t.Fatal(err)
	}
	if file.Groups == nil || !reflect.DeepEqual(obj.Spec.Groups, file.Groups) {
		t.Errorf("the groups of %s differ from those of %s", deploy.PrometheusRulePath, deploy.RulesFile)
	}
}

// TestDashboardsConfigMapEqualsDashboards compares the ConfigMap's data, byte for
// byte, with the dashboards/ files.
func TestDashboardsConfigMapEqualsDashboards(t *testing.T) {
	var cm struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(readFile(t, deploy.DashboardsMapPath), &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Metadata.Labels["grafana_dashboard"] != "1" {
		t.Errorf(`%s: want label grafana_dashboard: "1" for Grafana's sidecar, got %v`, deploy.DashboardsMapPath, cm.Metadata.Labels)
	}
	paths, err := filepath.Glob(filepath.Join(root, deploy.DashboardsDir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no dashboards in %s: %v", deploy.DashboardsDir, err)
	}
	want := map[string]string{}
	for _, p := range paths {
		want[filepath.Base(p)] = string(readFile(t, filepath.Join(deploy.DashboardsDir, filepath.Base(p))))
	}
	for name, body := range want {
		if cm.Data[name] != body {
			t.Errorf("%s: data[%s] differs from %s/%s", deploy.DashboardsMapPath, name, deploy.DashboardsDir, name)
		}
	}
	for name := range cm.Data {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: data[%s] is not a file of %s", deploy.DashboardsMapPath, name, deploy.DashboardsDir)
		}
	}
}

// TestPrometheusRuleCopiesGroups covers a file without a heading comment.
func TestPrometheusRuleCopiesGroups(t *testing.T) {
	in := "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: |\n          up\n\n          == 0\n"
	out, err := deploy.PrometheusRule([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var file, obj struct {
		Groups any `yaml:"groups"`
		Spec   struct {
			Groups any `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(in), &file); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(out, &obj); err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	if !reflect.DeepEqual(obj.Spec.Groups, file.Groups) {
		t.Errorf("groups changed: got %v, want %v", obj.Spec.Groups, file.Groups)
	}
}

// TestGenerateRejects keeps the generator from writing something it cannot copy faithfully.
func TestGenerateRejects(t *testing.T) {
	rules := map[string]string{
		"not YAML":        "groups: [",
		"no groups":       "rules: []\n",
		"another key":     "groups: []\nextra: 1\n",
		"indented groups": "  groups: []\n",
	}
	for name, in := range rules {
		t.Run("rules/"+name, func(t *testing.T) {
			if _, err := deploy.PrometheusRule([]byte(in)); err == nil {
				t.Errorf("PrometheusRule(%q): want an error", in)
			}
		})
	}
	dashboards := map[string]string{
		"no final newline": "{\n  \"a\": 1\n}",
		"two newlines":     "{}\n\n",
		"tab":              "{\n\t\"a\": 1\n}\n",
	}
	for name, in := range dashboards {
		t.Run("dashboards/"+name, func(t *testing.T) {
			_, err := deploy.DashboardsConfigMap([]deploy.Dashboard{{Name: "x.json", JSON: []byte(in)}})
			if err == nil || !strings.Contains(err.Error(), "x.json") {
				t.Errorf("DashboardsConfigMap(%q): want an error naming the file, got %v", in, err)
			}
		})
	}
}
