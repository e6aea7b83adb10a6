package benchmark

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

func TestParseWrk(t *testing.T) {
	out := "Running 2s test @ http://127.0.0.1:1/webhook/x\n" +
		"synthesisvr-wrk requests=20000 duration_us=2000000 status_errors=3 socket_errors=2 p50_us=1500 p99_us=9000\n"
	res, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.RequestsPerSecond() != 10000 || res.Failed() != 5 || res.Latency.P50 != 1500*time.Microsecond || res.Latency.P99 != 9*time.Millisecond {
		t.Errorf("parsed %+v", res)
	}
	for name, bad := range map[string]string{
		"no summary":   "Running 2s test\n",
		"no requests":  "synthesisvr-wrk requests=0 duration_us=2000000 status_errors=0 socket_errors=0 p50_us=0 p99_us=0\n",
		"not a number": "synthesisvr-wrk requests=x duration_us=2000000\n",
	} {
		if _, err := parseWrk(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestWrkScriptSendsCreatesThenDeletes runs wrk with the benchmark's script against
// a server that keeps every body: one event per POST, as JSON, each create a fresh
// uuid, each delete naming a session created before.
func TestWrkScriptSendsCreatesThenDeletes(t *testing.T) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		msg := "wrk is not installed (" + wrkInstall + "): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var mu sync.Mutex
	var events []simulator.Event
	var bad []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var evs []simulator.Event
		err := json.Unmarshal(b, &evs)
		mu.Lock()
		defer mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/webhook/tok" || r.Header.Get("Content-Type") != "application/json" || err != nil || len(evs) != 1 {
			bad = append(bad, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+string(b))
		}
		events = append(events, evs...)
	}))
	t.Cleanup(srv.Close)
	script := filepath.Join(t.TempDir(), "wrk.lua")
	if err := os.WriteFile(script, wrkScript, 0o600); err != nil {
		t.Fatal(err)
	}
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	p := &process{name: "test server", base: srv.URL, Process: &proctest.Process{Cmd: &exec.Cmd{Process: self}}}
	res, err := wrk(context.Background(), bin, script, p, "tok", 4, time.Second, "t")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("%d requests are not one JSON event posted to the webhook, e.g. %s", len(bad), bad[0])
	}
	if res.Requests < 2*wrkLag+2 || res.Requests > len(events) || res.Failed() > 0 {
		t.Fatalf("wrk counted %d requests (%d failed), the server %d events", res.Requests, res.Failed(), len(events))
	}
	created := map[string]bool{}
	for _, e := range events {
		if e.Action == "create" {
			if created[e.UUID] {
				t.Fatalf("uuid %s created twice", e.UUID)
			}
			created[e.UUID] = true
		}
	}
	deletes, matched := 0, 0
	for _, e := range events {
		if e.Action == "delete" {
			deletes++
			if created[e.UUID] {
				matched++
			}
		}
	}
	// Each of the two threads' first wrkLag deletes names no session, and one more
	// when wrk checks the script with a request it does not send.
	if unmatched := deletes - matched; deletes == 0 || unmatched < 2*wrkLag || unmatched > 2*wrkLag+1 || len(created)+deletes != len(events) {
		t.Errorf("%d creates, %d deletes of which %d name a created session; want all but the first %d of each thread (and one)",
			len(created), deletes, matched, wrkLag)
	}
	if !strings.HasPrefix(events[0].Location, "Venue ") {
		t.Errorf("location %q", events[0].Location)
	}
}
