package main

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// update makes the golden-file tests rewrite their files in testdata/ instead of
// comparing against them.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// exporterBin is the binary under test, built once by TestMain; simulatorBin is the
// simulator, built with it, whose demo and fake sessions API drive the dashboards'
// test.
var exporterBin, simulatorBin string

// readyTimeout bounds every wait for a process to become ready or to exit.
const readyTimeout = 10 * time.Second

// TestMain builds the exporter and the simulator once into a temporary folder, in
// one go build, unless -short skips the end-to-end tests.
func TestMain(m *testing.M) {
	const module = "github.com/synthesisvr-exporter/synthesisvr_exporter"
	os.Exit(proctest.RunWithBinaries(m, map[string]*string{
		module + "/cmd/synthesisvr_exporter":  &exporterBin,
		module + "/cmd/synthesisvr_simulator": &simulatorBin,
	}))
}

// requireBinary skips an end-to-end test in -short mode.
func requireBinary(t *testing.T) {
	t.Helper()
	if testing.Short() || exporterBin == "" {
		t.Skip("end-to-end test: skipped in -short mode")
	}
}

// inCI reports whether the tests run in CI, where missing inputs fail instead of skipping.
func inCI() bool { return os.Getenv("CI") == "true" }

// skipOrFail skips the test, or fails it in CI, with the same message.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if inCI() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// freeAddr returns a loopback address with a port that was free a moment ago.
var freeAddr = proctest.FreeAddrTB

// logBuffer collects a process's output; it is safe for concurrent use.
type logBuffer = proctest.Buffer

// options says how to start an exporter.
type options struct {
	// storage is the --storage.path; a fresh temporary one when empty.
	storage string
	// config is the --config.file, if any.
	config string
	// hookPort serves the webhook on a listener of its own.
	hookPort bool
	// args are further flags; env are further environment variables (KEY=value).
	args []string
	env  []string
}

// exporterProc is a running exporter, killed by the test's cleanup.
type exporterProc struct {
	*proctest.Process
	log      *logBuffer
	t        *testing.T
	base     string // http://host:port of --web.listen-address
	hookBase string // where the webhook is served
	storage  string
}

// startExporter starts the binary and waits until /-/ready answers 200. A port
// taken by someone else between freeAddr and the bind gets a second try.
func startExporter(t *testing.T, o options) *exporterProc {
	t.Helper()
	requireBinary(t)
	if o.storage == "" {
		o.storage = filepath.Join(t.TempDir(), "data", "synthesisvr.db")
	}
	log := &logBuffer{}
	for attempt := 1; ; attempt++ {
		p := launch(t, o, log)
		err := p.waitReady()
		if err == nil {
			return p
		}
		if attempt < 3 && p.Exited() && strings.Contains(log.String(), "address already in use") {
			continue
		}
		t.Fatalf("exporter did not become ready: %v\nlog:\n%s", err, log.String())
	}
}

// launch starts one process writing its stderr to log.
func launch(t *testing.T, o options, log *logBuffer) *exporterProc {
	t.Helper()
	addr := freeAddr(t)
	p := &exporterProc{log: log, t: t, base: "http://" + addr, hookBase: "http://" + addr, storage: o.storage}
	args := []string{"--web.listen-address=" + addr, "--storage.path=" + o.storage}
	if o.hookPort {
		hook := freeAddr(t)
		p.hookBase = "http://" + hook
		args = append(args, "--webhook.listen-address="+hook)
	}
	if o.config != "" {
		args = append(args, "--config.file="+o.config)
	}
	cmd := exec.Command(exporterBin, append(args, o.args...)...)
	cmd.Env = append(childEnv(), o.env...)
	p.Process = proctest.StartTB(t, cmd, log) // killed when the test ends
	t.Cleanup(p.showLog)
	return p
}

// childEnv is the test's environment without variables that would change what the
// exporter does (a webhook token, OpenTelemetry settings).
func childEnv() []string {
	env := []string{"OTEL_TRACES_EXPORTER=none", "OTEL_SDK_DISABLED=true"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SYNTHESISVR_") && !strings.HasPrefix(kv, "OTEL_") {
			env = append(env, kv)
		}
	}
	return env
}

