package spool

import (
	"context"
	"errors"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// errNoSchedules is returned when the store behind the spool keeps no schedules.
var errNoSchedules = errors.New("the session store keeps no schedules")

// scheduler returns the store's Scheduler. Schedule changes are not spooled: they
// come from the lookup worker and the poller, which try again later, and from the
// store itself (Lookups), so none is lost while the store is unreachable.
func (s *Store) scheduler() (session.Scheduler, error) {
	if sc, ok := s.primary.(session.Scheduler); ok {
		return sc, nil
	}
	return nil, errNoSchedules
}

// Schedule implements session.Scheduler.
func (s *Store) Schedule(ctx context.Context, uuid string, sched session.Schedule, now time.Time) (session.Outcome, error) {
	sc, err := s.scheduler()
	if err != nil {
		return session.Outcome{}, err
	}
	return sc.Schedule(ctx, uuid, sched, now)
}

// LookupFailed implements session.Scheduler.
func (s *Store) LookupFailed(ctx context.Context, uuid string, now, next time.Time, giveUp bool) (session.Outcome, error) {
	sc, err := s.scheduler()
	if err != nil {
		return session.Outcome{}, err
	}
	return sc.LookupFailed(ctx, uuid, now, next, giveUp)
}

// Reconcile implements session.Scheduler.
func (s *Store) Reconcile(ctx context.Context, location, uuid string, sched session.Schedule, now time.Time) (session.Outcome, error) {
	sc, err := s.scheduler()
	if err != nil {
		return session.Outcome{}, err
	}
	return sc.Reconcile(ctx, location, uuid, sched, now)
}

// Advance implements session.Scheduler.
func (s *Store) Advance(ctx context.Context, now time.Time, limit int) (session.Expiry, error) {
	sc, err := s.scheduler()
	if err != nil {
		return session.Expiry{}, err
	}
	return sc.Advance(ctx, now, limit)
}

// Lookups implements session.Scheduler.
func (s *Store) Lookups(ctx context.Context, now time.Time, limit int) ([]session.Due, error) {
	sc, err := s.scheduler()
	if err != nil {
		return nil, err
	}
	return sc.Lookups(ctx, now, limit)
}
