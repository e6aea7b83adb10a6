package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestBackupUnderLoad takes GET /api/v1/backup while webhooks keep arriving: the copy
// is a sound bolt file, and an exporter started on it (the documented restore) has
// every session acknowledged before the backup began.
func TestBackupUnderLoad(t *testing.T) {
	p := startExporter(t, options{args: []string{"--web.enable-admin-api"}})
	tok := readToken(t, p.storage)
	const before = 200
	for i := range before / 50 {
		postEvents(t, p.webhookURL(tok), createBatch(fmt.Sprintf("pre-%d-", i), "Backup", 50))
	}

	var stop atomic.Bool
	var sent atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				// Not post: t.Fatal must not be called off the test's goroutine.
				resp, err := client.Post(p.webhookURL(tok), "application/json",
					strings.NewReader("["+createEvent(fmt.Sprintf("load-%d-%d", w, i), "Load", 1)+"]"))
				if err != nil {
					t.Errorf("webhook during the backup: %v", err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("webhook during the backup: status %d", resp.StatusCode)
					return
				}
				sent.Add(1)
			}
		})
	}
	for sent.Load() < 20 { // the load is running
		time.Sleep(5 * time.Millisecond)
	}
	copyPath := filepath.Join(t.TempDir(), "restore", "synthesisvr.db")
	download(t, p.base+"/api/v1/backup", copyPath)
	stop.Store(true)
	wg.Wait()
	t.Logf("%d webhook requests answered 200 meanwhile", sent.Load())

	db, err := bolt.Open(copyPath, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("the backup does not open with bbolt: %v", err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatalf("the backup fails bbolt's check: %v", err)
	}

	q := startExporter(t, options{storage: copyPath})
	scrape(t, q.base).want(t, before, mActive, "location", "Backup")
}

// TestBackupNeedsTheAdminAPI: without --web.enable-admin-api there is no backup, it
// is never on the webhook's listener, and a store without a file says what to do
// instead.
func TestBackupNeedsTheAdminAPI(t *testing.T) {
	p := startExporter(t, options{})
	if r := get(t, p.base+"/api/v1/backup"); r.code != http.StatusForbidden {
		t.Errorf("GET /api/v1/backup without --web.enable-admin-api: status %d, want 403 as the whole admin API", r.code)
	}
	m := startExporter(t, options{args: []string{"--web.enable-admin-api", "--storage.backend=memory"}})
	if r := get(t, m.base+"/api/v1/backup"); r.code != http.StatusNotImplemented {
		t.Errorf("GET /api/v1/backup with the memory backend: status %d, want 501", r.code)
	}
	h := startExporter(t, options{hookPort: true, args: []string{"--web.enable-admin-api"}})
	if r := get(t, h.hookBase+"/api/v1/backup"); r.code != http.StatusNotFound {
		t.Errorf("GET /api/v1/backup on the webhook listener: status %d, want 404", r.code)
	}
}

// download saves a GET's 200 body to path, checking its length against Content-Length.
func download(t *testing.T, url, path string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: time.Minute}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: status %d: %s", url, resp.StatusCode, b)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := io.Copy(f, resp.Body)
	if err != nil || n == 0 || (resp.ContentLength >= 0 && n != resp.ContentLength) {
		t.Fatalf("GET %s: %d bytes of %d: %v", url, n, resp.ContentLength, err)
	}
}
