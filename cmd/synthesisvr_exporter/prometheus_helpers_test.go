package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// A real Prometheus (Debian's prometheus package) for end-to-end tests of the alert
// rules and of the dashboards' queries: it scrapes given targets, evaluates
// given rule files, and answers through its HTTP API.

// promJob is one scrape job of a test Prometheus.
type promJob struct {
	name    string
	targets []string // host:port
}

// promOptions say what a test Prometheus scrapes and evaluates.
type promOptions struct {
	jobs      []promJob
	ruleFiles []string
	// interval is the scrape and evaluation interval; 1s when zero.
	interval time.Duration
}

// promServer is a running Prometheus, stopped by the test's cleanup.
type promServer struct {
	*proctest.Process
	log  *logBuffer
	t    *testing.T
	base string // http://127.0.0.1:port
}

// requirePrometheus returns the prometheus binary, or skips (fails in CI) without it.
func requirePrometheus(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		skipOrFail(t, "prometheus is not on PATH: install Debian's prometheus package (apt-get install prometheus) to test the alert rules and the dashboards' queries in a real Prometheus")
	}
	return bin
}

// startPrometheus writes a config for o, starts Prometheus on a free loopback port with
// its storage in a temporary folder, and waits until it is ready. A port taken between
// freeAddr and the bind gets a second try.
func startPrometheus(t *testing.T, o promOptions) *promServer {
	t.Helper()
	bin := requirePrometheus(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(promConfig(o)), 0o600); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		p := launchPrometheus(t, bin, cfg, filepath.Join(dir, fmt.Sprintf("data%d", attempt)))
		err := p.waitReady()
		if err == nil {
			return p
		}
		if attempt < 3 && p.Exited() && strings.Contains(p.log.String(), "address already in use") {
			continue
		}
		t.Fatalf("prometheus did not become ready: %v\nlog:\n%s", err, p.log.String())
	}
}

