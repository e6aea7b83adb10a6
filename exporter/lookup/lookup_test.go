package lookup_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/lookup"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/synthesisvrapi"
)

const key = "the-secret-key-42"

type recorder struct {
	mu       sync.Mutex
	requests []string
	errors   []string
}

func (r *recorder) Request(loc, kind, code string, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, loc+" "+kind+" "+code)
}

func (r *recorder) Error(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, reason)
}

func (r *recorder) Pending(int) {}

// TestGivesUpAndCountsTheStart: a session whose lookups keep failing is retried,
// then given up: its start is counted and it stays active; the key is in no log.
func TestGivesUpAndCountsTheStart(t *testing.T) {
	var calls sync.Map
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Store(r.URL.Path, true)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer api.Close()
	store := memstore.New()
	now := time.Now()
	if _, err := store.Apply(context.Background(), session.Batch{Now: now, Changes: []session.Change{
		{UUID: "u1", Action: session.ActionCreate, Location: "Kamen", Stations: 2, NeedsLookup: true}}}); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	var mu sync.Mutex
	var outcomes []session.Outcome
	rec := &recorder{}
	w := &lookup.Worker{
		Store: store, Rec: rec, Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Outcomes: func(out []session.Outcome) {
			mu.Lock()
			defer mu.Unlock()
			outcomes = append(outcomes, out...)
		},
		Now: time.Now, MaxAttempts: 3, FirstBackoff: time.Millisecond, ScanEvery: 5 * time.Millisecond,
	}
	w.SetSettings(&lookup.Settings{
		Client:    synthesisvrapi.New(synthesisvrapi.Options{URL: api.URL, Timeout: time.Second}),
		Locations: map[string]lookup.Location{"Kamen": {Name: "Kamen", Key: key, TZ: time.UTC}},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(outcomes)
		last := session.Outcome{}
		if n > 0 {
			last = outcomes[n-1]
		}
		mu.Unlock()
		if last.Result == session.ResultGaveUp {
			if !last.Started {
				t.Fatalf("giving up did not count the start: %+v", last)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no give up; outcomes %+v", outcomes)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	retries := 0
	for _, o := range outcomes {
		if o.Result == session.ResultRetry {
			retries++
		}
	}
	if retries != 2 {
		t.Errorf("%d retries before giving up, want 2 (3 attempts)", retries)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.requests) != 3 || rec.requests[0] != "Kamen lookup 503" || rec.errors[0] != synthesisvrapi.ReasonStatus {
		t.Errorf("requests %v, errors %v", rec.requests, rec.errors)
	}
	if strings.Contains(logs.String(), key) {
		t.Errorf("the key is in the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "Gave up looking a session up") {
		t.Errorf("no warning on giving up:\n%s", logs.String())
	}
	locs, _ := store.Locations(context.Background())
	if locs["Kamen"].Active != 1 {
		t.Errorf("the session is not active after giving up: %+v", locs["Kamen"])
	}
	if due, _ := store.Lookups(context.Background(), time.Now().Add(time.Hour), 0); len(due) != 0 {
		t.Errorf("lookups still due after giving up: %v", due)
	}
}

type syncWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
