package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// traffic simulates SynthesisVR and a careless client in the background: every
// trafficTick it sends each exporter a batch with every kind of event (a session
// that ends, one that will expire, a duplicate, a late create, an unmatched delete,
// an unknown action, an invalid event, an event folded into _overflow), a request
// with a wrong token, and now and then a body that is not JSON.
type traffic struct {
	done     chan struct{}
	wg       sync.WaitGroup
	stopOnce sync.Once
	mu       sync.Mutex
	first    error // the first unexpected answer
}

// batchCounts are the counts of a 200 answer to one batch of trafficBatch.
var batchCounts = counts{Received: 9, Applied: 4, Duplicates: 1, Late: 1, Unmatched: 1, Ignored: 1, Rejected: 1}

// trafficBatch is batch n for exporter i, at walkIn: a location without stations or
// an API key, so that the sessions it never deletes (expired after dashMaxAge) do
// not crowd the stations of the locations the demo plays.
func trafficBatch(i, n int) string {
	loc := walkIn
	id := func(kind string) string { return fmt.Sprintf("%s-%d-%d", kind, i, n) }
	ev := func(uuid, action, loc string) string {
		return fmt.Sprintf(`{"uuid":%q,"action":%q,"location":%q,"stations":1}`, uuid, action, loc)
	}
	return "[" + strings.Join([]string{
		createEvent(id("long"), loc, 2),                         // applied; expires after dashMaxAge
		ev(id("short"), "create", loc),                          // applied
		ev(id("short"), "create", loc),                          // duplicate
		ev(id("short"), "delete", loc),                          // applied: ends the session
		ev(id("short"), "create", loc),                          // late: after its delete
		ev(id("gone"), "delete", loc),                           // unmatched
		ev(id("upd"), "update", loc),                            // unknown action: ignored
		fmt.Sprintf(`{"action":"create","location":%q}`, loc),   // rejected: no uuid
		ev(id("pop"), "create", fmt.Sprintf("%s %d", popUp, n)), // applied; folded into _overflow once max_locations is reached
	}, ",") + "]"
}

// startTraffic starts sending to the exporters until stop.
func startTraffic(exps []*exporterProc) *traffic {
	s := &traffic{done: make(chan struct{})}
	for i, e := range exps {
		s.wg.Add(1)
		go s.run(i, e)
	}
	return s
}

func (s *traffic) run(i int, e *exporterProc) {
	defer s.wg.Done()
	tick := time.NewTicker(trafficTick)
	defer tick.Stop()
	for n := 0; ; n++ {
		s.send(e.webhookURL(mainToken), trafficBatch(i, n), http.StatusOK, true)
		s.send(e.webhookURL(oneCharOff(mainToken)), "[]", http.StatusNotFound, false)
		if n%4 == 0 {
			s.send(e.webhookURL(mainToken), "not json", http.StatusBadRequest, false)
		}
		select {
		case <-s.done:
			return
		case <-tick.C:
		}
	}
}

// send posts body and records the first answer that is not the one expected.
func (s *traffic) send(url, body string, want int, batch bool) {
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		s.fail(fmt.Errorf("POST %s: %w", redactURL(url), err))
		return
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		s.fail(fmt.Errorf("POST %s: reading the answer: %w", redactURL(url), err))
	case resp.StatusCode != want:
		s.fail(fmt.Errorf("POST %s: status %d, want %d: %s", redactURL(url), resp.StatusCode, want, b))
	case batch:
		var a answer
		if err := json.Unmarshal(b, &a); err != nil || a.counts != batchCounts {
			s.fail(fmt.Errorf("POST %s: answer %s, want counts %+v", redactURL(url), b, batchCounts))
		}
	}
}

func (s *traffic) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first == nil {
		s.first = err
	}
}

// err returns the first unexpected answer, or nil.
func (s *traffic) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

// stop ends the traffic and waits for the senders; it may be called again.
func (s *traffic) stop() {
	s.stopOnce.Do(func() { close(s.done) })
	s.wg.Wait()
}

// demoProc is the simulator's demo with its fake sessions API, as a child process:
// SynthesisVR as a venue chain sees it, its webhooks and its API.
type demoProc struct {
	*proctest.Process
	t       *testing.T
	apiAddr string
}

// startDemo runs the simulator's demo on the config file cfg, posting to exp and
// serving the fake API on apiAddr, with args, and waits until the API listens. A
// port taken by someone else between freeAddr and the bind gets a second try on a
// new one, which moveAPI must give the exporters first.
func startDemo(t *testing.T, cfg string, exp *exporterProc, apiAddr string, moveAPI func(addr string), args ...string) *demoProc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		log := &logBuffer{}
		cmd := exec.Command(simulatorBin, append([]string{"--exporter.url=" + exp.base, "--webhook.token=" + mainToken,
			"demo", "--api", "--config.file=" + cfg, "--api.listen-address=" + apiAddr}, args...)...)
		cmd.Env = childEnv()
		d := &demoProc{Process: proctest.StartTB(t, cmd, log), t: t, apiAddr: apiAddr}
		t.Cleanup(d.showLog)
		listening := "fake SynthesisVR API: http://" + apiAddr + "\n"
		err := d.WaitFunc(readyTimeout, 20*time.Millisecond, func(context.Context) error {
			if !strings.Contains(log.String(), listening) {
				return fmt.Errorf("its output does not say %q yet", strings.TrimSpace(listening))
			}
			return nil
		})
		if err == nil {
			return d
		}
		if attempt < 3 && d.Exited() && strings.Contains(log.String(), "address already in use") {
			apiAddr = freeAddr(t)
			moveAPI(apiAddr)
			continue
		}
		t.Fatalf("the simulator's demo did not start: %v\nlog:\n%s", err, log.String())
	}
}

// stop ends the demo as Ctrl-C does (it ends the sessions it left active) and fails
// the test unless it exited cleanly and the exporter took every webhook it sent.
func (d *demoProc) stop() {
	d.t.Helper()
	if err := d.Stop(readyTimeout); err != nil {
		d.t.Errorf("stopping the demo: %v", err)
	}
	if err := d.Err(); err != nil {
		d.t.Errorf("the demo ended with %v", err)
	}
	if strings.Contains(d.Log.String(), "did not take") {
		d.t.Errorf("the exporter did not take some of the demo's webhooks:\n%s", d.Log.String())
	}
	for _, line := range strings.Split(d.Log.String(), "\n") {
		if strings.HasPrefix(line, "demo: ") {
			d.t.Log(line)
		}
	}
}

// showLog shows what the demo wrote when the test failed.
func (d *demoProc) showLog() {
	if d.t.Failed() {
		d.t.Logf("simulator demo (fake API %s) log:\n%s", d.apiAddr, d.Log.String())
	}
}
