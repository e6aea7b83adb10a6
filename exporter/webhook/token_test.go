package webhook_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

func TestLoadOrCreateToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	tok, created, err := webhook.LoadOrCreateToken(dir)
	if err != nil || !created {
		t.Fatalf("first call: created %v, err %v", created, err)
	}
	if len(tok) < 32 {
		t.Fatalf("token %d characters, want at least 32", len(tok))
	}
	fi, err := os.Stat(filepath.Join(dir, webhook.TokenFileName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	again, created, err := webhook.LoadOrCreateToken(dir)
	if err != nil || created || again != tok {
		t.Fatalf("second call: same token %v, created %v, err %v", again == tok, created, err)
	}
}

func TestEmptyTokenFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, webhook.TokenFileName), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := webhook.LoadOrCreateToken(dir)
	if err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("err %v, want one saying how to fix it", err)
	}
}
