package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Crash figures: senders post at a steady pace while the exporter is killed with
// SIGKILL and restarted crashKills times.
const (
	crashKills   = 5
	crashSenders = 4
	crashPace    = 10 * time.Millisecond
	crashUptime  = 700 * time.Millisecond
	crashToken   = "e2eCrashToken-0123456789abcdef"
)

// ledger is what the senders know from the answers: a session is known active
// when its create was answered 200 and no delete of it was sent, known ended when
// its delete was answered 200. Any other answer leaves it uncertain.
type ledger struct {
	mu       sync.Mutex
	active   map[string]bool
	ended    map[string]bool
	acked    int // events in requests answered 200
	sent     int // events sent
	failures int // requests without a 200
}

// nextDelete takes a known active session to delete, if any.
func (l *ledger) nextDelete() (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for u := range l.active {
		delete(l.active, u) // uncertain until its delete is answered
		return u, true
	}
	return "", false
}

func (l *ledger) record(create, del string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 1
	if del != "" {
		n = 2
	}
	l.sent += n
	if !ok {
		l.failures++
		return
	}
	l.acked += n
	l.active[create] = true
	if del != "" {
		l.ended[del] = true
	}
}

func TestCrashLosesNoAcknowledgedEvent(t *testing.T) {
	p := startExporter(t, options{env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + crashToken}})
	var url atomic.Pointer[string]
	setURL := func(p *exporterProc) { u := p.webhookURL(crashToken); url.Store(&u) }
	setURL(p)
	l := &ledger{active: map[string]bool{}, ended: map[string]bool{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for s := range crashSenders {
		wg.Go(func() { send(s, l, &url, stop) })
	}
	for range crashKills {
		time.Sleep(crashUptime)
		p.kill()
		p = startExporter(t, options{storage: p.storage, env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + crashToken}})
		setURL(p)
	}
	time.Sleep(crashUptime)
	close(stop)
	wg.Wait()
	p.kill()
	final := startExporter(t, options{storage: p.storage, env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + crashToken}})
	lost := verifyLedger(t, final, l)
	t.Logf("crashes survived: %d (SIGKILL); events sent: %d, acknowledged (200): %d, lost: %d; requests without a 200: %d",
		crashKills+1, l.sent, l.acked, lost, l.failures)
	if lost != 0 {
		t.Errorf("%d acknowledged events were lost across %d crashes", lost, crashKills+1)
	}
	if l.acked < 200 {
		t.Errorf("only %d events were acknowledged: too few to show anything", l.acked)
	}
}

// send posts, every crashPace, a create of a new session and, every other time,
// the delete of a known active one, until stop.
func send(id int, l *ledger, url *atomic.Pointer[string], stop chan struct{}) {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	tick := time.NewTicker(crashPace)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		create := fmt.Sprintf("crash-%d-%d", id, n)
		evs := []string{createEvent(create, "Crash", 1)}
		var del string
		hasDel := false
		if n%2 == 1 { // every other request, so that active sessions pile up too
			del, hasDel = l.nextDelete()
		}
		if hasDel {
			evs = append(evs, fmt.Sprintf(`{"uuid":%q,"action":"delete","location":"Crash"}`, del))
		}
		resp, err := client.Post(*url.Load(), "application/json", strings.NewReader("["+strings.Join(evs, ",")+"]"))
		ok := err == nil && resp.StatusCode == http.StatusOK
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		l.record(create, del, ok)
	}
}

// verifyLedger asks the restarted exporter about every session the ledger is
// sure of: a create of a known active one must be a duplicate, a create of a known
// ended one must be late (its tombstone survived). It returns the events lost.
func verifyLedger(t *testing.T, p *exporterProc, l *ledger) int {
	t.Helper()
	var active, ended []string
	for u := range l.active {
		active = append(active, u)
	}
	for u := range l.ended {
		ended = append(ended, u)
	}
	dup := recreate(t, p, active).Duplicates
	late := recreate(t, p, ended).Late
	t.Logf("known active sessions %d (found %d), known ended %d (found %d)", len(active), dup, len(ended), late)
	return len(active) - dup + len(ended) - late
}

// recreate posts a create of every uuid, 500 to a request, and adds up the answers.
func recreate(t *testing.T, p *exporterProc, uuids []string) counts {
	t.Helper()
	var total counts
	for len(uuids) > 0 {
		n := min(len(uuids), 500)
		evs := make([]string, n)
		for i, u := range uuids[:n] {
			evs[i] = createEvent(u, "Crash", 1)
		}
		a := postEvents(t, p.webhookURL(crashToken), "["+strings.Join(evs, ",")+"]")
		total.Duplicates += a.Duplicates
		total.Late += a.Late
		total.Applied += a.Applied
		uuids = uuids[n:]
	}
	return total
}
