package boltstore

import (
	"context"
	"io"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the bolt file to w while the store is in use,
// through bbolt's own hot backup (a read transaction's WriteTo): the copy is the
// file as of one commit, and writes go on meanwhile. It returns the bytes written.
func (s *Store) Backup(_ context.Context, w io.Writer, size func(int64)) (int64, error) {
	s.mu.Lock()
	err := s.usable()
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	var n int64
	// Close waits for this read transaction to end before it closes the file.
	err = s.db.View(func(tx *bolt.Tx) error {
		if size != nil {
			size(tx.Size())
		}
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}
