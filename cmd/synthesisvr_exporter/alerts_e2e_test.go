package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// rulesFile is the shipped alert rules, relative to this package.
var rulesFile = filepath.Join("..", "..", "alerts", "synthesisvr.rules.yml")

// hoursConfig has two locations in different time zones: Nonstop is always open, and
// Shut always closed, whatever the day and hour the test runs at.
func hoursConfig() string {
	return "webhooks:\n  - name: main\n    token: " + mainToken + "\n" +
		"locations:\n" +
		"  - name: Nonstop\n    timezone: America/New_York\n    hours:\n      mon-sun: \"00:00-24:00\"\n" +
		"  - name: Shut\n    timezone: Europe/Sofia\n    hours:\n      mon-sun: closed\n"
}

// zeroForCopy writes a copy of the rules whose alerts fire at once (for: 0s), with a
// label that tells their alerts from those of the shipped rules.
func zeroForCopy(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	forLine := regexp.MustCompile(`(?m)^(\s+)for: \S+$`)
	text := forLine.ReplaceAllString(string(b), "${1}for: 0s")
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
	postEvents(t, exp.webhookURL(mainToken), "["+createEvent("prom-1", "Nonstop", 3)+"]")
	prom.waitUntil(10*time.Second, firing(prom, nil))
	prom.waitUntil(5*time.Second, everyRuleHealthy(prom))
}

// everyRuleHealthy is a waitUntil condition: all rules (the shipped ones, and as
// many in the copy) have been evaluated, without error.
func everyRuleHealthy(prom *promServer) func() string {
	return func() string {
		rules := prom.rules()
		if want := 2 * shippedRules(); len(rules) != want {
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
		got := map[string]float64{}
		for _, s := range prom.query(`synthesisvr_location_open{job="synthesisvr"}`) {
			got[string(s.Metric["location"])] = float64(s.Value)
		}
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

// shippedRules counts the alert rules of the shipped file.
func shippedRules() int {
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		return -1
	}
	return strings.Count(string(b), "- alert: ")
}
