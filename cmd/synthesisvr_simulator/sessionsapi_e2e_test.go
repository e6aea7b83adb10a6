package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore/redistest"
)

// These tests run the built exporter against the fake sessions API of the
// simulator's model, served in this process.

const (
	apiKey     = "k3y-Secret-0123456789abcdef"
	apiToken   = "webhook-token-for-the-api-tests-0123"
	apiVenue   = "Kamen"
	apiMaxWait = 20 * time.Second
)

// apiFake serves m's sessions for apiVenue with edges.
func apiFake(t *testing.T, m *simulator.Model, edges simulator.APIEdges) *httptest.Server {
	t.Helper()
	api := simulator.NewAPI(m, []simulator.APIKey{{Key: apiKey, Location: apiVenue, Zone: time.UTC}}, edges, 7)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// apiConfig writes a config file with apiVenue keyed on the API at url.
func apiConfig(t *testing.T, url string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yml")
	cfg := fmt.Sprintf(`webhooks:
  - name: venue
    token: %s
    location: %s
locations:
  - name: %s
    api_key: %s
synthesisvr_api:
  url: %s
  poll_interval: 1s
  timeout: 1s
  max_requests_per_second: 50
`, apiToken, apiVenue, apiVenue, apiKey, url)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startExporterAt starts the exporter on the bolt file storage (kept across
// restarts) and waits until it is ready.
func startExporterAt(t *testing.T, storage string, args ...string) *exporterProc {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped in -short mode")
	}
	for attempt := 1; ; attempt++ {
		addr := proctest.FreeAddrTB(t)
		cmd := exec.Command(exporterBin, append([]string{"--web.listen-address=" + addr, "--storage.path=" + storage,
			"--log.level=debug", "--session.max-age=2m"}, args...)...)
		cmd.Env = exporterEnv()
		p := &exporterProc{Process: proctest.StartTB(t, cmd, nil), base: "http://" + addr}
		if err := p.WaitHTTP(p.base+"/-/ready", 10*time.Second, 20*time.Millisecond); err == nil {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("exporter log:\n%s", p.Log)
				}
			})
			return p
		}
		if attempt < 3 && p.Exited() && strings.Contains(p.Log.String(), "address already in use") {
			continue
		}
		t.Fatalf("exporter did not become ready\nlog:\n%s", p.Log)
	}
}

