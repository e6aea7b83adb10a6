package dashboards

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// RulesFile is the Prometheus rules file of the repository, from this package's
// folder: its recording rules give the series with a colon in their name
// (level:metric:operations) that the overview reads.
const RulesFile = "../alerts/synthesisvr.rules.yml"

// RecordingRules reads the recording rules of a Prometheus rules file: the name
// each records, and its expression. A name recorded twice is an error, since a
// dashboard could not tell which one it reads.
func RecordingRules(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Record string `yaml:"record"`
				Expr   string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]string{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Record == "" {
				continue
			}
			if _, dup := out[r.Record]; dup {
				return nil, fmt.Errorf("%s: group %q records %s again", path, g.Name, r.Record)
			}
			out[r.Record] = strings.TrimSpace(r.Expr)
		}
	}
	return out, nil
}

// IsRecorded reports whether a metric name is that of a recorded series: by
// Prometheus's convention only those have a colon.
func IsRecorded(name string) bool { return strings.Contains(name, ":") }
