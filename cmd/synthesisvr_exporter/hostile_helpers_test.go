package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Helpers of the hostile-input, crash, overload and secrets tests.

// volatileSeries are series that move by themselves between two scrapes (the
// request-duration histogram, the scrape's own promhttp counters, and the open
// connections, which count a closing one until the server has seen it close).
var volatileSeries = []string{
	"synthesisvr_webhook_request_duration_seconds",
	"synthesisvr_last_event_timestamp_seconds",
	"synthesisvr_exporter_http_connections{",
}

// metricDiff returns the synthesisvr_ series whose value changed between two
// scrapes, with the change, leaving out volatile ones.
func metricDiff(before, after exposition) map[string]float64 {
	out := map[string]float64{}
	for k, a := range after.values {
		if !strings.HasPrefix(k, "synthesisvr_") || slices.ContainsFunc(volatileSeries, func(v string) bool { return strings.HasPrefix(k, v) }) {
			continue
		}
		if d := a - before.values[k]; d != 0 {
			out[k] = d
		}
	}
	for k := range before.values {
		if _, ok := after.values[k]; !ok && strings.HasPrefix(k, "synthesisvr_") {
			out[k+" (gone)"] = -1
		}
	}
	return out
}

// wantOnlyChanges fails unless the metrics changed by exactly the request's
// count under its code, the rejections given, and (for events that were applied)
// series of the location given.
func wantOnlyChanges(t *testing.T, before, after exposition, code int, rejected map[string]int, location string) {
	t.Helper()
	want := map[string]float64{seriesKey("synthesisvr_webhook_requests_total", "code", fmt.Sprint(code)): 1}
	for reason, n := range rejected {
		want[seriesKey(mRejected, "reason", reason)] = float64(n)
	}
	for k, d := range metricDiff(before, after) {
		if location != "" && strings.Contains(k, "location="+fmt.Sprintf("%q", location)) {
			continue
		}
		if want[k] != d {
			t.Errorf("%s changed by %v, want %v", k, d, want[k])
		}
		delete(want, k)
	}
	for k, d := range want {
		t.Errorf("%s did not change, want a change of %v", k, d)
	}
}

// rawRequest writes head (the request line and headers, without the blank line)
// on a new connection, then body a piece at a time, every gap, and returns the
// status line of the answer (or the error) and how long it took from the start.
func rawRequest(t *testing.T, addr, head string, body []string, gap time.Duration) (string, time.Duration) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		for _, piece := range body {
			select {
			case <-stop:
				return
			case <-time.After(gap):
			}
			if _, err := io.WriteString(conn, piece); err != nil {
				return
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "error: " + err.Error(), time.Since(start)
	}
	return strings.TrimSpace(line), time.Since(start)
}

// hostAddr is the host:port of a base URL.
func hostAddr(base string) string {
	return strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://")
}

// bytesOf splits s into pieces of one byte.
func bytesOf(s string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = s[i : i+1]
	}
	return out
}

// statusOfLine returns the code of an HTTP status line, or 0.
func statusOfLine(line string) int {
	var proto string
	var code int
	if _, err := fmt.Sscanf(line, "%s %d", &proto, &code); err != nil {
		return 0
	}
	return code
}

// noRedirect is a client for requests that must be answered as they are.
var rawClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true}}