// send posts one event and returns the answer's status and how long it took.
func send(t *testing.T, p *exporterProc, action, uuid string) (int, time.Duration) {
	t.Helper()
	body := fmt.Sprintf(`[{"uuid":%q,"action":%q,"location":%q,"stations":2}]`, uuid, action, apiVenue)
	start := time.Now()
	resp, err := http.Post(p.webhookURL(apiToken), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// scrape returns every sample of /metrics as "name{labels}" -> value, labels
// sorted, and the raw text.
func scrape(t *testing.T, p *exporterProc) (map[string]float64, string) {
	t.Helper()
	resp, err := http.Get(p.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(teeReader(resp, &raw))
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			slices.Sort(labels)
			out[name+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	return out, raw.String()
}

func teeReader(resp *http.Response, w *bytes.Buffer) *bytes.Reader {
	b, _ := readAll(resp)
	w.Write(b)
	return bytes.NewReader(b)
}

func readAll(resp *http.Response) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(resp.Body)
	return b.Bytes(), err
}

// loc is a metric's key for apiVenue.
func loc(name string, more ...string) string {
	labels := append([]string{fmt.Sprintf("location=%q", apiVenue)}, more...)
	slices.Sort(labels)
	return name + "{" + strings.Join(labels, ",") + "}"
}

// waitMetrics polls /metrics until every wanted value is there.
func waitMetrics(t *testing.T, p *exporterProc, want map[string]float64) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(apiMaxWait)
	for {
		got, _ := scrape(t, p)
		var diff []string
		for k, v := range want {
			if got[k] != v {
				diff = append(diff, fmt.Sprintf("%s = %v, want %v", k, got[k], v))
			}
		}
		if len(diff) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics did not reach their values:\n%s", strings.Join(diff, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSessionsAPIPhases is the "done when" through the binary: a booking
// is booked, not active; a session whose schedule began is active and started once
// with its revenue; it finishes at its end without a delete; a session only the
// API knows is reconciled; none is started or ended again after a kill -9.
func TestSessionsAPIPhases(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	m := simulator.NewModel()
	m.AddPlan(simulator.Plan{UUID: "missed-1", Location: apiVenue, Stations: 3, Experience: "Half-Life: Alyx", Cost: 30,
		Booked: now.Add(-time.Hour), Start: now.Add(-2 * time.Minute), End: now.Add(time.Hour), MissedWebhook: true})
	srv := apiFake(t, m, simulator.APIEdges{Shape: simulator.ShapeRandom, TimeFormat: simulator.TimeRandom, StringNumbers: 0.5})
	storage := filepath.Join(t.TempDir(), "data", "synthesisvr.db")
	cfg := apiConfig(t, srv.URL)
	p := startExporterAt(t, storage, "--config.file="+cfg)

	waitMetrics(t, p, map[string]float64{loc("synthesisvr_sessions_reconciled_total"): 1})
	// The webhooks come first and the API learns the sessions after, so that no
	// poll lists them before their webhook: their lookups may fail and retry.
	for _, u := range []string{"booked-1", "playing-1"} {
		if code, _ := send(t, p, "create", u); code != http.StatusOK {
			t.Fatalf("create %s: %d", u, code)
		}
	}
	now = time.Now().Truncate(time.Second)
	m.AddPlan(simulator.Plan{UUID: "booked-1", Location: apiVenue, Stations: 2, Experience: "Beat Saber", Cost: 40,
		Booked: now, Start: now.Add(2 * time.Hour), End: now.Add(2*time.Hour + 30*time.Minute)})
	m.AddPlan(simulator.Plan{UUID: "playing-1", Location: apiVenue, Stations: 2, Experience: "Beat Saber", Cost: 25.5,
		Booked: now.Add(-time.Hour), Start: now.Add(-time.Minute), End: now.Add(15 * time.Second)})
	waitMetrics(t, p, map[string]float64{
		loc("synthesisvr_sessions_booked"):                                              1,
		loc("synthesisvr_sessions_active"):                                              2, // playing-1 and missed-1
		loc("synthesisvr_stations_active"):                                              5,
		loc("synthesisvr_sessions_started_total"):                                       2,
		loc("synthesisvr_session_revenue_total"):                                        55.5,
		loc("synthesisvr_sessions_reconciled_total"):                                    1,
		loc("synthesisvr_experience_sessions_started_total", `experience="Beat Saber"`): 1,
		"synthesisvr_api_lookups_pending{}":                                             0,
	})
	// playing-1's end passes with no delete: finished.
	got := waitMetrics(t, p, map[string]float64{
		loc("synthesisvr_sessions_ended_total", `reason="finished"`): 1,
		loc("synthesisvr_sessions_active"):                           1,
		loc("synthesisvr_sessions_booked"):                           1,
	})
	if got[loc("synthesisvr_sessions_started_total")] != 2 || got[loc("synthesisvr_sessions_ended_total", `reason="expired"`)] != 0 {
		t.Fatalf("after the finish: started %v, expired %v", got[loc("synthesisvr_sessions_started_total")],
			got[loc("synthesisvr_sessions_ended_total", `reason="expired"`)])
	}
	if got[loc("synthesisvr_api_requests_total", `kind="lookup"`, `code="200"`)] < 2 || got[loc("synthesisvr_api_requests_total", `kind="poll"`, `code="200"`)] < 1 {
		t.Fatalf("API requests not counted: %v", got)
	}

	// A crash, and a start on the same file: nothing is started, ended or
	// reconciled again; the booking stays booked.
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	p2 := startExporterAt(t, storage, "--config.file="+cfg)
	time.Sleep(3 * time.Second) // a few polls and phase steps
	got = waitMetrics(t, p2, map[string]float64{
		loc("synthesisvr_sessions_booked"): 1,
		loc("synthesisvr_sessions_active"): 1,
	})
	for _, k := range []string{loc("synthesisvr_sessions_started_total"), loc("synthesisvr_sessions_reconciled_total"),
		loc("synthesisvr_session_revenue_total"), loc("synthesisvr_sessions_ended_total", `reason="finished"`)} {
		if got[k] != 0 {
			t.Errorf("after a restart %s = %v, want 0: counted twice", k, got[k])
		}
	}
	// A delete of the booking before its start cancels it.
	if code, _ := send(t, p2, "delete", "booked-1"); code != http.StatusOK {
		t.Fatalf("delete: %d", code)
	}
	got = waitMetrics(t, p2, map[string]float64{
		loc("synthesisvr_sessions_booked"):          0,
		loc("synthesisvr_bookings_cancelled_total"): 1,
	})
	if got[loc("synthesisvr_sessions_ended_total", `reason="deleted"`)] != 0 {
		t.Errorf("a cancelled booking was counted as ended")
	}
	checkNoKey(t, p, p2)
}

// checkNoKey fails when the key is in a log line or the metrics.
func checkNoKey(t *testing.T, procs ...*exporterProc) {
	t.Helper()
	for _, p := range procs {
		if strings.Contains(p.Log.String(), apiKey) {
			t.Errorf("the API key is in the log")
		}
	}
	if _, raw := scrape(t, procs[len(procs)-1]); strings.Contains(raw, apiKey) {
		t.Errorf("the API key is in /metrics")
	}
}

// TestSessionsAPIDownBehavesAsWithoutKey: with the API failing in every way the
// webhook answers at once and sessions count as without a key once the lookups
// give up (here the fake answers garbage or errors to every request).
func TestSessionsAPIDownBehavesAsWithoutKey(t *testing.T) {
	m := simulator.NewModel()
	srv := apiFake(t, m, simulator.APIEdges{Errors: 0.4, HTML: 0.4, Throttle: 0.2, Slow: 0.2, SlowBy: 3 * time.Second})
	p := startExporterAt(t, filepath.Join(t.TempDir(), "data", "synthesisvr.db"), "--config.file="+apiConfig(t, srv.URL))
	for i := range 5 {
		code, took := send(t, p, "create", fmt.Sprintf("walk-in-%d", i))
		if code != http.StatusOK {
			t.Fatalf("create: %d", code)
		}
		if took > time.Second {
			t.Errorf("the webhook took %v with the API failing: it waits for the API", took)
		}
	}
	// Active at once, as without a key; their start waits for the lookups.
	waitMetrics(t, p, map[string]float64{loc("synthesisvr_sessions_active"): 5, loc("synthesisvr_sessions_booked"): 0})
	// Once every lookup was tried and failed (none can succeed: the fake knows
	// none of these sessions), a delete ends a session as without a key.
	for deadline := time.Now().Add(apiMaxWait); ; time.Sleep(100 * time.Millisecond) {
		got, _ := scrape(t, p)
		var lookups float64
		for k, v := range got {
			if strings.HasPrefix(k, "synthesisvr_api_requests_total{") && strings.Contains(k, `kind="lookup"`) {
				lookups += v
			}
		}
		if lookups >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %g lookups tried", lookups)
		}
	}
	time.Sleep(200 * time.Millisecond) // the failures are stored after their request is counted
	if code, _ := send(t, p, "delete", "walk-in-0"); code != http.StatusOK {
		t.Fatal("delete failed")
	}
	// A delete after failed lookups counts its start with its end.
	got := waitMetrics(t, p, map[string]float64{
		loc("synthesisvr_sessions_active"):                          4,
		loc("synthesisvr_sessions_ended_total", `reason="deleted"`): 1,
	})
	if got[loc("synthesisvr_sessions_started_total")] < 1 {
		t.Errorf("the deleted session's start was not counted")
	}
	var errs float64
	for k, v := range got {
		if strings.HasPrefix(k, "synthesisvr_api_errors_total") {
			errs += v
		}
	}
	if errs == 0 {
		t.Errorf("no API error counted with the API failing")
	}
	checkNoKey(t, p)
}

// TestSessionsAPITwoReplicasOnRedis: two replicas on one Redis look sessions up,
// poll and advance phases at once, yet each start, finish and reconciliation is
// counted by one of them: the sums over both are those of one exporter.
func TestSessionsAPITwoReplicasOnRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped in -short mode")
	}
	redisSrv := redistest.Start(t, redistest.Options{})
	now := time.Now().Truncate(time.Second)
	m := simulator.NewModel()
	m.AddPlan(simulator.Plan{UUID: "missed-1", Location: apiVenue, Stations: 3, Experience: "Half-Life: Alyx", Cost: 30,
		Booked: now.Add(-time.Hour), Start: now.Add(-2 * time.Minute), End: now.Add(time.Hour), MissedWebhook: true})
	srv := apiFake(t, m, simulator.APIEdges{Shape: simulator.ShapeObject, TimeFormat: simulator.TimeDateTime})
	cfg := apiConfig(t, srv.URL)
	dir := t.TempDir()
	var reps []*exporterProc
	for i := range 2 {
		reps = append(reps, startExporterAt(t, filepath.Join(dir, fmt.Sprint(i), "unused.db"), "--config.file="+cfg,
			"--storage.backend=redis", "--storage.redis.url="+redisSrv.URL(0),
			"--storage.redis.spool-path="+filepath.Join(dir, fmt.Sprint(i), "spool.db")))
	}
	sum := func(key string) float64 {
		var total float64
		for _, p := range reps {
			got, _ := scrape(t, p)
			total += got[key]
		}
		return total
	}
	waitSum := func(key string, want float64) {
		t.Helper()
		for deadline := time.Now().Add(apiMaxWait); sum(key) != want; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s summed over the replicas = %v, want %v", key, sum(key), want)
			}
		}
	}
	waitSum(loc("synthesisvr_sessions_reconciled_total"), 1)
	// playing-1 reaches replica 0, playing-2 replica 1, booked-1 both (a retry
	// through the load balancer, say).
	for i, u := range []string{"playing-1", "playing-2", "booked-1", "booked-1"} {
		if code, _ := send(t, reps[i%2], "create", u); code != http.StatusOK {
			t.Fatalf("create %s: %d", u, code)
		}
	}
	now = time.Now().Truncate(time.Second)
	for _, u := range []string{"playing-1", "playing-2"} {
		m.AddPlan(simulator.Plan{UUID: u, Location: apiVenue, Stations: 2, Experience: "Beat Saber", Cost: 20,
			Booked: now.Add(-time.Minute), Start: now.Add(-time.Minute), End: now.Add(12 * time.Second)})
	}
	m.AddPlan(simulator.Plan{UUID: "booked-1", Location: apiVenue, Stations: 2, Experience: "Beat Saber", Cost: 40,
		Booked: now, Start: now.Add(2 * time.Hour), End: now.Add(2*time.Hour + 30*time.Minute)})
	for _, p := range reps {
		waitMetrics(t, p, map[string]float64{loc("synthesisvr_sessions_booked"): 1, loc("synthesisvr_sessions_active"): 3})
	}
	waitSum(loc("synthesisvr_sessions_started_total"), 3)
	waitSum(loc("synthesisvr_session_revenue_total"), 70)
	// Both replicas run the phase step; each session finishes once.
	waitSum(loc("synthesisvr_sessions_ended_total", `reason="finished"`), 2)
	time.Sleep(2 * time.Second) // more polls and steps on both
	for key, want := range map[string]float64{
		loc("synthesisvr_sessions_started_total"):                    3,
		loc("synthesisvr_sessions_reconciled_total"):                 1,
		loc("synthesisvr_sessions_ended_total", `reason="finished"`): 2,
		loc("synthesisvr_sessions_ended_total", `reason="expired"`):  0,
	} {
		if got := sum(key); got != want {
			t.Errorf("%s summed over the replicas = %v, want %v", key, got, want)
		}
	}
	for _, p := range reps {
		waitMetrics(t, p, map[string]float64{loc("synthesisvr_sessions_booked"): 1, loc("synthesisvr_sessions_active"): 1})
	}
	checkNoKey(t, reps...)
}

