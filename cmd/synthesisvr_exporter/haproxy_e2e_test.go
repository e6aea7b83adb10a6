package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore/redistest"
)

// haproxyConfig is the shipped HAProxy config, run as it is.
var haproxyConfig = filepath.Join("..", "..", "deploy", "compose", "haproxy", "haproxy.cfg")

// haproxyDrain is the --web.drain-delay that compose.ha.yml gives the replicas
// behind that config.
const haproxyDrain = 5 * time.Second

// TestRollingRestartBehindHAProxy runs what a chain runs: the shipped HAProxy
// config in front of two replicas on one redis-server, with a venue sending 25
// events a second through it. A rolling restart of both replicas and then a
// restart of Redis must leave every answer the venue sees a 2xx, the gauges equal
// to what the venue sent, and HAProxy's log without the token.
func TestRollingRestartBehindHAProxy(t *testing.T) {
	requireBinary(t)
	haproxy := lookHAProxy(t)
	srv := redistest.Start(t, redistest.Options{AppendOnly: true})
	addrs := []string{freeAddr(t), freeAddr(t)}
	dirs := []string{t.TempDir(), t.TempDir()}
	reps := make([]*exporterProc, 2)
	for i := range reps {
		reps[i] = startReplicaAt(t, srv, addrs[i], dirs[i])
	}
	lb := startHAProxy(t, haproxy, addrs)
	lb.waitUp(t, "exporter", "exporter-2")

	s := &lbSender{url: lb.base + "/webhook/" + redisToken, rng: rand.New(rand.NewPCG(15, 15)),
		active: map[string]venueSession{}, codes: map[int]int{}}
	s.start(40 * time.Millisecond)
	time.Sleep(time.Second)

	// Rolling restart: SIGTERM, wait for the exit, start again on the same address
	// and spool, and wait until HAProxy takes it back before the next one.
	for i, name := range []string{"exporter", "exporter-2"} {
		reps[i].signal(syscall.SIGTERM)
		if code := reps[i].waitExit(haproxyDrain + readyTimeout); code != 0 {
			t.Fatalf("replica %s exited with %d on SIGTERM", name, code)
		}
		reps[i] = startReplicaAt(t, srv, addrs[i], dirs[i])
		lb.waitUp(t, name)
	}

	// Redis restarts: the replicas stay ready and spool, answering 202.
	srv.Stop()
	time.Sleep(2 * time.Second)
	srv.Restart()
	time.Sleep(time.Second)
	s.halt()

	for _, p := range reps {
		waitMetric(t, p, 0, "synthesisvr_spool_pending_events")
	}
	s.check(t, reps...)
	t.Logf("%d events sent through HAProxy, answers by status: %v", s.sent, s.codes)

	log := lb.Log.String()
	if strings.Contains(log, redisToken) {
		t.Error("HAProxy's log holds the webhook token")
	}
	if n := strings.Count(log, "/webhook/<redacted>"); n < s.sent {
		t.Errorf("HAProxy logged %d webhook requests (redacted), want at least the %d sent:\n%s", n, s.sent, log)
	}
	// HAProxy's retries would hide a replica that refuses events while draining:
	// none may have been needed.
	if retried := retriedRequests(log); len(retried) > 0 {
		t.Errorf("%d requests were retried by HAProxy (a replica answered 503, or closed its listener while still in use); first:\n%s", len(retried), retried[0])
	}
}

// logRetries finds the retries field (%rc, "+" when redispatched) of a request in
// the log format of the shipped config.
var logRetries = regexp.MustCompile(` \d+/\d+/\d+/\d+/\+?(\d+) \d+/\d+ "`)

// retriedRequests returns the log lines of requests that HAProxy retried.
func retriedRequests(log string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if m := logRetries.FindStringSubmatch(line); m != nil && m[1] != "0" {
			out = append(out, line)
		}
	}
	return out
}

// lookHAProxy returns Debian's haproxy (in /usr/sbin, off a user's PATH), or
// skips the test (fails it in CI).
func lookHAProxy(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"haproxy", "/usr/sbin/haproxy"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	skipOrFail(t, "haproxy is not installed (Debian package haproxy)")
	return ""
}

// startReplicaAt starts an exporter on the shared Redis at addr, its spool in dir,
// with the drain delay of compose.ha.yml, and waits until it is ready.
func startReplicaAt(t *testing.T, srv *redistest.Server, addr, dir string) *exporterProc {
	t.Helper()
	storage := filepath.Join(dir, "synthesisvr.db")
	log := &logBuffer{}
	p := &exporterProc{log: log, t: t, base: "http://" + addr, hookBase: "http://" + addr, storage: storage}
	cmd := exec.Command(exporterBin, "--web.listen-address="+addr, "--storage.path="+storage,
		"--storage.backend=redis", "--storage.redis.url="+srv.URL(0), "--storage.redis.prefix=lb:",
		"--web.drain-delay="+haproxyDrain.String())
	cmd.Env = append(childEnv(), envToken+"="+redisToken)
	p.Process = proctest.StartTB(t, cmd, log) // killed when the test ends
	t.Cleanup(p.showLog)
	if err := p.waitReady(); err != nil {
		t.Fatalf("replica %s did not become ready: %v\nlog:\n%s", addr, err, p.log.String())
	}
	return p
}

