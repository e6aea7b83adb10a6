// Package boltfile opens the bbolt files of the exporter (the session store and
// the spool) the same way: folder created, file private, a clear error when
// another process holds it.
package boltfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// lockWait is how long Open waits for another process to let go of the file.
const lockWait = 2 * time.Second

// Open opens (or creates) the bolt file at path, creating its folder. what names
// the file in errors ("bolt file", "spool file"); lockedHint says what to do when
// another process holds the file.
func Open(path, what, lockedHint string) (*bolt.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create the folder of the %s: %w", what, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockWait})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open %s %s: it is locked by another process (%s)", what, path, lockedHint)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s %s: %w", what, path, err)
	}
	return db, nil
}
