package boltstore

import (
	"context"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

var _ session.Scheduler = (*Store)(nil)

// Schedule implements session.Scheduler; like every change, it returns once on disk.
func (s *Store) Schedule(ctx context.Context, uuid string, sched session.Schedule, now time.Time) (session.Outcome, error) {
	var o session.Outcome
	err := s.change(ctx, func(st *session.State) { o = st.Schedule(uuid, sched, now) })
	return o, err
}

// LookupFailed implements session.Scheduler.
func (s *Store) LookupFailed(ctx context.Context, uuid string, now, next time.Time, giveUp bool) (session.Outcome, error) {
	var o session.Outcome
	err := s.change(ctx, func(st *session.State) { o = st.LookupFailed(uuid, now, next, giveUp) })
	return o, err
}

// Reconcile implements session.Scheduler.
func (s *Store) Reconcile(ctx context.Context, location, uuid string, sched session.Schedule, now time.Time) (session.Outcome, error) {
	var o session.Outcome
	err := s.change(ctx, func(st *session.State) { o = st.Reconcile(location, uuid, sched, now) })
	return o, err
}

// Advance implements session.Scheduler: one bounded step is one commit.
func (s *Store) Advance(ctx context.Context, now time.Time, limit int) (session.Expiry, error) {
	var x session.Expiry
	err := s.change(ctx, func(st *session.State) { x = st.Advance(now, limit) })
	if err != nil {
		return session.Expiry{}, err
	}
	return x, nil
}

// Lookups implements session.Scheduler; it reads the state in memory.
func (s *Store) Lookups(_ context.Context, now time.Time, limit int) ([]session.Due, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	return s.state.Lookups(now, limit), nil
}
