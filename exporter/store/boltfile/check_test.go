package boltfile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/boltfile"
)

var testKind = boltfile.Kind{What: "bolt file", LockedHint: "hint", Buckets: []string{"meta", "sessions"}, Loses: "its sessions"}

// writeFile writes a bolt file with a few thousand records, over many pages.
func writeFile(t testing.TB, path string, buckets ...string) int64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range buckets {
		for chunk := range 4 {
			err := db.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists([]byte(name))
				if err != nil {
					return err
				}
				for i := range 1000 {
					if err := b.Put(fmt.Appendf(nil, "key-%d-%06d", chunk, i), []byte(strings.Repeat("v", 60))); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestCheckRefusesDamagedFiles(t *testing.T) {
	tests := map[string]func(t *testing.T, path string, size int64){
		"truncated to half": func(t *testing.T, path string, size int64) {
			if err := os.Truncate(path, size/2); err != nil {
				t.Fatal(err)
			}
		},
		"truncated to 8 KiB": func(t *testing.T, path string, _ int64) {
			if err := os.Truncate(path, 8<<10); err != nil {
				t.Fatal(err)
			}
		},
		"both header pages flipped": func(t *testing.T, path string, _ int64) {
			flip(t, path, 16, 64)
			flip(t, path, 4096+16, 64)
		},
		"not a bolt file at all": func(t *testing.T, path string, _ int64) {
			if err := os.WriteFile(path, []byte("hello, I am a text file\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, damage := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			size := writeFile(t, path, "meta", "sessions")
			damage(t, path, size)
			before, _ := os.ReadFile(path)
			db, err := boltfile.Open(path, testKind)
			if err == nil {
				db.Close()
				t.Fatal("a damaged file was opened")
			}
			if !errors.Is(err, boltfile.ErrDamaged) || !strings.Contains(err.Error(), path) ||
				!strings.Contains(err.Error(), "backup") || !strings.Contains(err.Error(), "bbolt check") || !strings.Contains(err.Error(), "move it aside") {
				t.Fatalf("error %q: want damage named with the file and what to do", err)
			}
			after, _ := os.ReadFile(path)
			if string(before) != string(after) {
				t.Fatal("the damaged file was changed")
			}
		})
	}
}

// TestCheckNeverCrashesOnFlippedPages flips 64 bytes at the start and in the
// middle of every page in turn: the check must refuse the file or pass it, and a
// file it passes must then open and read without a panic.
func TestCheckNeverCrashesOnFlippedPages(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.db")
	size := writeFile(t, clean, "meta", "sessions")
	orig, err := os.ReadFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	pages := int(size / 4096)
	for page := 2; page < pages; page += 3 { // every third page: the walk is slow under -race
		for _, at := range []int64{0, 2048} {
			path := filepath.Join(dir, fmt.Sprintf("p%d-%d.db", page, at))
			if err := os.WriteFile(path, orig, 0o600); err != nil {
				t.Fatal(err)
			}
			flip(t, path, int64(page)*4096+at, 64)
			err := boltfile.Check(path, testKind)
			if err != nil {
				if !errors.Is(err, boltfile.ErrDamaged) {
					t.Fatalf("page %d+%d: %v, want a damaged-file error", page, at, err)
				}
				refused++
				os.Remove(path)
				continue
			}
			readAll(t, path, page, at)
			os.Remove(path)
		}
	}
	t.Logf("%d damaged copies refused; the others read without a panic", refused)
	if refused == 0 {
		t.Fatal("no damaged copy was refused")
	}
}

func readAll(t *testing.T, path string, page int, at int64) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("page %d+%d: passed the check, then panicked: %v", page, at, p)
		}
	}()
	db, err := boltfile.Open(path, testKind)
	if err != nil {
		t.Fatalf("page %d+%d: passed the check, then: %v", page, at, err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			return b.ForEach(func(_, _ []byte) error { return nil })
		})
	})
}

func TestCheckRefusesAnotherProgramsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	writeFile(t, path, "widgets")
	before, _ := os.ReadFile(path)
	_, err := boltfile.Open(path, testKind)
	if err == nil || errors.Is(err, boltfile.ErrDamaged) || !strings.Contains(err.Error(), `"widgets"`) || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v: want another program's file refused, naming its bucket", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("another program's file was changed")
	}
}

func TestCheckPassesOwnFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "own.db")
	writeFile(t, path, "sessions")
	db, err := boltfile.Open(path, testKind)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	empty := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := boltfile.Check(empty, testKind); err != nil {
		t.Fatalf("an empty file: %v", err)
	}
}

// flip inverts n bytes of the file at off.
func flip(t *testing.T, path string, off int64, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] ^= 0xff
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
