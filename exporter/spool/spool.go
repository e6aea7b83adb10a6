// Package spool keeps webhook events on local disk while the shared session store
// cannot be reached, and replays them, in order, once it can. SynthesisVR never
// resends an event, so a replica whose Redis is down answers 202 from the spool
// rather than lose what it was sent.
//
// Store wraps the shared store: Apply goes to it directly while nothing waits in
// the spool; when it fails, or while earlier batches wait, the batch is written
// to a bbolt file and Apply returns session.ErrSpooled. Run replays the file, one
// batch at a time with the time it was received, and deletes each batch once the
// store has taken it. A crash between the two replays that batch again: its
// creates come back as duplicates and its deletes as unmatched, which changes no
// gauge.
package spool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/boltfile"
)

// ErrClosed is returned by a closed spool.
var ErrClosed = errors.New("spool is closed")

// Recorder counts what the spool does. It must be safe for concurrent use.
type Recorder interface {
	// Spooled counts events written to the spool.
	Spooled(events int)
	// Replayed counts a replayed batch by what the store did with it.
	Replayed(out []session.Outcome)
	// Lost counts events that neither the store nor the spool could keep.
	Lost(events int)
}

// spoolReserve is the part of a request's deadline kept for writing the spool
// when the store does not answer.
const spoolReserve = 300 * time.Millisecond

// replayTimeout bounds one replayed batch.
const replayTimeout = 5 * time.Second

// Store implements the session.Store interface: a shared store with a local spool.
type Store struct {
	primary session.Store
	db      *bolt.DB
	path    string
	rec     Recorder
	logger  *slog.Logger
	// Every is the pause between replay attempts while batches wait.
	Every time.Duration

	mu            sync.Mutex
	pending       int // batches in the file
	pendingEvents int
	closed        bool
}

// Open opens (or creates) the spool file at path, creating its folder, in front
// of primary. Batches left in it by an earlier run are replayed by Run.
func Open(path string, primary session.Store, rec Recorder, logger *slog.Logger) (*Store, error) {
	db, err := boltfile.Open(path, boltfile.Kind{
		What: "spool file", LockedHint: "every replica needs its own --storage.redis.spool-path",
		Buckets: []string{string(bucket)}, Loses: "the events waiting in it (they were acknowledged with 202 and are lost then)",
	})
	if err != nil {
		return nil, err
	}
	s := &Store{primary: primary, db: db, path: path, rec: rec, logger: logger, Every: time.Second}
	if s.pending, s.pendingEvents, err = count(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("read spool file %s: %w", path, err)
	}
	if s.pending > 0 {
		logger.Warn("The spool holds events from an earlier run; they are replayed as soon as the store is reachable",
			"file", path, "batches", s.pending, "events", s.pendingEvents)
	}
	return s, nil
}

// Apply implements session.Store. It returns session.ErrSpooled when the batch
// went to the spool, and another error only when the spool could not keep it.
func (s *Store) Apply(ctx context.Context, b session.Batch) ([]session.Outcome, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if s.pending > 0 {
		// Earlier batches wait: this one goes behind them, to keep the order.
		defer s.mu.Unlock()
		return nil, s.spoolLocked(b, nil)
	}
	s.mu.Unlock()

	pctx, cancel := reserve(ctx)
	out, err := s.primary.Apply(pctx, b)
	cancel()
	if err == nil {
		return out, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("%w (the store failed: %v)", ErrClosed, err)
	}
	return nil, s.spoolLocked(b, err)
}

// reserve shortens ctx's deadline by spoolReserve, so that a store that does not
// answer leaves time to write the spool.
func reserve(ctx context.Context) (context.Context, context.CancelFunc) {
	d, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, d.Add(-spoolReserve))
}

// spoolLocked writes b to the spool. cause is the store's error, when the store
// was tried.
func (s *Store) spoolLocked(b session.Batch, cause error) error {
	n := len(b.Changes)
	if err := s.db.Update(func(tx *bolt.Tx) error { return put(tx, b) }); err != nil {
		s.rec.Lost(n)
		if cause == nil {
			cause = errors.New("earlier events wait in the spool")
		}
		return fmt.Errorf("the store did not take the events (%v), and the spool file %s could not keep them: %w", cause, s.path, err)
	}
	if s.pending == 0 {
		s.logger.Warn("The session store is unreachable: spooling webhook events to local disk until it is back", "file", s.path, "err", cause)
	}
	s.pending++
	s.pendingEvents += n
	s.rec.Spooled(n)
	return session.ErrSpooled
}

// Probe writes to the spool file and takes it back, to show that the file takes
// writes again after failed ones; see health.Prober.
func (s *Store) Probe(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		if err := bk.Put(probeKey, []byte{}); err != nil {
			return err
		}
		return bk.Delete(probeKey)
	})
}

// probeKey sorts after every sequence number, and never outlives its transaction.
var probeKey = []byte("\xff\xff\xff\xff\xff\xff\xff\xff probe")

// PendingEvents is how many events wait in the spool.
func (s *Store) PendingEvents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pendingEvents
}

// Expire implements session.Store: spooled sessions are not in the store yet, so
// expiry is the store's alone.
func (s *Store) Expire(ctx context.Context, now time.Time, maxAge time.Duration, limit int) (session.Expiry, error) {
	return s.primary.Expire(ctx, now, maxAge, limit)
}

// Locations implements session.Store.
func (s *Store) Locations(ctx context.Context) (map[string]session.LocationStats, error) {
	return s.primary.Locations(ctx)
}

// Ping implements session.Store: the spool takes events whether the store is
// reachable or not, so a replica cut off from Redis stays ready and keeps what
// it is sent; the store's own health is reported by metrics. Ping fails only
// once the spool file cannot be used.
func (s *Store) Ping(context.Context) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return s.db.View(func(*bolt.Tx) error { return nil })
}

// Close closes the spool file, keeping what waits in it for the next start, and
// the store. Run must have returned.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.pending > 0 {
		s.logger.Warn("Stopping with events in the spool; they are replayed at the next start", "file", s.path, "events", s.pendingEvents)
	}
	s.mu.Unlock()
	return errors.Join(s.db.Close(), s.primary.Close())
}
