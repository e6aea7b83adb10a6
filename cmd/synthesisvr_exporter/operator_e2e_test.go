package main

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
)

// TestHangupWithoutConfigSaysNothingToReload: a SIGHUP to an exporter without
// --config.file is logged, not silently dropped, and the exporter keeps running.
func TestHangupWithoutConfigSaysNothingToReload(t *testing.T) {
	p := startExporter(t, options{})
	p.signal(syscall.SIGHUP)
	p.waitLog("there is nothing to reload: the exporter runs without --config.file", 1)
	if err := p.waitReady(); err != nil {
		t.Fatalf("not ready after SIGHUP: %v", err)
	}
}

// TestMemoryBackendWarnsAtStart: the memory store's loss on restart is said at start.
func TestMemoryBackendWarnsAtStart(t *testing.T) {
	p := startExporter(t, options{args: []string{"--storage.backend=memory"}})
	line := logLine(p.log.String(), "lost on every restart")
	if line == "" || !strings.Contains(line, "level=WARN") {
		t.Errorf("no WARN at start that the memory backend's sessions are lost on restart; the line: %q", line)
	}
	q := startExporter(t, options{})
	if strings.Contains(q.log.String(), "lost on every restart") {
		t.Error("the bolt backend warns of the memory backend's loss")
	}
}

// TestReloadWithOtherMethodsIs405: /-/reload names the methods it takes, while the
// methods it takes answer as before.
func TestReloadWithOtherMethodsIs405(t *testing.T) {
	p := startExporter(t, options{})
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		r := do(t, m, p.base+"/-/reload", "", "")
		if r.code != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST, PUT" {
			t.Errorf("%s /-/reload: status %d, Allow %q; want 405 with Allow: POST, PUT", m, r.code, r.header.Get("Allow"))
		}
	}
	for _, m := range []string{http.MethodPost, http.MethodPut} {
		if r := do(t, m, p.base+"/-/reload", "", ""); r.code == http.StatusMethodNotAllowed {
			t.Errorf("%s /-/reload: 405, but it is an allowed method", m)
		}
	}
	// Other paths keep answering every method alike: a scan learns nothing.
	if r := get(t, p.base+"/webhook/"); r.code != http.StatusNotFound {
		t.Errorf("GET /webhook/: status %d, want 404", r.code)
	}
}

// TestPlainHTTPStartPointsAtGoingLive: served over plain HTTP, the start log says
// that SynthesisVR needs https:// and where the README tells how.
func TestPlainHTTPStartPointsAtGoingLive(t *testing.T) {
	p := startExporter(t, options{})
	line := logLine(p.log.String(), "SynthesisVR needs a public https:// URL")
	for _, want := range []string{`deploy/README.md, \"Going live\"`, `to_paste="https://<public name>/webhook/<token>"`, p.base + "/webhook/<token>"} {
		if !strings.Contains(line, want) {
			t.Errorf("the plain-HTTP start line lacks %q: %q", want, line)
		}
	}
}

// logLine returns the first line of log that contains s, or "".
func logLine(log, s string) string {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}
