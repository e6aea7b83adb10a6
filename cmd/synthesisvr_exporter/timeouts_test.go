package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

func TestHTTPServerTimeouts(t *testing.T) {
	s := newHTTPServer(http.NotFoundHandler(), nil)
	tests := map[string]struct {
		got, least, most time.Duration
	}{
		// The headers of SynthesisVR's small requests come at once; a slow client is cut early.
		"ReadHeaderTimeout": {s.ReadHeaderTimeout, time.Second, 10 * time.Second},
		// Reading and writing must outlast the receiver's own budget, which answers first.
		"ReadTimeout":  {s.ReadTimeout, webhook.Budget, time.Minute},
		"WriteTimeout": {s.WriteTimeout, webhook.Budget, time.Minute},
		"IdleTimeout":  {s.IdleTimeout, time.Second, 5 * time.Minute},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.got < tc.least || tc.got > tc.most {
				t.Errorf("%s = %s, want between %s and %s", name, tc.got, tc.least, tc.most)
			}
		})
	}
	if s.MaxHeaderBytes <= 0 || s.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes = %d, want a bound under 1 MiB", s.MaxHeaderBytes)
	}
}

// TestTricklingHeadersAreCut sends the request line and then a header byte every
// 250 ms to the built binary, on both listeners: the server closes the connection
// at its ReadHeaderTimeout, long before the client would finish.
func TestTricklingHeadersAreCut(t *testing.T) {
	p := startExporter(t, options{hookPort: true, env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + hostileToken}})
	timeout := newHTTPServer(nil, nil).ReadHeaderTimeout
	for name, base := range map[string]string{"main listener": p.base, "webhook listener": p.hookBase} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			trickle := bytesOf(strings.Repeat("X-Slow: a\r\n", 10)) // 110 bytes: 27 s at this pace
			line, took := rawRequest(t, hostAddr(base), "POST /webhook/"+hostileToken+" HTTP/1.1\r\nHost: x\r\n", trickle, 250*time.Millisecond)
			// Go closes the connection, or answers 400 when the deadline cut a header line.
			if code := statusOfLine(line); !strings.HasPrefix(line, "error:") && code != http.StatusBadRequest && code != http.StatusRequestTimeout {
				t.Errorf("trickled headers were answered %q, want the connection closed or refused", line)
			}
			if took < timeout-time.Second || took > timeout+3*time.Second {
				t.Errorf("the connection ended after %s, want about the ReadHeaderTimeout of %s", took, timeout)
			}
		})
	}
}
