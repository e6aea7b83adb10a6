// Package health watches the writes of a session store, for readiness: a replica
// whose store fails writes (a full disk) keeps nothing it is sent, so it must not
// say it is ready, and a replica that can keep events again must say so.
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// LogEvery is the least time between two log lines about failing writes.
const LogEvery = 5 * time.Second

// ProbeEvery is the least time between two probe writes while writes fail.
const ProbeEvery = 2 * time.Second

// Prober is a store that can write something small to show that writes work
// again; a replica out of the load balancer gets no webhook to show it.
type Prober interface {
	Probe(ctx context.Context) error
}

// Store wraps a session.Store: Apply records whether writes fail, Ping reports
// it. A batch the store spooled (session.ErrSpooled) is kept, so it is a success.
type Store struct {
	session.Store
	logger *slog.Logger
	now    func() time.Time

	mu        sync.Mutex
	failing   error     // the last write error while writes fail
	since     time.Time // first failure of this run of failures
	failures  int       // failures in this run
	unlogged  int       // failures since the last log line
	lastLog   time.Time
	lastProbe time.Time
}

// New wraps store.
func New(store session.Store, logger *slog.Logger) *Store {
	return &Store{Store: store, logger: logger, now: time.Now}
}

// Apply implements session.Store.
func (s *Store) Apply(ctx context.Context, b session.Batch) ([]session.Outcome, error) {
	out, err := s.Store.Apply(ctx, b)
	switch {
	case err == nil || errors.Is(err, session.ErrSpooled):
		s.succeeded("a webhook write")
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// The client went away: says nothing about the store.
	default:
		s.failed(err)
	}
	return out, err
}

func (s *Store) failed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.failing == nil {
		s.since = now
		s.failures = 0
		s.lastProbe = now
	}
	s.failing = err
	s.failures++
	s.unlogged++
	if s.failures == 1 || now.Sub(s.lastLog) >= LogEvery {
		s.logger.Error("Storing webhook events failed: their requests are answered 503, and /-/ready answers 503 until a write succeeds",
			"err", err, "failures", s.unlogged, "failing_since", s.since.Format(time.RFC3339))
		s.lastLog = now
		s.unlogged = 0
	}
}

func (s *Store) succeeded(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing == nil {
		return
	}
	s.logger.Info("Writes to the session store succeed again; ready", "by", what,
		"failures", s.failures, "failed_for", s.now().Sub(s.since).Round(time.Millisecond).String())
	s.failing = nil
}

// Ping implements session.Store: it fails while writes fail. Then, at most every
// ProbeEvery, a store that can probe tries a small write, whose success makes the
// replica ready again.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.Lock()
	failing, since := s.failing, s.since
	probe := failing != nil && s.now().Sub(s.lastProbe) >= ProbeEvery
	if probe {
		s.lastProbe = s.now()
	}
	s.mu.Unlock()
	if failing != nil {
		p, ok := s.Store.(Prober)
		if !ok || !probe {
			return fmt.Errorf("the session store fails writes since %s: %w", since.Format(time.RFC3339), failing)
		}
		if err := p.Probe(ctx); err != nil {
			return fmt.Errorf("the session store fails writes since %s: %w", since.Format(time.RFC3339), err)
		}
		s.succeeded("a probe write")
	}
	return s.Store.Ping(ctx)
}
