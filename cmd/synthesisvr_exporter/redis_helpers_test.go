package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// replicas is the set of running exporters a load balancer sends to; a test
// replaces one while it restarts. Safe for concurrent use.
type replicas struct {
	mu    sync.Mutex
	procs []*exporterProc
}

func (r *replicas) get(i int) *exporterProc {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.procs[i%len(r.procs)]
}

func (r *replicas) set(i int, p *exporterProc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.procs[i] = p
}

// venue plays SynthesisVR behind a load balancer: it starts and ends sessions
// and posts each event to a replica, moving on to the next one when a replica
// does not take it (refused, 503, no answer), as a load balancer does. Its log of
// acknowledged events (200 or 202) says which sessions must be active at the end.
type venue struct {
	token string
	reps  *replicas
	rng   *rand.Rand

	mu       sync.Mutex
	active   map[string]venueSession // acknowledged creates without an acknowledged delete
	acked    map[int]int             // acknowledgements by status code
	failures []string                // events no replica took within the bound
	// fellOver counts events a replica did not take and another one did.
	fellOver int

	next int
	stop chan struct{}
	done chan struct{}
}

type venueSession struct {
	location string
	stations int
}

var venueLocations = []string{"Downtown", "Mall", "Airport"}

// nextEvent is a venue's next event: the delete of an acknowledged session one time
// in three, else the create of session prefix-<n> (n counts up from next).
func nextEvent(rng *rand.Rand, active map[string]venueSession, next *int, prefix string) (uuid, body string, sess venueSession, del bool) {
	if len(active) > 0 && rng.IntN(3) == 0 {
		for u := range active {
			uuid = u
			break
		}
		return uuid, fmt.Sprintf(`{"uuid":%q,"action":"delete","location":%q}`, uuid, active[uuid].location), venueSession{}, true
	}
	*next++
	uuid = fmt.Sprintf("%s-%05d", prefix, *next)
	sess = venueSession{location: venueLocations[rng.IntN(len(venueLocations))], stations: 1 + rng.IntN(4)}
	return uuid, fmt.Sprintf(`{"uuid":%q,"action":"create","location":%q,"stations":%d}`, uuid, sess.location, sess.stations), sess, false
}

func newVenue(token string, reps *replicas) *venue {
	return &venue{token: token, reps: reps, rng: rand.New(rand.NewPCG(6, 6)),
		active: map[string]venueSession{}, acked: map[int]int{}}
}

// start sends one event every pause until stopped.
func (v *venue) start(pause time.Duration) {
	v.stop, v.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(v.done)
		for {
			select {
			case <-v.stop:
				return
			case <-time.After(pause):
			}
			v.sendOne()
		}
	}()
}

// halt stops the sender and waits for its last event.
func (v *venue) halt() {
	close(v.stop)
	<-v.done
}

// sendOne creates a session, or ends one that was acknowledged, one time in three.
func (v *venue) sendOne() {
	v.mu.Lock()
	uuid, body, sess, del := nextEvent(v.rng, v.active, &v.next, "e2e")
	v.mu.Unlock()

	code, tries, ok := v.deliver(body)
	v.mu.Lock()
	defer v.mu.Unlock()
	if !ok {
		v.failures = append(v.failures, body)
		return
	}
	v.acked[code]++
	if tries > 1 {
		v.fellOver++
	}
	if del {
		delete(v.active, uuid)
	} else {
		v.active[uuid] = sess
	}
}

// deliver posts body to the replicas in turn until one acknowledges it, for at
// most readyTimeout, and says how many tries that took.
func (v *venue) deliver(body string) (code, tries int, ok bool) {
	deadline := time.Now().Add(readyTimeout)
	for i := v.next; time.Now().Before(deadline); i++ {
		tries++
		p := v.reps.get(i)
		resp, err := client.Post(p.webhookURL(v.token), "application/json", strings.NewReader(body))
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		var ans answer
		_ = json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusAccepted {
			return resp.StatusCode, tries, true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0, tries, false
}

// fellOverCount returns how many events needed a second replica.
func (v *venue) fellOverCount() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.fellOver
}

// want returns the gauges the acknowledged events leave, per location.
func (v *venue) want() (active, stations map[string]float64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	active, stations = map[string]float64{}, map[string]float64{}
	for _, s := range v.active {
		active[s.location]++
		stations[s.location] += float64(s.stations)
	}
	return active, stations
}

// check fails the test unless every replica reports the gauges the venue's log
// says, and all report the same session gauges.
func (v *venue) check(t *testing.T, reps ...*exporterProc) {
	t.Helper()
	v.mu.Lock()
	if len(v.failures) > 0 {
		t.Errorf("%d events were taken by no replica, first %s", len(v.failures), v.failures[0])
	}
	v.mu.Unlock()
	active, stations := v.want()
	var first []string
	for i, p := range reps {
		m := scrape(t, p.base)
		for _, loc := range venueLocations {
			m.want(t, active[loc], mActive, "location", loc)
			m.want(t, stations[loc], mStations, "location", loc)
		}
		lines := m.lines(sessionGauges...)
		if i == 0 {
			first = lines
		} else if strings.Join(lines, "\n") != strings.Join(first, "\n") {
			t.Errorf("replicas disagree:\n%s\n---\n%s", strings.Join(first, "\n"), strings.Join(lines, "\n"))
		}
	}
}

// waitMetric waits until a series of p's /metrics has the value want.
func waitMetric(t *testing.T, p *exporterProc, want float64, name string, labels ...string) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for {
		got, _ := scrape(t, p.base).value(name, labels...)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stayed %v, want %v", seriesKey(name, labels...), got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
