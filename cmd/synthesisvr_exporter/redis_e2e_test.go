package main

import (
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore/redistest"
)

const redisToken = "replicas-share-this-token-0123"

// startReplica starts an exporter on the shared Redis, with its own spool.
func startReplica(t *testing.T, srv *redistest.Server) *exporterProc {
	t.Helper()
	return startExporter(t, options{
		args: []string{"--storage.backend=redis", "--storage.redis.url=" + srv.URL(0),
			"--storage.redis.prefix=e2e:", "--web.drain-delay=200ms"},
		env: []string{envToken + "=" + redisToken},
	})
}

// TestRedisReplicas runs two replicas on one real redis-server as an operator
// would, while a venue keeps sending: the replicas agree, a duplicate stays a
// duplicate across them, and neither a rolling restart nor a Redis restart loses
// an acknowledged event.
func TestRedisReplicas(t *testing.T) {
	requireBinary(t)
	srv := redistest.Start(t, redistest.Options{AppendOnly: true})
	reps := &replicas{procs: []*exporterProc{startReplica(t, srv), startReplica(t, srv)}}
	a, b := reps.get(0), reps.get(1)

	// Events spread over both replicas: both report the same gauges.
	v := newVenue(redisToken, reps)
	for range 30 {
		v.sendOne()
	}
	v.check(t, a, b)

	// The same create sent to the other replica is a duplicate there.
	create := `{"uuid":"dup-1","action":"create","location":"Mall","stations":2}`
	wantCounts(t, postEvents(t, a.webhookURL(redisToken), create), counts{Received: 1, Applied: 1})
	wantCounts(t, postEvents(t, b.webhookURL(redisToken), create), counts{Received: 1, Duplicates: 1})
	wantCounts(t, postEvents(t, b.webhookURL(redisToken), strings.Replace(create, "create", "delete", 1)), counts{Received: 1, Applied: 1})
	if t.Failed() {
		return
	}

	// Rolling restart with SIGTERM while the venue keeps sending.
	v.start(5 * time.Millisecond)
	for i := range 2 {
		old := reps.get(i)
		time.Sleep(300 * time.Millisecond)
		old.signal(syscall.SIGTERM)
		if code := old.waitExit(readyTimeout); code != 0 {
			t.Fatalf("replica %d exited with %d on SIGTERM", i, code)
		}
		reps.set(i, startReplica(t, srv))
	}
	time.Sleep(300 * time.Millisecond)
	v.halt()
	if v.fellOverCount() == 0 {
		t.Error("no event met a restarting replica: the rolling restart tested nothing")
	}
	a, b = reps.get(0), reps.get(1)
	v.check(t, a, b)
	if t.Failed() {
		return
	}

	// Redis stopped and started while the venue keeps sending: the replicas
	// spool, answer 202, and replay once Redis is back.
	v.start(5 * time.Millisecond)
	time.Sleep(200 * time.Millisecond)
	srv.Stop()
	for _, p := range []*exporterProc{a, b} {
		if r := get(t, p.base+"/-/ready"); r.code != http.StatusOK {
			t.Errorf("/-/ready with Redis stopped: %d %q, want 200: the spool keeps the events", r.code, r.body)
		}
	}
	time.Sleep(time.Second)
	srv.Restart()
	time.Sleep(300 * time.Millisecond)
	v.halt()
	for _, p := range []*exporterProc{a, b} {
		waitMetric(t, p, 0, "synthesisvr_spool_pending_events")
		m := scrape(t, p.base)
		spooled, _ := m.value("synthesisvr_spool_events_total")
		replayed, _ := m.value("synthesisvr_spool_replayed_events_total")
		if spooled == 0 || replayed != spooled {
			t.Errorf("replica %s spooled %v events and replayed %v; want some, all replayed", p.base, spooled, replayed)
		}
		m.want(t, 0, "synthesisvr_spool_lost_events_total")
	}
	if v.acked[http.StatusAccepted] == 0 {
		t.Errorf("no event was answered 202 while Redis was stopped: %v", v.acked)
	}
	v.check(t, a, b)
	t.Logf("acknowledged events by status: %v; %d taken by a second replica", v.acked, v.fellOverCount())
	lintMetrics(t, scrape(t, a.base).text)
}

// lintMetrics runs promtool check metrics on an exposition with the spool's metrics.
func lintMetrics(t *testing.T, body string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		skipOrFail(t, "promtool is not on PATH: install Debian's prometheus package (apt-get install prometheus) to lint /metrics")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := runBounded(cmd, 30*time.Second)
	if err != nil || len(strings.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestRedisReplicasNeedASharedToken: replicas cannot each generate a token.
func TestRedisReplicasNeedASharedToken(t *testing.T) {
	requireBinary(t)
	cmd := exec.Command(exporterBin, "--storage.backend=redis", "--storage.redis.url=redis://127.0.0.1:1/0",
		"--web.listen-address="+freeAddr(t), "--storage.path="+t.TempDir()+"/data/x.db")
	cmd.Env = childEnv()
	out, err := runBounded(cmd, readyTimeout)
	if err == nil || !strings.Contains(out, envToken) {
		t.Fatalf("start without a token: %v\n%s\nwant a failure that names %s", err, out, envToken)
	}
}
