package spool

import (
	"context"
	"errors"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// ErrWaiting is returned by an admin operation while events wait in the spool:
// they were sent before it, and may start a session it would end or name a
// location it would forget, so it waits for them to be replayed.
var ErrWaiting = errors.New("webhook events wait in the spool for the session store: try again once they are replayed")

// Admin operations go to the store alone, never to the spool: an operator is
// there to see the answer, and one that cannot be applied now must not be
// applied later, behind events it never saw.

// Sessions implements session.Store.
func (s *Store) Sessions(ctx context.Context) ([]session.Session, error) {
	return s.primary.Sessions(ctx)
}

// End implements session.Store.
func (s *Store) End(ctx context.Context, uuid string, now time.Time) (session.Outcome, bool, error) {
	if err := s.settled(); err != nil {
		return session.Outcome{}, false, err
	}
	return s.primary.End(ctx, uuid, now)
}

// Forget implements session.Store.
func (s *Store) Forget(ctx context.Context, location string, now time.Time, force bool) ([]session.Outcome, error) {
	if err := s.settled(); err != nil {
		return nil, err
	}
	return s.primary.Forget(ctx, location, now, force)
}

// Forgotten implements session.Store.
func (s *Store) Forgotten(ctx context.Context) ([]string, error) {
	return s.primary.Forgotten(ctx)
}

// settled reports whether the spool is open and empty.
func (s *Store) settled() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.pending > 0:
		return ErrWaiting
	}
	return nil
}