// promConfig renders prometheus.yml for o.
func promConfig(o promOptions) string {
	interval := o.interval
	if interval == 0 {
		interval = time.Second
	}
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", model.Duration(interval), model.Duration(interval))
	if len(o.ruleFiles) > 0 {
		b.WriteString("rule_files:\n")
		for _, f := range o.ruleFiles {
			fmt.Fprintf(&b, "  - %q\n", f)
		}
	}
	b.WriteString("scrape_configs:\n")
	for _, j := range o.jobs {
		fmt.Fprintf(&b, "  - job_name: %q\n    static_configs:\n      - targets: [", j.name)
		for i, target := range j.targets {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", target)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func launchPrometheus(t *testing.T, bin, cfg, data string) *promServer {
	t.Helper()
	addr := freeAddr(t)
	p := &promServer{t: t, base: "http://" + addr}
	cmd := exec.Command(bin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+data,
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	p.log = &logBuffer{}
	p.Process = proctest.StartTB(t, cmd, p.log)
	t.Cleanup(p.stop)
	return p
}

// stop ends Prometheus with SIGTERM, or SIGKILL when it does not exit in time, and
// shows its log when the test failed.
func (p *promServer) stop() {
	if err := p.Stop(readyTimeout); err != nil {
		p.t.Log(err) // a slow shutdown is not what the tests check
	}
	if p.t.Failed() {
		p.t.Logf("prometheus %s log:\n%s", p.base, p.log.String())
	}
}

// waitReady polls /-/ready until it answers 200, the process exits, or 30 s pass (the
// TSDB may take a while to open on a loaded machine).
func (p *promServer) waitReady() error {
	return p.WaitHTTP(p.base+"/-/ready", 3*readyTimeout, 50*time.Millisecond)
}

// api GETs an HTTP API path and decodes its data into out, failing the test unless the
// answer is a success.
func (p *promServer) api(path string, params url.Values, out any) {
	p.t.Helper()
	if err := p.call(path, params, out); err != nil {
		p.t.Fatal(err)
	}
}

// call GETs an HTTP API path and decodes its data into out. An answer other than a
// success is an error with Prometheus's own message (a query it refused says why).
// It does not touch p.t, so subtests may call it.
func (p *promServer) call(path string, params url.Values, out any) error {
	u := p.base + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	resp, err := client.Get(u)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: reading the answer: %w", u, err)
	}
	var env struct {
		Status    string          `json:"status"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("GET %s: status %d, not JSON: %w: %s", u, resp.StatusCode, err, body)
	}
	if resp.StatusCode != http.StatusOK || env.Status != "success" {
		return fmt.Errorf("GET %s: status %d %s: %s: %s", u, resp.StatusCode, env.Status, env.ErrorType, env.Error)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("GET %s: decoding data: %w", u, err)
	}
	return nil
}

// query runs an instant PromQL query now and returns its vector.
func (p *promServer) query(expr string) model.Vector {
	p.t.Helper()
	v, err := p.instant(expr, time.Now())
	if err != nil {
		p.t.Fatal(err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		p.t.Fatalf("query %q: result type %s, want vector", expr, v.Type())
	}
	return vec
}

// promResult is the data of a query's answer.
type promResult struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

// value decodes the result by its type: a vector, a scalar or a matrix.
func (r promResult) value() (model.Value, error) {
	var v model.Value
	switch r.ResultType {
	case "vector":
		v = &model.Vector{}
	case "scalar":
		v = &model.Scalar{}
	case "matrix":
		v = &model.Matrix{}
	default:
		return nil, fmt.Errorf("result type %q is not vector, scalar or matrix", r.ResultType)
	}
	if err := json.Unmarshal(r.Result, v); err != nil {
		return nil, fmt.Errorf("decoding a %s: %w", r.ResultType, err)
	}
	switch v := v.(type) {
	case *model.Vector:
		return *v, nil
	case *model.Matrix:
		return *v, nil
	}
	return v, nil
}

// instant runs an instant PromQL query at a time, as a stat or table panel does, and
// returns its vector or scalar; a query Prometheus refuses is an error.
func (p *promServer) instant(expr string, at time.Time) (model.Value, error) {
	var data promResult
	if err := p.call("/api/v1/query", url.Values{"query": {expr}, "time": {promTime(at)}}, &data); err != nil {
		return nil, err
	}
	return data.value()
}

// rangeQuery runs a range PromQL query, as a graph panel does, and returns its matrix;
// a query Prometheus refuses is an error.
func (p *promServer) rangeQuery(expr string, start, end time.Time, step time.Duration) (model.Matrix, error) {
	var data promResult
	params := url.Values{"query": {expr}, "start": {promTime(start)}, "end": {promTime(end)}, "step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}}
	if err := p.call("/api/v1/query_range", params, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "matrix" {
		return nil, fmt.Errorf("range query %q: result type %s, want matrix", expr, data.ResultType)
	}
	v, err := data.value()
	if err != nil {
		return nil, err
	}
	return v.(model.Matrix), nil
}

// promTime writes t as the API's Unix seconds with a fraction.
func promTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

// promAlert is an active alert of a rule, as /api/v1/rules shows it.
type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"` // pending or firing
}

// promRule is a rule as /api/v1/rules shows it.
type promRule struct {
	Group     string      `json:"-"`
	File      string      `json:"-"`
	Name      string      `json:"name"`
	Type      string      `json:"type"`   // alerting or recording
	Health    string      `json:"health"` // unknown before its first evaluation, ok or err
	LastError string      `json:"lastError"`
	Query     string      `json:"query"`
	Alerts    []promAlert `json:"alerts"`
}

// rules lists every rule of every group, with its health and active alerts.
func (p *promServer) rules() []promRule {
	p.t.Helper()
	var data struct {
		Groups []struct {
			Name  string     `json:"name"`
			File  string     `json:"file"`
			Rules []promRule `json:"rules"`
		} `json:"groups"`
	}
	p.api("/api/v1/rules", nil, &data)
	var out []promRule
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			r.Group, r.File = g.Name, g.File
			out = append(out, r)
		}
	}
	return out
}

// waitUntil polls cond every 200 ms until it returns "" or timeout passes, then fails
// the test with cond's last complaint.
func (p *promServer) waitUntil(timeout time.Duration, cond func() string) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		why := cond()
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("after %s: %s", timeout, why)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// byLocation runs an instant query and returns its values by their location label.
func (p *promServer) byLocation(expr string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range p.query(expr) {
		out[string(s.Metric["location"])] = float64(s.Value)
	}
	return out
}
