package boltstore

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// commitLoop writes the changes of every waiting Apply in one transaction. While a
// commit is on its way to the disk, new changes gather for the next one, so the
// number of fsyncs follows the disk's pace, not the request rate.
func (s *Store) commitLoop() {
	defer close(s.done)
	for range s.kick {
		s.commitPending()
	}
	s.commitPending() // changes applied before Close
}

func (s *Store) commitPending() {
	s.mu.Lock()
	c := s.pending
	s.pending = newCommit()
	dirty := s.state.TakeDirty()
	if dirty.Empty() {
		s.mu.Unlock()
		close(c.done)
		return
	}
	recs := encodeDirty(s.state, dirty)
	s.mu.Unlock()

	err := s.db.Update(func(tx *bolt.Tx) error { return recs.write(tx) })
	if err != nil {
		err = fmt.Errorf("commit to bolt file: %w", err)
		s.rollback(err)
	}
	c.err = err
	close(c.done)
}

// rollback puts the in-memory state back to what the file holds after a failed
// commit. Changes applied since (waiting for the next commit) were built on the
// lost ones, so they fail as well.
func (s *Store) rollback(cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	state, err := load(s.db)
	if err != nil {
		s.broken = fmt.Errorf("bolt file unusable after a failed commit (%v): reload: %w", cause, err)
		return
	}
	s.state = state
	next := s.pending
	s.pending = newCommit()
	next.err = cause
	close(next.done)
}
