// Package memstore is a session.Store held in memory only: fast, and empty after a
// restart. It suits tests and a venue that accepts losing its state on restart.
package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// Store implements the session.Store interface in memory.
type Store struct {
	mu    sync.Mutex
	state *session.State
}

// New returns an empty store.
func New() *Store {
	return &Store{state: session.NewState(false)}
}

// Apply implements session.Store.
func (s *Store) Apply(_ context.Context, b session.Batch) ([]session.Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Apply(b), nil
}

// Expire implements session.Store.
func (s *Store) Expire(_ context.Context, now time.Time, maxAge time.Duration, limit int) (session.Expiry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Expire(now, maxAge, limit), nil
}

// Locations implements session.Store.
func (s *Store) Locations(context.Context) (map[string]session.LocationStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Locations(), nil
}

// Ping implements session.Store; memory is always reachable.
func (s *Store) Ping(context.Context) error { return nil }

// Close implements session.Store.
func (s *Store) Close() error { return nil }

// Sessions implements session.Store.
func (s *Store) Sessions(context.Context) ([]session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Sessions(), nil
}

// End implements session.Store.
func (s *Store) End(_ context.Context, uuid string, now time.Time) (session.Outcome, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.state.End(uuid, now)
	return o, ok, nil
}

// Forget implements session.Store.
func (s *Store) Forget(_ context.Context, location string, now time.Time, force bool) ([]session.Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Forget(location, now, force)
}

// Forgotten implements session.Store: this store has one process, which forgot
// its locations' series itself.
func (s *Store) Forgotten(context.Context) ([]string, error) { return nil, nil }
