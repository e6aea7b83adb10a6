package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// laterToken is the token of the webhook configured after a first start.
const laterToken = "e2eLaterConfiguredToken-0123456789"

// TestGeneratedTokenOutlivesConfiguredWebhooks starts without a config, so that a
// token is generated and given to SynthesisVR; then restarts with a config that
// has webhooks: the generated URL must keep answering, as webhook "generated",
// until the config says generated_token: false.
func TestGeneratedTokenOutlivesConfiguredWebhooks(t *testing.T) {
	dir := t.TempDir()
	storage := filepath.Join(dir, "data", "synthesisvr.db")
	first := startExporter(t, options{storage: storage})
	generated := checkGeneratedToken(t, first)
	wantCounts(t, postEvents(t, first.webhookURL(generated), "["+createEvent("gen-1", "Early", 1)+"]"), counts{Received: 1, Applied: 1})
	first.signal(syscall.SIGTERM)
	if code := first.waitExit(readyTimeout); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}

	cfg := filepath.Join(dir, "config.yml")
	writeFile(t, cfg, "webhooks:\n  - name: downtown\n    token: "+laterToken+"\n    location: Downtown\n")
	p := startExporter(t, options{storage: storage, config: cfg})
	wantCounts(t, postEvents(t, p.webhookURL(generated), "["+createEvent("gen-2", "Early", 1)+"]"), counts{Received: 1, Applied: 1})
	wantCounts(t, postEvents(t, p.webhookURL(laterToken), "["+createEvent("cfg-1", "Anywhere", 1)+"]"), counts{Received: 1, Applied: 1})
	tokenFile := filepath.Join(dir, "data", "webhook-token")
	active := []string{
		`msg="Webhook active" name=downtown location=Downtown token_source="config token"`,
		`msg="Webhook active" name=generated location="from payload" token_source="generated file ` + tokenFile + `"`,
	}
	for _, line := range active {
		if n := strings.Count(p.log.String(), line); n != 1 {
			t.Errorf("the start log shows %q %d times, want once", line, n)
		}
	}

	writeFile(t, cfg, "generated_token: false\nwebhooks:\n  - name: downtown\n    token: "+laterToken+"\n    location: Downtown\n")
	p.signal(syscall.SIGHUP)
	p.waitLog("Configuration reloaded", 1)
	if r := post(t, p.webhookURL(generated), "["+createEvent("gen-3", "Early", 1)+"]"); r.code != http.StatusNotFound || r.body != "404 page not found" {
		t.Errorf("the generated URL after generated_token: false: %d %q, want a plain 404", r.code, r.body)
	}
	wantCounts(t, postEvents(t, p.webhookURL(laterToken), "["+createEvent("cfg-2", "Anywhere", 1)+"]"), counts{Received: 1, Applied: 1})
	if n := strings.Count(p.log.String(), active[0]); n != 2 {
		t.Errorf("the log shows %q %d times, want once at the start and once at the reload", active[0], n)
	}
	if n := strings.Count(p.log.String(), active[1]); n != 1 {
		t.Errorf("the generated webhook is logged %d times, want only at the start, before generated_token: false", n)
	}
	for _, tok := range []string{generated, laterToken} {
		if strings.Contains(p.log.String(), tok) {
			t.Errorf("the log of the second start shows a token (%.8s...)", tok)
		}
	}
}
