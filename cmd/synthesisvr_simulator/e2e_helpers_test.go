package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// exporterBin is the exporter the end-to-end tests run against, built once by TestMain.
var exporterBin string

// TestMain builds the exporter once into a temporary folder, unless -short skips the
// end-to-end tests. With runMainEnv set, the test binary is the simulator instead.
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
	}
	os.Exit(proctest.RunWithBinary(m, exporterPackage, &exporterBin))
}

// exporterProc is a running exporter, killed when the test ends.
type exporterProc struct {
	*proctest.Process
	base string // http://host:port
}

// webhookURL is the receiver's URL for token.
func (p *exporterProc) webhookURL(token string) string { return p.base + "/webhook/" + token }

// startExporter starts the exporter with a fresh bolt file, env (KEY=value) and args,
// and waits until /-/ready answers 200. A port taken by someone else between
// FreeAddr and the bind gets a second try.
func startExporter(t *testing.T, env, args []string) *exporterProc {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped in -short mode")
	}
	storage := filepath.Join(t.TempDir(), "data", "synthesisvr.db")
	for attempt := 1; ; attempt++ {
		addr := proctest.FreeAddrTB(t)
		cmd := exec.Command(exporterBin, append([]string{"--web.listen-address=" + addr, "--storage.path=" + storage}, args...)...)
		cmd.Env = append(exporterEnv(), env...)
		p := &exporterProc{Process: proctest.StartTB(t, cmd, nil), base: "http://" + addr}
		err := p.WaitHTTP(p.base+"/-/ready", 10*time.Second, 20*time.Millisecond)
		if err == nil {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("exporter %s log:\n%s", p.base, p.Log)
				}
			})
			return p
		}
		if attempt < 3 && p.Exited() && strings.Contains(p.Log.String(), "address already in use") {
			continue
		}
		t.Fatalf("exporter did not become ready: %v\nlog:\n%s", err, p.Log)
	}
}

// exporterEnv is the test's environment without variables that would change what the
// exporter does (a webhook token, OpenTelemetry settings).
func exporterEnv() []string {
	env := []string{"OTEL_TRACES_EXPORTER=none", "OTEL_SDK_DISABLED=true"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SYNTHESISVR_") && !strings.HasPrefix(kv, "OTEL_") {
			env = append(env, kv)
		}
	}
	return env
}

// expiredSessions adds up the sessions the exporter ended as expired, over every
// location.
func expiredSessions(t *testing.T, base string) float64 {
	t.Helper()
	families := scrapeFamilies(t, base)
	total := 0.0
	for _, m := range families["synthesisvr_sessions_ended_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "reason" && l.GetValue() == "expired" {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

// scrapeFamilies reads the exporter at base's /metrics as exposition text.
func scrapeFamilies(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not valid exposition text: %v", err)
	}
	return families
}
