package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// rulesFile is the shipped alert and recording rules, relative to this package.
var rulesFile = filepath.Join("..", "..", "alerts", "synthesisvr.rules.yml")

// TestRuleUnitTests runs promtool's unit tests of the shipped rules (every
// alerts/*.test.yml), as CI's "alert rules" step does, so that go test runs them too.
func TestRuleUnitTests(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		skipOrFail(t, "promtool is not on PATH: install Debian's prometheus package (apt-get install prometheus) to run the rules' unit tests")
	}
	dir := filepath.Dir(rulesFile)
	files, err := filepath.Glob(filepath.Join(dir, "*.test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	// The alerts' tests and the recording rules' tests.
	if len(files) < 2 {
		t.Fatalf("%s has %d promtool test files (*.test.yml), want the alerts' and the recording rules'", dir, len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cmd := exec.Command(promtool, "test", "rules", filepath.Base(f))
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "SUCCESS") {
				t.Errorf("promtool test rules %s: %v\n%s", filepath.Base(f), err, out)
			}
		})
	}
}

// hoursConfig has two locations in different time zones: Nonstop is always open, and
// Shut always closed, whatever the day and hour the test runs at.
func hoursConfig() string {
	return "webhooks:\n  - name: main\n    token: " + mainToken + "\n" +
		"locations:\n" +
		"  - name: Nonstop\n    timezone: America/New_York\n    hours:\n      mon-sun: \"00:00-24:00\"\n" +
		"  - name: Shut\n    timezone: Europe/Sofia\n    hours:\n      mon-sun: closed\n"
}

// zeroForCopy writes a copy of the alert rules whose alerts fire at once (for: 0s),
// with a label that tells their alerts from those of the shipped rules. The copy
// leaves out the recording rules (the groups before the alerts' group): the shipped
// file records them, and two groups recording the same series would clash.
func zeroForCopy(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	groups, alerts := strings.Index(text, "\ngroups:\n"), strings.Index(text, "\n  - name: synthesisvr\n")
	if groups < 0 || alerts < groups {
		t.Fatal("the rule file has no groups: followed by the group synthesisvr: has its layout changed?")
	}
	text = text[:groups] + "\ngroups:" + text[alerts:]
	if strings.Contains(text, "- record: ") {
		t.Fatal("the copy still has recording rules: are they after the alerts' group now?")
	}
	forLine := regexp.MustCompile(`(?m)^(\s+)for: \S+$`)
	text = forLine.ReplaceAllString(text, "${1}for: 0s")
	text = strings.ReplaceAll(text, "        labels:\n", "        labels:\n          rules: for0\n")
	text = strings.Replace(text, "- name: synthesisvr\n", "- name: synthesisvr-for0\n", 1)
	rules := strings.Count(text, "- alert: ")
	if n := strings.Count(text, "for: 0s"); n != rules || strings.Count(text, "rules: for0") != rules {
		t.Fatalf("the copy has %d rules with for: 0s, want all %d: has the rule file's layout changed?", n, rules)
	}
	path := filepath.Join(dir, "for0.rules.yml")
	writeFile(t, path, text)
	return path
}

func TestAlertRulesInPrometheus(t *testing.T) {
	requireBinary(t)
	requirePrometheus(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	writeFile(t, cfg, hoursConfig())
	exp := startExporter(t, options{config: cfg})
	shipped, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	prom := startPrometheus(t, promOptions{
		jobs:      []promJob{{name: "synthesisvr", targets: []string{strings.TrimPrefix(exp.base, "http://")}}},
		ruleFiles: []string{shipped, zeroForCopy(t, dir)},
	})

	prom.waitUntil(10*time.Second, openState(prom))
	prom.waitUntil(10*time.Second, everyRuleHealthy(prom))
	// Only the opening-hours alerts fire, and only for the open location: the closed
	// one has no session and never sent an event either.
	prom.waitUntil(10*time.Second, firing(prom, map[string][]string{
		"SynthesisVRNoSessionsDuringOpeningHours": {"Nonstop"},
		"SynthesisVRWebhooksSilent":               {"Nonstop"},
	}))
	prom.waitUntil(10*time.Second, recorded(prom, "location:synthesisvr_stations_active:max", map[string]float64{"Nonstop": 0, "Shut": 0}))
	postEvents(t, exp.webhookURL(mainToken), "["+createEvent("prom-1", "Nonstop", 3)+"]")
	prom.waitUntil(10*time.Second, firing(prom, nil))
	prom.waitUntil(10*time.Second, recorded(prom, "location:synthesisvr_stations_active:max", map[string]float64{"Nonstop": 3, "Shut": 0}))
	prom.waitUntil(5*time.Second, everyRuleHealthy(prom))
}

// recorded is a waitUntil condition: the series a recording rule records have the
// values of want, by location.
func recorded(prom *promServer, record string, want map[string]float64) func() string {
	return func() string {
		if got := prom.byLocation(record); fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Sprintf("%s in Prometheus = %v, want %v", record, got, want)
		}
		return ""
	}
}

// everyRuleHealthy is a waitUntil condition: all rules (the shipped ones, and as
// many alerts in the copy) have been evaluated, without error.
func everyRuleHealthy(prom *promServer) func() string {
	alerts, records := shippedRules()
	return rulesHealthy(prom, 2*alerts+records)
}

// rulesHealthy is a waitUntil condition: Prometheus has loaded want rules and
// evaluated each without error.
func rulesHealthy(prom *promServer, want int) func() string {
	return func() string {
		rules := prom.rules()
		if len(rules) != want {
			return fmt.Sprintf("Prometheus loaded %d rules, want %d", len(rules), want)
		}
		for _, r := range rules {
			if r.Health != "ok" {
				return fmt.Sprintf("rule %s of group %s has health %q (%s)", r.Name, r.Group, r.Health, r.LastError)
			}
		}
		return ""
	}
}

// openState is a waitUntil condition: Prometheus has scraped the exporter's opening
// state, 1 for Nonstop and 0 for Shut.
func openState(prom *promServer) func() string {
	return func() string {
		got := prom.byLocation(`synthesisvr_location_open{job="synthesisvr"}`)
		if want := map[string]float64{"Nonstop": 1, "Shut": 0}; fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Sprintf("synthesisvr_location_open in Prometheus = %v, want %v", got, want)
		}
		return ""
	}
}

// firing is a waitUntil condition: in the for: 0s copy, exactly the alerts named in
// want fire, each for exactly the locations listed, and no other alert fires.
func firing(prom *promServer, want map[string][]string) func() string {
	return func() string {
		for _, r := range prom.rules() {
			if r.Group != "synthesisvr-for0" {
				continue
			}
			var got []string
			for _, a := range r.Alerts {
				if a.State == "firing" {
					got = append(got, a.Labels["location"])
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want[r.Name]) {
				return fmt.Sprintf("%s fires for locations %q, want %q", r.Name, got, want[r.Name])
			}
		}
		return ""
	}
}

// shippedRules counts the alert rules and the recording rules of the shipped file.
func shippedRules() (alerts, records int) {
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		return -1, -1
	}
	return strings.Count(string(b), "- alert: "), strings.Count(string(b), "- record: ")
}