// showLog shows the process's log when the test failed.
func (p *exporterProc) showLog() {
	if p.t.Failed() {
		p.t.Logf("exporter %s log:\n%s", p.base, p.log.String())
	}
}

// waitReady polls /-/ready until it answers 200, the process exits, or readyTimeout passes.
func (p *exporterProc) waitReady() error {
	return p.WaitHTTP(p.base+"/-/ready", readyTimeout, 20*time.Millisecond)
}

// kill ends the process with SIGKILL, as a crash or an OOM kill would, and waits for it.
func (p *exporterProc) kill() {
	p.t.Helper()
	if err := p.Kill(); err != nil {
		p.t.Fatalf("kill: %v", err)
	}
}

// signal sends sig to the process.
func (p *exporterProc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("send %v: %v", sig, err)
	}
}

// waitExit waits at most timeout for the process to end and returns its exit code
// (-1 when a signal ended it).
func (p *exporterProc) waitExit(timeout time.Duration) int {
	p.t.Helper()
	err := p.Wait(timeout)
	if !p.Exited() {
		p.t.Fatalf("exporter did not exit within %s", timeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		p.t.Fatalf("wait: %v", err)
	}
	return 0
}

// waitLog waits until the log holds want at least n times.
func (p *exporterProc) waitLog(want string, n int) {
	p.t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for strings.Count(p.log.String(), want) < n {
		if time.Now().After(deadline) {
			p.t.Fatalf("the log did not show %q %d times within %s", want, n, readyTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// webhookURL is the receiver's URL for token.
func (p *exporterProc) webhookURL(token string) string { return p.hookBase + "/webhook/" + token }

// client is the tests' HTTP client: bounded, and without kept-alive connections, so
// that each request sees the server as it is now.
var client = &http.Client{
	Timeout:   5 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// reply is an HTTP answer.
type reply struct {
	code   int
	body   string
	header http.Header
}

// do sends one request and reads the whole answer.
func do(t *testing.T, method, url, contentType, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	return reply{code: resp.StatusCode, body: string(b), header: resp.Header}
}

// post sends body as JSON.
func post(t *testing.T, url, body string) reply {
	t.Helper()
	return do(t, http.MethodPost, url, "application/json", body)
}

// get sends a GET.
func get(t *testing.T, url string) reply {
	t.Helper()
	return do(t, http.MethodGet, url, "", "")
}

// counts are the numbers of a receiver's 200 answer.
type counts struct {
	Received   int `json:"received"`
	Applied    int `json:"applied"`
	Duplicates int `json:"duplicates"`
	Unmatched  int `json:"unmatched"`
	Late       int `json:"late"`
	Ignored    int `json:"ignored"`
	Rejected   int `json:"rejected"`
}

// answer is the JSON body of a 200 from the receiver.
type answer struct {
	counts
	Errors []string `json:"errors"`
}

// postEvents posts body to the webhook and requires a 200, returning its answer.
func postEvents(t *testing.T, url, body string) answer {
	t.Helper()
	r := post(t, url, body)
	if r.code != http.StatusOK {
		t.Fatalf("POST %s: status %d, want 200; body %s", redactURL(url), r.code, r.body)
	}
	return decodeAnswer(t, r.body)
}

// decodeAnswer decodes a receiver's 200 body.
func decodeAnswer(t *testing.T, body string) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("answer %q is not the receiver's JSON: %v", body, err)
	}
	return a
}

// redactURL drops a webhook token from a URL shown in a failure message.
func redactURL(url string) string {
	if i := strings.Index(url, "/webhook/"); i >= 0 {
		return url[:i] + "/webhook/<token>"
	}
	return url
}

// readToken reads the generated webhook token kept beside the bolt file.
func readToken(t *testing.T, storage string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(filepath.Dir(storage), "webhook-token"))
	if err != nil {
		t.Fatalf("reading the generated token: %v", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		t.Fatal("the generated token file is empty")
	}
	return tok
}

// samplePath returns a copy, kept in testdata, of a documented SynthesisVR payload
// from the project's shared/samples; TestSamplesAreCurrent keeps the copies honest.
func samplePath(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join("testdata", "samples", name)
}

// TestSamplesAreCurrent checks the copies against shared/samples where that folder
// is beside the repository (it is for developers and CI; a bare clone has none).
func TestSamplesAreCurrent(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "samples")
	names, err := filepath.Glob(filepath.Join(shared, "*.json"))
	if err != nil || len(names) == 0 {
		t.Skipf("no shared samples in %s to compare the copies with", shared)
	}
	for _, src := range names {
		want, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(samplePath(t, filepath.Base(src)))
		if err != nil || string(got) != string(want) {
			t.Errorf("testdata/samples/%s differs from %s (or is missing: %v): copy it again", filepath.Base(src), src, err)
		}
	}
}

// readSample returns the content of a sample file.
func readSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(samplePath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeFile writes content to path, replacing it atomically so that a reload never
// reads half a file.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// exposition is a scrape of /metrics: its text and its series' values.
type exposition struct {
	text   string
	values map[string]float64 // by seriesKey
}

// scrape fetches and parses /metrics.
func scrape(t *testing.T, base string) exposition {
	t.Helper()
	r := get(t, base+"/metrics")
	if r.code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d: %s", r.code, r.body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("/metrics is not valid exposition text: %v", err)
	}
	e := exposition{text: r.body, values: map[string]float64{}}
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			e.add(name, m)
		}
	}
	return e
}

// add records the value of one metric; a histogram gives its _count and _sum.
func (e exposition) add(name string, m *dto.Metric) {
	var labels []string
	for _, l := range m.GetLabel() {
		labels = append(labels, l.GetName(), l.GetValue())
	}
	switch {
	case m.Counter != nil:
		e.values[seriesKey(name, labels...)] = m.GetCounter().GetValue()
	case m.Gauge != nil:
		e.values[seriesKey(name, labels...)] = m.GetGauge().GetValue()
	case m.Untyped != nil:
		e.values[seriesKey(name, labels...)] = m.GetUntyped().GetValue()
	case m.Histogram != nil:
		e.values[seriesKey(name+"_count", labels...)] = float64(m.GetHistogram().GetSampleCount())
		e.values[seriesKey(name+"_sum", labels...)] = m.GetHistogram().GetSampleSum()
	}
}

// seriesKey names a series by its metric name and label pairs (name, value, ...),
// whatever their order.
func seriesKey(name string, labels ...string) string {
	pairs := make([]string, 0, len(labels)/2)
	for i := 0; i+1 < len(labels); i += 2 {
		pairs = append(pairs, labels[i]+"="+strconv.Quote(labels[i+1]))
	}
	slices.Sort(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// value returns a series' value and whether it is present.
func (e exposition) value(name string, labels ...string) (float64, bool) {
	v, ok := e.values[seriesKey(name, labels...)]
	return v, ok
}

// want fails the test unless the series is present with the value want.
func (e exposition) want(t *testing.T, want float64, name string, labels ...string) {
	t.Helper()
	got, ok := e.value(name, labels...)
	switch {
	case !ok:
		t.Errorf("%s is missing from /metrics", seriesKey(name, labels...))
	case got != want:
		t.Errorf("%s = %v, want %v", seriesKey(name, labels...), got, want)
	}
}

// sum adds up every series of a metric name.
func (e exposition) sum(name string) float64 {
	total := 0.0
	for k, v := range e.values {
		if strings.HasPrefix(k, name+"{") {
			total += v
		}
	}
	return total
}

// lines returns the exposition lines of the named metrics, sorted.
func (e exposition) lines(names ...string) []string {
	var out []string
	for _, line := range strings.Split(e.text, "\n") {
		for _, n := range names {
			if strings.HasPrefix(line, n+"{") || strings.HasPrefix(line, n+" ") {
				out = append(out, line)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}
