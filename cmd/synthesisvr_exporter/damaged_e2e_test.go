package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// damage is one way a bolt file gets damaged.
type damage struct {
	name  string
	apply func(t *testing.T, path string)
}

// damages are those seen on disks: a copy or a full disk cutting the file short,
// flipped bytes in the middle of the tree, another program's file.
var damages = []damage{
	{"truncated to half", func(t *testing.T, path string) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		truncate(t, path, fi.Size()/2)
	}},
	{"truncated to 8 KiB", func(t *testing.T, path string) { truncate(t, path, 8<<10) }},
	{"64 bytes flipped in the tree", flipRootPage},
	{"another program's bolt file", func(t *testing.T, path string) {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		writeBolt(t, path, "widgets", 100)
	}},
}

func TestDamagedBoltFileStopsTheStart(t *testing.T) {
	requireBinary(t)
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			path := prepareMassExpiry(t, 5000)
			d.apply(t, path)
			wantRefused(t, options{storage: path}, path)
		})
	}
}

func TestDamagedSpoolFileStopsTheStart(t *testing.T) {
	requireBinary(t)
	cases := append([]damage{{"a session store file", func(t *testing.T, path string) {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		writeBolt(t, path, "sessions", 100)
	}}}, damages...)
	for _, d := range cases {
		t.Run(d.name, func(t *testing.T) {
			dir := t.TempDir()
			spool := filepath.Join(dir, "spool.db")
			writeBolt(t, spool, "batches", 4000)
			d.apply(t, spool)
			wantRefused(t, options{
				storage: filepath.Join(dir, "data", "synthesisvr.db"),
				args:    []string{"--storage.backend=redis", "--storage.redis.url=redis://127.0.0.1:1/0", "--storage.redis.spool-path=" + spool},
				env:     []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + massToken},
			}, spool)
		})
	}
}

// wantRefused starts the exporter and requires it to stop with an error that
// names the file, without a panic, and to leave the file as it was.
func wantRefused(t *testing.T, o options, path string) {
	t.Helper()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := launch(t, o, &logBuffer{})
	code := p.waitExit(readyTimeout)
	log := p.log.String()
	if code == 0 || code == -1 {
		t.Fatalf("exit code %d, want an error exit\nlog:\n%s", code, log)
	}
	for _, bad := range []string{"panic", "fatal error", "goroutine ", "SIGSEGV"} {
		if strings.Contains(log, bad) {
			t.Fatalf("the log shows %q:\n%s", bad, log)
		}
	}
	if !strings.Contains(log, "Cannot start") || !strings.Contains(log, path) {
		t.Fatalf("the error does not name the file %s:\n%s", path, log)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("the refused file was changed")
	}
	t.Logf("exit %d: %s", code, lastLine(log))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

// writeBolt writes a bolt file with n records in one bucket.
func writeBolt(t *testing.T, path, bucket string, n int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return err
		}
		for i := range n {
			v := fmt.Sprintf(`{"received_unix_nano":%d,"changes":[{"uuid":"u-%d","action":"create","location":"Mall","stations":1}]}`, i, i)
			if err := b.Put(binary.BigEndian.AppendUint64(nil, uint64(i)), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// flipRootPage inverts the first 64 bytes of the root page of the file's largest
// bucket: a page every read goes through.
func flipRootPage(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var root uint64
	most := 0
	_ = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			if n := b.Stats().KeyN; n > most {
				most, root = n, uint64(b.Root())
			}
			return nil
		})
	})
	pageSize := db.Info().PageSize
	db.Close()
	if root == 0 {
		t.Fatal("no bucket with its own root page")
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	off := int64(root) * int64(pageSize)
	b := make([]byte, 64)
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
