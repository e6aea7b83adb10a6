package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// TestOneConfigDrivesTheExporterAndTheDemo: the exporter and demo --api read the
// same file. The fake API listens where its synthesisvr_api url says, and serves
// each location under the key the file gives it (api_key, api_key_file), so the
// exporter's lookups and polls are answered 200, never 403, and sessions start and
// earn; a location without a key gets a generated one, printed for the config; the
// stations are the demo's capacities, and at these arrivals groups are turned away.
func TestOneConfigDrivesTheExporterAndTheDemo(t *testing.T) {
	dir := t.TempDir()
	apiAddr := proctest.FreeAddrTB(t)
	if err := os.WriteFile(filepath.Join(dir, "mall.key"), []byte("mall-key-from-a-file-0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "venue.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`webhooks:
  - name: sim
    token: %s
locations:
  - name: Downtown
    stations: 3
    api_key: downtown-key-0123456789
  - name: Mall
    stations: 20
    api_key_file: mall.key
  - name: Airport
synthesisvr_api:
  url: http://%s
  poll_interval: 1s
  timeout: 1s
  max_requests_per_second: 50
`, simToken, apiAddr)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startExporter(t, nil, []string{"--config.file=" + cfg, "--session.max-age=6h"})
	var out, errs bytes.Buffer
	code := runContext(context.Background(), []string{"--exporter.url=" + p.base, "--webhook.token=" + simToken,
		"demo", "--api", "--config.file=" + cfg, "--open=00:00-24:00", "--arrivals=40", "--speed=600",
		"--seed=5", "--run-for=8s", "--status-interval=1h"}, &out, &errs)
	if code != 0 {
		t.Fatalf("demo: exit code %d\n%s\n%s", code, out.String(), errs.String())
	}
	printed := out.String()
	t.Logf("demo output:\n%s", printed)
	for _, want := range []string{"fake SynthesisVR API: http://" + apiAddr + "\n", "# api_key: as in " + cfg,
		`- name: "Airport"` + "\n      api_key: \"", "groups turned away"} {
		if !strings.Contains(printed, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, printed)
		}
	}
	if strings.Contains(printed, "downtown-key") || strings.Contains(printed, "mall-key") {
		t.Errorf("the demo printed a key of the config file:\n%s", printed)
	}
	if strings.Contains(printed, " 0 groups turned away") {
		t.Errorf("Downtown has 3 stations and 40 groups an hour, yet none was turned away:\n%s", printed)
	}
	families := scrapeFamilies(t, p.base)
	answered := map[string]float64{} // location -> API answers with code 200
	for _, m := range families["synthesisvr_api_requests_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["code"] == "403" {
			t.Errorf("the API refused the key of %s: %v", labels["location"], m)
		}
		if labels["code"] == "200" {
			answered[labels["location"]] += m.GetCounter().GetValue()
		}
	}
	revenue := map[string]float64{}
	for _, m := range families["synthesisvr_session_revenue_total"].GetMetric() {
		revenue[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
	}
	for _, loc := range []string{"Downtown", "Mall"} {
		if answered[loc] == 0 || revenue[loc] == 0 {
			t.Errorf("%s: %g API answers 200, revenue %g: want both above 0 with the config's key\n%s", loc, answered[loc], revenue[loc], errs.String())
		}
	}
	if answered["Airport"] != 0 {
		t.Errorf("Airport has no key in the config, yet the exporter asked the API for it")
	}
}
