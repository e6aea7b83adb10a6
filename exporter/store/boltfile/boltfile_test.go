package boltfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/boltfile"
)

func TestOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "x.db")
	db, err := boltfile.Open(path, boltfile.Kind{What: "bolt file", LockedHint: "hint"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, err %v; want 0600", fi.Mode().Perm(), err)
	}
	// bbolt's flock is per open file description, so a second open in this process waits too.
	_, err = boltfile.Open(path, boltfile.Kind{What: "spool file", LockedHint: "give each replica its own"})
	if err == nil || !strings.Contains(err.Error(), "locked by another process (give each replica its own)") || !strings.Contains(err.Error(), "spool file") {
		t.Fatalf("second open: %v, want the locked error with the hint", err)
	}
}
