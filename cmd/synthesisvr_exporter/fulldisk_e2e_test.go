package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mountTmpfs mounts a tmpfs of size at a new folder and unmounts it when the test
// ends. It skips without root (mounting is not permitted); as root, where it is
// expected to work, a failure fails the test under CI.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a full disk is made with a small tmpfs, which only root may mount: run the test as root")
	}
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		skipOrFail(t, "mount a tmpfs as root: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file until the disk is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 16<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			return
		}
	}
}

// TestFullDiskTurnsReadyOff fills the disk under the bolt file: writes answer 503,
// /-/ready answers 503 while they do, the failures are logged a few times, not
// once each, and once there is room again the exporter is ready and takes events.
func TestFullDiskTurnsReadyOff(t *testing.T) {
	requireBinary(t)
	dir := mountTmpfs(t, "2m")
	p := startExporter(t, options{storage: filepath.Join(dir, "data", "synthesisvr.db"),
		env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + massToken}})
	url := p.webhookURL(massToken)
	fill(t, filepath.Join(dir, "filler"))
	failed := 0
	for i := 0; i < 400 && failed < 50; i++ {
		r := post(t, url, createBatch(fmt.Sprintf("full-%d-%s", i, strings.Repeat("x", 40)), "Downtown", 100))
		switch r.code {
		case http.StatusOK:
		case http.StatusServiceUnavailable:
			failed++
		default:
			t.Fatalf("status %d on a full disk, want 200 or 503: %s", r.code, r.body)
		}
	}
	if failed < 50 {
		t.Fatalf("only %d webhooks failed on a full disk", failed)
	}
	if r := get(t, p.base+"/-/ready"); r.code != http.StatusServiceUnavailable || !strings.Contains(r.body, "fails writes") {
		t.Fatalf("/-/ready on a full disk: %d %q, want 503 saying writes fail", r.code, r.body)
	}
	if n := strings.Count(p.log.String(), "Storing webhook events failed"); n < 1 || n > 5 {
		t.Fatalf("%d log lines for %d failed writes, want a few", n, failed)
	}
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	if err := p.waitReady(); err != nil {
		t.Fatalf("not ready again once the disk had room: %v", err)
	}
	postEvents(t, url, createBatch("after", "Mall", 10))
	scrape(t, p.base).want(t, 10, "synthesisvr_sessions_active", "location", "Mall")
	t.Logf("%d webhooks answered 503 on the full disk", failed)
}
