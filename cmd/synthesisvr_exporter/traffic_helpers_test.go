package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
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

// trafficBatch is batch n for exporter i, at downtown or mall by turns.
func trafficBatch(i, n int) string {
	loc := downtown
	if n%2 == 1 {
		loc = mall
	}
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
