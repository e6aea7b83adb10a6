package boltstore

import (
	"context"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// Sessions implements session.Store, from memory.
func (s *Store) Sessions(context.Context) ([]session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	return s.state.Sessions(), nil
}

// End implements session.Store: the end is one commit, shared with the
// webhook's changes waiting at that moment.
func (s *Store) End(ctx context.Context, uuid string, now time.Time) (session.Outcome, bool, error) {
	var o session.Outcome
	var ok bool
	err := s.change(ctx, func(st *session.State) { o, ok = st.End(uuid, now) })
	if err != nil {
		return session.Outcome{}, false, err
	}
	return o, ok, nil
}

// Forget implements session.Store: the ended sessions and the removal are one
// commit.
func (s *Store) Forget(ctx context.Context, location string, now time.Time, force bool) ([]session.Outcome, error) {
	var out []session.Outcome
	var refused error
	err := s.change(ctx, func(st *session.State) { out, refused = st.Forget(location, now, force) })
	if err != nil {
		return nil, err
	}
	return out, refused
}

// Forgotten implements session.Store: this store has one process, which forgot
// its locations' series itself.
func (s *Store) Forgotten(context.Context) ([]string, error) { return nil, nil }