// haproxyProc is a running HAProxy, with its log (stdout) in log.
type haproxyProc struct {
	*proctest.Process
	base  string // the webhook frontend
	stats string // the stats page
}

// startHAProxy runs the shipped config, its addresses set through the environment.
func startHAProxy(t *testing.T, haproxy string, replicas []string) *haproxyProc {
	t.Helper()
	bind, stats := freeAddr(t), freeAddr(t)
	cmd := exec.Command(haproxy, "-db", "-f", haproxyConfig)
	cmd.Env = append(childEnv(), "SYNTHESISVR_LB_BIND="+bind, "SYNTHESISVR_LB_STATS="+stats,
		"SYNTHESISVR_EXPORTER_1="+replicas[0], "SYNTHESISVR_EXPORTER_2="+replicas[1])
	h := &haproxyProc{Process: proctest.StartTB(t, cmd, nil), base: "http://" + bind, stats: "http://" + stats}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("haproxy log:\n%s", h.Log.String())
		}
	})
	return h
}

// waitUp waits until HAProxy's checks have marked every named server UP.
func (h *haproxyProc) waitUp(t *testing.T, servers ...string) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for {
		st := h.status(t)
		up := 0
		for _, s := range servers {
			if st[s] == "UP" {
				up++
			}
		}
		if up == len(servers) {
			return
		}
		if h.Exited() || time.Now().After(deadline) {
			t.Fatalf("HAProxy's servers %v are %v, want UP (exited: %v)", servers, st, h.Exited())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// status reads the state of the backend's servers from the stats page's CSV.
func (h *haproxyProc) status(t *testing.T) map[string]string {
	t.Helper()
	st := map[string]string{}
	resp, err := client.Get(h.stats + "/;csv")
	if err != nil {
		return st
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(body), "# "))).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("HAProxy stats: %v\n%s", err, body)
	}
	for _, r := range rows[1:] {
		if len(r) > 17 && r[0] == "exporters" {
			st[r[1]] = r[17] // pxname, svname, ..., status
		}
	}
	return st
}

// lbSender plays SynthesisVR: it posts each event once, as SynthesisVR does, and
// keeps the sessions whose events were acknowledged. Any other answer is a loss.
type lbSender struct {
	url string
	rng *rand.Rand

	mu     sync.Mutex
	active map[string]venueSession
	codes  map[int]int
	lost   []string
	sent   int
	next   int

	stop, done chan struct{}
}

// start sends one event every pause until halted.
func (s *lbSender) start(pause time.Duration) {
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		tick := time.NewTicker(pause)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
				s.sendOne()
			}
		}
	}()
}

func (s *lbSender) halt() {
	close(s.stop)
	<-s.done
}

// sendOne creates a session, or ends an acknowledged one, one time in three.
func (s *lbSender) sendOne() {
	// Only this goroutine changes active between halts; the lock guards the readers.
	s.mu.Lock()
	uuid, body, sess, del := nextEvent(s.rng, s.active, &s.next, "lb")
	s.mu.Unlock()
	code := 0
	if resp, err := client.Post(s.url, "application/json", strings.NewReader(body)); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		code = resp.StatusCode
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent++
	s.codes[code]++
	if code != http.StatusOK && code != http.StatusAccepted {
		s.lost = append(s.lost, fmt.Sprintf("%d %s", code, body))
		return
	}
	if del {
		delete(s.active, uuid)
	} else {
		s.active[uuid] = sess
	}
}

// check fails unless every answer was a 2xx, some came while Redis was down (202),
// and every replica reports the gauges the acknowledged events leave.
func (s *lbSender) check(t *testing.T, reps ...*exporterProc) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lost) > 0 {
		t.Errorf("%d of %d events were not acknowledged (status 0: no answer); first: %s", len(s.lost), s.sent, s.lost[0])
	}
	if s.codes[http.StatusAccepted] == 0 {
		t.Errorf("no event was answered 202 while Redis was down: the Redis restart tested nothing (%v)", s.codes)
	}
	active, stations := map[string]float64{}, map[string]float64{}
	for _, a := range s.active {
		active[a.location]++
		stations[a.location] += float64(a.stations)
	}
	for _, p := range reps {
		m := scrape(t, p.base)
		for _, loc := range venueLocations {
			m.want(t, active[loc], mActive, "location", loc)
			m.want(t, stations[loc], mStations, "location", loc)
		}
	}
}
