package memstore

import (
	"context"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

var _ session.Scheduler = (*Store)(nil)

// Schedule implements session.Scheduler.
func (s *Store) Schedule(_ context.Context, uuid string, sched session.Schedule, now time.Time) (session.Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Schedule(uuid, sched, now), nil
}

// LookupFailed implements session.Scheduler.
func (s *Store) LookupFailed(_ context.Context, uuid string, now, next time.Time, giveUp bool) (session.Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.LookupFailed(uuid, now, next, giveUp), nil
}

// Reconcile implements session.Scheduler.
func (s *Store) Reconcile(_ context.Context, location, uuid string, sched session.Schedule, now time.Time) (session.Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Reconcile(location, uuid, sched, now), nil
}

// Advance implements session.Scheduler.
func (s *Store) Advance(_ context.Context, now time.Time, limit int) (session.Expiry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Advance(now, limit), nil
}

// Lookups implements session.Scheduler.
func (s *Store) Lookups(_ context.Context, now time.Time, limit int) ([]session.Due, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Lookups(now, limit), nil
}
