// Package boltstore is a session.Store on an embedded bbolt file: the default for a
// single replica. The whole state is also held in memory, so reads never touch the
// disk; every change is written and fsync'd before Apply returns. Concurrent Apply
// calls share one transaction (group commit), so one fsync serves many requests.
package boltstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/boltfile"
)

// ErrClosed is returned by a store that was closed.
var ErrClosed = errors.New("bolt store is closed")

// Store implements the session.Store interface on a bbolt file.
type Store struct {
	db *bolt.DB

	mu      sync.Mutex
	state   *session.State
	pending *commit
	broken  error // set when the file can no longer be trusted
	closed  bool

	kick chan struct{}
	done chan struct{}
}

// commit is one group of changes that become durable together.
type commit struct {
	done chan struct{}
	err  error
}

func newCommit() *commit { return &commit{done: make(chan struct{})} }

// Open opens (or creates) the bolt file at path, creating its folder, and loads it.
func Open(path string) (*Store, error) {
	db, err := boltfile.Open(path, boltfile.Kind{
		What: "bolt file", LockedHint: "is another exporter running on it?",
		Buckets: bucketNames(), Loses: "the sessions it holds (they start again at their next event; their deletes count as unmatched)",
	})
	if err != nil {
		return nil, err
	}
	state, err := load(db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load bolt file %s: %w", path, err)
	}
	s := &Store{
		db:      db,
		state:   state,
		pending: newCommit(),
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	go s.commitLoop()
	return s, nil
}

// Apply implements session.Store.
func (s *Store) Apply(ctx context.Context, b session.Batch) ([]session.Outcome, error) {
	var out []session.Outcome
	err := s.change(ctx, func(st *session.State) { out = st.Apply(b) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Expire implements session.Store: one bounded step is one commit, which the
// webhook's changes waiting at that moment share.
func (s *Store) Expire(ctx context.Context, now time.Time, maxAge time.Duration, limit int) (session.Expiry, error) {
	var x session.Expiry
	err := s.change(ctx, func(st *session.State) { x = st.Expire(now, maxAge, limit) })
	if err != nil {
		return session.Expiry{}, err
	}
	return x, nil
}

// change runs f on the state and waits until what it changed is on disk.
func (s *Store) change(ctx context.Context, f func(*session.State)) error {
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return err
	}
	f(s.state)
	c := s.pending
	select {
	case s.kick <- struct{}{}:
	default: // a commit is already due; it will take these changes too
	}
	s.mu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return fmt.Errorf("waiting for the bolt commit: %w", ctx.Err())
	}
}

func (s *Store) usable() error {
	if s.closed {
		return ErrClosed
	}
	return s.broken
}

// Locations implements session.Store.
func (s *Store) Locations(context.Context) (map[string]session.LocationStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	return s.state.Locations(), nil
}

// Probe writes one small record, to show that the file takes writes again after
// failed ones (a full disk); see health.Prober.
func (s *Store) Probe(context.Context) error {
	s.mu.Lock()
	err := s.usable()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyProbe, encodeTime(time.Now()))
	})
}

// Ping implements session.Store.
func (s *Store) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usable()
}

// Close waits for the changes already applied to be on disk, then closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.kick) // under the lock: no change can be sending on it
	s.mu.Unlock()
	<-s.done
	return s.db.Close()
}
