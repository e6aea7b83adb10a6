// Package boltfile opens the bbolt files of the exporter (the session store and
// the spool) the same way: folder created, file private, a clear error when
// another process holds it, and a damaged file or one of another program refused
// with an error that says what to do, never a panic.
package boltfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// lockWait is how long Open waits for another process to let go of the file.
const lockWait = 2 * time.Second

// Kind says what a file is for, in errors, and what it may hold.
type Kind struct {
	// What names the file in errors ("bolt file", "spool file").
	What string
	// LockedHint says what to do when another process holds the file.
	LockedHint string
	// Buckets are the top-level buckets the exporter writes: a file holding any
	// other is another program's, and is refused rather than written beside.
	Buckets []string
	// Loses says what moving a damaged file aside gives up ("the sessions it holds").
	Loses string
}

// ErrDamaged is wrapped by the error of a file that cannot be read as a bbolt file
// of this kind.
var ErrDamaged = errors.New("damaged")

// Open opens (or creates) the bolt file at path, creating its folder. An existing
// file is checked first (see Check).
func Open(path string, k Kind) (*bolt.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create the folder of the %s: %w", k.What, err)
	}
	if err := Check(path, k); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockWait})
	if err != nil {
		return nil, openError(path, k, err)
	}
	return db, nil
}

func openError(path string, k Kind, err error) error {
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("open %s %s: it is locked by another process (%s)", k.What, path, k.LockedHint)
	}
	return fmt.Errorf("open %s %s: %w", k.What, path, err)
}

// Check reads an existing file through before the exporter writes to it: its
// header and length, every page of every bucket, and bbolt's own consistency
// check. bbolt maps the file into memory and trusts what it reads, so a damaged
// file makes it panic or fault; Check meets that in a goroutine of its own, where
// a fault is a panic it recovers (runtime/debug.SetPanicOnFault). A missing or
// empty file passes: it is new.
func Check(path string, k Kind) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s %s: %w", k.What, path, err)
	}
	if fi.Mode().IsRegular() && fi.Size() == 0 {
		return nil
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("open %s %s: not a regular file (%s)", k.What, path, fi.Mode().Type())
	}
	if problem := checkHeader(path, fi.Size()); problem != "" {
		return damaged(path, k, problem)
	}
	buckets, problem, err := walk(path)
	if err != nil {
		return openError(path, k, err)
	}
	if problem != "" {
		return damaged(path, k, problem)
	}
	var foreign []string
	for _, b := range buckets {
		if !slices.Contains(k.Buckets, b) {
			foreign = append(foreign, fmt.Sprintf("%q", b))
		}
	}
	if len(foreign) > 0 {
		return fmt.Errorf("open %s %s: it holds buckets the exporter does not write (%s): it belongs to another program, or is another kind of exporter file (the %s holds %s). Point the exporter at a file of its own",
			k.What, path, strings.Join(foreign, ", "), k.What, quoteAll(k.Buckets))
	}
	return nil
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// damaged is the error of a damaged file: what is wrong and what to do.
func damaged(path string, k Kind, problem string) error {
	return fmt.Errorf("the %s %s is %w: %s. The exporter does not start on it and leaves it as it is. Restore it from a backup; or check it with `bbolt check %s` (go.etcd.io/bbolt/cmd/bbolt); or, to start without %s, move it aside (the exporter never does that by itself)",
		k.What, path, ErrDamaged, problem, path, k.Loses)
}