// TestSessionsAPIKeyAddedByReload: without a key a create is active and started
// at once, as before; a reload that adds the key makes the next booking booked,
// and the polls show the first one for the booking it is (its start, counted
// already, is not counted again).
func TestSessionsAPIKeyAddedByReload(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	m := simulator.NewModel()
	m.AddPlan(simulator.Plan{UUID: "booked-2", Location: apiVenue, Stations: 2, Experience: "Beat Saber", Cost: 40,
		Booked: now.Add(-time.Minute), Start: now.Add(2 * time.Hour), End: now.Add(2*time.Hour + 30*time.Minute)})
	m.AddPlan(simulator.Plan{UUID: "booked-1", Location: apiVenue, Stations: 2, Experience: "Beat Saber", Cost: 40,
		Booked: now.Add(-time.Minute), Start: now.Add(2 * time.Hour), End: now.Add(2*time.Hour + 30*time.Minute)})
	srv := apiFake(t, m, simulator.APIEdges{Shape: simulator.ShapeBare, TimeFormat: simulator.TimeUnix})
	cfg := apiConfig(t, srv.URL)
	keyed, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	unkeyed := strings.Replace(string(keyed), "    api_key: "+apiKey+"\n", "", 1)
	if err := os.WriteFile(cfg, []byte(unkeyed), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startExporterAt(t, filepath.Join(t.TempDir(), "data", "synthesisvr.db"), "--config.file="+cfg, "--web.enable-lifecycle")
	if code, _ := send(t, p, "create", "booked-1"); code != http.StatusOK {
		t.Fatal("create failed")
	}
	waitMetrics(t, p, map[string]float64{loc("synthesisvr_sessions_active"): 1, loc("synthesisvr_sessions_started_total"): 1})
	if err := os.WriteFile(cfg, keyed, 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(p.base+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reload: %d", resp.StatusCode)
	}
	if code, _ := send(t, p, "create", "booked-2"); code != http.StatusOK {
		t.Fatal("create failed")
	}
	got := waitMetrics(t, p, map[string]float64{loc("synthesisvr_sessions_booked"): 2, loc("synthesisvr_sessions_active"): 0})
	if got[loc("synthesisvr_sessions_started_total")] != 1 {
		t.Errorf("started = %v after the booking, want 1", got[loc("synthesisvr_sessions_started_total")])
	}
	// The create after the reload was looked up: the webhook knows the key too.
	waitMetrics(t, p, map[string]float64{loc("synthesisvr_api_requests_total", `code="200"`, `kind="lookup"`): 1})
	checkNoKey(t, p)
}
