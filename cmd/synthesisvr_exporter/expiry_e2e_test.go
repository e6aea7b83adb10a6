package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/boltstore"
)

// Mass expiry figures: a bolt file holding massSessions sessions, all older than
// the --session.max-age the exporter is started with, so that every one of them
// is due at once.
const (
	massSessions = 50_000
	massToken    = "e2eMassExpiryToken-0123456789abcdef"
	massMaxAge   = "30m"
	// answerBudget is SynthesisVR's wait for an answer.
	answerBudget = 2 * time.Second
)

// prepareMassExpiry writes a bolt file through the store itself, with n sessions
// started an hour ago at two locations.
func prepareMassExpiry(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", "synthesisvr.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-time.Hour)
	const batch = 1000
	for i := 0; i < n; i += batch {
		b := session.Batch{Now: started}
		for j := i; j < min(i+batch, n); j++ {
			loc := []string{"Downtown", "Mall"}[j%2]
			b.Changes = append(b.Changes, session.Change{UUID: fmt.Sprintf("old-%06d", j), Action: session.ActionCreate, Location: loc, Stations: 1})
		}
		if _, err := s.Apply(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMassExpiryDoesNotBlockWebhooks starts an exporter on a bolt file whose
// sessions are all due, and posts webhooks while it ends them: every one must be
// answered 200 within SynthesisVR's budget, and the expiry logs a line per step.
func TestMassExpiryDoesNotBlockWebhooks(t *testing.T) {
	requireBinary(t)
	path := prepareMassExpiry(t, massSessions)
	p := startExporter(t, options{storage: path, args: []string{"--session.max-age=" + massMaxAge},
		env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + massToken}})
	url := p.webhookURL(massToken)
	var (
		mu                  sync.Mutex
		answered, duringExp int
		slowest             time.Duration
		bad                 []string
	)
	done := func() bool { return strings.Contains(p.log.String(), "more_due=false") }
	var wg sync.WaitGroup
	for s := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				during := !done()
				if !during && i > 20 {
					return
				}
				body := "[" + createEvent(fmt.Sprintf("new-%d-%d", s, i), "Downtown", 1) + "]"
				began := time.Now()
				r, err := client.Post(url, "application/json", strings.NewReader(body))
				took := time.Since(began)
				mu.Lock()
				answered++
				slowest = max(slowest, took)
				switch {
				case err != nil:
					bad = append(bad, err.Error())
				case r.StatusCode != http.StatusOK || took > answerBudget:
					bad = append(bad, fmt.Sprintf("status %d after %s", r.StatusCode, took))
				case during:
					duringExp++
				}
				mu.Unlock()
				if err == nil {
					r.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d of %d webhooks not answered 200 within %s during the expiry of %d sessions: %v", len(bad), answered, answerBudget, massSessions, bad[:min(len(bad), 10)])
	}
	if duringExp == 0 {
		t.Fatalf("the expiry of %d sessions ended before any webhook was answered: the test saw nothing", massSessions)
	}
	steps := strings.Count(p.log.String(), "Sessions expired without a delete event")
	wantSteps := massSessions / session.ExpiryChunk
	if steps < wantSteps || steps > wantSteps+1 {
		t.Fatalf("%d expiry log lines for %d sessions, want one per step of %d (%d)", steps, massSessions, session.ExpiryChunk, wantSteps)
	}
	if !strings.Contains(p.log.String(), "restored from the store at start") {
		t.Fatal("the expiry log does not say the sessions were restored from the store at start")
	}
	e := scrape(t, p.base)
	e.want(t, massSessions/2, "synthesisvr_sessions_ended_total", "location", "Mall", "reason", "expired")
	e.want(t, 0, "synthesisvr_sessions_active", "location", "Mall")
	t.Logf("%d webhooks answered, %d of them while %d sessions expired; slowest %s", answered, duringExp, massSessions, slowest)
}

// TestSIGTERMStopsMassExpiry sends SIGTERM while a large backlog expires: the
// process ends within the drain delay and a few seconds, and the next start ends
// the rest, each session once.
func TestSIGTERMStopsMassExpiry(t *testing.T) {
	requireBinary(t)
	path := prepareMassExpiry(t, massSessions)
	o := options{storage: path, args: []string{"--session.max-age=" + massMaxAge, "--web.drain-delay=200ms"},
		env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + massToken}}
	p := startExporter(t, o)
	p.signal(syscall.SIGTERM)
	if code := p.waitExit(200*time.Millisecond + 5*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	first := expiredInLog(p.log.String())
	p = startExporter(t, o)
	p.waitLog("more_due=false", 1)
	e := scrape(t, p.base)
	e.want(t, 0, "synthesisvr_sessions_active", "location", "Downtown")
	e.want(t, 0, "synthesisvr_sessions_active", "location", "Mall")
	second := int(e.sum("synthesisvr_sessions_ended_total"))
	t.Logf("the first run ended %d sessions before SIGTERM stopped it; the second ended %d", first, second)
	if first+second != massSessions || second != expiredInLog(p.log.String()) {
		t.Fatalf("the runs ended %d and %d sessions (log of the second: %d), want %d in all, each once", first, second, expiredInLog(p.log.String()), massSessions)
	}
}

var expiredLine = regexp.MustCompile(`msg="Sessions expired without a delete event" sessions=(\d+) `)

// expiredInLog adds up the sessions the expiry log lines say were ended.
func expiredInLog(log string) int {
	n := 0
	for _, m := range expiredLine.FindAllStringSubmatch(log, -1) {
		k, _ := strconv.Atoi(m[1])
		n += k
	}
	return n
}
