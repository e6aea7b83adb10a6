package spool

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// Run replays the spool until ctx is done: at once (batches of an earlier run),
// then every s.Every. A batch spooled because the store failed waits for the next
// tick rather than meet the same failure at once.
func (s *Store) Run(ctx context.Context) {
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		s.replay(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// replay applies waiting batches in order until the spool is empty, the store
// fails, or ctx is done.
func (s *Store) replay(ctx context.Context) {
	replayed, events := 0, 0
	for ctx.Err() == nil {
		key, b, lost, err := s.first()
		if err != nil {
			s.logger.Error("Reading the spool failed", "file", s.path, "err", err)
			return
		}
		if key == nil {
			break
		}
		if b == nil {
			s.drop(key, lost)
			continue
		}
		actx, cancel := context.WithTimeout(ctx, replayTimeout)
		out, err := s.primary.Apply(actx, *b)
		cancel()
		if err != nil {
			if replayed > 0 {
				s.logger.Warn("Replaying the spool stopped: the store failed again", "replayed_events", events, "err", err)
			}
			return
		}
		s.drop(key, len(b.Changes))
		s.rec.Replayed(out)
		replayed++
		events += len(b.Changes)
	}
	if replayed > 0 {
		s.logger.Info("Replayed spooled events into the session store", "batches", replayed, "events", events, "waiting_events", s.PendingEvents())
	}
}

// first returns the oldest batch in the spool, or a nil key when it is empty.
// A batch that cannot be decoded is counted as lost, by its events, and returned
// as nil with how many events it held.
func (s *Store) first() ([]byte, *session.Batch, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, 0, ErrClosed
	}
	var key []byte
	var b *session.Batch
	lost := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucket)
		if bk == nil {
			return nil
		}
		k, v := bk.Cursor().First()
		if k == nil {
			return nil
		}
		key = append([]byte(nil), k...)
		dec, err := decode(v)
		if err != nil {
			lost = eventsIn(v)
			s.logger.Error("A spooled batch cannot be read and is dropped", "file", s.path, "key", fmt.Sprintf("%x", k), "events", lost, "err", err)
			s.rec.Lost(lost)
			return nil
		}
		b = &dec
		return nil
	})
	return key, b, lost, err
}

// drop deletes a replayed (or unreadable) batch of n events.
func (s *Store) drop(key []byte, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete(key) })
	if err != nil {
		// The batch stays and is replayed again: duplicates, not losses.
		s.logger.Error("Removing a replayed batch from the spool failed", "file", s.path, "err", err)
		return
	}
	s.pending--
	s.pendingEvents -= n
}
